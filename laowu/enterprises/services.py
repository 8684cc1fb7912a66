from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from laowu.accounts.services import lookup_company
from laowu.audit.services import Action, record
from laowu.core import prepared
from laowu.review.services import WorkflowError

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


def own_basic_info(user: Any) -> BasicInfo:
    """The signed-in enterprise's 基本信息 for its page, with its enterprise (the page shows
    it) in one query whose SQL is written once per process (laowu/core/prepared.py); created
    on the first visit (`ensure_basic_info`). The enterprise is kept on the user, so that
    nothing later in the request reads it again.

    Not its approved revision: the page takes that row from the history it reads anyway
    (laowu/review/editing.py `_approved_from_history`), which has what the page shows of it.
    Joined here, its snapshot would be parsed and its personal values opened on every view,
    for nothing shown."""

    def build(enterprise_id: int) -> Any:
        return BasicInfo.objects.filter(enterprise_id=enterprise_id).select_related("enterprise")

    found = prepared.related_instances(("enterprises.own_basic_info",), build, user.enterprise_id)
    if not found:
        return ensure_basic_info(enterprise=user.enterprise)
    (info,) = found
    user.enterprise = info.enterprise
    return info


def refresh_from_provider(*, enterprise: Enterprise, actor: Any, request: HttpRequest | None = None) -> str:
    """重新从天眼查获取: ask the provider again for an enterprise registration found nothing for
    (or could not ask). What it finds fills the 基本信息's registered fields, read-only from then
    on, as if it had been found at registration. Returns what to tell the clerk; raises
    `WorkflowError` if the 基本信息 cannot change now."""
    info = ensure_basic_info(enterprise=enterprise)
    if enterprise.provider_confirmed:
        return "企业登记信息已经天眼查核验，无需重新获取。"
    if not info.is_editable:
        raise WorkflowError(f"当前状态为“{info.state_label}”，不能更新企业登记信息。")
    # Asked outside the transaction: the provider never holds a database lock.
    lookup = lookup_company(enterprise.credit_code)
    with transaction.atomic(durable=True):
        locked = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
        filing = BasicInfo.objects.select_for_update().get(pk=info.pk)
        if not filing.is_editable:
            raise WorkflowError(f"当前状态为“{filing.state_label}”，不能更新企业登记信息。")
        locked.provider_checked_at = timezone.now()
        if lookup.info is not None:
            data = lookup.info.as_dict()
            locked.provider_confirmed = True
            locked.provider_data = data
            locked.name = lookup.info.name
            for name in PROVIDER_FIELDS:
                if data.get(name) not in (None, ""):
                    setattr(filing, name, _provider_value(name, data[name]))
            filing.save()
        locked.save(update_fields=["provider_checked_at", "provider_confirmed", "provider_data", "name"])
        record(
            action=Action.PROVIDER_REFRESH,
            request=request,
            user=actor,
            obj=filing,
            detail={"provider": lookup.status, **({"reason": lookup.reason} if lookup.reason else {})},
        )
    enterprise.refresh_from_db()
    if lookup.status == "confirmed":
        return "已从天眼查获取企业登记信息，标注“天眼查”的项目已自动填写，请核对。"
    if lookup.status == "no_result":
        return "天眼查仍未查到该统一社会信用代码的登记信息，请按营业执照填写，审核时将予以核对。"
    return f"暂时无法从天眼查获取（{lookup.reason}），请稍后重试，或按营业执照填写。"
