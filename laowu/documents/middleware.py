"""Storage failures answered with a page that says what happened, never the generic 500.

Every view that serves a stored file (attachments, a frozen submission's files, printed
sheets, a public notice's files) reads it through `storage.open_blob`, which raises
`BlobUnavailable` when the file is gone or damaged; a full disk raises `OSError` with
ENOSPC/EDQUOT wherever it is met (Django's upload temp files included). Catching both here
covers every such view, including ones added later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from laowu.core.storage import is_storage_full

from .responses import storage_full_response, unavailable_response
from .storage import BlobUnavailable

log = logging.getLogger(__name__)


class StorageErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, BlobUnavailable):
            # The hash is what the operator looks for in a backup (docs/backup.md).
            log.warning("file unavailable: blob %s (%s) at %s", exception.sha256, exception, request.path)
            return unavailable_response(request)
        if is_storage_full(exception):
            log.error("storage full at %s: %s", request.path, exception)
            return storage_full_response(request)
        return None
