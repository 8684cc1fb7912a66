"""Deciding whether uploaded bytes are an acceptable attachment.

Judged by content, never by the file name or the browser's content type: both are set
by the client. An attachment is a plain PDF that any viewer opens as is, so anything
that could act when opened (scripts, launch actions, embedded files) or cannot be
opened by the reviewer (encrypted, damaged) is refused with a message the enterprise
can act on.

Active content is looked for in every object in the file's cross-reference table,
reachable from the catalog or not: a viewer may find an unreferenced object, and
scripts are usually tucked into annotations or compressed object streams rather than
the catalog. To stay fast on large files this runs in two steps: a byte search over
everything qpdf parses objects from (the file itself and the inflated object streams)
for the names involved, in any #-escaped spelling; only when one turns up is each
object examined, so a stray "/JS" in image data costs time but never a wrong refusal.
"""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import math
import re
import zlib
from typing import Any

import pikepdf
import pikepdf.settings
from django.conf import settings

log = logging.getLogger(__name__)

PDF_MAGIC = b"%PDF-"
# PDF readers (Acrobat's documented rule) look for the end marker only in the last
# 1024 bytes; without it there the upload was cut off, even when qpdf can patch it up.
EOF_MARKER = b"%%EOF"
EOF_WINDOW = 1024

MSG_EMPTY = "文件为空，请重新选择要上传的PDF文件。"
MSG_TOO_LARGE = "文件大小超过{limit}（该文件约{size}），请压缩或减少页数后重新上传。"
MSG_NOT_PDF = "只能上传PDF格式的文件。该文件不是PDF（仅把扩展名改为.pdf无效），请用扫描仪或“打印为PDF”生成后上传。"
MSG_DAMAGED = "文件已损坏或不完整，无法作为PDF打开，请重新生成或重新扫描后上传。"
MSG_NO_PAGES = "该PDF文件没有任何页面，请重新生成后上传。"
MSG_ENCRYPTED = "该PDF文件已加密或设有密码保护，审核人员无法查看，请取消密码后重新上传。"
MSG_JAVASCRIPT = "该PDF文件含有脚本（JavaScript），出于安全考虑不能上传，请用“打印为PDF”另存后重新上传。"
MSG_LAUNCH = "该PDF文件含有启动外部程序的动作，出于安全考虑不能上传，请用“打印为PDF”另存后重新上传。"
MSG_EMBEDDED = "该PDF文件内嵌了其他文件，不能上传。请把内嵌文件删除，或用“打印为PDF”另存后重新上传。"
MSG_TOO_COMPLEX = "该PDF文件结构异常或过于复杂，无法完成安全检查，请用“打印为PDF”另存后重新上传。"
MSG_TOO_MANY_PAGES = "该PDF文件页数超过{limit}页的上限，请拆分成几个文件或只保留需要的页面后重新上传。"
MSG_TRAILING_DATA = (
    "该PDF文件的结束标记（%%EOF）之后还附加了其他数据，可能夹带了其他文件，出于安全考虑不能上传，"
    "请用“打印为PDF”另存后重新上传。"
)
MSG_POLYGLOT = (
    "该PDF文件中夹带了网页代码或压缩包（HTML、脚本或ZIP），出于安全考虑不能上传，请用“打印为PDF”另存后重新上传。"
)

# Bounds on the work one upload can cause. A 5MB PDF from a scanner or an office suite
# has a few hundred to a few thousand objects whose object streams inflate to a few
# MB; a synthetic 5MB file packed with tiny objects has ~160,000 objects and ~21MB of
# object streams. Past these bounds the file is refused rather than parsed: parsing is
# the work an attacker would make us do.
MAX_OBJECTS = 100_000
MAX_OBJECT_STREAM_BYTES = 64 * 1024 * 1024
_INFLATE_CHUNK = 1024 * 1024

