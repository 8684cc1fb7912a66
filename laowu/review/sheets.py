"""Printed sheets and their verification, for every filing type.

A sheet is rendered from an approved submission's snapshot (never the live record), once
per template version, and then served from the content-addressed store. The rendering
itself (layout, fonts, QR code) is documents' (`laowu/documents/printing.py`).
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import threading
from collections import OrderedDict
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery
from django.urls import reverse

from laowu.core.crypto import is_sealed_bytes, seal_bytes, unseal_bytes
from laowu.core.validators import MASKS
from laowu.documents.models import RenderedPdf
from laowu.documents.printing import render_sheet_pdf
from laowu.documents.storage import BlobUnavailable, open_blob, store_blob

from .models import Submission, SubmissionStatus
from .registry import filing_model

# Bump when the sheet template changes, so cached sheets are rendered again. 3: sheets cached
# before production required LAOWU_PUBLIC_BASE_URL may carry the Host of their first print in
# their QR code.
TEMPLATE_VERSION = "3"

log = logging.getLogger(__name__)


def verify_url(submission: Submission, base_url: str) -> str:
    base = (settings.LAOWU_PUBLIC_BASE_URL or base_url).rstrip("/")
    return base + reverse("printing:verify", args=[submission.verify_token])


def _shown(row: dict[str, Any], masked: bool) -> str:
    mask = MASKS.get(row.get("mask") or "") if masked else None
    return mask(row["display"]) if mask and row["display"] else row["display"]


def _sections(submission: Submission, masked: bool) -> list[tuple[str, list[tuple[str, str]]]]:
    snapshot = submission.snapshot
    rows = {r["name"]: r for r in snapshot["fields"]}
    model = filing_model(snapshot["type"])
    layout = (model.SHEET_SECTIONS if model else ()) or (("基本信息", tuple(rows)),)
    sections = [
        (heading, [(rows[n]["label"], _shown(rows[n], masked)) for n in names if n in rows])
        for heading, names in layout
    ]
    files = [(a["kind_label"], a["name"]) for a in snapshot.get("attachments", [])]
    if files:
        sections.append(("附件", files))
    return sections


def serial_number(submission: Submission, code: str) -> str:
    return f"{code}{submission.decided_at:%Y}{submission.pk:08d}-{submission.revision}"


class OpenedSheets:
    """The stored sheets this process has opened (read, checked against their hash, unsealed),
    so that printing one again costs neither the read nor the SM4 pass over its bytes; the
    least recently printed go first once `budget` bytes are held.

    Never stale: an entry is keyed by the stored blob's SHA-256 (the hash of the sealed bytes,
    which a stored file never changes, laowu/documents/storage.py) and the sealing context
    (submission and variant). Whatever makes a submission print differently (a new template
    version, a sheet rendered again after its file was lost, `rotate_keys` dropping sealed
    sheets) points its RenderedPdf row at another blob, so the old entry is simply never asked
    for again. It holds nothing a request could not read itself: `sheet_pdf` is reached only
    after the print's access check, and the masked and full sheets are different entries.
    What it holds is plaintext in the worker's memory, where every printed sheet passes
    anyway; sealing is for the stored copies (disk, object store, backups).

    Filled only from a stored copy that was read back whole, never straight after a render, so
    a file lost before it was ever read back is still found (and made again) on the next print.
    """

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self._held = 0
        self._entries: OrderedDict[tuple[str, str], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, sha256: str, context: str) -> bytes | None:
        with self._lock:
            data = self._entries.get((sha256, context))
            if data is not None:
                self._entries.move_to_end((sha256, context))
            return data

    def put(self, sha256: str, context: str, data: bytes) -> None:
        if len(data) > self.budget:
            return
        with self._lock:
            replaced = self._entries.pop((sha256, context), None)
            if replaced is not None:
                self._held -= len(replaced)
            self._entries[(sha256, context)] = data
            self._held += len(data)
            while self._held > self.budget:
                _, dropped = self._entries.popitem(last=False)
                self._held -= len(dropped)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._held = 0


# A sheet is a few hundred kB: some fifty of them per worker process.
opened_sheets = OpenedSheets(budget=16 * 1024 * 1024)


def sheet_context(submission_pk: int, masked: bool) -> str:
    """What a stored sheet is sealed for (laowu/core/crypto.py): its submission and variant."""
    return f"documents.renderedpdf.{submission_pk}.{int(masked)}"


STORED_FULL, STORED_MASKED = "stored_sheet_full", "stored_sheet_masked"


@functools.cache
def stored_sheets() -> Mapping[str, Subquery]:
    """Annotations naming the blob of each stored variant of a submission's sheet, so that the
    query reading the submission finds them too (see `sheet_pdf`). Built once: they depend on
    nothing but TEMPLATE_VERSION, and a query resolves a copy of each (Subquery.copy)."""

    def blob_of(masked: bool) -> Subquery:
        stored = RenderedPdf.objects.filter(
            submission=OuterRef("pk"), template_version=TEMPLATE_VERSION, masked=masked
        ).values("blob_id")[:1]
        return Subquery(stored)

    return MappingProxyType({STORED_FULL: blob_of(False), STORED_MASKED: blob_of(True)})


def sheet_pdf(submission: Submission, *, base_url: str, masked: bool = False) -> bytes:
    """The sheet of an approved submission, rendered on first request and cached; ``masked``
    prints personal data as the pages show it to those who may not see it in full.

    A submission read with `stored_sheets()` says which blob holds its stored sheet: one this
    process has opened already is served without another query."""
    context = sheet_context(submission.pk, masked)
    known = getattr(submission, STORED_MASKED if masked else STORED_FULL, None)
    if known is not None:
        opened = opened_sheets.get(known, context)
        if opened is not None:
            return opened
    cached = (
        RenderedPdf.objects.filter(submission=submission, template_version=TEMPLATE_VERSION, masked=masked)
        .select_related("blob")
        .first()
    )
    if cached:
        opened = opened_sheets.get(cached.blob_id, context)
        if opened is not None:
            return opened
        try:
            stored = open_blob(cached.blob)
        except BlobUnavailable as exc:
            # Lost or damaged (a database-only restore, a disk fault): the snapshot it was
            # made from is still here, so the same sheet is made again, not a 500.
            log.warning("cached sheet %s unavailable (%s): rendering it again", cached.pk, exc)
        else:
            # Sheets cached before sealing are plain PDFs; the migration drops them from the cache.
            opened = unseal_bytes(stored, context=context) if is_sealed_bytes(stored) else stored
            opened_sheets.put(cached.blob_id, context, opened)
            return opened
    data = render_submission_sheet(submission, base_url=base_url, masked=masked)
    # The full sheet carries personal data in clear: cached sealed, like the snapshot it comes from.
    blob = store_blob(seal_bytes(data, context=context), content_type="application/octet-stream")
    if cached:
        RenderedPdf.objects.filter(pk=cached.pk).update(blob=blob)
        return data
    try:
        with transaction.atomic():
            RenderedPdf.objects.create(
                submission=submission, template_version=TEMPLATE_VERSION, masked=masked, blob=blob
            )
    except IntegrityError:
        pass  # rendered concurrently by another request; identical content
    return data


def render_submission_sheet(submission: Submission, *, base_url: str, masked: bool = False) -> bytes:
    """The sheet rendered from the submission's snapshot, uncached: the same bytes every time
    for the same submission, so a lost cached copy is made again exactly as it was."""
    model = filing_model(submission.snapshot["type"])
    return render_sheet_pdf(
        title=(model.SHEET_TITLE if model else "") or submission.snapshot["label"],
        subtitle=submission.enterprise.name,
        serial=serial_number(submission, model.SHEET_CODE if model else "XX"),
        sections=_sections(submission, masked),
        verify_url=verify_url(submission, base_url),
        # The approval time, not the print time: the same submission always prints the same.
        issued_at=submission.decided_at,
    )


@dataclasses.dataclass(frozen=True)
class Verification:
    valid: bool
    status: str
    detail: str
    label: str
    title: str
    fields: list[tuple[str, str]]
    approved_at: Any
    enterprise_name: str


def verification(submission: Submission) -> Verification:
    """What the public verification page says about a sheet: its key fields and live status."""
    snapshot = submission.snapshot
    model = filing_model(snapshot["type"])
    rows = {r["name"]: r for r in snapshot["fields"]}
    # Personal data is masked on this public page even where a type forgot to say how.
    masks = {**model.SENSITIVE_FIELDS, **model.VERIFY_MASKS} if model else {}
    names = (model.VERIFY_FIELDS if model else ()) or tuple(rows)
    fields = []
    for name in names:
        if name in rows:
            value = rows[name]["display"]
            mask = MASKS.get(masks.get(name, ""))
            fields.append((rows[name]["label"], mask(value) if mask and value else value or "—"))
    filing = model.objects.filter(pk=submission.filing_id).first() if model else None
    if submission.status == SubmissionStatus.APPROVED and filing and filing.approved_submission_id == submission.pk:
        # The workflow's word for the state, and what it means for whoever holds the sheet.
        valid, status = True, "已通过（有效）"
        detail = "本表信息已经区劳务专委会审核通过，现行有效。"
        if filing.changing:
            detail += "企业正在办理信息变更，变更审核通过前本表继续有效。"
    elif submission.status == SubmissionStatus.SUPERSEDED:
        valid, status = False, "已变更"
        detail = "本表所载信息已变更，已被更新的版本取代，请向企业索取最新的表。"
    elif submission.status == SubmissionStatus.REVOKED:
        valid, status = False, "已注销"
        detail = "本表所载信息已注销。"
    else:
        valid, status, detail = False, "无效", "本表当前无效。"
    return Verification(
        valid=valid,
        status=status,
        detail=detail,
        label=snapshot["label"],
        title=snapshot["title"],
        fields=fields,
        approved_at=submission.decided_at,
        enterprise_name=submission.enterprise.name,
    )


def rotate_cached_sheets() -> int:
    """Drop from the cache the sheets sealed under a key other than the current one
    (`manage.py rotate_keys`): each is made again, under the current key, when next printed."""
    from laowu.core.crypto import current_prefix

    header = current_prefix().rstrip(".").encode() + b"\n"
    stale = [r.pk for r in RenderedPdf.objects.select_related("blob") if not _sealed_under(r.blob, header)]
    RenderedPdf.objects.filter(pk__in=stale).delete()
    return len(stale)


def _sealed_under(blob: Any, header: bytes) -> bool:
    try:
        return open_blob(blob).startswith(header)
    except BlobUnavailable:
        return False  # lost: dropped from the cache like a stale one, and made again when printed
