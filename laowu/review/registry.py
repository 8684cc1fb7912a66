"""Filing types by code, so generic views (attachments, review) can serve every type."""

from __future__ import annotations

import functools
from typing import Any

from django.apps import apps
from django.db.models import QuerySet

from laowu.accounts.scope import is_enterprise_user
from laowu.documents.registry import register_attachable

from .models import Filing
from .permissions import filings_in_scope


@functools.cache
def filing_models() -> dict[str, type[Filing]]:
    return {m.FILING_TYPE: m for m in apps.get_models() if issubclass(m, Filing) and getattr(m, "FILING_TYPE", None)}


def filing_model(code: str) -> type[Filing] | None:
    return filing_models().get(code)


def register_filing_attachments(model: type[Filing]) -> None:
    """Make a filing type's attachments served by documents under its FILING_TYPE, by the
    one rule of every filing: its owner and the committee of its district open them, only
    the owning enterprise uploads or deletes. Called from the filing app's AppConfig.ready()."""

    def viewable(user: Any) -> QuerySet[Any]:
        return filings_in_scope(user, model)

    def editable(user: Any) -> QuerySet[Any]:
        return filings_in_scope(user, model) if is_enterprise_user(user) else model.objects.none()

    register_attachable(model, code=model.FILING_TYPE, viewable=viewable, editable=editable)
