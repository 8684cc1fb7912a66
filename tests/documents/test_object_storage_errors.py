"""An object store that refuses or hangs: reading ends in BlobUnavailable (the 文件暂不可用
answer) within the configured timeout, writing in ObjectStorageUnavailable — never
botocore's own exceptions, nor its 60 s defaults (laowu/documents/s3.py,
laowu/settings/production.py)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.config import Config
from django.core.files.storage import Storage, storages

from laowu.documents.models import Blob
from laowu.documents.s3 import ObjectStorageUnavailable
from laowu.documents.storage import BlobUnavailable, open_blob, open_blob_file, sha256_hex, store_blob
from tests.documents.pdfs import valid_pdf

pytestmark = pytest.mark.django_db


@pytest.fixture
def refusing_endpoint() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"  # closed again: connections are refused


@pytest.fixture
def hung_endpoint() -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(64)  # connections complete in the kernel's backlog; nothing ever answers
        yield f"http://127.0.0.1:{s.getsockname()[1]}"


def s3_at(settings: Any, endpoint: str) -> Storage:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "laowu.documents.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": "laowu",
                "endpoint_url": endpoint,
                "access_key": "test-access-key",
                "secret_key": "test-secret-key",
                "region_name": "us-east-1",
                "client_config": Config(connect_timeout=0.5, read_timeout=0.5, retries={"total_max_attempts": 1}),
            },
        },
    }
    return storages["default"]


def a_blob() -> Blob:
    data = valid_pdf("s3")
    sha = sha256_hex(data)
    name = f"blobs/{sha}.pdf"
    return Blob.objects.create(sha256=sha, size=len(data), storage_name=name, content_type="application/pdf")


@pytest.mark.parametrize("endpoint", ["refusing_endpoint", "hung_endpoint"])
def test_reading_from_a_failing_store_is_blob_unavailable(
    settings: Any, endpoint: str, request: pytest.FixtureRequest
) -> None:
    s3_at(settings, request.getfixturevalue(endpoint))
    blob = a_blob()
    started = time.monotonic()
    with pytest.raises(BlobUnavailable):
        open_blob(blob)
    with pytest.raises(BlobUnavailable):
        open_blob_file(blob)
    # Two reads, each bounded by the 0.5 s timeout and one attempt, not botocore's 60 s.
    assert time.monotonic() - started < 5


def test_writing_to_a_failing_store_is_a_clear_storage_error(settings: Any, hung_endpoint: str) -> None:
    s3_at(settings, hung_endpoint)
    started = time.monotonic()
    with pytest.raises(ObjectStorageUnavailable, match="对象存储暂不可用"):
        store_blob(valid_pdf("s3 write"))
    assert time.monotonic() - started < 5
    assert not Blob.objects.exists()  # no row for a file that was not kept
