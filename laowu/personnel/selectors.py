from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from laowu.core.search import Related, search
from laowu.enterprises.models import Enterprise
from laowu.review.permissions import filings_in_scope

from .models import Person


def person_list(*, user: Any, model: type[Person], q: str = "", state: str = "") -> QuerySet[Person]:
    qs = filings_in_scope(user, model).select_related("enterprise").order_by("-updated_at", "-id")
    qs = search(
        qs, q, text=("name", "cert_no"), codes=("id_number",), related=(Related("enterprise", Enterprise, "name"),)
    )
    if state:
        qs = qs.filter(state=state)
    return qs
