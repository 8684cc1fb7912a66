"""Content-addressed file storage for attachments and printed sheets.

Files go through Django's `default_storage` only (a private folder locally, object
storage in production), named by their SHA-256. The same bytes are stored once, and a
stored file never changes, so anything that recorded a hash (a frozen submission) can
always fetch exactly what it recorded.

A file becomes visible under its final name only once it is complete: on the local file
system `laowu.core.storage.AtomicFileSystemStorage` writes to a temporary name beside it
and renames; an
object store's PUT is atomic by itself. `manage.py storage_check` finds what a crash or an
operator's mistake left behind (docs/backup.md).
"""

from __future__ import annotations

import hashlib
import logging

from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError

from laowu.core.storage import is_storage_full

from .models import Blob

log = logging.getLogger(__name__)


class BlobUnavailable(Exception):
    """The stored file is missing or no longer matches its hash."""

    def __init__(self, message: str, *, sha256: str) -> None:
        super().__init__(message)
        self.sha256 = sha256


# What the user is told when a file could not be kept for want of room.
MSG_STORAGE_FULL = "存储空间不足，文件未保存。"


class StorageFull(Exception):
    """The storage has no room (or no quota) left: nothing of the file was kept."""


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
    which is harmless: it is only ever reached through a row, the next upload of the same
    bytes reuses it, and `manage.py storage_check --repair` removes it once it is old.
    Raises `StorageFull` when the disk or quota is full, with nothing of the file kept.
    """
    sha = sha256_hex(data)
    # Named with the extension of what it is, so the file in the folder or bucket opens
    # as itself (a photo is never a ".pdf" there).
    name = blob_storage_name(sha, extension=STORAGE_EXTENSIONS.get(content_type, "bin"))
    try:
        _write_once(name, data)
    except OSError as exc:
        if is_storage_full(exc):
            log.error("storage full: blob %s (%d bytes) not stored", sha, len(data))
            raise StorageFull(str(exc)) from exc
        raise
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


def _unavailable(blob: Blob, why: str) -> BlobUnavailable:
    return BlobUnavailable(f"blob {blob.sha256} {why}", sha256=blob.sha256)


def _open(blob: Blob) -> File:
    try:
        return default_storage.open(blob.storage_name, "rb")
    except FileNotFoundError as exc:
        raise _unavailable(blob, "is missing from storage") from exc
    except OSError as exc:  # the storage failed (object storage too: laowu/documents/s3.py)
        raise _unavailable(blob, f"cannot be read from storage: {exc}") from exc
    except Exception as exc:
        # Each backend says "missing" its own way (an S3 404 is botocore's ClientError, not
        # FileNotFoundError); asking again is the one way that works for all of them.
        if not default_storage.exists(blob.storage_name):
            raise _unavailable(blob, "is missing from storage") from exc
        raise


def open_blob(blob: Blob) -> bytes:
    """The blob's bytes, checked against its hash so a damaged store never serves a wrong file.

    Raises `BlobUnavailable` (answered with the 文件暂不可用 page by
    laowu/documents/middleware.py) when the file is missing, unreadable or damaged.
    """
    try:
        with _open(blob) as f:
            data = f.read()
    except BlobUnavailable:
        raise
    except OSError as exc:
        raise _unavailable(blob, f"cannot be read: {exc}") from exc
    except Exception as exc:
        # An object store may only find the key missing when the body is read.
        if not default_storage.exists(blob.storage_name):
            raise _unavailable(blob, "is missing from storage") from exc
        raise
    if sha256_hex(data) != blob.sha256:
        raise _unavailable(blob, "does not match its hash")
    return data


def open_blob_file(blob: Blob) -> File:
    """The stored file, unread and unchecked, for streaming large files (e.g. FileResponse)."""
    return _open(blob)