# qpdf inflates the cross-reference stream while opening, before any check here runs;
# this caps what one Flate stream may inflate to (a 5MB upload could otherwise become
# gigabytes). The setting is process-wide, so it is only ever lowered, and it leaves
# room for any real stream (an A4 page scanned at 600 dpi in RGB is ~105MB).
QPDF_FLATE_MAX_MEMORY = 128 * 1024 * 1024
_flate_limit = int(pikepdf.settings.get_qpdf_limits()["flate_max_memory"])
if _flate_limit == 0 or _flate_limit > QPDF_FLATE_MAX_MEMORY:
    pikepdf.settings.set_qpdf_limits(flate_max_memory=QPDF_FLATE_MAX_MEMORY)

# The names that mark active content. /S /JavaScript and /S /Launch contain them too.
_ACTIVE_NAMES = ("FileAttachment", "EmbeddedFiles", "EmbeddedFile", "JavaScript", "Launch", "JS", "EF")


def _raw_name_pattern(name: str) -> bytes:
    # In PDF syntax any character of a name may be written as #XX: /J#53 is /JS.
    parts = []
    for ch in name:
        hex_digits = "".join(f"[{c}{c.lower()}]" if c.isalpha() else c for c in f"{ord(ch):02X}")
        parts.append(f"(?:{re.escape(ch)}|#{hex_digits})")
    return "".join(parts).encode()


# A name ends at whitespace or a delimiter; /JSON is not /JS.
_RAW_ACTIVE_NAME = re.compile(
    rb"/(?:" + b"|".join(_raw_name_pattern(n) for n in _ACTIVE_NAMES) + rb")(?![^\x00\t\n\x0c\r ()<>\[\]{}/%])"
)
_RAW_OVERLAP = 64  # longer than any escaped spelling, so a match split across chunks is still found

# In qpdf's JSON (version 2) dictionary keys and names are strings starting with "/"
# while PDF strings start with "u:" or "b:", so these quoted forms only ever match a key
# or a name, never text. Escapes are already decoded there.
_JSON_ACTIVE_NAME = re.compile(rb'"/(?:' + b"|".join(n.encode() for n in _ACTIVE_NAMES) + rb')"')

# What PDF syntax counts as whitespace (ISO 32000-1 7.2.2): the only bytes allowed after the
# last %%EOF. Anything else there is a second file riding on the PDF (a ZIP, a web page)
# that another program would open instead; an incremental update ends in its own %%EOF.
_PDF_WHITESPACE = b"\x00\t\n\x0c\r "

# Polyglots: bytes that make the same file open as a web page or a ZIP archive elsewhere.
# A browser sniffing the file, or a mail gateway unpacking it, sees these markers in the
# raw bytes, compressed streams or not, so the raw bytes are what is searched. The
# character after the tag name keeps ordinary words ("<htmlfoo") from matching.
_HTML_MARKER = re.compile(
    rb"<(?:!doctype[\s>]|html[\s>/]|head[\s>]|body[\s>/]|script[\s>/]|iframe[\s>/]|svg[\s>/]|meta[\s/])",
    re.IGNORECASE,
)
# A ZIP local file header: signature, then version needed (< 0x40), flags, a compression
# method a ZIP reader knows, ... and a name length of 1 to 1023. Four signature bytes alone
# turn up by chance in about one 5MB scan in a thousand; with the fields checked, never.
_ZIP_LOCAL_HEADER = re.compile(
    rb"PK\x03\x04[\x00-\x3f]\x00..(?:\x00|\x08|\x09|\x0c|\x0e|\x5d|\x5f|\x62)\x00.{16}"
    rb"(?:[\x01-\xff][\x00-\x03]|\x00[\x01-\x03])",
    re.DOTALL,
)
# The end-of-central-directory record a ZIP reader looks for in the last 64KB of a file.
_ZIP_END = b"PK\x05\x06"
_ZIP_END_WINDOW = 65_536 + 22


