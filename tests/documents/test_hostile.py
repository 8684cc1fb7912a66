"""Hostile uploads (等保2.0 level 3, OWASP ASVS 12.x): bombs, polyglots and lying names, each
refused with its Chinese message or cleaned before it is stored; ordinary files still pass.

Every file is built in code (tests/documents/pdfs.py and below), so each case says exactly
what makes it hostile.
"""

from __future__ import annotations

import io
import struct
import subprocess
import sys
import textwrap
import zlib
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import Storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from laowu.documents.models import Attachment
from laowu.documents.responses import file_response
from laowu.documents.services import add_attachment, clean_original_name
from laowu.documents.storage import open_blob
from laowu.documents.validation import (
    InvalidAttachment,
    check_pdf_or_image,
    validate_pdf,
)
from laowu.supervision.models import Notice
from tests.documents import pdfs
from tests.documents.conftest import stored_files

# ---------------------------------------------------------------- images built in code


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bomb(width: int = 7070, height: int = 7070) -> bytes:
    """A real, complete PNG of width×height black RGB pixels: every row compresses to almost
    nothing, so 50 million pixels (200MB decoded) fit in about 150KB."""
    packer = zlib.compressobj(9)
    row = b"\0" * (1 + 3 * width)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return pdfs_png_magic() + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


def pdfs_png_magic() -> bytes:
    return b"\x89PNG\r\n\x1a\n"


