"""S3-compatible object storage (django-storages) whose failures are `OSError`s.

botocore raises its own exceptions (ClientError, EndpointConnectionError, ReadTimeoutError,
ConnectTimeoutError …) and boto3's transfer manager yet others; a shared folder raises
`OSError`. Translating here lets laowu/documents/storage.py treat both alike: a file that
cannot be read becomes `BlobUnavailable` (the 文件暂不可用 answer), a file that cannot be
written a clear `ObjectStorageUnavailable`. The timeouts and retries that bound how long
each call may take are set in laowu/settings/production.py (docs/object-storage.md).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from boto3.exceptions import Boto3Error
from botocore.exceptions import BotoCoreError, ClientError
from storages.backends.s3 import S3Storage as BaseS3Storage

log = logging.getLogger(__name__)

T = TypeVar("T")

S3_ERRORS = (BotoCoreError, ClientError, Boto3Error)


class ObjectStorageUnavailable(OSError):
    """The object store refused, failed or did not answer in time."""


def _translated(method: Callable[..., T]) -> Callable[..., T]:
    @functools.wraps(method)
    def wrapper(self: S3Storage, name: str, *args: Any, **kwargs: Any) -> T:
        try:
            return method(self, name, *args, **kwargs)
        except S3_ERRORS as exc:
            log.warning("object storage %s(%s) failed: %s", method.__name__, name, exc)
            raise ObjectStorageUnavailable(f"对象存储暂不可用（{method.__name__} {name}）：{exc}") from exc

    return wrapper


class S3Storage(BaseS3Storage):
    """django-storages' S3Storage; only the failures change."""

    @_translated
    def _open(self, name: str, mode: str = "rb") -> Any:
        f = super()._open(name, mode)
        if "r" in mode:
            # S3File fetches the body on first read, outside any caller's error handling
            # (e.g. while a FileResponse streams); fetching it here keeps failures in open().
            f.file  # noqa: B018
        return f

    @_translated
    def _save(self, name: str, content: Any) -> str:
        return super()._save(name, content)  # type: ignore[no-any-return]

    @_translated
    def exists(self, name: str) -> bool:
        return super().exists(name)  # type: ignore[no-any-return]

    @_translated
    def size(self, name: str) -> int:
        return super().size(name)  # type: ignore[no-any-return]

    @_translated
    def delete(self, name: str) -> None:
        super().delete(name)