class InvalidAttachment(Exception):
    """An upload refused by content. `message` is shown to the user as is; `code` is for callers and tests."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def format_size(num_bytes: int, *, round_up: bool = False) -> str:
    """A size as people read it on a form: "5MB", "2.5MB", "800KB".

    `round_up` for a file's own size, so one just over a 5MB limit reads "5.1MB", not "5MB".
    """
    rounding = math.ceil if round_up else round
    mib = 1024 * 1024
    if num_bytes >= mib:
        return f"{rounding(num_bytes * 10 / mib) / 10:.1f}".removesuffix(".0") + "MB"
    if num_bytes >= 1024:
        return f"{rounding(num_bytes / 1024)}KB"
    return f"{num_bytes}B"


def max_attachment_bytes() -> int:
    return int(settings.LAOWU_ATTACHMENT_MAX_BYTES)


def too_large(size: int, max_bytes: int) -> InvalidAttachment:
    return InvalidAttachment(
        MSG_TOO_LARGE.format(limit=format_size(max_bytes), size=format_size(size, round_up=True)), code="too_large"
    )


def max_pdf_pages() -> int:
    return int(settings.LAOWU_PDF_MAX_PAGES)


def validate_pdf(data: bytes, *, max_bytes: int | None = None) -> None:
    """Raise InvalidAttachment unless `data` is a plain, complete, unencrypted PDF and nothing else.

    Bounded work: the byte checks are linear in the file, the object streams are inflated
    against a budget, and the page tree is walked only up to the page limit.
    """
    limit = max_attachment_bytes() if max_bytes is None else max_bytes
    if not data:
        raise InvalidAttachment(MSG_EMPTY, code="empty")
    if len(data) > limit:
        raise too_large(len(data), limit)
    if not data.startswith(PDF_MAGIC):
        raise InvalidAttachment(MSG_NOT_PDF, code="not_pdf")
    if EOF_MARKER not in data[-EOF_WINDOW:]:
        raise InvalidAttachment(MSG_DAMAGED, code="damaged")
    if _HTML_MARKER.search(data) or _ZIP_LOCAL_HEADER.search(data) or _ZIP_END in data[-_ZIP_END_WINDOW:]:
        raise InvalidAttachment(MSG_POLYGLOT, code="polyglot")
    if data[data.rindex(EOF_MARKER) + len(EOF_MARKER) :].strip(_PDF_WHITESPACE):
        raise InvalidAttachment(MSG_TRAILING_DATA, code="trailing_data")
    try:
        # qpdf repairs small damage (a stale xref offset, a missing /Resources) the way
        # viewers do; such files open everywhere and are accepted. Only what cannot be
        # opened, or loses objects on the way, counts as broken. Page attributes are not
        # pushed down to each page: nothing here needs it, and it walks every page.
        with pikepdf.open(io.BytesIO(data), inherit_page_attributes=False) as pdf:
            if pdf.is_encrypted:
                # Owner-password-only files open without a password but restrict
                # printing or copying, which the committee needs.
                raise InvalidAttachment(MSG_ENCRYPTED, code="encrypted")
            suspect_in_object_streams = _check_object_streams(pdf)
            if _page_count(pdf) < 1:
                raise InvalidAttachment(MSG_NO_PAGES, code="no_pages")
            _check_page_count(pdf, max_pdf_pages())
            if suspect_in_object_streams or _RAW_ACTIVE_NAME.search(data):
                _refuse_active_content(pdf)
    except InvalidAttachment:
        raise
    except pikepdf.PasswordError as exc:
        raise InvalidAttachment(MSG_ENCRYPTED, code="encrypted") from exc
    except Exception as exc:
        # qpdf reports damage through several exception types; to the user they are
        # all the same: this file cannot be opened.
        log.info("attachment refused as damaged: %s: %s", type(exc).__name__, exc)
        raise InvalidAttachment(MSG_DAMAGED, code="damaged") from exc


def _too_complex(reason: str) -> InvalidAttachment:
    log.info("attachment refused as too complex: %s", reason)
    return InvalidAttachment(MSG_TOO_COMPLEX, code="too_complex")


def _check_object_streams(pdf: pikepdf.Pdf) -> bool:
    """Bound the file's structure before qpdf parses it; True if an object stream may hold active content.

    The xref table is read without inflating anything; object streams are inflated
    here in chunks against a running budget, so a small file cannot make the server
    inflate gigabytes, and searched for the active names on the way.
    """
    xref = pdf.get_xref_table()
    if len(xref) > MAX_OBJECTS:
        raise _too_complex(f"{len(xref)} objects")
    budget = MAX_OBJECT_STREAM_BYTES
    suspect = False
    for number in sorted({entry.obj_stream_number for entry in xref.values() if entry.type == 2}):
        stream = pdf.get_object(number, 0)
        if not isinstance(stream, pikepdf.Stream):
            continue  # qpdf cannot load the objects it is meant to hold; the scan treats that as damage
        raw = stream.read_raw_bytes()
        filters = stream.get("/Filter")
        names = [filters] if isinstance(filters, pikepdf.Name) else list(filters or [])
        if not names:
            size, found = len(raw), _RAW_ACTIVE_NAME.search(raw) is not None
        elif names == [pikepdf.Name.FlateDecode]:
            try:
                size, found = _inflate_and_search(raw, limit=budget)
            except zlib.error as exc:
                raise InvalidAttachment(MSG_DAMAGED, code="damaged") from exc
        else:
            # Every common writer compresses object streams with Flate alone; other
            # filters (LZW, chains of filters) inflate without any bound qpdf enforces.
            raise _too_complex(f"object stream {number} filters {names}")
        if size > budget:
            raise _too_complex("object streams inflate past the budget")
        budget -= size
        # With a predictor the inflated bytes are not the object text, so they cannot be searched.
        suspect = suspect or found or stream.get("/DecodeParms") is not None
    return suspect


def _inflate_and_search(raw: bytes, *, limit: int) -> tuple[int, bool]:
    """(inflated size, whether an active name occurs), stopping once past `limit`; holds one chunk at a time."""
    inflater = zlib.decompressobj()
    size = 0
    found = False
    tail = b""
    data = raw
    while size <= limit:
        out = inflater.decompress(data, _INFLATE_CHUNK)
        data = inflater.unconsumed_tail
        if not out:
            break
        size += len(out)
        if not found:
            window = tail + out
            found = _RAW_ACTIVE_NAME.search(window) is not None
            tail = window[-_RAW_OVERLAP:]
    return size, found


def _page_count(pdf: pikepdf.Pdf) -> int:
    # The page tree's own count, as viewers use it: walking a large tree costs seconds.
    pages = pdf.Root.get("/Pages")
    if not isinstance(pages, pikepdf.Dictionary):
        return 0
    count = pages.get("/Count", 0)
    return count if isinstance(count, int) else 0


def _too_many_pages(limit: int) -> InvalidAttachment:
    return InvalidAttachment(MSG_TOO_MANY_PAGES.format(limit=limit), code="too_many_pages")


def _check_page_count(pdf: pikepdf.Pdf, limit: int) -> None:
    """Refuse more than `limit` pages, by the declared count and by the page tree itself.

    The declared /Count is what a viewer believes, but a file may understate it; the walk
    counts the leaves and stops one past the limit, so a 20,000-page file costs no more
    than a 201-page one. Nodes seen twice (a cycle) or far more nodes than the limit
    needs are a structure no writer produces.
    """
    if _page_count(pdf) > limit:
        raise _too_many_pages(limit)
    leaves = 0
    seen: set[tuple[int, int]] = set()
    stack = [pdf.Root.get("/Pages")]
    while stack:
        node = stack.pop()
        if not isinstance(node, pikepdf.Dictionary):
            continue
        if node.is_indirect:
            if node.objgen in seen:
                raise _too_complex("page tree has a cycle")
            seen.add(node.objgen)
        if len(seen) > 4 * limit + 100:
            raise _too_complex("page tree has too many nodes")
        kids = node.get("/Kids")
        if node.get("/Type") == pikepdf.Name.Page or not isinstance(kids, pikepdf.Array):
            leaves += 1
            if leaves > limit:
                raise _too_many_pages(limit)
            continue
        if len(kids) > limit + 1:
            raise _too_many_pages(limit)
        stack.extend(kids)


def _refuse_active_content(pdf: pikepdf.Pdf) -> None:
    # Each object is serialised by qpdf in C++ (direct sub-dictionaries included), so
    # the Python side runs a regex per object and parses only the objects that match.
    for obj in pdf.objects:
        if obj is None:
            # A null in the table is either written as null (harmless) or an object qpdf
            # could not read, which a viewer might still read, unchecked.
            if pdf.get_warnings():
                raise InvalidAttachment(MSG_DAMAGED, code="damaged")
            continue
        _check_json(obj.to_json(dereference=True))
    _check_json(pdf.trailer.to_json(dereference=True))


def _check_json(blob: bytes) -> None:
    if _JSON_ACTIVE_NAME.search(blob) is None:
        return
    top = json.loads(blob)
    if isinstance(top, str):
        # An indirect name object: `/S 7 0 R` with `7 0 obj /JavaScript` is still a script
        # action to a viewer. Real files do not store these names indirectly.
        _check_dictionary({"/S": top, "/Type": top, "/Subtype": top})
    stack: list[Any] = [top]
    while stack:
        value = stack.pop()
        if isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, dict):
            # A stream serialises as its dictionary, so stream dictionaries are checked too.
            _check_dictionary(value)
            stack.extend(value.values())


def _check_dictionary(d: dict[str, Any]) -> None:
    action = d.get("/S")
    if "/JS" in d or "/JavaScript" in d or action == "/JavaScript":
        # /JS: a script action; /JavaScript: the document-level script name tree.
        raise InvalidAttachment(MSG_JAVASCRIPT, code="javascript")
    if action == "/Launch":
        raise InvalidAttachment(MSG_LAUNCH, code="launch")
    if (
        "/EmbeddedFiles" in d
        or "/EF" in d
        or d.get("/Type") == "/EmbeddedFile"
        or d.get("/Subtype") == "/FileAttachment"
    ):
        raise InvalidAttachment(MSG_EMBEDDED, code="embedded_file")


# ---------------------------------------------------------------- photos (JPEG / PNG)

JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# One decoded picture may take at most this much memory. Pillow keeps RGB, RGBA and CMYK at
# 4 bytes a pixel, so the default 25 million pixels (LAOWU_IMAGE_MAX_PIXELS) is exactly this.
MAX_DECODED_BYTES = 100 * 1024 * 1024
# A progressive JPEG decodes every scan over the whole picture: a few kilobytes of scans
# can cost minutes of CPU. Cameras and phones write at most a dozen or so.
MAX_JPEG_SCANS = 100
MSG_NOT_PDF_OR_IMAGE = "只能上传PDF文件或JPEG、PNG格式的照片。该文件不是其中任何一种（仅修改扩展名无效），请重新选择。"
MSG_IMAGE_DAMAGED = "照片已损坏或不完整，无法打开，请重新拍摄或导出后上传。"
MSG_IMAGE_TOO_BIG = "照片像素过大（该照片{width}×{height}，超过{limit}万像素），请缩小后重新上传。"

EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


@dataclasses.dataclass(frozen=True)
class CheckedFile:
    """An accepted upload: the bytes to store (a photo re-encoded, a PDF as sent), its real
    content type and the file extension that goes with it."""

    data: bytes
    content_type: str

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.content_type]


def max_image_pixels() -> int:
    return int(settings.LAOWU_IMAGE_MAX_PIXELS)


def check_pdf(data: bytes, *, max_bytes: int | None = None) -> CheckedFile:
    validate_pdf(data, max_bytes=max_bytes)
    return CheckedFile(data=data, content_type="application/pdf")


def check_pdf_or_image(data: bytes, *, max_bytes: int | None = None) -> CheckedFile:
    """A PDF (checked as `validate_pdf`) or a JPEG/PNG photo, judged by content.

    A photo is re-encoded from its pixels, and the new bytes are what is stored: metadata
    (EXIF with its GPS position, comments), anything appended after the picture and any
    second file hidden in it are gone. The picture's size is read from its header and
    refused before a single pixel is decoded.
    """
    limit = max_attachment_bytes() if max_bytes is None else max_bytes
    if not data:
        raise InvalidAttachment(MSG_EMPTY, code="empty")
    if len(data) > limit:
        raise too_large(len(data), limit)
    if data.startswith(PDF_MAGIC):
        return check_pdf(data, max_bytes=limit)
    if data.startswith(JPEG_MAGIC):
        if data.count(b"\xff\xda") > MAX_JPEG_SCANS:
            # Inside entropy-coded data every 0xFF is followed by 0x00, so this pair is
            # always a start-of-scan marker (or one in an embedded thumbnail).
            raise InvalidAttachment(MSG_IMAGE_DAMAGED, code="image_damaged")
        return CheckedFile(data=_reencoded(data, "JPEG"), content_type="image/jpeg")
    if data.startswith(PNG_MAGIC):
        return CheckedFile(data=_reencoded(data, "PNG"), content_type="image/png")
    raise InvalidAttachment(MSG_NOT_PDF_OR_IMAGE, code="not_pdf_or_image")


def validate_pdf_or_image(data: bytes, *, max_bytes: int | None = None) -> str:
    """Validate a PDF or a JPEG/PNG photo by content; returns the content type to serve it as."""
    return check_pdf_or_image(data, max_bytes=max_bytes).content_type


def _decoded_bytes(width: int, height: int, mode: str) -> int:
    # Pillow's own storage: 1 byte a pixel for 1/L/P, 2 for the 16-bit modes, else 4.
    per_pixel = 1 if mode in ("1", "L", "P") else 2 if mode.startswith("I;16") else 4
    return width * height * per_pixel


def _reencoded(data: bytes, expected: str) -> bytes:
    from PIL import Image, ImageOps

    # Phones save multi-picture JPEGs (Ultra HDR, MPO); Pillow names those "MPO".
    formats = ["JPEG", "MPO"] if expected == "JPEG" else ["PNG"]
    max_pixels = max_image_pixels()
    try:
        # Image.open reads the header only; nothing is decoded until load().
        with Image.open(io.BytesIO(data), formats=formats) as img:
            width, height = img.size
            if width * height > max_pixels or _decoded_bytes(width, height, img.mode) > MAX_DECODED_BYTES:
                raise InvalidAttachment(
                    MSG_IMAGE_TOO_BIG.format(width=width, height=height, limit=max_pixels // 10_000),
                    code="image_too_big",
                )
            img.verify()  # chunk checksums (PNG); decoding below finds truncated data
        with Image.open(io.BytesIO(data), formats=formats) as img:
            img.load()
            # Stripping EXIF drops the orientation flag, so turn the pixels upright first.
            ImageOps.exif_transpose(img, in_place=True)
            return _encode(img, expected)
    except InvalidAttachment:
        raise
    except Image.DecompressionBombError as exc:
        raise InvalidAttachment(
            MSG_IMAGE_TOO_BIG.format(width="?", height="?", limit=max_pixels // 10_000), code="image_too_big"
        ) from exc
    except Exception as exc:
        log.info("image refused as damaged: %s: %s", type(exc).__name__, exc)
        raise InvalidAttachment(MSG_IMAGE_DAMAGED, code="image_damaged") from exc


def _encode(img: Any, fmt: str) -> bytes:
    """The pixels alone, in the same format; no EXIF, ICC profile, text chunks or comments."""
    out = io.BytesIO()
    transparency = img.info.get("transparency")
    # Pillow's encoders copy some of the source's metadata (a JPEG comment, a PNG's ICC
    # profile and EXIF) from `info` unless told otherwise; nothing of it may pass.
    img.info = {}
    if fmt == "JPEG":
        if img.mode not in ("L", "RGB", "CMYK"):
            img = img.convert("RGB")
        # "keep" reuses the original's quantisation tables, so the file neither grows nor
        # loses more detail; it needs the JPEG itself, not the first frame of an MPO.
        quality: int | str = "keep" if getattr(img, "format", None) == "JPEG" else 90
        img.save(out, "JPEG", quality=quality)
    else:
        extra: dict[str, Any] = {}
        if img.mode not in ("1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"):
            img = img.convert("RGBA")
        if transparency is not None:
            extra["transparency"] = transparency
        img.save(out, "PNG", **extra)
    return out.getvalue()
