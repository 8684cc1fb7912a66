from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from laowu.accounts.models import Role
from laowu.accounts.permissions import role_required

# Where each role lands after login; enterprise and committee users get a home page.
ROLE_HOME = {
    Role.SYSADMIN: "accounts:user_list",
    Role.SECADMIN: "accounts:lockouts",
    Role.AUDITADMIN: "audit:event_list",
}


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness for load balancers, and the benchmarks' hello-world floor: no DB, no template."""
    return HttpResponse("ok", content_type="text/plain")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if user.role in ROLE_HOME:  # type: ignore[union-attr]
        return redirect(ROLE_HOME[user.role])  # type: ignore[union-attr]
    if user.role == Role.ENTERPRISE:  # type: ignore[union-attr]
        return render(request, "core/enterprise_home.html", {"enterprise": user.enterprise})  # type: ignore[union-attr]
    return render(request, "core/committee_home.html")


def under_construction(title: str, *roles: str):
    """A menu page whose feature lands in a later issue: says so instead of a 404."""

    @role_required(*roles)
    def view(request: HttpRequest) -> HttpResponse:
        return render(request, "core/under_construction.html", {"title": title})

    return view
