"""The filing contract, checked at startup (`manage.py check`, and before runserver and migrate).

Every filing type is a set of class settings on `Filing` that the workflow, the snapshots,
the printed sheets, the verification page and the expiry reminders read by name. A typo in
one of them would otherwise show only when that page is first used in production — as a
KeyError on a printed sheet, or a field silently missing from the public verification page.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

from django.apps import apps
from django.apps.config import AppConfig
from django.core import checks
from django.core.exceptions import FieldDoesNotExist
from django.db import models

from laowu.core.validators import MASKS

from .models import ON_FILE, Filing

# A FILING_TYPE names the type in URLs (/filings/<type>/…, /files/upload/<type>/…) and in snapshots.
_CODE_RE = re.compile(r"^[a-z][a-z0-9_]*$")
# The sheet's serial number starts with SHEET_CODE (documents/sheets.py serial_number).
_SHEET_CODE_RE = re.compile(r"^[A-Z]+$")


def concrete_filing_models() -> list[type[Filing]]:
    """Every installed filing type, including those the registry would skip or overwrite
    (no FILING_TYPE, or a FILING_TYPE already taken)."""
    return [m for m in apps.get_models() if issubclass(m, Filing) and not m._meta.proxy]


@checks.register(checks.Tags.models)
def check_filing_types(app_configs: Iterable[AppConfig] | None = None, **kwargs: Any) -> list[checks.CheckMessage]:
    errors = filing_errors(concrete_filing_models())
    if app_configs is None:
        return errors
    labels = {config.label for config in app_configs}
    return [e for e in errors if e.obj is None or e.obj._meta.app_label in labels]


def filing_errors(filing_models: Iterable[type[Filing]]) -> list[checks.CheckMessage]:
    """The contract's errors for these filing types, each type alone and together."""
    filing_models = list(filing_models)
    errors: list[checks.CheckMessage] = []
    for model in filing_models:
        errors.extend(_model_errors(model))
    errors.extend(_unique_type_errors(filing_models))
    errors.extend(_unique_expiry_kind_errors(filing_models))
    return errors


def _error(model: type[Filing], code: int, msg: str, hint: str | None = None) -> checks.Error:
    return checks.Error(msg, hint=hint, obj=model, id=f"laowu.E{code:03d}")


def _model_errors(model: type[Filing]) -> list[checks.CheckMessage]:
    errors = [
        *_identity_errors(model),
        *_snapshot_errors(model),
        *_named_field_errors(model),
        *_mask_errors(model),
        *_approved_copy_errors(model),
        *_attachment_errors(model),
        *_method_errors(model),
        *_sheet_code_errors(model),
        *_expiring_date_errors(model),
    ]
    return errors


def _identity_errors(model: type[Filing]) -> list[checks.CheckMessage]:
    errors = []
    code = getattr(model, "FILING_TYPE", None)
    if not isinstance(code, str) or not _CODE_RE.match(code):
        errors.append(
            _error(
                model,
                1,
                f"FILING_TYPE is {code!r}.",
                hint="Declare FILING_TYPE: lower-case letters, digits and underscores (it is part of URLs).",
            )
        )
    label = getattr(model, "FILING_LABEL", None)
    if not isinstance(label, str) or not label.strip():
        errors.append(_error(model, 3, "FILING_LABEL is missing.", hint="Declare the type's Chinese name."))
    return errors


def _unique_type_errors(filing_models: list[type[Filing]]) -> list[checks.CheckMessage]:
    codes = Counter(getattr(m, "FILING_TYPE", None) for m in filing_models)
    return [
        _error(
            model,
            2,
            f"FILING_TYPE {model.FILING_TYPE!r} is also another filing type's.",
            hint="The registry (review/registry.py) keeps one model per FILING_TYPE.",
        )
        for model in filing_models
        if getattr(model, "FILING_TYPE", None) and codes[model.FILING_TYPE] > 1
    ]


# Fields that belong to the workflow, not to the filing's content: a snapshot field is written
# by the owner's 保存 (review/services.py save_fields), so none of these may be one.
_WORKFLOW_FIELDS = frozenset(f.name for f in Filing._meta.get_fields())


