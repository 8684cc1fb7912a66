"""A stored file that is gone or damaged: every view that serves one answers 文件暂不可用
(503, never a 500) and logs the blob's hash; a lost cached sheet is printed again, the same."""

from __future__ import annotations

import io
import logging
from typing import Any

import lxml.html
import pytest
import zxingcpp
from django.core.files.storage import Storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image
from pypdf import PdfReader

from laowu.documents.models import Attachment, Blob, RenderedPdf
from laowu.documents.services import add_attachment
from laowu.review.models import State
from laowu.supervision import notices
from tests.factories import make_pdf_bytes

pytestmark = pytest.mark.django_db


def damage(storage: Storage, blob: Blob, *, how: str) -> None:
    if how == "missing":
        storage.delete(blob.storage_name)
    else:
        # Same size, other bytes: only the hash check can tell.
        with storage.open(blob.storage_name, "rb") as f:
            data = f.read()
        storage.delete(blob.storage_name)
        storage.save(blob.storage_name, io.BytesIO(bytes([data[0] ^ 1]) + data[1:]))


def assert_unavailable(resp: Any, blob: Blob, caplog: pytest.LogCaptureFixture) -> None:
    assert resp.status_code == 503
    page = lxml.html.fromstring(resp.content.decode())
    assert page.xpath("//h2")[0].text_content() == "文件暂不可用"
    # A way back, and a page that may stand in for a framed attachment.
    assert [a.text_content() for a in page.xpath("//div[@class='error-page']//a")] == ["返回上一页", "返回首页"]
    assert resp["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in resp["Content-Security-Policy"]
    assert any(blob.sha256 in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)


@pytest.fixture
def approved(filing_in_state: Any) -> Any:
    return filing_in_state(State.APPROVED)


@pytest.mark.parametrize("how", ["missing", "damaged"])
def test_attachment_download(
    how: str, approved: Any, as_user: Any, enterprise_a: Any, storage: Storage, caplog: pytest.LogCaptureFixture
) -> None:
    item = Attachment.objects.filter(filing_id=approved.pk).first()
    damage(storage, item.blob, how=how)
    client = as_user(enterprise_a)
    back = "http://testserver" + reverse("enterprises:basic_info")
    resp = client.get(reverse("documents:attachment", args=[item.pk]), HTTP_REFERER=back)
    assert_unavailable(resp, item.blob, caplog)
    assert lxml.html.fromstring(resp.content).xpath("//a[text()='返回上一页']/@href") == [back]


def test_back_link_never_leaves_the_site(approved: Any, as_user: Any, enterprise_a: Any, storage: Storage) -> None:
    item = Attachment.objects.filter(filing_id=approved.pk).first()
    damage(storage, item.blob, how="missing")
    resp = as_user(enterprise_a).get(
        reverse("documents:attachment", args=[item.pk]), HTTP_REFERER="https://evil.example/"
    )
    assert lxml.html.fromstring(resp.content).xpath("//a[text()='返回上一页']/@href") == [reverse("workspace:home")]


def test_submission_file(
    approved: Any, as_user: Any, reviewer: Any, storage: Storage, caplog: pytest.LogCaptureFixture
) -> None:
    sub = approved.approved_submission
    sha = sub.snapshot["attachments"][0]["sha256"]
    blob = Blob.objects.get(pk=sha)
    damage(storage, blob, how="missing")
    resp = as_user(reviewer).get(reverse("printing:submission_file", args=[sub.pk, sha]))
    assert_unavailable(resp, blob, caplog)


def test_public_notice_attachment(reviewer: Any, storage: Storage, caplog: pytest.LogCaptureFixture) -> None:
    notice = notices.create_notice(data={"title": "核查通知", "body": "正文", "pinned": False}, actor=reviewer)
    upload = SimpleUploadedFile("核查表.pdf", make_pdf_bytes("notice"), "application/pdf")
    item = add_attachment(filing=notice, kind="file", upload=upload, actor=reviewer)
    notice = notices.publish_notice(notice=notice, actor=reviewer)
    damage(storage, item.blob, how="missing")
    resp = Client().get(reverse("supervision:notice_attachment", args=[notice.pk, item.pk]))
    assert_unavailable(resp, item.blob, caplog)


def qr_urls(pdf_bytes: bytes) -> list[str]:
    found = []
    for image in PdfReader(io.BytesIO(pdf_bytes)).pages[0].images:
        img = Image.open(io.BytesIO(image.data)).convert("L")
        img = img.resize((img.width * 4, img.height * 4), Image.NEAREST)
        found += [b.text for b in zxingcpp.read_barcodes(img)]
    return found


@pytest.mark.prints
@pytest.mark.parametrize("how", ["missing", "damaged"])
def test_lost_cached_sheet_is_printed_again_identical(
    how: str, approved: Any, as_user: Any, enterprise_a: Any, storage: Storage, caplog: pytest.LogCaptureFixture
) -> None:
    sub = approved.approved_submission
    client = as_user(enterprise_a)
    first = client.get(reverse("printing:print", args=[sub.pk]))
    assert first.status_code == 200
    (cached,) = RenderedPdf.objects.filter(submission=sub)
    damage(storage, cached.blob, how=how)

    again = client.get(reverse("printing:print", args=[sub.pk]))
    # The renderer is deterministic (fixed approval time, no PDF identifier): the same bytes.
    assert again.status_code == 200 and again.content == first.content
    assert any(cached.blob.sha256 in r.getMessage() for r in caplog.records)
    # Cached again, under a file that is there.
    (recached,) = RenderedPdf.objects.filter(submission=sub)
    assert recached.pk == cached.pk and recached.blob_id != cached.blob_id
    assert storage.exists(recached.blob.storage_name)
    # And the QR code still opens a page that says the sheet is valid.
    [url] = qr_urls(again.content)
    page = Client().get(url.removeprefix("http://testserver"))
    assert page.status_code == 200 and "已通过（有效）" in page.content.decode()


class NoSuchKey(Exception):
    """What an object store's client raises for a missing key (botocore's ClientError, say)."""


def test_a_backends_own_missing_error_is_unavailable_too(
    approved: Any, as_user: Any, enterprise_a: Any, storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    item = Attachment.objects.filter(filing_id=approved.pk).first()
    storage.delete(item.blob.storage_name)

    def s3_open(name: str, mode: str = "rb") -> Any:
        raise NoSuchKey(name)

    monkeypatch.setattr(storage, "open", s3_open)
    resp = as_user(enterprise_a).get(reverse("documents:attachment", args=[item.pk]))
    assert resp.status_code == 503
