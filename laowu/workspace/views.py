from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.db.models import BooleanField, DateTimeField, F, IntegerField, TextField, Value
from django.db.models.functions import Cast
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import SafeString, mark_safe

from laowu.accounts.models import Role
from laowu.core import prepared
from laowu.core.rows import esc, md, row_url
from laowu.enterprises.scope import enterprises_in_scope
from laowu.review.models import Filing
from laowu.review.selectors import filing_type_choices, pending_counts
from laowu.supervision import messaging, notices, reminders
from laowu.supervision.models import Message, Notice

from . import steps

# Where each role lands after login; enterprise and committee users get a home page.
ROLE_HOME = {
    Role.SYSADMIN: "accounts:user_list",
    Role.SECADMIN: "accounts:lockouts",
    Role.AUDITADMIN: "audit:event_list",
}


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if user.role in ROLE_HOME:  # type: ignore[union-attr]
        return redirect(ROLE_HOME[user.role])  # type: ignore[union-attr]
    if user.role == Role.ENTERPRISE:  # type: ignore[union-attr]
        context = _enterprise_home_context(user)
        context["step_rows"] = _step_rows(context["steps"])
        context["message_items"] = _message_items(request, context["latest_messages"])
        context["notice_items"] = _notice_items(request, context["notices"])
        return render(request, "workspace/enterprise_home.html", context)
    return render(request, "workspace/committee_home.html", _committee_home_context(user))


def _enterprise_home_context(user: Any) -> dict[str, Any]:
    # The enterprise as the request's user query read it (laowu/accounts/middleware.py), its
    # district and its certificates' expiry counts read with the standing
    # (`steps.home_standing_and_expiry`): the page reads none of them again. One enterprise's
    # certificates are few: that query counts both figures of every kind, where the committee's
    # capped counts (`reminders.expiry_summary`) cap each. Its scope is its own enterprise
    # (`enterprises_in_scope`).
    enterprise = user.enterprise
    tallies, expiry = steps.home_standing_and_expiry(enterprise)
    lists = _HomeLists(enterprise.pk, enterprise.district_id)
    shown_steps = steps.enterprise_steps(enterprise, tallies, read_rejected=lists.read)
    latest = lists.messages
    return {
        "enterprise": enterprise,
        "steps": shown_steps,
        "notices": lists.notices,
        "unread_count": (latest[0].unread_total or 0) if latest else 0,  # no message, none unread
        "latest_messages": latest,
        **expiry,
    }


# The home's short lists: the rejected records its steps name (laowu/workspace/steps.py
# `rejected_arms`), the latest messages with the unread count, the district's latest notices.
# Each is the owner's selector ordered and limited as before, in one UNION ALL whose SQL is
# written once per set of rejected types (laowu/core/prepared.py `value_rows`): they depend only
# on the enterprise and its district. A row's kind is a rejected type's index (0 and up) or one of
# these; each arm fills the columns it has no use for with NULL of the column's type.
_MESSAGE_ROW, _NOTICE_ROW = -1, -2
_NULL_TIME = Cast(Value(None), DateTimeField())
_NULL_INT = Cast(Value(None), IntegerField())
_NULL_BOOL = Cast(Value(None), BooleanField())
_NULL_TEXT = Cast(Value(None), TextField())


# The columns of `_home_lists_query`, each arm's as annotations in this order: a `values_list`
# of fields and expressions together selects the fields first, and the arms of a UNION must
# agree column by column.
_COLUMNS = ("home_kind", "home_id", "home_title", "home_text", "home_at", "home_read_at", "home_n", "home_flag")


