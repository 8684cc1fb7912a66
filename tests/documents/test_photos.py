"""Photos as evidence (现场检查, 整改): JPEG and PNG judged by content, PDFs still checked as PDFs."""

from __future__ import annotations

import io
import struct
import zlib
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from laowu.documents.models import Attachment
from laowu.documents.validation import InvalidAttachment, validate_pdf_or_image
from tests.documents import pdfs


def photo(fmt: str = "JPEG", size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(out, format=fmt)
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge picture: a decompression bomb's shape."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b"")


def test_jpeg_png_and_pdf_pass_with_their_type() -> None:
    assert validate_pdf_or_image(photo("JPEG")) == "image/jpeg"
    assert validate_pdf_or_image(photo("PNG")) == "image/png"
    assert validate_pdf_or_image(pdfs.valid_pdf()) == "application/pdf"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty"),
        (b"GIF89a" + b"\0" * 100, "not_pdf_or_image"),
        (b"\xff\xd8\xff\xe0 not really a jpeg", "image_damaged"),
        (photo("JPEG")[:200], "image_damaged"),
        (photo("PNG")[:60], "image_damaged"),
        (b"\xff\xd8\xff" + photo("PNG")[3:], "image_damaged"),
        (png_claiming(20_000, 20_000), "image_too_big"),
        (b"%PDF-1.7 broken", "damaged"),
    ],
    ids=["empty", "gif", "jpeg-header-only", "truncated-jpeg", "truncated-png", "png-behind-jpeg-magic", "bomb", "pdf"],
)
def test_bad_photos_refused(data: bytes, code: str) -> None:
    with pytest.raises(InvalidAttachment) as exc:
        validate_pdf_or_image(data)
    assert exc.value.code == code and exc.value.message


def test_size_limit_applies_to_photos() -> None:
    with pytest.raises(InvalidAttachment) as exc:
        validate_pdf_or_image(photo("PNG", (400, 400)), max_bytes=100)
    assert exc.value.code == "too_large"


def test_photo_only_into_kinds_that_take_photos(filing_in_state: Any, enterprise_a: Any) -> None:
    from laowu.documents.services import add_attachment

    info = filing_in_state("draft")
    before = Attachment.objects.count()
    with pytest.raises(ValidationError) as exc:
        add_attachment(filing=info, kind="other", upload=SimpleUploadedFile("现场.jpg", photo()), actor=enterprise_a)
    assert "PDF" in " ".join(exc.value.messages)
    assert Attachment.objects.count() == before


def test_multi_picture_jpeg_from_phones_passes() -> None:
    """Android Ultra HDR and many cameras write MPO: a JPEG with more pictures behind it."""
    first, second = Image.new("RGB", (32, 32), (1, 2, 3)), Image.new("RGB", (32, 32), (4, 5, 6))
    out = io.BytesIO()
    first.save(out, format="MPO", save_all=True, append_images=[second])
    assert validate_pdf_or_image(out.getvalue()) == "image/jpeg"
