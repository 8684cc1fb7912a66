"""Attachment writes and the small reads the filing pages need (docs/workflow.md).

Callers check that the actor owns the filing; these functions check what the workflow
allows (only editable filings change) and what the content allows (validation.py).
Each write is one durable transaction that also writes its audit row, and locks the
filing row first so an upload cannot slip in after a concurrent 申报 froze the record.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Collection, Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import HttpRequest

from laowu.audit.services import Action, record, record_refusal
from laowu.core import prepared

from .kinds import AttachmentKind
from .models import Attachment
from .registry import attachable_for_model
from .storage import MSG_STORAGE_FULL, StorageFull, store_blob
from .validation import InvalidAttachment, check_pdf, check_pdf_or_image, max_attachment_bytes, too_large

# Anything with ATTACHMENT_KINDS, is_editable, state_label, an `attachments` relation and
# get_absolute_url(), and optionally not_editable_hint(): the models registered in registry.py.
Attachable = Any

ORIGINAL_NAME_MAX = 200
DEFAULT_STEM = "附件"


def _not_editable(filing: Attachable) -> ValidationError:
    hint = filing.not_editable_hint() if hasattr(filing, "not_editable_hint") else ""
    return ValidationError(f"当前状态不能修改附件（{filing.state_label}）。{hint}", code="not_editable")


def _kind(filing: Attachable, code: str) -> AttachmentKind:
    for kind in filing.ATTACHMENT_KINDS:
        if kind.code == code:
            return kind
    raise ValidationError("附件类型不正确，请刷新页面后重新上传。", code="invalid_kind")


def _lock(filing: Attachable) -> Attachable:
    return type(filing).objects.select_for_update().get(pk=filing.pk)


# Characters dropped from a name: controls (Cc: newlines, NUL), format characters (Cf: the
# bidirectional embeddings and overrides U+202A to U+202E, the isolates U+2066 to U+2069, the
# marks U+200E and U+200F, zero-width characters), surrogates (Cs), unassigned code points
# (Cn) and the line and paragraph separators (Zl, Zp).
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Cn", "Zl", "Zp"})
# What a file manager takes for an extension: a dot, then up to 10 letters and digits with at
# least one letter. "营业执照.2024" has none, so its ".2024" is kept as part of the name.
_EXTENSION_RE = re.compile(r"\.(?=[0-9A-Za-z]*[A-Za-z])[0-9A-Za-z]{1,10}$")


def clean_original_name(name: str, *, extension: str = "") -> str:
    """What the user's file was called, safe to show and to put in a download header.

    With `extension` (the type found in the content: "pdf", "jpg", "png") the name's own
    extension is replaced by it, so "x.html" holding a PDF is shown and downloaded as
    "x.pdf", and a name can never claim a type the file is not.
    """
    # Old IE sends the full client path, with either separator.
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    # The right-to-left override (U+202E) makes "x" + U+202E + "fdp.exe" display as
    # "xexe.pdf"; it and the other categories above have no place in a file name.
    name = "".join(ch for ch in name if unicodedata.category(ch) not in _DROPPED_CATEGORIES).strip()
    if name in (".", ".."):
        name = ""
    suffix = f".{extension}" if extension else ""
    if extension:
        name = _EXTENSION_RE.sub("", name).rstrip(". ")
    if not name:
        return DEFAULT_STEM + (suffix or ".pdf")
    if not extension:
        # Keep the name's own extension when shortening, so it still says what the file is.
        match = _EXTENSION_RE.search(name)
        suffix = match.group(0) if match else ""
        name = name[: len(name) - len(suffix)]
    return name[: ORIGINAL_NAME_MAX - len(suffix)].rstrip() + suffix


def _read_upload(upload: UploadedFile, limit: int) -> bytes:
    # `upload.size` comes from the upload handler and is cheap to check first; the
    # count while reading guards against a size that does not match the content.
    if upload.size is not None and upload.size > limit:
        raise too_large(upload.size, limit)
    chunks: list[bytes] = []
    total = 0
    for chunk in upload.chunks():
        total += len(chunk)
        if total > limit:
            raise too_large(total, limit)
        chunks.append(chunk)
    return b"".join(chunks)


def add_attachment(
    *, filing: Attachable, kind: str, upload: UploadedFile, actor: Any, request: HttpRequest | None = None
) -> Attachment:
    """上传: add a validated PDF (or, where the kind allows, a photo) to one attachment slot.

    Uploading the same file to the same slot again returns the existing attachment.
    On refusal (ValidationError) nothing is stored: no file, no Blob, no Attachment; the
    refusal itself is logged (ATTACHMENT_REFUSED), after the transaction it rolled back.
    """
    try:
        return _add_attachment(filing=filing, kind=kind, upload=upload, actor=actor, request=request)
    except ValidationError as exc:
        with transaction.atomic(durable=True):
            record_refusal(
                action=Action.ATTACHMENT_REFUSED,
                request=request,
                user=actor,
                obj=filing,
                detail={
                    "kind": kind,
                    "name": clean_original_name(upload.name or ""),
                    "size": upload.size,
                    "code": exc.code or "",
                    "reason": " ".join(exc.messages)[:300],
                },
            )
        raise


def _add_attachment(
    *, filing: Attachable, kind: str, upload: UploadedFile, actor: Any, request: HttpRequest | None
) -> Attachment:
    # Everything that can refuse runs before any byte is written.
    if not filing.is_editable:
        raise _not_editable(filing)
    slot = _kind(filing, kind)
    limit = max_attachment_bytes()
    try:
        data = _read_upload(upload, limit)
        # A photo comes back re-encoded: those bytes, not the upload's, are stored.
        checked = check_pdf_or_image(data, max_bytes=limit) if slot.images else check_pdf(data, max_bytes=limit)
    except InvalidAttachment as exc:
        raise ValidationError(exc.message, code=exc.code) from exc
    name = clean_original_name(upload.name or "", extension=checked.extension)
    with transaction.atomic(durable=True):
        locked = _lock(filing)
        if not locked.is_editable:
            raise _not_editable(locked)
        try:
            blob = store_blob(checked.data, content_type=checked.content_type)
        except StorageFull as exc:
            # Nothing of the file was kept (laowu/core/storage.py); the user may try again later.
            raise ValidationError(MSG_STORAGE_FULL, code="storage_full") from exc
        attachment, created = Attachment.objects.get_or_create(
            filing_type=ContentType.objects.get_for_model(locked),
            filing_id=locked.pk,
            kind=kind,
            blob=blob,
            defaults={"original_name": name, "uploaded_by": actor},
        )
        if created:
            # A repeat of an upload already in the slot changes nothing, so it is not logged as one.
            record(
                action=Action.ATTACHMENT_UPLOAD,
                request=request,
                user=actor,
                obj=locked,
                detail={"kind": kind, "name": name, "sha256": blob.sha256, "size": blob.size},
            )
    return attachment


@dataclasses.dataclass(frozen=True)
class UploadOutcome:
    """What became of one chosen file: stored as `attachment`, or refused with `error` (a
    sentence for the user) and its `code`."""

    name: str
    attachment: Attachment | None = None
    error: str = ""
    code: str = ""

    @property
    def stored(self) -> bool:
        return self.attachment is not None


def add_attachments(
    *,
    filing: Attachable,
    kind: str,
    uploads: Iterable[UploadedFile],
    actor: Any,
    request: HttpRequest | None = None,
) -> list[UploadOutcome]:
    """上传 with several files chosen for one slot: one outcome per file, in the order given.

    Each file is checked and stored on its own (`add_attachment`, its own transaction and
    audit row), so a refused file keeps none of the others out and the user learns which
    were stored and why the rest were not.
    """
    outcomes = []
    for upload in uploads:
        try:
            attachment = add_attachment(filing=filing, kind=kind, upload=upload, actor=actor, request=request)
        except ValidationError as exc:
            name = clean_original_name(upload.name or "")
            outcomes.append(UploadOutcome(name=name, error=" ".join(exc.messages), code=exc.code or ""))
        else:
            outcomes.append(UploadOutcome(name=attachment.original_name, attachment=attachment))
    return outcomes


def remove_attachment(*, attachment: Attachment, actor: Any, request: HttpRequest | None = None) -> None:
    """删除: take an attachment off the filing.

    The blob stays: a frozen submission may refer to it by hash, and the same bytes may
    be attached elsewhere.
    """
    model = attachment.filing_type.model_class()
    assert model is not None
    with transaction.atomic(durable=True):
        locked = model.objects.select_for_update().get(pk=attachment.filing_id)
        if not locked.is_editable:
            raise _not_editable(locked)
        deleted, _ = Attachment.objects.filter(pk=attachment.pk).delete()
        if not deleted:
            # Already removed (a double click, a second tab): the outcome the user wanted.
            return
        record(
            action=Action.ATTACHMENT_DELETE,
            request=request,
            user=actor,
            obj=locked,
            detail={
                "kind": attachment.kind,
                "name": attachment.original_name,
                "sha256": attachment.blob_id,
                "attachment_id": attachment.pk,
            },
        )


def slot_anchor(filing: Attachable, kind: str) -> str:
    """The id of one attachment slot's row on any page that shows it: the upload and delete
    views send the user back to it, and their messages are shown there. Unique on a page
    that lists several records' attachments (an inspection and its replies)."""
    registered = attachable_for_model(type(filing))
    code = registered.code if registered else type(filing)._meta.model_name
    return f"att-{code}-{filing.pk}-{kind}"


