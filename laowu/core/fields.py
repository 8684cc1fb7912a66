"""Model fields for personal data sealed at rest (laowu/core/crypto.py).

`SealedCharField` holds the plain value in Python and a sealed token in the database, bound to
its column (`<app>.<model>.<field>`). A sealed column cannot be compared in SQL, so it refuses
lookups other than emptiness; equality goes through a `BlindIndexField` beside it, which the
model fills from the plain value on every save (`pre_save`), bulk inserts included.

A value a page only ever shows masked (a list's 3205**********1234) can be read as its stored
token (`sealed_token`) and masked through `masked`, which remembers the mask per token: opening a
value costs more than the rest of its row, and a list shows the same rows again and again.
"""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.core import validators
from django.db import models
from django.db.models import ExpressionWrapper, F
from django.db.models.lookups import Exact

from .crypto import blind_index, is_sealed, seal, unseal
from .validators import MASKS

# A sealed 18-character value takes about 80 characters; room for longer inputs and headers.
SEALED_MAX_LENGTH = 255


def column_context(model: type[models.Model], name: str) -> str:
    return f"{model._meta.label_lower}.{name}"


def index_value(value: str, *, context: str) -> str:
    """The blind index of `value` under `context`, as `BlindIndexField` stores it ("" for "")."""
    return blind_index(value, context=context) if value else ""


class SealedCharField(models.CharField):
    def __init__(self, *args: Any, plain_max_length: int | None = None, **kwargs: Any) -> None:
        self.plain_max_length = plain_max_length or kwargs.get("max_length") or SEALED_MAX_LENGTH
        kwargs["max_length"] = SEALED_MAX_LENGTH
        super().__init__(*args, **kwargs)
        # What the user may type is checked on the plain value; the column's own length is the token's.
        self.validators = [v for v in self.validators if not isinstance(v, validators.MaxLengthValidator)]
        self.validators.append(validators.MaxLengthValidator(self.plain_max_length))

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["plain_max_length"] = self.plain_max_length
        kwargs.pop("max_length", None)
        return name, path, args, kwargs

    @property
    def context(self) -> str:
        return column_context(self.model, self.name)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        # Values written before sealing are read as they are; their migration seals them.
        return unseal(value, context=self.context) if is_sealed(value) else value

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value in (None, "") or is_sealed(value):
            return value
        return seal(value, context=self.context)

    def formfield(self, **kwargs: Any) -> Any:
        return super().formfield(**{"max_length": self.plain_max_length, **kwargs})


@SealedCharField.register_lookup
class SealedExact(Exact):
    """Only emptiness can be asked of a sealed column: any other value seals differently each
    time and would silently match nothing. Compare through the column's blind index instead."""

    def get_prep_lookup(self) -> Any:
        if self.rhs not in (None, ""):
            raise TypeError(f"{self.lhs.target.name} is sealed: filter on its blind index instead")
        return super().get_prep_lookup()


class BlindIndexField(models.CharField):
    """HMAC-SM3 of another field's plain value (laowu/core/crypto.py `blind_index`), kept by the
    model itself. `context` names what is compared: fields given the same context (a person's
    身份证号 in every table) have comparable indexes."""

    def __init__(self, *args: Any, source: str = "", context: str = "", **kwargs: Any) -> None:
        self.source = source
        self.index_context = context
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        kwargs["context"] = self.index_context
        for key in ("max_length", "editable", "blank", "default"):
            kwargs.pop(key, None)
        return name, path, args, kwargs

    def pre_save(self, model_instance: models.Model, add: bool) -> str:
        value = index_value(getattr(model_instance, self.source) or "", context=self.index_context)
        setattr(model_instance, self.attname, value)
        return value


def seal_existing_rows(model: type[models.Model], fields: tuple[str, ...], indexes: dict[str, tuple[str, str]]) -> None:
    """For a migration that turns columns into `SealedCharField`s: write each row's values again
    (loading passes plain values through, saving seals them) and fill the blind indexes named in
    `indexes` ({index field: (source field, context)}). `model` is the migration's historical one."""
    rows = model._default_manager.order_by("pk").values_list("pk", *fields)
    for pk, *values in rows.iterator(chunk_size=500):
        data = dict(zip(fields, values, strict=True))
        for index, (source, context) in indexes.items():
            data[index] = index_value(data[source] or "", context=context)
        model._default_manager.filter(pk=pk).update(**data)


def sealed_token(name: str) -> ExpressionWrapper:
    """The `SealedCharField` column `name` as stored, not opened: a plain text column to the ORM,
    so no converter unseals it. For `masked`."""
    return ExpressionWrapper(F(name), output_field=models.CharField())


@functools.lru_cache(maxsize=8192)
def _masked(token: str, context: str, kind: str, keys: str) -> str:
    # Kept by the token (its nonce makes each sealing of a value another text), the column it is
    # bound to, the mask and the keys it opens with; what is kept is the masked text alone, never
    # the opened value. A token that does not open raises `SealError` and is not kept.
    return MASKS[kind](unseal(token, context=context))


def masked(token: str | None, *, context: str, kind: str) -> str:
    """`MASKS[kind]` of the value a `sealed_token` read, as the same mask of the field's value:
    a value stored before sealing is masked as it is, as `SealedCharField` reads it."""
    if not is_sealed(token):
        return MASKS[kind](token)  # type: ignore[arg-type]
    return _masked(token, context, kind, settings.LAOWU_DATA_KEYS)  # type: ignore[arg-type]
