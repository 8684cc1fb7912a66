"""`{% history_rows %}`: the rows of a filing's 申报记录 table (review/_history.html), on every
owner page and the reviewer's submission page.

Each row was a template loop of some twenty nodes (lookups, date and default filters). They
are written here instead, the same markup byte for byte, escaped by format_html as the
template escaped it; tests/review/test_history_rows.py compares them with the template's former
loop, kept there."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.template.context import Context
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from laowu.core.dates import minute_text

register = template.Library()

NONE = "—"


@register.simple_tag(takes_context=True)
def history_rows(context: Context, history: Iterable[Any]) -> SafeString:
    """One row per submission of ``history``, newest first as given."""
    use_tz = context.use_tz
    return format_html_join(
        "",
        "\n"
        '    <tr><td>第{}版</td><td class="nowrap">{}</td><td>{}</td>\n'
        '    <td><span class="status status-sub-{}">{}</span></td><td>{}</td>\n'
        '    <td class="nowrap">{}</td><td>{}</td></tr>\n'
        "  ",
        (
            (
                s.revision,
                minute_text(s.declared_at, use_tz),
                s.declared_by,
                s.status,
                s.get_status_display(),
                s.decided_by or NONE,
                minute_text(s.decided_at, use_tz) or NONE,
                s.reason or NONE,
            )
            for s in history
        ),
    )
