"""The committee's enterprise directory (企业列表): the enterprises of its district(s), each
with its 基本信息, searched and exported. One enterprise's page, which gathers what every
app holds about it, is laowu/workspace/enterprise_overview.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import SafeString
from django.utils.timezone import template_localtime

from laowu.accounts.models import Role
from laowu.accounts.permissions import role_required
from laowu.accounts.scope import can_see_personal_data
from laowu.audit.services import Action, record
from laowu.core.exports import Column, Kind, export_response, field_column
from laowu.core.pagination import paginate
from laowu.core.rows import esc, row_url, ymd
from laowu.core.search import search
from laowu.core.validators import mask_mobile
from laowu.review.models import State

from .models import BasicInfo, Enterprise
from .scope import enterprises_in_scope


def _enterprise_search(request: HttpRequest) -> tuple[str, QuerySet[Enterprise]]:
    q = request.GET.get("q", "").strip()
    qs = enterprises_in_scope(request.user).select_related("district").order_by("-created_at", "-id")
    if q:
        qs = search(qs, q, text=("name", "contact_name"), codes=("credit_code",))
    return q, qs


def _listed(qs: QuerySet[Enterprise]) -> QuerySet[Any]:
    """The columns the list shows (`_directory_rows`) and its order's, as named tuples, the
    基本信息's state read in the same statement: no model instance per row, and neither the
    enterprise's sealed phone nor its provider data (a JSON document per row) read for a page
    that shows neither. `pk`: a search's page is read by id (laowu/core/pagination.py
    `_rows_by_id`)."""
    info_state = BasicInfo.objects.filter(enterprise=OuterRef("pk")).values("state")[:1]
    return qs.annotate(info_state=Subquery(info_state)).values_list(
        "pk",
        "id",
        "created_at",
        "name",
        "credit_code",
        "district__name",
        "provider_confirmed",
        "info_state",
        named=True,
    )


def _directory_rows(request: HttpRequest, enterprises: list[Any]) -> SafeString:
    """The rows of enterprises/directory_list.html, from `_listed`'s named tuples. Written here
    rather than by a {% for %} in the template, which was most of the page's rendering. Same
    markup and escaping (every shown text through laowu/core/rows.py `esc`);
    tests/enterprises/test_directory_list_bytes.py serves the page the former way too and
    compares the bytes."""
    if not enterprises:
        return SafeString('<tr><td colspan="6" class="empty">没有符合条件的企业。</td></tr>')
    html_rows: list[str] = []
    for e in enterprises:
        url = row_url(request, "directory:enterprise_detail", e.pk)
        confirmed = "已核验" if e.provider_confirmed else '<span class="status status-rejected">未核验</span>'
        if e.info_state:
            info = f'<span class="status status-{esc(e.info_state)}">{esc(State(e.info_state).label)}</span>'
        else:
            info = '<span class="muted">未填报</span>'
        html_rows.append(
            "\n      <tr>"
            f'<td><a href="{url}">{esc(e.name)}</a></td><td>{esc(e.credit_code)}</td><td>{esc(e.district__name)}</td>\n'
            f"      <td>{confirmed}</td>\n"
            f"      <td>{info}</td>\n"
            f'      <td class="nowrap">{ymd(template_localtime(e.created_at).date())}</td></tr>\n    '
        )
    return SafeString("".join(html_rows))  # nosec B703  # every shown text escaped by esc


@role_required(Role.REVIEWER, Role.SUPERVISOR)
def enterprise_list(request: HttpRequest) -> HttpResponse:
    q, qs = _enterprise_search(request)
    # Page 1's count in its statement unless a search narrows the list: the enterprises of the
    # committee's districts are counted through an index whatever the page shows.
    page, query = paginate(request, _listed(qs), count_with_page=not q)
    rows = _directory_rows(request, list(page.object_list))
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
