"""证照到期提醒: one list for the committee (its districts) and the enterprise (its own)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages as flash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.text import Truncator
from django.utils.timezone import template_localtime
from django.views.decorators.http import require_POST

from laowu.accounts.models import Role
from laowu.accounts.permissions import role_required
from laowu.accounts.scope import is_committee
from laowu.audit.services import Action, record
from laowu.core.exports import Column, Kind, export_response
from laowu.core.pagination import paginate_segments
from laowu.core.rows import esc, row_url, ymd
from laowu.enterprises.scope import enterprises_in_scope

from .. import reminders
from ..permissions import can_manage

E, R, S = Role.ENTERPRISE, Role.REVIEWER, Role.SUPERVISOR


def _filters(request: HttpRequest) -> dict[str, str]:
    kinds = {k for k, _ in reminders.kinds()}
    buckets = {b for b, _ in reminders.BUCKETS}
    kind = request.GET.get("kind", "")
    bucket = request.GET.get("threshold", "")
    return {
        "q": request.GET.get("q", ""),
        "kind": kind if kind in kinds else "",
        "bucket": bucket if bucket in buckets else "",
    }


def _reminder_note(sent: list[Any], *, details: bool) -> str:
    if not sent:
        return ""
    last = sent[-1]
    # Why an SMS failed (provider replies, setting names) is for the committee only.
    failed = f"短信失败：{last.sms_error}" if details else "短信发送失败"
    sms = "短信已发送" if last.sms_sent else (failed if last.sms_error else "短信未发送")
    return f"{last.threshold}天提醒 {timezone.localdate(last.created_at):%Y-%m-%d}，{sms}"


def _sent_html(sent: list[Any], *, committee: bool) -> str:
    """The 提醒记录 cell: each reminder already sent, or 未提醒. Why an SMS failed (provider
    replies, setting names) is for the committee only."""
    if not sent:
        return '<span class="muted">未提醒</span>'
    notes = []
    for r in sent:
        if r.sms_sent:
            sms = "短信已发送"
        elif r.sms_error and committee:
            sms = (
                f'<span class="danger-text" title="{esc(r.sms_error)}">'
                f"短信失败：{esc(Truncator(r.sms_error).chars(30))}</span>"
            )
        elif r.sms_error:
            sms = '<span class="danger-text">短信发送失败</span>'
        else:
            sms = "短信未发送"
        day = ymd(template_localtime(r.created_at).date())
        notes.append(f'<div class="expiry-sent">{esc(r.threshold)}天档 {day} · {sms}</div>')
    return "".join(notes)


def _expiry_rows(
    request: HttpRequest,
    items: list[reminders.ExpiryItem],
    sent: dict[tuple[Any, ...], list[Any]],
    *,
    committee: bool,
    searched: bool,
) -> SafeString:
    """The rows of supervision/reminders/list.html. Written here rather than by a {% for %} in
    the template: a row was some thirty template nodes, most of the page's rendering. Same
    markup and escaping (every shown text through laowu/core/rows.py `esc`);
    tests/supervision/test_expiry_list_bytes.py serves the page the former way too and compares
    the bytes."""
    if not items:
        text = "没有符合条件的证照。" if searched else "没有90天内到期的证照。"
        return SafeString(f'<tr><td colspan="{8 if committee else 7}" class="empty">{text}</td></tr>')  # nosec B703  # fixed text
    html_rows: list[str] = []
    for item in items:
        if committee:
            url = row_url(request, "directory:enterprise_detail", item.enterprise.pk)
            enterprise = f'<td><a href="{url}">{esc(item.enterprise.name)}</a></td>'
            action = f'<a href="{esc(item.committee_link)}">查看</a>'
        else:
            enterprise = ""
            action = f'<a href="{esc(item.enterprise_link)}">去更新</a>'
        html_rows.append(
            "\n      <tr>\n"
            f"        {enterprise}\n"
            f'        <td class="nowrap">{esc(item.label)}</td>\n'
            f"        <td>{esc(item.holder)}</td>\n"
            f"        <td>{esc(item.number) if item.number else '—'}</td>\n"
            f'        <td class="nowrap">{ymd(item.expires_on)}</td>\n'
            f'        <td class="nowrap"><span class="status expiry-{esc(item.bucket)}">'
            f"{esc(item.status_text)}</span></td>\n"
            f"        <td>{_sent_html(sent.get(item.key, []), committee=committee)}</td>\n"
            f'        <td class="nowrap">{action}</td>\n'
            "      </tr>\n    "
        )
    return SafeString("".join(html_rows))  # nosec B703  # every shown text escaped by esc


@role_required(E, R, S)
def expiry_list(request: HttpRequest) -> HttpResponse:
    filters = _filters(request)
    page, query = paginate_segments(request, reminders.expiry_segments(user=request.user, **filters))
    items = reminders.as_items(page.object_list)
    sent = reminders.sent_for(items)
    committee = is_committee(request.user)
    rows = _expiry_rows(request, items, sent, committee=committee, searched=any(filters.values()))
    return render(
        request,
        "supervision/reminders/list.html",
        {
            **filters,
            "page": page,
            "rows": rows,
            "query": query,
            "kinds": reminders.kinds(),
            "buckets": reminders.BUCKETS,
            "committee": committee,
            "can_send": can_manage(request.user),
        },
    )


@role_required(E, R, S)
def expiry_export(request: HttpRequest) -> HttpResponse:
    filters = _filters(request)
    items = reminders.expiry_list(user=request.user, **filters)
    sent = reminders.sent_for(items)
    committee = is_committee(request.user)
    columns: list[Column[reminders.ExpiryItem]] = [
        Column("证照类型", lambda item: item.label, width=14),
        Column("持有人", lambda item: item.holder, width=30),
        Column("证书编号", lambda item: item.number, width=24),
        Column("有效期至", lambda item: item.expires_on, kind=Kind.DATE),
        Column("剩余天数", lambda item: item.days_left, kind=Kind.NUMBER, width=8),
        Column("状态", lambda item: item.status_text, width=14),
        Column("提醒档位", lambda item: "已过期" if item.expired else f"{item.threshold}天", width=8),
        Column("提醒记录", lambda item: _reminder_note(sent.get(item.key, []), details=committee), width=40),
    ]
    if committee:
        columns = [
            Column("企业名称", lambda item: item.enterprise.name, width=30),
            Column("统一社会信用代码", lambda item: item.enterprise.credit_code, width=20),
            *columns,
        ]

    record(action=Action.EXPORT, request=request, detail={"list": "expiry", **filters, "count": len(items)})
    return export_response(filename="证照到期提醒.xlsx", title="证照到期提醒", columns=columns, rows=items)


@require_POST
@role_required(R)
def expiry_send(request: HttpRequest) -> HttpResponse:
    """立即发送到期提醒 for the reviewer's districts: the daily run, now (it never repeats a reminder)."""
    if not can_manage(request.user):
        flash.error(request, "您无权发送到期提醒。")
        return redirect("supervision:expiry_list")
    run = reminders.send_expiry_reminders(
        enterprises=enterprises_in_scope(request.user), actor=request.user, request=request
    )
    if run.reminded:
        flash.success(request, run.summary())
    else:
        flash.info(
            request, f"检查到{run.checked}项90天内到期（含已过期）的证照，均已按档位提醒过，本次未发送新的提醒。"
        )
    if run.sms_failed:
        flash.warning(request, f"有{run.sms_failed}条短信发送失败，原因见列表“提醒记录”一栏；站内消息已送达。")
    return redirect("supervision:expiry_list")


urlpatterns = [
    path("supervision/expiry/", expiry_list, name="expiry_list"),
    path("supervision/expiry/export/", expiry_export, name="expiry_export"),
    path("supervision/expiry/send/", expiry_send, name="expiry_send"),
]
