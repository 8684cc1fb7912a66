from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import SafeString, mark_safe

from laowu.accounts.models import Role
from laowu.core import prepared
from laowu.core.rows import esc, md, row_url
from laowu.enterprises.scope import enterprises_in_scope
from laowu.review.selectors import filing_type_choices, pending_counts
from laowu.supervision import messaging, notices, reminders

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
    latest = _latest_messages(enterprise.pk)
    return {
        "enterprise": enterprise,
        "steps": steps.enterprise_steps(enterprise, tallies),
        "notices": _latest_notices(enterprise.district_id),
        "unread_count": (latest[0].unread_total or 0) if latest else 0,  # no message, none unread
        "latest_messages": latest,
        **expiry,
    }


# The home's lists are the owners' selectors, their SQL written once (laowu/core/prepared.py):
# they depend only on the enterprise or its district.


def _latest_messages(enterprise_id: int) -> list[Any]:
    """`messaging.latest_messages`, each with the enterprise's count of unread messages
    (`messaging.unread_messages`) as ``unread_total``: one query for both."""

    def build(pk: int) -> Any:
        return messaging.with_unread_total(messaging.message_list(enterprise_id=pk), pk)[: messaging.HOME_LATEST]

    return prepared.instances(("workspace.home.messages",), build, enterprise_id)


def _latest_notices(district_id: int) -> list[Any]:
    """`notices.latest_notices` of the district, without reading the district (the list names none)."""
    return prepared.instances(
        ("workspace.home.notices",),
        lambda pk: notices.published_notices(district_id=pk).select_related(None)[: notices.HOME_LATEST],
        district_id,
    )


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
