"""Which models take attachments, and who may see or change each one's.

Filings are attachable by their FILING_TYPE; other apps (supervision) register their
models here from AppConfig.ready(). The scope functions come from each app's
permissions module, so the rules stay in one place per app.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from django.db.models import Model, QuerySet

Scope = Callable[[Any], QuerySet[Any]]


@dataclasses.dataclass(frozen=True)
class AttachableType:
    code: str
    model: type[Model]
    viewable: Scope  # objects whose attachments the user may open
    editable: Scope  # objects the user may upload to or delete from (state aside)


_REGISTRY: dict[str, AttachableType] = {}


def attachable_code(model: type[Model]) -> str:
    return getattr(model, "ATTACHABLE_CODE", None) or model.FILING_TYPE  # type: ignore[attr-defined]


def register_attachable(model: type[Model], *, viewable: Scope, editable: Scope) -> None:
    code = attachable_code(model)
    _REGISTRY[code] = AttachableType(code=code, model=model, viewable=viewable, editable=editable)


def _filing_type(code: str) -> AttachableType | None:
    from laowu.review.permissions import filings_in_scope, is_enterprise_user
    from laowu.review.registry import filing_model

    model = filing_model(code)
    if model is None:
        return None

    def editable(user: Any) -> QuerySet[Any]:
        # Only the owning enterprise changes a filing's attachments.
        return filings_in_scope(user, model) if is_enterprise_user(user) else model.objects.none()

    return AttachableType(code=code, model=model, viewable=lambda u: filings_in_scope(u, model), editable=editable)


def attachable(code: str) -> AttachableType | None:
    return _REGISTRY.get(code) or _filing_type(code)


def attachable_for_model(model: type[Model]) -> AttachableType | None:
    return attachable(attachable_code(model))
