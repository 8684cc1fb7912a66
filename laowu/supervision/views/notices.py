"""通知公告 (reviewers write, everyone reads the published ones) and the enterprise's 站内消息."""

from __future__ import annotations

from typing import Any

from django.contrib import messages as flash
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import linebreaksbr
from django.urls import path, reverse
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_POST

from laowu.accounts.models import Role
from laowu.accounts.permissions import role_required
from laowu.audit.services import Action, record
from laowu.core.actions import run_action
from laowu.core.exports import Column, Kind, export_response
from laowu.core.pagination import Page, paginate
from laowu.core.rows import csrf_input, esc, row_url, ymd_hm
from laowu.documents.responses import file_response
from laowu.documents.services import attachments_by_kind
from laowu.documents.storage import open_blob

from .. import messaging, notices
from ..forms.notices import NoticeForm
from ..models import Message, Notice
from ..permissions import access, access_notice_for_change

E, R, S = Role.ENTERPRISE, Role.REVIEWER, Role.SUPERVISOR

PUBLIC_LAYOUT = "supervision/notices/public_base.html"


# ---------------------------------------------------------------- reviewers

NOTICE_COLUMNS: list[Column[Notice]] = [
    Column("标题", lambda n: n.title, width=40),
    Column("状态", lambda n: "已发布" if n.is_published else "草稿", width=8),
    Column("置顶", lambda n: "是" if n.pinned else "否", width=6),
    Column("发布时间", lambda n: n.published_at, kind=Kind.DATETIME),
    Column("创建人", lambda n: str(n.created_by), width=10),
    Column("正文", lambda n: n.body, width=60),
]


@role_required(R)
def notice_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "")
    status = request.GET.get("status", "")
    page, query = paginate(request, notices.notice_list(user=request.user, q=q, status=status))
    return render(
        request,
        "supervision/notices/list.html",
        {"page": page, "query": query, "q": q, "status": status, "statuses": notices.STATUS_FILTERS},
    )


@role_required(R)
def notice_export(request: HttpRequest) -> HttpResponse:
    qs = notices.notice_list(user=request.user, q=request.GET.get("q", ""), status=request.GET.get("status", ""))
    record(action=Action.EXPORT, request=request, detail={"list": "notice"})
    return export_response(
        filename="通知公告列表.xlsx",
        title="通知公告",
        columns=NOTICE_COLUMNS,
        rows=qs.iterator(chunk_size=500),
    )


@role_required(R)
def notice_new(request: HttpRequest) -> HttpResponse:
    form = NoticeForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            notice = notices.create_notice(data=form.cleaned_data, actor=request.user, request=request)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            flash.success(request, "通知公告已保存（未发布）。确认内容无误后请点击“发布”。")
            return redirect("supervision:notice_edit", pk=notice.pk)
    return render(request, "supervision/notices/edit.html", {"form": form, "notice": None})


