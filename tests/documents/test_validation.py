"""What counts as an acceptable attachment: every file here is generated in tests/documents/pdfs.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from laowu.documents import validation
from laowu.documents.validation import InvalidAttachment, format_size, validate_pdf
from tests.documents import pdfs
from tests.factories import make_pdf_bytes

MB = 1024 * 1024

VALID: dict[str, Callable[[], bytes]] = {
    "pikepdf": pdfs.valid_pdf,
    "factories.make_pdf_bytes": make_pdf_bytes,
    "object and xref streams": pdfs.xref_stream_pdf,
    "linearized": pdfs.linearized_pdf,
    "incremental update": pdfs.incremental_update_pdf,
    "stale startxref, repaired by qpdf": pdfs.stale_xref_pdf,
    "Pillow scan": pdfs.pillow_pdf,
    "pypdf": pdfs.pypdf_pdf,
    "WeasyPrint with CJK fonts and a link": pdfs.weasyprint_pdf,
    "hand-written object stream": lambda: pdfs.object_stream_pdf([b"<< /A 1 >>"]),
    "uncompressed object stream": lambda: pdfs.object_stream_pdf([b"<< /A 1 >>"], encoding="none"),
}


@pytest.mark.parametrize("make", VALID.values(), ids=VALID.keys())
def test_pdfs_from_common_tools_pass(make: Callable[[], bytes]) -> None:
    validate_pdf(make())


def test_active_names_in_text_are_not_active_content() -> None:
    """Words like /JavaScript inside strings, or in an object stream, must not refuse a good file."""
    import io

    import pikepdf

    pdf = pikepdf.open(io.BytesIO(pdfs.valid_pdf()))
    pdf.docinfo["/Title"] = "/JS /JavaScript /Launch /EmbeddedFiles /EF /FileAttachment"
    out = io.BytesIO()
    pdf.save(out)
    validate_pdf(out.getvalue())
    validate_pdf(pdfs.object_stream_pdf([b"(/JavaScript /Launch)", b"<< /Title (/EF) >>"]))


def test_padded_pdf_just_under_the_limit_passes() -> None:
    data = pdfs.padded_pdf(5 * MB - 8192)
    assert 5 * MB - 8192 < len(data) <= 5 * MB
    validate_pdf(data)


REFUSED: dict[str, tuple[Callable[[], bytes], str, str]] = {
    "PNG renamed .pdf": (pdfs.png_bytes, "not_pdf", "只能上传PDF格式的文件"),
    "text file renamed .pdf": (lambda: pdfs.TEXT_BYTES, "not_pdf", "只能上传PDF格式的文件"),
    "%PDF- not at byte 0": (pdfs.pdf_not_at_start, "not_pdf", "只能上传PDF格式的文件"),
    "lowercase header": (lambda: b"%pdf-" + pdfs.valid_pdf()[5:], "not_pdf", "只能上传PDF格式的文件"),
    "garbage after the header": (pdfs.garbage_after_header, "damaged", "文件已损坏或不完整"),
    "no pages": (pdfs.no_pages_pdf, "no_pages", "没有任何页面"),
    "user password": (pdfs.encrypted_pdf, "encrypted", "加密"),
    "owner password only": (pdfs.owner_only_encrypted_pdf, "encrypted", "加密"),
    "JavaScript open action": (pdfs.javascript_open_action_pdf, "javascript", "JavaScript"),
    "JavaScript in a link annotation /AA": (pdfs.javascript_annotation_aa_pdf, "javascript", "JavaScript"),
    "JavaScript on page open, script in a stream": (pdfs.javascript_page_aa_pdf, "javascript", "JavaScript"),
    "/Names /JavaScript tree": (pdfs.javascript_name_tree_pdf, "javascript", "JavaScript"),
    "unreferenced JavaScript object": (pdfs.javascript_unreferenced_pdf, "javascript", "JavaScript"),
    "#-escaped names": (pdfs.javascript_escaped_names_pdf, "javascript", "JavaScript"),
    "/S as an indirect name": (pdfs.javascript_indirect_name_pdf, "javascript", "JavaScript"),
    "JavaScript in a compressed object stream": (
        lambda: pdfs.object_stream_pdf([b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>"]),
        "javascript",
        "JavaScript",
    ),
    "launch open action": (pdfs.launch_action_pdf, "launch", "启动外部程序"),
    "launch in an annotation": (pdfs.launch_in_annotation_pdf, "launch", "启动外部程序"),
    "/EmbeddedFiles": (pdfs.embedded_file_pdf, "embedded_file", "内嵌了其他文件"),
    "/FileAttachment annotation": (pdfs.file_attachment_annotation_pdf, "embedded_file", "内嵌了其他文件"),
    "stray /EmbeddedFile stream": (pdfs.embedded_file_stream_only_pdf, "embedded_file", "内嵌了其他文件"),
    "object stream with a non-Flate filter": (
        lambda: pdfs.object_stream_pdf([b"<< /A 1 >>"], encoding="hex"),
        "too_complex",
        "过于复杂",
    ),
}


@pytest.mark.parametrize(("make", "code", "words"), REFUSED.values(), ids=REFUSED.keys())
def test_refused_with_its_message(make: Callable[[], bytes], code: str, words: str) -> None:
    with pytest.raises(InvalidAttachment) as exc:
        validate_pdf(make())
    assert exc.value.code == code
    assert words in exc.value.message
    assert str(exc.value) == exc.value.message


def test_script_hidden_in_object_stream_is_not_visible_in_the_bytes() -> None:
    # The point of scanning parsed objects: a byte search of the upload would miss these.
    for data in (pdfs.javascript_annotation_aa_pdf(), pdfs.object_stream_pdf([b"<< /S /JavaScript /JS (x) >>"])):
        assert b"JavaScript" not in data
        with pytest.raises(InvalidAttachment, match="JavaScript"):
            validate_pdf(data)


def test_empty_file() -> None:
    with pytest.raises(InvalidAttachment) as exc:
        validate_pdf(b"")
    assert exc.value.code == "empty" and "文件为空" in exc.value.message


@pytest.mark.parametrize("fraction", [0.05, 0.3, 0.5, 0.8, 0.95, 0.995])
def test_truncated_pdf_is_damaged(fraction: float) -> None:
    with pytest.raises(InvalidAttachment) as exc:
        validate_pdf(pdfs.truncated_pdf(fraction))
    assert exc.value.code == "damaged"
    assert exc.value.message.startswith("文件已损坏或不完整")


def test_truncated_large_scan_is_damaged() -> None:
    # Cut inside the image data: qpdf could still open the start, but the upload is incomplete.
    data = pdfs.padded_pdf(200_000)
    with pytest.raises(InvalidAttachment, match="文件已损坏或不完整"):
        validate_pdf(pdfs.truncated_pdf(0.7, data))


def test_over_the_default_limit() -> None:
    data = pdfs.padded_pdf(5 * MB + 1)
    with pytest.raises(InvalidAttachment) as exc:
        validate_pdf(data)
    assert exc.value.code == "too_large"
    assert exc.value.message.startswith("文件大小超过5MB（该文件约5.1MB）")


def test_smaller_max_bytes() -> None:
    data = pdfs.valid_pdf(pages=3)
    validate_pdf(data, max_bytes=len(data))
    with pytest.raises(InvalidAttachment) as exc:
        validate_pdf(data, max_bytes=len(data) - 1)
    assert exc.value.code == "too_large"


def test_limit_and_message_follow_the_setting(settings: Any) -> None:
    settings.LAOWU_ATTACHMENT_MAX_BYTES = 2 * MB
    data = pdfs.padded_pdf(2 * MB + 300_000)
    with pytest.raises(InvalidAttachment) as exc:
        validate_pdf(data)
    assert exc.value.message.startswith("文件大小超过2MB（该文件约2.3MB）")


def test_format_size() -> None:
    assert format_size(5 * MB) == "5MB"
    assert format_size(5 * MB + 1, round_up=True) == "5.1MB"
    assert format_size(int(2.5 * MB)) == "2.5MB"
    assert format_size(800 * 1024) == "800KB"
    assert format_size(10) == "10B"


def test_too_many_objects(monkeypatch: pytest.MonkeyPatch) -> None:
    data = pdfs.valid_pdf(pages=10)
    monkeypatch.setattr(validation, "MAX_OBJECTS", 10)
    with pytest.raises(InvalidAttachment) as exc:
        validate_pdf(data)
    assert exc.value.code == "too_complex"


def test_object_stream_bomb_is_refused_without_inflating_it(monkeypatch: pytest.MonkeyPatch) -> None:
    # 8MB of spaces in an object stream, a few KB on disk; the budget is lowered to keep the test quick.
    data = pdfs.object_stream_pdf([b"<< /A 1 >>"], padding=8 * MB)
    assert len(data) < 20_000
    monkeypatch.setattr(validation, "MAX_OBJECT_STREAM_BYTES", 2 * MB)
    with pytest.raises(InvalidAttachment) as exc:
        validate_pdf(data)
    assert exc.value.code == "too_complex"
    assert "过于复杂" in exc.value.message


def test_qpdf_flate_limit_is_set() -> None:
    import pikepdf.settings

    limit = pikepdf.settings.get_qpdf_limits()["flate_max_memory"]
    assert 0 < int(limit) <= validation.QPDF_FLATE_MAX_MEMORY
