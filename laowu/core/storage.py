"""A local file storage whose files appear whole or not at all.

Here rather than in documents/storage.py because settings name it (STORAGES) and
production settings import it while they load, before any model can be.
"""

from __future__ import annotations

import errno
import os
import tempfile
from contextlib import suppress
from typing import Any

from django.core.files.storage import FileSystemStorage
from django.core.files.utils import validate_file_name
from django.utils._os import safe_makedirs

# The temporary name a file has while `AtomicFileSystemStorage` writes it; anything still
# named so is what a killed process left (storage_check deletes it once it is old).
PARTIAL_PREFIX = ".partial-"

# The errors a full disk or an exhausted quota raise on write.
STORAGE_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})


def is_storage_full(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in STORAGE_FULL_ERRNOS


class AtomicFileSystemStorage(FileSystemStorage):
    """FileSystemStorage whose files appear whole or not at all.

    Django's own `_save` writes into the final name, so a process killed mid-write (or a
    full disk) leaves a truncated file that looks like a stored one. Here the bytes go to
    a temporary file in the same folder (same file system, so the rename is atomic), are
    flushed to disk, and only then take the final name with `os.replace`. Names are
    content hashes or random tokens, so replacing an existing file replaces it with the
    same content; a failed write removes its temporary file before the error goes up.
    """

    def _save(self, name: str, content: Any) -> str:
        full_path = self.path(name)
        directory = os.path.dirname(full_path)
        self._make_directory(directory)
        fd, temp_path = tempfile.mkstemp(prefix=PARTIAL_PREFIX, dir=directory)
        try:
            with os.fdopen(fd, "wb") as out:
                if hasattr(content, "seek"):
                    with suppress(AttributeError, OSError, ValueError):
                        content.seek(0)
                for chunk in content.chunks():
                    out.write(chunk.encode() if isinstance(chunk, str) else chunk)
                out.flush()
                os.fsync(out.fileno())
            # mkstemp makes the file 0600; give it the mode Django would have.
            os.chmod(temp_path, self.file_permissions_mode if self.file_permissions_mode is not None else 0o644)
            os.replace(temp_path, full_path)
        except BaseException:
            with suppress(FileNotFoundError):
                os.unlink(temp_path)
            raise
        _fsync_directory(directory)
        self._ensure_location_group_id(full_path)
        name = os.path.relpath(full_path, self.location)
        validate_file_name(name, allow_relative_path=True)
        return str(name).replace("\\", "/")

    def _make_directory(self, directory: str) -> None:
        try:
            if self.directory_permissions_mode is not None:
                safe_makedirs(directory, self.directory_permissions_mode, exist_ok=True)
            else:
                os.makedirs(directory, exist_ok=True)
        except FileExistsError as exc:
            raise FileExistsError(f"{directory} exists and is not a directory.") from exc


def _fsync_directory(directory: str) -> None:
    # The rename is durable only once the folder's entry is on disk too.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse fsync on a folder; the rename still happened
    finally:
        os.close(fd)
