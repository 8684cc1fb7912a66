"""Content-addressed file storage for attachments and printed sheets.

Files go through Django's `default_storage` only (a private folder locally, object
storage in production), named by their SHA-256. The same bytes are stored once, and a
stored file never changes, so anything that recorded a hash (a frozen submission) can
always fetch exactly what it recorded.
"""

from __future__ import annotations

import hashlib
import logging

from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError

from .models import Blob

log = logging.getLogger(__name__)


class BlobUnavailable(Exception):
    """The stored file is missing or no longer matches its hash."""


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


STORAGE_EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


def blob_storage_name(sha256: str, *, extension: str = "pdf") -> str:
    # Two levels of fan-out keep any one folder (or object-store prefix) small.
    return f"blobs/{sha256[:2]}/{sha256[2:4]}/{sha256}.{extension}"


def store_blob(data: bytes, *, content_type: str = "application/pdf") -> Blob:
    """Store `data` once and return its Blob; storing the same bytes again is a no-op.

    The file is written before the row so a Blob row never points at a missing file. A
    transaction that rolls back after the write leaves an unreferenced file behind,
    which is harmless: it is only ever reached through a row, and the next upload of
    the same bytes reuses it.
    """
    sha = sha256_hex(data)
    # Named with the extension of what it is, so the file in the folder or bucket opens
    # as itself (a photo is never a ".pdf" there).
    name = blob_storage_name(sha, extension=STORAGE_EXTENSIONS.get(content_type, "bin"))
    _write_once(name, data)
    defaults = {"size": len(data), "storage_name": name, "content_type": content_type}
    try:
        # get_or_create already re-reads after losing an insert race to a committed row.
        blob, _ = Blob.objects.get_or_create(sha256=sha, defaults=defaults)
    except IntegrityError:
        # Lost the race to a transaction that committed between get_or_create's insert
        # and its re-read (possible under PostgreSQL's read committed): the row exists now.
        blob = Blob.objects.get(sha256=sha)
    return blob


def _write_once(name: str, data: bytes) -> None:
    if default_storage.exists(name):
        # Same name means same hash, so the content is the same; only a write cut short
        # (a crash mid-upload) can differ, and it shows as a wrong size.
        if default_storage.size(name) == len(data):
            return
        log.warning("blob %s has the wrong size in storage; writing it again", name)
        default_storage.delete(name)
    saved = default_storage.save(name, ContentFile(data))
    if saved != name:
        # A concurrent upload of the same bytes wrote `name` first and the storage picked
        # another name for ours; theirs has the same content, so drop the copy.
        default_storage.delete(saved)


def open_blob(blob: Blob) -> bytes:
    """The blob's bytes, checked against its hash so a damaged store never serves a wrong file."""
    try:
        with default_storage.open(blob.storage_name, "rb") as f:
            data = f.read()
    except OSError as exc:  # missing, or the storage failed (object storage too: laowu/documents/s3.py)
        raise BlobUnavailable(f"blob {blob.sha256} cannot be read from storage: {exc}") from exc
    if sha256_hex(data) != blob.sha256:
        raise BlobUnavailable(f"blob {blob.sha256} does not match its hash")
    return data


def open_blob_file(blob: Blob) -> File:
    """The stored file, unread and unchecked, for streaming large files (e.g. FileResponse)."""
    try:
        return default_storage.open(blob.storage_name, "rb")
    except OSError as exc:  # missing, or the storage failed (object storage too: laowu/documents/s3.py)
        raise BlobUnavailable(f"blob {blob.sha256} cannot be read from storage: {exc}") from exc
