from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from laowu.accounts.models import Role
from laowu.core import prepared
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
        return render(request, "workspace/enterprise_home.html", _enterprise_home_context(user))
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
        unread = messaging.unread_messages(pk).order_by().values("enterprise_id").annotate(n=Count("pk")).values("n")
        latest = messaging.message_list(enterprise_id=pk).annotate(unread_total=Subquery(unread))
        return latest[: messaging.HOME_LATEST]

    return prepared.instances(("workspace.home.messages",), build, enterprise_id)


def _latest_notices(district_id: int) -> list[Any]:
    """`notices.latest_notices` of the district, without reading the district (the list names none)."""
    return prepared.instances(
        ("workspace.home.notices",),
        lambda pk: notices.published_notices(district_id=pk).select_related(None)[: notices.HOME_LATEST],
        district_id,
    )


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
