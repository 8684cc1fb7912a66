"""The committee's enterprise directory (企业列表): the enterprises of its district(s), each
with its 基本信息, searched, exported and opened one by one."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from laowu.accounts.models import Role
from laowu.accounts.permissions import role_required
from laowu.accounts.scope import can_see_personal_data
from laowu.audit.services import Action, record
from laowu.core.exports import xlsx_response
from laowu.core.pagination import paginate
from laowu.core.search import search
from laowu.core.validators import mask_mobile
from laowu.review import selectors as review_selectors

from .models import BasicInfo, Enterprise
from .scope import enterprises_in_scope


def _enterprise_search(request: HttpRequest) -> tuple[str, QuerySet[Enterprise]]:
    q = request.GET.get("q", "").strip()
    qs = enterprises_in_scope(request.user).select_related("district").order_by("-created_at", "-id")
    if q:
        qs = search(qs, q, text=("name", "contact_name"), codes=("credit_code",))
    return q, qs


def _local(value: dt.datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


@role_required(Role.REVIEWER, Role.SUPERVISOR)
def enterprise_list(request: HttpRequest) -> HttpResponse:
    q, qs = _enterprise_search(request)
    page, query = paginate(request, qs)
    infos = {b.enterprise_id: b for b in BasicInfo.objects.filter(enterprise__in=[e.pk for e in page.object_list])}
    rows = [{"enterprise": e, "info": infos.get(e.pk)} for e in page.object_list]
    return render(request, "enterprises/directory_list.html", {"page": page, "query": query, "q": q, "rows": rows})


@role_required(Role.REVIEWER, Role.SUPERVISOR)
def enterprise_export(request: HttpRequest) -> HttpResponse:
    """The enterprise list as searched, with the key fields of each one's 基本信息."""
    q, qs = _enterprise_search(request)
    full = can_see_personal_data(request.user)
    # One query for the whole list's 基本信息, not one per enterprise.
    infos = {
        b.enterprise_id: b
        for b in BasicInfo.objects.filter(enterprise__in=qs.values("pk")).only(
            "enterprise_id",
            "state",
            "legal_representative",
            "qualification_no",
            "qualification_valid_until",
            "safety_license_no",
            "safety_license_valid_until",
        )
    }
    headers = [
        "企业名称",
        "统一社会信用代码",
        "行政区划",
        "联系人",
        "联系人手机号码",
        "天眼查核验",
        "基本信息状态",
        "法定代表人",
        "施工劳务资质证书编号",
        "资质有效期至",
        "安全生产许可证编号",
        "安全生产许可证有效期至",
        "注册时间",
    ]

    def day(value: dt.date | None) -> str:
        return value.isoformat() if value else ""

    def rows() -> Any:
        for e in qs.iterator(chunk_size=2000):
            info = infos.get(e.pk)
            yield [
                e.name,
                e.credit_code,
                str(e.district),
                e.contact_name,
                e.contact_phone if full else mask_mobile(e.contact_phone),
                "已核验" if e.provider_confirmed else "未核验",
                info.state_label if info else "未填报",
                info.legal_representative if info else "",
                info.qualification_no if info else "",
                day(info.qualification_valid_until) if info else "",
                info.safety_license_no if info else "",
                day(info.safety_license_valid_until) if info else "",
                _local(e.created_at),
            ]

    record(action=Action.EXPORT, request=request, detail={"list": "enterprise", "full_personal_data": full, "q": q})
    return xlsx_response(filename="企业列表.xlsx", title="企业列表", headers=headers, rows=rows())


@role_required(Role.REVIEWER, Role.SUPERVISOR)
def enterprise_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        enterprise = enterprises_in_scope(request.user).get(pk=pk)
    except (ValueError, Enterprise.DoesNotExist):
        raise Http404 from None
    info = BasicInfo.objects.filter(enterprise=enterprise).first()
    return render(
        request,
        "enterprises/directory_detail.html",
        {"enterprise": enterprise, "info": info, "history": review_selectors.history(info) if info else []},
    )