def _snapshot_errors(model: type[Filing]) -> list[checks.CheckMessage]:
    names = tuple(model.SNAPSHOT_FIELDS)
    if not names:
        return [_error(model, 4, "SNAPSHOT_FIELDS is empty.", hint="Name the fields frozen at 申报.")]
    errors = []
    for name, count in Counter(names).items():
        if count > 1:
            errors.append(_error(model, 4, f"SNAPSHOT_FIELDS names {name!r} {count} times."))
    for name in dict.fromkeys(names):
        field = _concrete_field(model, name)
        if field is None:
            errors.append(_error(model, 4, f"SNAPSHOT_FIELDS names {name!r}, which is not a field of the model."))
        elif name in _WORKFLOW_FIELDS or not field.editable:
            errors.append(
                _error(
                    model,
                    5,
                    f"SNAPSHOT_FIELDS names {name!r}, which the owner may not edit.",
                    hint="The workflow's own fields and non-editable columns are never part of the snapshot.",
                )
            )
    return errors


def _concrete_field(model: type[Filing], name: str) -> models.Field[Any, Any] | None:
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return field if getattr(field, "concrete", False) else None  # type: ignore[return-value]


def _named_field_errors(model: type[Filing]) -> list[checks.CheckMessage]:
    """Settings that pick fields out of the snapshot must name snapshot fields."""
    snapshot = set(model.SNAPSHOT_FIELDS)
    named: list[tuple[int, str, Iterable[str]]] = [
        (6, "SHEET_SECTIONS", (name for _, names in model.SHEET_SECTIONS for name in names)),
        (7, "VERIFY_FIELDS", model.VERIFY_FIELDS),
        (8, "OPTIONAL_AT_DECLARE", model.OPTIONAL_AT_DECLARE),
        (9, "SENSITIVE_FIELDS", model.SENSITIVE_FIELDS),
        (10, "VERIFY_MASKS", model.VERIFY_MASKS),
    ]
    return [
        _error(
            model,
            code,
            f"{setting} names {name!r}, which is not in SNAPSHOT_FIELDS.",
            hint="Printing, verification and 申报 read the snapshot, never the live record.",
        )
        for code, setting, names in named
        for name in dict.fromkeys(names)
        if name not in snapshot
    ]


def _mask_errors(model: type[Filing]) -> list[checks.CheckMessage]:
    return [
        _error(
            model,
            11,
            f"{setting}[{name!r}] is the mask kind {kind!r}.",
            hint=f"Mask kinds are those of laowu/core/validators.py MASKS: {', '.join(sorted(MASKS))}.",
        )
        for setting, masks in (("SENSITIVE_FIELDS", model.SENSITIVE_FIELDS), ("VERIFY_MASKS", model.VERIFY_MASKS))
        for name, kind in masks.items()
        if kind not in MASKS
    ]


def _approved_copy_errors(model: type[Filing]) -> list[checks.CheckMessage]:
    """通过 copies each date into `approved_<name>` (review/services.py approve), the backfill
    reads it from the snapshot (review/snapshots.py), and the expiry lists and counts filter
    on the copy through a partial index over the filings on file."""
    errors = []
    for name, copy in model.APPROVED_COPIES.items():
        if name not in model.SNAPSHOT_FIELDS or not isinstance(_concrete_field(model, name), models.DateField):
            errors.append(
                _error(model, 12, f"APPROVED_COPIES copies {name!r}, which is not a date field in SNAPSHOT_FIELDS.")
            )
        if copy != f"approved_{name}":
            errors.append(
                _error(model, 13, f"APPROVED_COPIES copies {name!r} into {copy!r}.", hint=f"Name it approved_{name}.")
            )
            continue
        field = _concrete_field(model, copy)
        if not isinstance(field, models.DateField) or isinstance(field, models.DateTimeField):
            errors.append(
                _error(
                    model,
                    13,
                    f"APPROVED_COPIES copies {name!r} into {copy!r}, which is not a date column of the model.",
                    hint=f"Add approved_{name} = models.DateField(null=True, blank=True, editable=False).",
                )
            )
        elif not _has_on_file_index(model, copy):
            errors.append(
                _error(
                    model,
                    14,
                    f"No index leads with {copy!r} under the condition ON_FILE.",
                    hint=f'models.Index(fields=["{copy}", "id"], name=…, condition=ON_FILE) in Meta.indexes.',
                )
            )
    return errors