# What `attachments_by_kind` reads of an attachment and its blob (the blob's key is its sha256).
_SHOWN_FIELDS = ("kind", "original_name", "uploaded_at", "blob__size", "blob__content_type")


def _attachments_of(filing: Attachable) -> list[Attachment]:
    """`filing.attachments` with their blobs, in the slots' order: an owner page reads them on
    every view, so their SQL is written once per process and type (laowu/core/prepared.py;
    the type's ContentType id is in the key). Only the columns the slots show are read
    (`_SHOWN_FIELDS`): another field of these rows costs a query each."""
    type_id = ContentType.objects.get_for_model(filing).pk

    def build(filing_id: int) -> Any:
        return (
            Attachment.objects.filter(filing_type_id=type_id, filing_id=filing_id)
            .select_related("blob")
            .only(*_SHOWN_FIELDS)
            .order_by("kind", "uploaded_at", "id")
        )

    return prepared.related_instances(("documents.attachments", type_id), build, filing.pk)


def attachments_by_kind(filing: Attachable) -> list[dict[str, Any]]:
    """Each attachment kind of the filing, in declared order, with its files.

    Each item: code, label, required, images, missing (required and empty), anchor (the
    slot's id, `slot_anchor`), and attachments: a list of {id, name, size, sha256,
    uploaded_at, is_image}.
    """
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for a in _attachments_of(filing):
        by_kind.setdefault(a.kind, []).append(
            {
                "id": a.pk,
                "name": a.original_name,
                "size": a.blob.size,
                "sha256": a.blob_id,
                "uploaded_at": a.uploaded_at,
                "is_image": a.blob.content_type.startswith("image/"),
            }
        )
    groups = []
    for kind in filing.ATTACHMENT_KINDS:
        files = by_kind.get(kind.code, [])
        groups.append(
            {
                "code": kind.code,
                "label": kind.label,
                "required": kind.required,
                "images": kind.images,
                "missing": kind.required and not files,
                "anchor": slot_anchor(filing, kind.code),
                "attachments": files,
            }
        )
    return groups


def missing_required_kinds(filing: Attachable, present: Collection[str] | None = None) -> list[AttachmentKind]:
    """The required kinds `filing` has no attachment of; ``present``: the codes of the kinds it
    has, when the caller read its attachments already (otherwise they are read here)."""
    if present is None:
        present = set(filing.attachments.values_list("kind", flat=True).distinct())
    return [k for k in filing.ATTACHMENT_KINDS if k.required and k.code not in present]
