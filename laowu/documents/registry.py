"""Which models take attachments, and who may see or change each one's.

Each app registers its attachable models here from its AppConfig.ready(): the filing
types through `laowu/review/registry.py`, supervision its records. The scope functions
come from each app's permissions module, so the rules stay in one place per app.
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


_BY_CODE: dict[str, AttachableType] = {}
_BY_MODEL: dict[type[Model], AttachableType] = {}


def register_attachable(model: type[Model], *, viewable: Scope, editable: Scope, code: str | None = None) -> None:
    """Make `model` attachable under `code` (its ATTACHABLE_CODE unless given): the code
    names the model in upload URLs."""
    code = code or model.ATTACHABLE_CODE  # type: ignore[attr-defined]
    _BY_CODE[code] = _BY_MODEL[model] = AttachableType(code=code, model=model, viewable=viewable, editable=editable)


def attachable(code: str) -> AttachableType | None:
    return _BY_CODE.get(code)


def attachable_for_model(model: type[Model]) -> AttachableType | None:
    return _BY_MODEL.get(model)
