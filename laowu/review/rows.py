"""Markup of the review workflow that the committee's lists write in their rows (laowu/core/rows.py
says how rows are written): each filing kind's list links its row's review the same way."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from laowu.core.rows import row_url


def review_link(request: HttpRequest, filing: Any) -> str:
    """The 操作 cell's link of a filing on a committee list: 审核 its pending submission, else
    查看 its approved one, else a dash."""
    if filing.pending_submission_id:
        return f'<a href="{row_url(request, "review:submission", filing.pending_submission_id)}">审核</a>'
    if filing.approved_submission_id:
        return f'<a href="{row_url(request, "review:submission", filing.approved_submission_id)}">查看</a>'
    return "—"
