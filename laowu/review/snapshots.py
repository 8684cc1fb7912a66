"""Freezing a filing into a snapshot, and comparing two snapshots.

A snapshot is plain JSON that is self-describing (labels and display values are frozen
with the values), so an old submission reads the same after the model's fields change.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import models

from laowu.core.numbers import format_amount

from .models import Filing


def _display(field: models.Field, value: Any, filing: Filing) -> str:
    if value in (None, ""):
        return ""
    if field.choices:
        return str(getattr(filing, f"get_{field.name}_display")())
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, Decimal):
        return format_amount(value)
    return str(value)


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.pk
    return value


def field_rows(filing: Filing) -> list[dict[str, Any]]:
    provider = filing.provider_fields()
    rows = []
    for name in filing.SNAPSHOT_FIELDS:
        field = filing._meta.get_field(name)
        value = getattr(filing, name)
        rows.append(
            {
                "name": name,
                "label": str(field.verbose_name),
                "value": _json_value(value),
                "display": _display(field, value, filing),
                "provider": name in provider,
                "mask": filing.SENSITIVE_FIELDS.get(name, ""),
            }
        )
    return rows


def attachment_rows(filing: Filing) -> list[dict[str, Any]]:
    labels = {k.code: k.label for k in filing.ATTACHMENT_KINDS}
    return [
        {
            "kind": a.kind,
            "kind_label": labels.get(a.kind, a.kind),
            "name": a.original_name,
            "sha256": a.blob_id,
            "size": a.blob.size,
        }
        for a in filing.attachments.select_related("blob").order_by("kind", "uploaded_at", "id")
    ]


def build_snapshot(filing: Filing) -> dict[str, Any]:
    return {
        "type": filing.FILING_TYPE,
        "label": filing.FILING_LABEL,
        "title": filing.title(),
        "fields": field_rows(filing),
        "attachments": attachment_rows(filing),
    }


def missing_fields(filing: Filing) -> list[str]:
    return [
        row["label"]
        for row in field_rows(filing)
        if row["name"] not in filing.OPTIONAL_AT_DECLARE and row["display"] == ""
    ]


def _same_amount(old: dict[str, Any] | None, new: dict[str, Any]) -> bool:
    """The same stored amount: older snapshots display it with its stored scale ("356.0000"),
    newer ones as written (review/snapshots.py `_display`), which is no change."""
    if not old or old.get("value") != new.get("value") or not isinstance(new.get("value"), str):
        return False
    try:
        Decimal(new["value"])
    except ArithmeticError:
        return False
    return True


def diff(old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, list[dict[str, str]]]:
    """Field and attachment changes of `new` against `old` (the last approved snapshot)."""
    if not old:
        return {"fields": [], "attachments": []}
    before = {r["name"]: r for r in old.get("fields", [])}
    fields = []
    for row in new.get("fields", []):
        prev = before.get(row["name"])
        old_display = prev["display"] if prev else ""
        if old_display != row["display"] and not _same_amount(prev, row):
            fields.append({"label": row["label"], "old": old_display, "new": row["display"]})
    old_files = {(a["kind"], a["sha256"]): a for a in old.get("attachments", [])}
    new_files = {(a["kind"], a["sha256"]): a for a in new.get("attachments", [])}
    attachments = [
        {"change": "新增", "kind_label": a["kind_label"], "name": a["name"]}
        for key, a in new_files.items()
        if key not in old_files
    ] + [
        {"change": "删除", "kind_label": a["kind_label"], "name": a["name"]}
        for key, a in old_files.items()
        if key not in new_files
    ]
    return {"fields": fields, "attachments": attachments}


_APPROVED_VALUE = (
    "(SELECT NULLIF(e->>'value', '')::date FROM review_submission s, jsonb_array_elements(s.snapshot->'fields') e"
    " WHERE s.id = f.approved_submission_id AND e->>'name' = %s)"
)


def fill_approved_copies_sql(table: str, copies: dict[str, str]) -> tuple[str, list[str]]:
    """PostgreSQL: one UPDATE setting `Filing.APPROVED_COPIES` columns from the approved
    snapshots (the migration's backfill, and the scale-data generator's)."""
    # The table and column names are the models' own, never input.
    sets = ", ".join(f'"{copy}" = {_APPROVED_VALUE}' for copy in copies.values())
    sql = f'UPDATE "{table}" f SET {sets} WHERE f.approved_submission_id IS NOT NULL'  # noqa: S608  # nosec B608  # the code's own quoted names, values are parameters
    return sql, list(copies)


def backfill_approved_copies(app_label: str, model_name: str, copies: dict[str, str]) -> Any:
    """A migration operation filling `Filing.APPROVED_COPIES` columns of existing filings
    from their approved snapshots (the one place the approved values were kept before)."""
    from django.db import migrations

    def forwards(apps: Any, schema_editor: Any) -> None:
        model = apps.get_model(app_label, model_name)
        if schema_editor.connection.vendor == "postgresql":
            sql, params = fill_approved_copies_sql(model._meta.db_table, copies)
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(sql, params)
            return
        submissions = apps.get_model("review", "Submission")
        filings = model.objects.using(schema_editor.connection.alias).filter(approved_submission__isnull=False)
        for filing in filings.only("pk", "approved_submission_id").iterator(chunk_size=2000):
            snapshot = submissions.objects.get(pk=filing.approved_submission_id).snapshot
            values = {row.get("name"): row.get("value") for row in snapshot.get("fields", [])}
            updates = {copy: values.get(field) or None for field, copy in copies.items()}
            model.objects.filter(pk=filing.pk).update(**updates)

    return migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True)