def _has_on_file_index(model: type[Filing], column: str) -> bool:
    return any(
        index.fields and index.fields[0] == column and index.condition == ON_FILE for index in model._meta.indexes
    )


def _attachment_errors(model: type[Filing]) -> list[checks.CheckMessage]:
    from laowu.documents.models import Attachment

    longest = Attachment._meta.get_field("kind").max_length or 0
    codes = Counter(kind.code for kind in model.ATTACHMENT_KINDS)
    errors = [
        _error(model, 15, f"ATTACHMENT_KINDS has the code {code!r} {count} times.")
        for code, count in codes.items()
        if count > 1
    ]
    errors += [
        _error(model, 15, f"ATTACHMENT_KINDS has the code {code!r}.", hint=f"1 to {longest} characters.")
        for code in codes
        if not code or len(code) > longest
    ]
    return errors


def _method_errors(model: type[Filing]) -> list[checks.CheckMessage]:
    errors = []
    if model.title is Filing.title:
        errors.append(_error(model, 16, "title() is not overridden.", hint="Snapshots and lists name it by title()."))
    if model.get_absolute_url is Filing.get_absolute_url:
        errors.append(
            _error(
                model,
                17,
                "get_absolute_url() is not overridden.",
                hint="The workflow's actions redirect to the owner's edit page.",
            )
        )
    return errors


def _sheet_code_errors(model: type[Filing]) -> list[checks.CheckMessage]:
    code = model.SHEET_CODE
    if code == Filing.SHEET_CODE or not isinstance(code, str) or not _SHEET_CODE_RE.match(code):
        return [
            _error(
                model,
                18,
                f"SHEET_CODE is {code!r}.",
                hint="Declare the sheet's own serial-number prefix: upper-case letters, not the default.",
            )
        ]
    return []


def _expiring_date_errors(model: type[Filing]) -> list[checks.CheckMessage]:
    """The reminders filter and count on the approved copy of each date (through its partial
    index) and read the number and holder from the approved snapshot."""
    errors: list[checks.CheckMessage] = []
    for expiring in model.EXPIRING_DATES:
        if expiring.field not in model.APPROVED_COPIES:
            errors.append(
                _error(
                    model,
                    19,
                    f"EXPIRING_DATES watches {expiring.field!r}, which APPROVED_COPIES does not copy.",
                    hint="The reminders read the approved value from its approved_<name> column.",
                )
            )
        for setting, name in (("number_field", expiring.number_field), ("holder_field", expiring.holder_field)):
            if name and name not in model.SNAPSHOT_FIELDS:
                errors.append(
                    _error(
                        model,
                        20,
                        f"EXPIRING_DATES {expiring.kind!r}: {setting} {name!r} is not in SNAPSHOT_FIELDS.",
                    )
                )
        if not expiring.number_field:
            errors.append(_error(model, 20, f"EXPIRING_DATES {expiring.kind!r} has no number_field."))
        if not (expiring.kind and expiring.label.strip() and expiring.fix_where.strip()):
            errors.append(
                _error(
                    model,
                    21,
                    f"EXPIRING_DATES {expiring.kind!r} lacks its kind, label or fix_where.",
                    hint="The reminder list filters on the kind; the message names the label and the page.",
                )
            )
    return errors


def _unique_expiry_kind_errors(filing_models: list[type[Filing]]) -> list[checks.CheckMessage]:
    kinds = Counter(expiring.kind for model in filing_models for expiring in model.EXPIRING_DATES)
    return [
        _error(
            model,
            22,
            f"EXPIRING_DATES kind {expiring.kind!r} is also another expiring date's.",
            hint="The reminder list's filter picks a kind of certificate by this code.",
        )
        for model in filing_models
        for expiring in model.EXPIRING_DATES
        if expiring.kind and kinds[expiring.kind] > 1
    ]
