from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from laowu.review.permissions import filings_in_scope

from .models import Person


def person_list(*, user: Any, model: type[Person], q: str = "", state: str = "") -> QuerySet[Person]:
    qs = filings_in_scope(user, model).select_related("enterprise").order_by("-updated_at", "-id")
    q = q.strip()
    if q:
        qs = qs.filter(
            Q(name__icontains=q)
            | Q(id_number__icontains=q.upper())
            | Q(cert_no__icontains=q)
            | Q(enterprise__name__icontains=q)
        )
    if state:
        qs = qs.filter(state=state)
    return qs