def _arm(qs: Any, limit: int, *columns: Any) -> Any:
    """``qs``'s first ``limit`` rows as an arm of a UNION, of `_COLUMNS`: ordered and limited in
    the arm where the database allows it (PostgreSQL), else its ids as a subquery (SQLite)."""
    if not connection.features.supports_slicing_ordering_in_compound:
        qs = qs.filter(pk__in=qs.values("pk")[:limit]).order_by()
    shown = qs.annotate(**dict(zip(_COLUMNS, columns, strict=True))).values_list(*_COLUMNS)
    return shown[:limit] if connection.features.supports_slicing_ordering_in_compound else shown


def _home_lists_query(values: Any, models: tuple[type[Filing], ...]) -> Any:
    enterprise_id, district_id = values["enterprise"], values["district"]
    messages_shown = _arm(
        messaging.with_unread_total(messaging.message_list(enterprise_id=enterprise_id), enterprise_id),
        messaging.HOME_LATEST,
        Value(_MESSAGE_ROW),
        F("id"),
        F("title"),
        _NULL_TEXT,
        F("created_at"),
        F("read_at"),
        F("unread_total"),
        _NULL_BOOL,
    )
    notices_shown = _arm(
        notices.published_notices(district_id=district_id).select_related(None),
        notices.HOME_LATEST,
        Value(_NOTICE_ROW),
        F("id"),
        F("title"),
        _NULL_TEXT,
        F("published_at"),
        _NULL_TIME,
        _NULL_INT,
        F("pinned"),
    )
    # The rejected arms' own columns are fields after an expression, in this order on both
    # databases (tests/workspace/test_home_lists_bytes.py).
    rejected = steps.rejected_arms(enterprise_id, models, (_NULL_TIME, _NULL_INT, _NULL_BOOL))
    return messages_shown.union(notices_shown, *rejected, all=True)


def _newest_first(rows: list[Any], at: int) -> list[Any]:
    """``rows`` by their time (column ``at``) then id, newest first, a time of none placed as the
    database places a NULL in a descending order."""
    none_first = connection.features.nulls_order_largest
    return sorted(rows, key=lambda r: ((r[at] is None) == none_first, r[at] or _EPOCH, r[1]), reverse=True)


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class _HomeLists:
    """The home's short lists, read by `read` (as `steps.enterprise_steps` reads the rejected
    records) in one statement."""

    def __init__(self, enterprise_id: int, district_id: int) -> None:
        self.values = {"enterprise": enterprise_id, "district": district_id}
        self.messages: list[Message] = []
        self.notices: list[Notice] = []

    def read(self, models: list[type[Filing]]) -> dict[type[Filing], tuple[steps.Rejected, ...]]:
        shown = tuple(models)
        rows = prepared.value_rows(
            ("workspace.home.lists", shown), lambda values: _home_lists_query(values, shown), self.values
        )
        # (`from_db` takes the values in the model's order of fields.)
        alias = connection.alias
        # `messaging.message_list`'s order: unread first, then newest first.
        messages_shown = _newest_first([r for r in rows if r[0] == _MESSAGE_ROW], 4)
        messages_shown.sort(key=lambda r: r[5] is not None)
        for _, pk, title, _, created_at, read_at, unread_total, _ in messages_shown:
            message = Message.from_db(alias, ["id", "title", "created_at", "read_at"], [pk, title, created_at, read_at])
            message.unread_total = unread_total  # type: ignore[attr-defined]
            self.messages.append(message)
        # `notices.published_notices`' order: pinned first, then newest first.
        notices_shown = _newest_first([r for r in rows if r[0] == _NOTICE_ROW], 4)
        notices_shown.sort(key=lambda r: not r[7])
        self.notices = [
            Notice.from_db(alias, ["id", "title", "pinned", "published_at"], [pk, title, pinned, at])
            for _, pk, title, _, at, _, _, pinned in notices_shown
        ]
        return steps.rejected_of([r for r in rows if r[0] >= 0], shown)


# The home's table and lists are written here rather than by {% for %} loops in the template, as
# the lists' rows are (laowu/core/rows.py): the markup and escaping are the template's own
# (workspace/enterprise_home.html says where they go); tests/workspace/test_home_rows.py compares
# them with the template's former output.