@role_required(R)
def notice_edit(request: HttpRequest, pk: int) -> HttpResponse:
    notice = access_notice_for_change(request.user, pk)
    form = NoticeForm(request.POST or None, instance=notice, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            notice = notices.update_notice(notice=notice, data=form.cleaned_data, actor=request.user, request=request)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            flash.success(request, "已保存。" + ("修改已在登录页和通知公告中显示。" if notice.is_published else ""))
            return redirect("supervision:notice_edit", pk=notice.pk)
    return render(
        request,
        "supervision/notices/edit.html",
        {
            "form": form,
            "notice": notice,
            # The one attachment panel (documents/_attachments.html), editable by reviewers.
            "filing": notice,
            "filing_type": Notice.ATTACHABLE_CODE,
            "attachment_groups": attachments_by_kind(notice),
            "attachments_editable": True,
        },
    )


def _back(request: HttpRequest, notice_pk: int) -> str:
    # Back to the list the button was pressed on, or to the notice.
    if request.POST.get("next") == "list":
        return reverse("supervision:notice_list")
    return reverse("supervision:notice_edit", args=[notice_pk])


@require_POST
@role_required(R)
def notice_publish(request: HttpRequest, pk: int) -> HttpResponse:
    notice = access_notice_for_change(request.user, pk)
    return run_action(
        request,
        lambda: notices.publish_notice(notice=notice, actor=request.user, request=request),
        success=f"已发布“{notice.title}”，登录页和企业首页将显示该通知。",
        then=_back(request, notice.pk),
    )


@require_POST
@role_required(R)
def notice_unpublish(request: HttpRequest, pk: int) -> HttpResponse:
    notice = access_notice_for_change(request.user, pk)
    return run_action(
        request,
        lambda: notices.unpublish_notice(notice=notice, actor=request.user, request=request),
        success=f"已撤下“{notice.title}”，可修改后重新发布。",
        then=_back(request, notice.pk),
    )


@require_POST
@role_required(R)
def notice_delete(request: HttpRequest, pk: int) -> HttpResponse:
    notice = access_notice_for_change(request.user, pk)
    return run_action(
        request,
        lambda: notices.delete_notice(notice=notice, actor=request.user, request=request),
        success=f"已删除“{notice.title}”。",
        then="supervision:notice_list",
    )


# ---------------------------------------------------------------- public


def _public_context(request: HttpRequest) -> dict[str, Any]:
    # Signed-in users read notices inside their workspace (the enterprise menu links here).
    return {"layout": "workspace.html" if request.user.is_authenticated else PUBLIC_LAYOUT}


def notice_public_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "")
    page, query = paginate(request, notices.published_notices(q=q))
    return render(
        request,
        "supervision/notices/public_list.html",
        {**_public_context(request), "page": page, "query": query, "q": q},
    )


def notice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    notice = notices.public_notice(pk)
    files = [a for group in attachments_by_kind(notice) for a in group["attachments"]]
    return render(
        request, "supervision/notices/detail.html", {**_public_context(request), "notice": notice, "files": files}
    )


def notice_attachment(request: HttpRequest, pk: int, attachment_pk: int) -> HttpResponse:
    """A published notice's attachment, to anyone: the notice is public, so are its files.
    A draft or withdrawn notice's files are "not found" here (reviewers open them through
    documents:attachment)."""
    item = notices.public_attachment(notices.public_notice(pk), attachment_pk)
    return file_response(open_blob(item.blob), item.original_name, item.blob.content_type)


# ---------------------------------------------------------------- 站内消息


# The messages' rows are written here rather than by a {% for %} in the template: a row was some
# twenty template nodes, most of the page's rendering. The markup and its escaping
# (laowu/core/rows.py) are the template's own (supervision/notices/messages.html says where the
# rows go); tests/supervision/test_message_rows.py compares them with the template's former output.


def _message_rows(request: HttpRequest, page: Page, *, query: str, searched: bool) -> SafeString:
    """The rows of supervision/notices/messages.html, with 查看 and, while unread, 标为已读."""
    if not page.object_list:
        empty = "没有符合条件的消息。" if searched else "暂无站内消息。审核结果、检查整改、证照到期等提醒会发送到这里。"
        return mark_safe(f'<tr><td colspan="4" class="empty">{empty}</td></tr>')  # noqa: S308  # nosec B308 B703  # our own markup only
    csrf = csrf_input(request)
    query_input = f'<input type="hidden" name="query" value="{esc(query)}">'
    rows: list[str] = []
    for m in page.object_list:
        open_url = row_url(request, "supervision:message_open", m.pk)
        read = m.read_at
        mark = (
            ""
            if read
            else f'<form method="post" action="{row_url(request, "supervision:message_mark_read", m.pk)}" '
            f'class="inline-form">{csrf}{query_input}<button type="submit" class="link-button">标为已读</button></form>'
        )
        status = (
            '<span class="status status-draft">已读</span>'
            if read
            else '<span class="status status-declared">未读</span>'
        )
        rows.append(
            f'\n      <tr class="{"" if read else "unread"}">\n'
            f"        <td>{status}</td>\n"
            f'        <td><a class="message-title" href="{open_url}">{esc(m.title)}</a>'
            f'<div class="message-body">{linebreaksbr(m.body, autoescape=True)}</div></td>\n'
            f'        <td class="nowrap">{ymd_hm(m.created_at)}</td>\n'
            '        <td class="nowrap row-actions">\n'
            f'          <a href="{open_url}">{"查看详情" if m.link else "查看"}</a>\n'
            f"          {mark}\n"
            "        </td>\n"
            "      </tr>\n    "
        )
    return mark_safe("".join(rows))  # noqa: S308  # nosec B308 B703  # esc()-escaped values and our own markup


