from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from laowu.accounts.models import Role
from laowu.accounts.permissions import role_required
from laowu.core.pagination import paginate

from . import selectors
from .forms import AuditSearchForm
from .services import Action


@role_required(Role.AUDITADMIN)
def event_list(request: HttpRequest) -> HttpResponse:
    form = AuditSearchForm(request.GET or None)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    page, query = paginate(request, selectors.audit_events(**{k: v for k, v in filters.items() if v}))
    actions, roles = dict(Action.choices), dict(Role.choices)
    for event in page.object_list:
        event.action_label = actions.get(event.action, event.action)
        event.role_label = roles.get(event.role, event.role)
    return render(request, "audit/event_list.html", {"form": form, "page": page, "query": query})
