"""The committee's enterprise directory (企业列表): the enterprises of its district(s), each
with its 基本信息, searched and exported. One enterprise's page, which gathers what every
app holds about it, is laowu/workspace/enterprise_overview.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from laowu.accounts.models import Role
from laowu.accounts.permissions import role_required
from laowu.accounts.scope import can_see_personal_data
from laowu.audit.services import Action, record
from laowu.core.exports import Column, Kind, export_response, field_column
from laowu.core.pagination import paginate
from laowu.core.search import search
from laowu.core.validators import mask_mobile

from .models import BasicInfo, Enterprise
from .scope import enterprises_in_scope


def _enterprise_search(request: HttpRequest) -> tuple[str, QuerySet[Enterprise]]:
    q = request.GET.get("q", "").strip()
    qs = enterprises_in_scope(request.user).select_related("district").order_by("-created_at", "-id")
    if q:
        qs = search(qs, q, text=("name", "contact_name"), codes=("credit_code",))
    return q, qs


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

    def info(name: str) -> Callable[[Enterprise], Any]:
        def value(e: Enterprise) -> Any:
            found = infos.get(e.pk)
            return getattr(found, name) if found else None

        return value

    columns: list[Column[Enterprise]] = [
        field_column(Enterprise, "name", header="企业名称", width=30),
        field_column(Enterprise, "credit_code", header="统一社会信用代码", width=20),
        Column("行政区划", lambda e: str(e.district), width=10),
        field_column(Enterprise, "contact_name", header="联系人"),
        Column("联系人手机号码", lambda e: e.contact_phone if full else mask_mobile(e.contact_phone), width=14),
        Column("天眼查核验", lambda e: "已核验" if e.provider_confirmed else "未核验", width=10),
        Column("基本信息状态", lambda e: infos[e.pk].state_label if e.pk in infos else "未填报", width=12),
        Column("法定代表人", info("legal_representative")),
        Column("施工劳务资质证书编号", info("qualification_no"), width=20),
        Column("资质有效期至", info("qualification_valid_until"), kind=Kind.DATE),
        Column("安全生产许可证编号", info("safety_license_no"), width=30),
        Column("安全生产许可证有效期至", info("safety_license_valid_until"), kind=Kind.DATE),
        Column("注册时间", lambda e: e.created_at, kind=Kind.DATETIME),
    ]

    record(action=Action.EXPORT, request=request, detail={"list": "enterprise", "full_personal_data": full, "q": q})
    return export_response(
        filename="企业列表.xlsx", title="企业列表", columns=columns, rows=qs.iterator(chunk_size=2000)
    )
