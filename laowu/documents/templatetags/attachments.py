"""The attachment panel's tags (documents/_attachments_table.html): the size limit it states,
and its slots' rows.

The rows were a {% for %} of some forty template nodes per slot (lookups, filters, links, the
upload form), a large share of every owner and supervision page's rendering. They are written
here instead, the same markup byte for byte, each value escaped as the template escaped it
(laowu/core/rows.py `esc`, which gives format_html's bytes without its per-argument wrappers);
tests/documents/test_attachment_rows.py compares them with the template's former loop,
kept there, for every kind of slot (editable inside an owner form or alone, read-only, images,
messages beside a slot, GET and POST)."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.context import Context
from django.template.defaultfilters import filesizeformat
from django.template.defaulttags import CsrfTokenNode
from django.utils.safestring import SafeString, mark_safe

from laowu.core.dates import minute_text
from laowu.core.placed_messages import messages_beside
from laowu.core.rows import esc
from laowu.core.templatetags.urls import cached_reverse
from laowu.documents.validation import format_size, max_attachment_bytes

register = template.Library()

ANY_FILE = "application/pdf,.pdf,image/jpeg,image/png,.jpg,.jpeg,.png"
PDF_ONLY = "application/pdf,.pdf"
REQUIRED_MARK = '<span class="req">*</span>'


@register.simple_tag
def attachment_limit() -> dict[str, int | str]:
    """{"bytes": the limit per file, "label": the same as people read it, e.g. "5MB"}."""
    limit = max_attachment_bytes()
    return {"bytes": limit, "label": format_size(limit)}


def _url(context: Context, name: str, *args: Any) -> str:
    """`{% url %}` as the templates reverse it (laowu/core/templatetags/urls.py)."""
    request = getattr(context, "request", None)
    current_app = getattr(request, "current_app", None)
    if current_app is None:
        match = getattr(request, "resolver_match", None)
        current_app = match.namespace if match else None
    return cached_reverse(name, list(args), {}, current_app, request)


def _file(context: Context, a: dict[str, Any], editable: bool, owner_form: str, csrf: str, back: str) -> str:
    name = esc(a["name"])
    if editable and owner_form:
        delete = (
            f'<button type="submit" form="{esc(owner_form)}" name="delete_attachment" value="{esc(a["id"])}" '
            f'class="link-button danger" data-confirm="确定删除附件“{name}”吗？">删除</button>'
        )
    elif editable:
        delete = (
            f'<form method="post" action="{esc(_url(context, "documents:attachment_delete", a["id"]))}" '
            f'class="inline-form" data-confirm="确定删除附件“{name}”吗？">{csrf}'
            f'<input type="hidden" name="next" value="{back}">'
            '<button type="submit" class="link-button danger">删除</button></form>'
        )
    else:
        delete = ""
    return (
        "\n          "
        '<div class="attach-item">\n'
        f'            <span class="attach-name">{name}</span>\n'
        f'            <span class="attach-meta">{esc(filesizeformat(a["size"]))} · '
        f"{esc(minute_text(a['uploaded_at'], context.use_tz))}</span>\n"
        f'            <a href="{esc(_url(context, "documents:attachment", a["id"]))}" '
        'target="_blank" rel="noopener">查看</a>\n'
        f"            {delete}\n"
        "          </div>\n"
        "          "
    )


@register.simple_tag(takes_context=True)
def attachment_rows(context: Context, limit: dict[str, Any]) -> SafeString:
    """The panel's rows, one per slot of ``attachment_groups``, as the template's loop wrote
    them. Reads the panel's context: filing, filing_type, editable, owner_form, messages."""
    editable = context.get("editable")
    owner_form = context.get("owner_form")
    messages = context.get("messages", "")
    filing = context.get("filing")
    request = context.get("request")
    # Only where the template wrote them: reading the token makes the response set its cookie.
    csrf = back = ""
    if editable:
        csrf = esc(CsrfTokenNode().render(context))
        back = esc(request.get_full_path() if getattr(request, "method", "") == "GET" else filing.get_absolute_url())
    rows = []
    for group in context.get("attachment_groups") or ():
        anchor = esc(group["anchor"])
        if group["attachments"]:
            files = "".join(_file(context, a, editable, owner_form, csrf, back) for a in group["attachments"])
        else:
            files = '<span class="muted">未上传</span>'
        beside = "".join(
            f'<div class="msg msg-{esc(m.level_tag)}">{esc(m)}</div>'
            for m in messages_beside(messages, group["anchor"])
        )
        upload = ""
        if editable:
            code = esc(group["code"])
            if owner_form:
                form = esc(owner_form)
                file_attrs = f'form="{form}" name="file-{code}"'
                button_attrs = f' form="{form}" name="upload" value="{code}"'
            else:
                file_attrs, button_attrs = 'name="file"', ""
            action = esc(_url(context, "documents:upload", context.get("filing_type"), filing.pk))
            upload = (
                "\n"
                '        <td class="col-upload">\n'
                f'          <form method="post" enctype="multipart/form-data" action="{action}" class="upload-form" '
                f'data-slot="{anchor}" data-max-bytes="{esc(limit["bytes"])}" '
                f'data-images="{"1" if group["images"] else ""}">\n'
                f'            {csrf}<input type="hidden" name="kind" value="{code}">'
                f'<input type="hidden" name="next" value="{back}">\n'
                '            <label class="btn btn-default btn-small file-pick">选择'
                f'<input type="file" {file_attrs} multiple '
                f'accept="{ANY_FILE if group["images"] else PDF_ONLY}" class="file-input"></label>\n'
                '            <span class="file-chosen muted">未选择文件</span>\n'
                f'            <button type="submit" class="btn btn-primary btn-small"{button_attrs}>上传</button>\n'
                "          </form>\n"
                '          <div class="upload-state"></div>\n'
                "        </td>\n"
                "        "
            )
        rows.append(
            "\n"
            f'      <tr id="{anchor}" class="attach-slot">\n'
            f'        <td class="col-kind">{REQUIRED_MARK if group["required"] else ""}{esc(group["label"])}</td>\n'
            '        <td class="attach-files">\n'
            f"          {files}\n"
            f'          <div class="upload-results">{beside}</div>\n'
            "        </td>\n"
            f"        {upload}\n"
            "      </tr>\n"
            "    "
        )
    return mark_safe("".join(rows))  # noqa: S308  # nosec B308 B703  # every value escaped by esc, our own markup
