"""What the attachment panel (documents/_attachments_table.html) says about the size limit, so
the page, the browser-side check and the server agree on one number: the setting."""

from __future__ import annotations

from django import template

from laowu.documents.validation import format_size, max_attachment_bytes

register = template.Library()


@register.simple_tag
def attachment_limit() -> dict[str, int | str]:
    """{"bytes": the limit per file, "label": the same as people read it, e.g. "5MB"}."""
    limit = max_attachment_bytes()
    return {"bytes": limit, "label": format_size(limit)}