_NONE_YET = '<span class="note">暂无</span>'
_UNREAD_DOT = '<span class="dot" title="未读"></span>'
_NO_MESSAGES = SafeString('<li class="muted">暂无站内消息。</li>')
_NO_NOTICES = SafeString('<li class="muted">暂无通知公告。</li>')


def _step_rows(steps_shown: list[steps.Step]) -> SafeString:
    """The rows of 办理进度: each step's counts, next step, action and rejected records."""
    rows = []
    for step in steps_shown:
        counts = "".join(
            f'<span class="status status-{esc(state)}">{esc(label)} {esc(n)}</span> ' for state, label, n in step.counts
        )
        action = (
            f'<a class="step-action" href="{esc(step.action_url)}">{esc(step.action_label)}</a>'
            if step.action_url
            else ""
        )
        rejected = (
            '<ul class="step-rejected-list">'
            + "".join(f'<li><a href="{esc(r.url)}">{esc(r.name)}</a>：{esc(r.reason)}</li>' for r in step.rejected)
            + "</ul>"
            if step.rejected
            else ""
        )
        rows.append(
            f'\n      <tr class="step-{esc(step.tone)}">\n'
            f'        <th scope="row"><a href="{esc(step.url)}">{esc(step.label)}</a></th>\n'
            f"        <td>{counts or _NONE_YET}</td>\n"
            "        <td>\n"
            f'          <span class="step-next">下一步：{esc(step.next_step)}</span>\n'
            f"          {action}\n"
            f"          {rejected}\n"
            "        </td>\n"
            "      </tr>\n    "
        )
    return mark_safe("".join(rows))  # noqa: S308  # nosec B308 B703  # esc()-escaped values and our own markup


def _message_items(request: HttpRequest, latest: list[Any]) -> SafeString:
    """站内消息: the latest messages, the unread ones marked."""
    if not latest:
        return _NO_MESSAGES
    items = []
    for m in latest:
        unread = not m.read_at
        items.append(
            f'\n        <li class="{"unread" if unread else ""}"><span class="home-date">{md(m.created_at)}</span>'
            f'<a href="{row_url(request, "supervision:message_open", m.pk)}">'
            f"{_UNREAD_DOT if unread else ''}{esc(m.title)}</a></li>\n      "
        )
    return mark_safe("".join(items))  # noqa: S308  # nosec B308 B703  # esc()-escaped values and our own markup


def _notice_items(request: HttpRequest, shown: list[Any]) -> SafeString:
    """通知公告: the latest published notices, the pinned ones marked."""
    if not shown:
        return _NO_NOTICES
    items = []
    for n in shown:
        pin = '<span class="status notice-pin">置顶</span> ' if n.pinned else ""
        items.append(
            f'\n        <li><span class="home-date">{md(n.published_at)}</span>'
            f'<a href="{row_url(request, "supervision:notice_detail", n.pk)}">{pin}{esc(n.title)}</a></li>\n      '
        )
    return mark_safe("".join(items))  # noqa: S308  # nosec B308 B703  # esc()-escaped values and our own markup


def _committee_home_context(user: Any) -> dict[str, Any]:
    # The queue's own cached counts: the home page costs no more counting than a queue tab.
    counts = pending_counts(user=user)
    return {
        "notices": notices.latest_notices(notices.HOME_LATEST),
        "pending": [(code, label, counts.get(code, "0")) for code, label in filing_type_choices()],
        "pending_total": counts[""],
        **reminders.expiry_summary(enterprises=enterprises_in_scope(user)),
    }


def help_page(request: HttpRequest) -> HttpResponse:
    """帮助: the manual's steps in order, and whom to ask. Open to anyone, linked from the login page."""
    layout = "workspace.html" if request.user.is_authenticated else "workspace/public_base.html"
    return render(request, "workspace/help.html", {"layout": layout})
