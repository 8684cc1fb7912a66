"""The attachment panel's tags (documents/_attachments_table.html): the size limit it states,
and its slots' rows.

The rows were a {% for %} of some forty template nodes per slot (lookups, filters, links, the
upload form), a large share of every owner and supervision page's rendering. They are written
here instead, the same markup byte for byte, escaped by format_html as the template escaped
it; tests/documents/test_attachment_rows.py compares them with the template's former loop,
kept there, for every kind of slot (editable inside an owner form or alone, read-only, images,
messages beside a slot, GET and POST)."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.context import Context
from django.template.defaultfilters import filesizeformat
from django.template.defaulttags import CsrfTokenNode
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from laowu.core.dates import minute_text
from laowu.core.placed_messages import messages_beside
from laowu.core.templatetags.urls import cached_reverse
from laowu.documents.validation import format_size, max_attachment_bytes

register = template.Library()

ANY_FILE = "application/pdf,.pdf,image/jpeg,image/png,.jpg,.jpeg,.png"
PDF_ONLY = "application/pdf,.pdf"


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


def _file(context: Context, a: dict[str, Any], editable: bool, owner_form: str, csrf: str, back: str) -> SafeString:
    if editable and owner_form:
        delete = format_html(
            '<button type="submit" form="{}" name="delete_attachment" value="{}" class="link-button danger" '
            'data-confirm="确定删除附件“{}”吗？">删除</button>',
            owner_form,
            a["id"],
            a["name"],
        )
    elif editable:
        delete = format_html(
            '<form method="post" action="{}" class="inline-form" data-confirm="确定删除附件“{}”吗？">{}'
            '<input type="hidden" name="next" value="{}"><button type="submit" class="link-button danger">删除</button>'
            "</form>",
            _url(context, "documents:attachment_delete", a["id"]),
            a["name"],
            csrf,
            back,
        )
    else:
        delete = ""
    return format_html(
        "\n          "
        '<div class="attach-item">\n'
        '            <span class="attach-name">{}</span>\n'
        '            <span class="attach-meta">{} · {}</span>\n'
        '            <a href="{}" target="_blank" rel="noopener">查看</a>\n'
        "            {}\n"
        "          </div>\n"
        "          ",
        a["name"],
        filesizeformat(a["size"]),
        minute_text(a["uploaded_at"], context.use_tz),
        _url(context, "documents:attachment", a["id"]),
        delete,
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
        csrf = CsrfTokenNode().render(context)
        back = request.get_full_path() if getattr(request, "method", "") == "GET" else filing.get_absolute_url()
    rows = []
    for group in context.get("attachment_groups") or ():
        anchor = group["anchor"]
        if group["attachments"]:
            files = format_html_join(
                "", "{}", ((_file(context, a, editable, owner_form, csrf, back),) for a in group["attachments"])
            )
        else:
            files = SafeString('<span class="muted">未上传</span>')
        beside = format_html_join(
            "", '<div class="msg msg-{}">{}</div>', ((m.level_tag, m) for m in messages_beside(messages, anchor))
        )
        upload = ""
        if editable:
            if owner_form:
                file_attrs = format_html('form="{}" name="file-{}"', owner_form, group["code"])
                button_attrs = format_html(' form="{}" name="upload" value="{}"', owner_form, group["code"])
            else:
                file_attrs, button_attrs = SafeString('name="file"'), ""
            upload = format_html(
                "\n"
                '        <td class="col-upload">\n'
                '          <form method="post" enctype="multipart/form-data" action="{}" class="upload-form" '
                'data-slot="{}" data-max-bytes="{}" data-images="{}">\n'
                '            {}<input type="hidden" name="kind" value="{}">'
                '<input type="hidden" name="next" value="{}">\n'
                '            <label class="btn btn-default btn-small file-pick">选择<input type="file" {} multiple '
                'accept="{}" class="file-input"></label>\n'
                '            <span class="file-chosen muted">未选择文件</span>\n'
                '            <button type="submit" class="btn btn-primary btn-small"{}>上传</button>\n'
                "          </form>\n"
                '          <div class="upload-state"></div>\n'
                "        </td>\n"
                "        ",
                _url(context, "documents:upload", context.get("filing_type"), filing.pk),
                anchor,
                limit["bytes"],
                "1" if group["images"] else "",
                csrf,
                group["code"],
                back,
                file_attrs,
                ANY_FILE if group["images"] else PDF_ONLY,
                button_attrs,
            )
        rows.append(
            format_html(
                "\n"
                '      <tr id="{}" class="attach-slot">\n'
                '        <td class="col-kind">{}{}</td>\n'
                '        <td class="attach-files">\n'
                "          {}\n"
                '          <div class="upload-results">{}</div>\n'
                "        </td>\n"
                "        {}\n"
                "      </tr>\n"
                "    ",
                anchor,
                SafeString('<span class="req">*</span>') if group["required"] else "",
                group["label"],
                files,
                beside,
                upload,
            )
        )
    return format_html_join("", "{}", ((row,) for row in rows))
