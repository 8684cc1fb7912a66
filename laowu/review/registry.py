"""Filing types by code, so generic views (attachments, review) can serve every type."""

from __future__ import annotations

import functools

from django.apps import apps

from .models import Filing


@functools.cache
def filing_models() -> dict[str, type[Filing]]:
    return {m.FILING_TYPE: m for m in apps.get_models() if issubclass(m, Filing) and getattr(m, "FILING_TYPE", None)}


def filing_model(code: str) -> type[Filing] | None:
    return filing_models().get(code)