def _unread_count(page: Page, enterprise_id: int, *, filtered: bool) -> int:
    """The heading's count of unread messages: carried by the page's rows
    (`messaging.with_unread_total`), asked apart only when a filter left the page empty."""
    if page.object_list:
        return page.object_list[0].unread_total or 0  # no unread message: the subquery finds no group
    if not filtered and page.number == 1:
        return 0  # no message at all
    return messaging.unread_messages(enterprise_id).count()


@role_required(E)
def message_list(request: HttpRequest) -> HttpResponse:
    enterprise_id = request.user.enterprise_id  # type: ignore[union-attr]
    q = request.GET.get("q", "")
    read = request.GET.get("read", "")
    listed = messaging.with_unread_total(
        messaging.message_list(enterprise_id=enterprise_id, q=q, read=read), enterprise_id
    )
    # Page 1's count in its statement unless a keyword narrows the list.
    page, query = paginate(request, listed, count_with_page=not q)
    unread_count = _unread_count(page, enterprise_id, filtered=bool(q or read))
    return render(
        request,
        "supervision/notices/messages.html",
        {
            "page": page,
            "query": query,
            "q": q,
            "read": read,
            "read_filters": messaging.READ_FILTERS,
            "unread_count": unread_count,
            "rows": _message_rows(request, page, query=query, searched=bool(q or read)),
        },
    )


@role_required(E)
def message_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Opening marks it read (like a letter opened), then goes where it points, if on this site."""
    message = access(request.user, Message, pk)
    messaging.mark_read(message=message)
    link = messaging.local_link(message.link)
    if link:
        return redirect(link)
    return render(request, "supervision/notices/message_detail.html", {"message": message})


@require_POST
@role_required(E)
def message_mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    message = access(request.user, Message, pk)
    if messaging.mark_read(message=message):
        flash.success(request, f"已将“{message.title}”标为已读。")
    return redirect(_messages_url(request))


@require_POST
@role_required(E)
def message_mark_all_read(request: HttpRequest) -> HttpResponse:
    count = messaging.mark_all_read(enterprise_id=request.user.enterprise_id)  # type: ignore[union-attr]
    flash.success(request, f"已将{count}条未读消息标为已读。" if count else "没有未读消息。")
    return redirect(_messages_url(request))


def _messages_url(request: HttpRequest) -> str:
    # Stay on the page and filter the user was looking at.
    query = request.POST.get("query", "")
    url = reverse("supervision:messages")
    return f"{url}?{query}" if query and messaging.local_link(f"{url}?{query}") else url


urlpatterns = [
    path("supervision/notices/", notice_list, name="notice_list"),
    path("supervision/notices/new/", notice_new, name="notice_new"),
    path("supervision/notices/export/", notice_export, name="notice_export"),
    path("supervision/notices/<int:pk>/", notice_edit, name="notice_edit"),
    path("supervision/notices/<int:pk>/publish/", notice_publish, name="notice_publish"),
    path("supervision/notices/<int:pk>/unpublish/", notice_unpublish, name="notice_unpublish"),
    path("supervision/notices/<int:pk>/delete/", notice_delete, name="notice_delete"),
    path("notices/", notice_public_list, name="notice_public_list"),
    path("notices/<int:pk>/", notice_detail, name="notice_detail"),
    path("notices/<int:pk>/files/<int:attachment_pk>/", notice_attachment, name="notice_attachment"),
    path("enterprise/messages/", message_list, name="messages"),
    path("enterprise/messages/read-all/", message_mark_all_read, name="message_mark_all_read"),
    path("enterprise/messages/<int:pk>/", message_open, name="message_open"),
    path("enterprise/messages/<int:pk>/read/", message_mark_read, name="message_mark_read"),
]
