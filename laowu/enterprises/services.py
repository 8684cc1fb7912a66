from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction

from .models import PROVIDER_FIELDS, BasicInfo, Enterprise


def _provider_value(name: str, value: Any) -> Any:
    if value in (None, ""):
        return None if name.endswith(("_date", "_from", "_to")) else ""
    if name.endswith(("_date", "_from", "_to")):
        return dt.date.fromisoformat(value)
    return value


def ensure_basic_info(*, enterprise: Enterprise) -> BasicInfo:
    """The enterprise's 基本信息 record, created on first visit prefilled from the provider."""
    existing = BasicInfo.objects.filter(enterprise=enterprise).select_related("enterprise").first()
    if existing:
        return existing
    initial: dict[str, Any] = {}
    if enterprise.provider_confirmed:
        data = enterprise.provider_data or {}
        initial = {f: _provider_value(f, data.get(f)) for f in PROVIDER_FIELDS if f in data}
    initial.update(
        name=initial.get("name") or enterprise.name,
        credit_code=enterprise.credit_code,
        contact_name=enterprise.contact_name,
        contact_phone=enterprise.contact_phone,
    )
    try:
        with transaction.atomic():
            return BasicInfo.objects.create(enterprise=enterprise, **initial)
    except IntegrityError:
        # Two first visits raced; the other one created it.
        return BasicInfo.objects.select_related("enterprise").get(enterprise=enterprise)
