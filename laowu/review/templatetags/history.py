"""`{% history_rows %}`: the rows of a filing's 申报记录 table (review/_history.html), on every
owner page and the reviewer's submission page.

Each row was a template loop of some twenty nodes (lookups, date and default filters). They
are written here instead, the same markup byte for byte, each value escaped as the template
escaped it (laowu/core/rows.py `esc`, format_html's bytes without its per-argument
wrappers); tests/review/test_history_rows.py compares them with the template's former loop,
kept there."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.template.context import Context
from django.utils.safestring import SafeString, mark_safe

from laowu.core.dates import minute_text
from laowu.core.rows import esc

register = template.Library()

NONE = "—"


@register.simple_tag(takes_context=True)
def history_rows(context: Context, history: Iterable[Any]) -> SafeString:
    """One row per submission of ``history``, newest first as given."""
    use_tz = context.use_tz
    rows = [
        "\n"
        f'    <tr><td>第{esc(s.revision)}版</td><td class="nowrap">{esc(minute_text(s.declared_at, use_tz))}</td>'
        f"<td>{esc(s.declared_by)}</td>\n"
        f'    <td><span class="status status-sub-{esc(s.status)}">{esc(s.get_status_display())}</span></td>'
        f"<td>{esc(s.decided_by or NONE)}</td>\n"
        f'    <td class="nowrap">{esc(minute_text(s.decided_at, use_tz) or NONE)}</td>'
        f"<td>{esc(s.reason or NONE)}</td></tr>\n"
        "  "
        for s in history
    ]
    return mark_safe("".join(rows))  # noqa: S308  # nosec B308 B703  # every value escaped by esc, our own markup
