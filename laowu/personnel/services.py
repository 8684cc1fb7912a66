from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from laowu.audit.services import Action, record
from laowu.enterprises.models import Enterprise
from laowu.review.services import save_fields

from .models import Person


def create_person(
    *, model: type[Person], enterprise: Enterprise, data: dict[str, Any], actor: Any, request: HttpRequest | None = None
) -> Person:
    """新增 → 保存: a draft person; attachments and 提交 follow on its edit page."""
    person = model(enterprise=enterprise, consent_confirmed_at=timezone.now())
    for name in model.SNAPSHOT_FIELDS:
        if name in data:
            setattr(person, name, data[name])
    person.full_clean(exclude=["enterprise", "state", "pending_submission", "approved_submission"])
    try:
        with transaction.atomic(durable=True):
            person.save()
            record(action=Action.FILING_SAVE, request=request, user=actor, obj=person, detail={"created": True})
    except IntegrityError:
        raise ValidationError({"id_number": f"本企业已登记该{model.FILING_LABEL}，请在列表中编辑。"}) from None
    return person


def update_person(*, person: Person, data: dict[str, Any], actor: Any, request: HttpRequest | None = None) -> Person:
    fields = {k: v for k, v in data.items() if k in person.SNAPSHOT_FIELDS}
    try:
        return save_fields(filing=person, data=fields, actor=actor, request=request)
    except IntegrityError:
        raise ValidationError({"id_number": f"本企业已登记该{person.FILING_LABEL}，请在列表中编辑。"}) from None
