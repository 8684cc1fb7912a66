from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest

from laowu.audit.services import Action, record
from laowu.enterprises.models import Enterprise

from .models import Permit


def create_permit(
    *, enterprise: Enterprise, data: dict[str, Any], actor: Any, request: HttpRequest | None = None
) -> Permit:
    """新增 → 保存: a draft; later saves go through the workflow's `save_fields`."""
    permit = Permit(enterprise=enterprise, **{k: v for k, v in data.items() if k in Permit.SNAPSHOT_FIELDS})
    permit.full_clean(exclude=["enterprise", "state", "pending_submission", "approved_submission"])
    with transaction.atomic(durable=True):
        permit.save()
        record(action=Action.FILING_SAVE, request=request, user=actor, obj=permit, detail={"created": True})
    return permit
