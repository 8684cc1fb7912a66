from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import csrf

from laowu.accounts.models import Role
from laowu.accounts.permissions import role_required
from laowu.core.pagination import paginate

from . import selectors, services
from .forms import AuditSearchForm, object_type_choices
from .services import Action


@role_required(Role.AUDITADMIN)
def event_list(request: HttpRequest) -> HttpResponse:
    form = AuditSearchForm(request.GET or None)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    filters = {k: v for k, v in filters.items() if v}
    page, query = paginate(request, selectors.audit_events(**filters))
    # Logged after the read, so the page shows the log as it stood when the search ran.
    services.record_search(request=request, filters=filters, page=page.number)
    actions, roles, types = dict(Action.choices), dict(Role.choices), dict(object_type_choices())
    for event in page.object_list:
        event.action_label = actions.get(event.action, event.action)
        event.role_label = roles.get(event.role, event.role)
        event.object_type_label = types.get(event.object_type, event.object_type)
    return render(request, "audit/event_list.html", {"form": form, "page": page, "query": query})


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: log the refused form post, then Django's own 403 page."""
    with transaction.atomic(durable=True):
        services.record_refusal(
            action=Action.CSRF_FAILURE, request=request, detail={"path": request.path[:300], "reason": reason}
        )
    return csrf.csrf_failure(request, reason=reason)
