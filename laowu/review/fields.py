"""A submission's snapshot with its personal values sealed at rest (laowu/core/crypto.py).

The snapshot stays plain JSON for everything else — labels, dates, amounts, attachments — so it
reads the same in the database console and in backups; only the rows a filing type marks as
personal (those with a `mask`, from `Filing.SENSITIVE_FIELDS`) carry their `value` and `display`
sealed, each bound to its row's name. Code reading `submission.snapshot` sees plain values: the
field opens them on load and seals them on save.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from laowu.core.crypto import is_sealed, seal, unseal

CONTEXT = "review.submission.snapshot"


def _context(row: dict[str, Any]) -> str:
    return f"{CONTEXT}.{row.get('name', '')}"


def _map_personal(snapshot: Any, change: Any) -> Any:
    """A copy of `snapshot` with `change(text, context)` applied to its personal rows' texts."""
    if not isinstance(snapshot, dict) or not isinstance(snapshot.get("fields"), list):
        return snapshot
    rows = []
    for row in snapshot["fields"]:
        if isinstance(row, dict) and row.get("mask"):
            row = dict(row)
            for key in ("value", "display"):
                if isinstance(row.get(key), str) and row[key]:
                    row[key] = change(row[key], _context(row))
        rows.append(row)
    return {**snapshot, "fields": rows}


def seal_snapshot(snapshot: Any) -> Any:
    return _map_personal(snapshot, lambda text, ctx: text if is_sealed(text) else seal(text, context=ctx))


def open_snapshot(snapshot: Any) -> Any:
    # A row written before sealing (or by hand) is read as it is; the migration seals old rows.
    return _map_personal(snapshot, lambda text, ctx: unseal(text, context=ctx) if is_sealed(text) else text)


class SnapshotField(models.JSONField):
    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return open_snapshot(super().from_db_value(value, expression, connection))

    def get_prep_value(self, value: Any) -> Any:
        return super().get_prep_value(seal_snapshot(value))


def rotate_snapshots() -> int:
    """Re-seal under the current key the snapshots sealed under another (`manage.py rotate_keys`)."""
    from django.db.models import F, TextField
    from django.db.models.functions import Cast

    from laowu.core.crypto import VERSION, current_prefix

    from .models import Submission

    prefix = current_prefix()
    # A snapshot's values are all sealed together, under one key.
    stale = (
        Submission.objects.annotate(raw=Cast(F("snapshot"), TextField()))
        .filter(raw__contains=f'"{VERSION}.')
        .exclude(raw__contains=f'"{prefix}')
    )
    count = 0
    for pk in stale.values_list("pk", flat=True).iterator(chunk_size=500):
        snapshot = Submission.objects.values_list("snapshot", flat=True).get(pk=pk)  # opened
        Submission.objects.filter(pk=pk).update(snapshot=snapshot)  # sealed anew
        count += 1
    return count