def jpeg(size: tuple[int, int] = (60, 40), *, orientation: int = 1, comment: bytes = b"") -> bytes:
    """A phone photo: EXIF with an orientation flag, a GPS position and a description."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010E] = "<script>alert(1)</script>"
    exif[0x8825] = {1: "N", 2: (31.0, 25.0, 0.0)}  # GPS IFD: where the photo was taken
    out = io.BytesIO()
    Image.new("RGB", size, (10, 200, 30)).save(out, "JPEG", exif=exif.tobytes(), comment=comment, quality=95)
    return out.getvalue()


def png_with_text(text: bytes) -> bytes:
    """A PNG carrying a tEXt chunk (free text a browser ignores and a sniffer may not), an
    ICC profile and EXIF."""
    from PIL import ImageCms

    out = io.BytesIO()
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    exif = Image.Exif()
    exif[0x010E] = "<script>alert(1)</script>"
    Image.new("RGB", (30, 20), (1, 2, 3)).save(out, "PNG", icc_profile=icc, exif=exif.tobytes())
    data = out.getvalue()
    iend = data.rindex(b"IEND") - 4
    return data[:iend] + _chunk(b"tEXt", b"Comment\0" + text) + data[iend:]


HTML = pdfs.HTML_PAYLOAD


def refused(data: bytes, *, images: bool = False) -> InvalidAttachment:
    with pytest.raises(InvalidAttachment) as exc:
        if images:
            check_pdf_or_image(data)
        else:
            validate_pdf(data)
    assert any("\u4e00" <= c <= "\u9fff" for c in exc.value.message)  # a sentence in Chinese
    return exc.value


# ---------------------------------------------------------------- PDFs: pages


def test_page_bomb_refused_in_every_slot() -> None:
    bomb = pdfs.many_pages_pdf(20_000)
    assert len(bomb) < 5 * 1024 * 1024  # it fits under the size limit: only the page cap stops it
    for images in (False, True):
        exc = refused(bomb, images=images)
        assert exc.code == "too_many_pages" and "200页" in exc.message


@pytest.mark.parametrize(
    "make",
    [
        lambda: pdfs.many_pages_pdf(201),
        lambda: pdfs.many_pages_pdf(20_000, declared=1),  # /Count lies: the walk counts
        lambda: pdfs.many_pages_pdf(20_000, declared=1, fanout=10),  # and under intermediate nodes
        lambda: pdfs.many_pages_pdf(250, fanout=7),
    ],
    ids=["201-pages", "count-lies", "count-lies-nested", "nested"],
)
def test_more_pages_than_the_cap_refused(make: Any) -> None:
    assert refused(make()).code == "too_many_pages"


def test_page_cap_is_a_setting(settings: Any) -> None:
    validate_pdf(pdfs.many_pages_pdf(200))
    validate_pdf(pdfs.many_pages_pdf(200, fanout=9))
    settings.LAOWU_PDF_MAX_PAGES = 5
    validate_pdf(pdfs.valid_pdf(pages=5))
    exc = refused(pdfs.valid_pdf(pages=6))
    assert exc.code == "too_many_pages" and "超过5页" in exc.message


# ---------------------------------------------------------------- PDFs: polyglots and trailing data


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (pdfs.pdf_then_zip, "polyglot"),
        (pdfs.pdf_then_html, "polyglot"),
        (pdfs.zip_inside_pdf, "polyglot"),
        (pdfs.zip_entry_inside_pdf, "polyglot"),
        (lambda: pdfs.zip_entry_inside_pdf("a" * 252 + ".exe"), "polyglot"),  # name length 256: low byte 0
        (pdfs.html_inside_pdf, "polyglot"),
        (pdfs.doctype_inside_pdf, "polyglot"),
        (pdfs.pdf_then_junk, "trailing_data"),
        (lambda: pdfs.valid_pdf() + b"\n%%EOF\nPK\x05\x06" + b"\0" * 18, "polyglot"),
        (lambda: b"<!doctype html>" + pdfs.valid_pdf(), "not_pdf"),
    ],
    ids=[
        "zip-after",
        "html-after",
        "zip-inside",
        "zip-entry",
        "zip-entry-long-name",
        "html-inside",
        "doctype-inside",
        "junk-after",
        "zip-end",
        "html-first",
    ],
)
def test_polyglots_refused(make: Any, code: str) -> None:
    for images in (False, True):
        exc = refused(make(), images=images)
        assert exc.code == ("not_pdf_or_image" if code == "not_pdf" and images else code)
    if code == "polyglot":
        assert "HTML、脚本或ZIP" in exc.message
    if code == "trailing_data":
        assert "%%EOF" in exc.message


@pytest.mark.parametrize(
    "make",
    [
        pdfs.valid_pdf,
        pdfs.pdf_then_whitespace,
        pdfs.incremental_update_pdf,  # several %%EOF: only what follows the last one counts
        pdfs.linearized_pdf,
        pdfs.xref_stream_pdf,
        pdfs.pillow_pdf,
        pdfs.pypdf_pdf,
        pdfs.weasyprint_pdf,
        lambda: pdfs.padded_pdf(3 * 1024 * 1024),  # 3MB of random image data: no chance match
    ],
    ids=[
        "plain",
        "whitespace-after",
        "incremental",
        "linearized",
        "xref-stream",
        "pillow",
        "pypdf",
        "weasyprint",
        "3mb",
    ],
)
def test_ordinary_pdfs_still_pass(make: Any) -> None:
    data = make()
    validate_pdf(data)
    checked = check_pdf_or_image(data)
    assert checked.data == data and checked.content_type == "application/pdf" and checked.extension == "pdf"


def test_zip_signature_by_chance_in_image_data_passes() -> None:
    """Four bytes PK\\x03\\x04 turn up in about one large scan in a thousand; without the rest
    of a ZIP header around them they are not a ZIP."""
    data = pdfs.padded_pdf(200_000)
    at = len(data) // 2  # inside the random image data, which is almost all of the file
    data = data[:at] + b"PK\x03\x04\xff\xff" + data[at + 6 :]
    validate_pdf(data)


# ---------------------------------------------------------------- images


def test_png_bomb_refused_from_its_header() -> None:
    bomb = png_bomb()
    assert len(bomb) < 200_000
    exc = refused(bomb, images=True)
    assert exc.code == "image_too_big" and "7070×7070" in exc.message and "2500万像素" in exc.message


def test_pixel_cap_is_a_setting(settings: Any) -> None:
    settings.LAOWU_IMAGE_MAX_PIXELS = 1000
    assert check_pdf_or_image(jpeg((40, 25))).content_type == "image/jpeg"
    assert refused(jpeg((40, 26)), images=True).code == "image_too_big"


def test_checking_the_png_bomb_stays_small_in_memory() -> None:
    """Four of these at once took a worker from 106MB to 822MB when Pillow decoded them.

    Measured in a fresh interpreter: the peak resident size after checking, less the peak
    before (Django loaded, the bomb built), must stay far below one decoded copy (200MB).
    """
    code = textwrap.dedent(
        """
        import resource, django
        django.setup()
        from laowu.documents.validation import InvalidAttachment, check_pdf_or_image
        from tests.documents.test_hostile import png_bomb
        bombs = [png_bomb() for _ in range(4)]
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        for bomb in bombs:
            try:
                check_pdf_or_image(bomb)
            except InvalidAttachment as exc:
                assert exc.code == "image_too_big", exc.code
            else:
                raise SystemExit("accepted")
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
        """
    )
    repo = Path(__file__).resolve().parents[2]  # so `tests` imports whatever directory pytest ran from
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False, cwd=repo
    )
    assert result.returncode == 0, result.stderr
    grown_kb = int(result.stdout.strip().splitlines()[-1])
    assert grown_kb < 20 * 1024, f"checking four PNG bombs grew the process by {grown_kb} KB"


def test_photo_is_reencoded_without_metadata_or_appended_html() -> None:
    data = jpeg(comment=b"<html><script>alert(1)</script>") + HTML
    checked = check_pdf_or_image(data)
    assert checked.content_type == "image/jpeg" and checked.extension == "jpg"
    assert b"<script" not in checked.data.lower() and b"<html" not in checked.data.lower()
    with Image.open(io.BytesIO(checked.data)) as img:
        assert img.format == "JPEG" and not img.getexif() and "comment" not in img.info
        assert img.getpixel((5, 5))[1] > 150  # still the same green picture


def test_photo_is_turned_upright_before_its_exif_goes() -> None:
    # Orientation 6: the camera held sideways; the stored picture must look the same.
    checked = check_pdf_or_image(jpeg((60, 40), orientation=6))
    with Image.open(io.BytesIO(checked.data)) as img:
        assert img.size == (40, 60)


def test_png_text_chunk_and_appended_zip_are_dropped() -> None:
    data = png_with_text(HTML) + pdfs.zip_bytes()
    assert b"iCCP" in data and b"eXIf" in data and b"tEXt" in data
    checked = check_pdf_or_image(data)
    assert checked.content_type == "image/png"
    assert b"tEXt" not in checked.data and b"<html" not in checked.data and b"PK\x03\x04" not in checked.data
    assert b"iCCP" not in checked.data and b"eXIf" not in checked.data and b"<script" not in checked.data
    with Image.open(io.BytesIO(checked.data)) as img:
        assert img.size == (30, 20) and img.getpixel((0, 0)) == (1, 2, 3)


def test_png_transparency_survives() -> None:
    out = io.BytesIO()
    Image.new("P", (10, 10)).save(out, "PNG", transparency=0)
    with Image.open(io.BytesIO(check_pdf_or_image(out.getvalue()).data)) as img:
        assert img.mode == "P" and img.info.get("transparency") == 0


def test_progressive_jpeg_scan_bomb_refused() -> None:
    data = jpeg()
    end = data.rindex(b"\xff\xd9")
    # Many empty start-of-scan segments: each would make the decoder pass over the picture again.
    data = data[:end] + b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00" * 150 + data[end:]
    assert refused(data, images=True).code == "image_damaged"


# ---------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("given", "extension", "kept"),
    [
        ("x.html", "pdf", "x.pdf"),
        ("营业执照.PDF", "pdf", "营业执照.pdf"),
        ("现场.pdf", "jpg", "现场.jpg"),
        ("现场.jpeg", "jpg", "现场.jpg"),
        ("rtl\u202efdp.exe", "pdf", "rtlfdp.pdf"),
        ("a\u202ab\u202bc\u202cd\u202de\u2066f\u2067g\u2068h\u2069i\u200ej\u200fk.pdf", "pdf", "abcdefghijk.pdf"),
        ("line\u2028break\u2029.png", "png", "linebreak.png"),
        ("e\u0301.pdf", "pdf", "\u00e9.pdf"),  # NFC: one character, as typed on another system
        ("营业执照.2024", "pdf", "营业执照.2024.pdf"),  # ".2024" is no extension
        ("scan", "pdf", "scan.pdf"),
        (".html", "pdf", "附件.pdf"),
        ("\u202e", "jpg", "附件.jpg"),
        ("报告.tar.html", "pdf", "报告.tar.pdf"),
    ],
)
def test_name_gets_the_extension_of_its_content(given: str, extension: str, kept: str) -> None:
    assert clean_original_name(given, extension=extension) == kept


# ---------------------------------------------------------------- what is stored


@pytest.fixture
def notice(reviewer: Any) -> Notice:
    return Notice.objects.create(title="通知", body="正文", created_by=reviewer)


@pytest.mark.django_db
def test_photo_stored_and_served_as_what_it_is(notice: Notice, reviewer: Any, storage: Storage) -> None:
    sent = jpeg() + HTML
    att = add_attachment(
        filing=notice, kind="file", upload=SimpleUploadedFile("现场\u202egpj.pdf", sent), actor=reviewer
    )
    assert att.original_name == "现场gpj.jpg"
    assert att.blob.content_type == "image/jpeg"
    [name] = stored_files(storage)
    assert name.endswith(".jpg") and name == att.blob.storage_name
    stored = open_blob(att.blob)
    assert stored != sent and b"<html" not in stored and stored.startswith(b"\xff\xd8\xff")
    response = file_response(stored, att.original_name, att.blob.content_type)
    assert response["Content-Type"] == "image/jpeg" and response["X-Content-Type-Options"] == "nosniff"
    assert "%E7%8E%B0%E5%9C%BAgpj.jpg" in response["Content-Disposition"]


@pytest.mark.django_db
def test_same_photo_twice_is_one_attachment(notice: Notice, reviewer: Any) -> None:
    data = jpeg()
    first = add_attachment(filing=notice, kind="file", upload=SimpleUploadedFile("a.jpg", data), actor=reviewer)
    second = add_attachment(filing=notice, kind="file", upload=SimpleUploadedFile("b.jpg", data), actor=reviewer)
    assert first.pk == second.pk and Attachment.objects.count() == 1


@pytest.mark.django_db
def test_pdf_named_html_is_stored_as_pdf(notice: Notice, reviewer: Any, storage: Storage) -> None:
    att = add_attachment(
        filing=notice, kind="file", upload=SimpleUploadedFile("x.html", pdfs.valid_pdf()), actor=reviewer
    )
    assert att.original_name == "x.pdf" and att.blob.storage_name.endswith(".pdf")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("make", "message"),
    [
        (pdfs.pdf_then_zip, "夹带了网页代码或压缩包"),
        (lambda: pdfs.many_pages_pdf(20_000), "页数超过200页"),
        (png_bomb, "照片像素过大"),
    ],
    ids=["polyglot", "page-bomb", "png-bomb"],
)
def test_hostile_upload_stores_nothing(
    notice: Notice, reviewer: Any, storage: Storage, make: Any, message: str
) -> None:
    with pytest.raises(ValidationError) as exc:
        add_attachment(filing=notice, kind="file", upload=SimpleUploadedFile("附件.pdf", make()), actor=reviewer)
    assert message in " ".join(exc.value.messages)
    assert Attachment.objects.count() == 0 and stored_files(storage) == []
