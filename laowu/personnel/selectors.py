from __future__ import annotations

import re
from typing import Any

from django.db.models import QuerySet

from laowu.core.fields import index_value
from laowu.core.search import Related, search
from laowu.core.validators import normalize_code
from laowu.enterprises.models import Enterprise
from laowu.review.permissions import filings_in_scope

from .models import ID_INDEX_CONTEXT, Person

ID_NUMBER_SHAPE = re.compile(r"\d{17}[\dX]")


def person_list(*, user: Any, model: type[Person], q: str = "", state: str = "") -> QuerySet[Person]:
    qs = filings_in_scope(user, model).select_related("enterprise").order_by("-updated_at", "-id")
    term = normalize_code(q) if q else ""
    if ID_NUMBER_SHAPE.fullmatch(term):
        # The 身份证号 is sealed (docs/security.md): a whole number is found through its blind
        # index; a piece of one cannot be searched for.
        qs = qs.filter(id_index=index_value(term, context=ID_INDEX_CONTEXT))
    else:
        qs = search(qs, q, text=("name", "cert_no"), related=(Related("enterprise", Enterprise, "name"),))
    if state:
        qs = qs.filter(state=state)
    return qs
