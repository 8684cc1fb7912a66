"""The one renderer behind every printed sheet (企业基本情况表, 项目信息表, ...).

A sheet is a title, a subtitle, labelled values grouped in sections, and a footer that
ties the paper to the platform: a serial, the time it was printed, the issuer and a QR
code pointing at the verification page, with that page's address printed under it.
Callers decide what the fields are; this module only decides how a sheet looks, so every
sheet the committee issues looks the same.

Fonts are the Debian Noto CJK families, which WeasyPrint subsets and embeds: a printed
or forwarded PDF shows the same glyphs on any viewer, with or without Chinese fonts. They
are read from their GB 2312 cuts when those are built (fonts.py), a fifth of the work.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import unicodedata
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import segno
import weasyprint
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from . import fonts

DEFAULT_ISSUER = "苏州市相城区建筑业协会建筑劳务专业委员会"
TEMPLATE = "documents/sheet.html"
SHEET_TZ = zoneinfo.ZoneInfo("Asia/Shanghai")

# A value wider than this (in half-width units: a Chinese character counts 2) takes a
# whole row. In a half-width value cell about 15 Chinese characters fit per line, so
# anything past ~20 would wrap into a tall, narrow block that reads badly and wastes the
# neighbouring cell; 经营范围 and addresses go full width, short codes and dates pair up.
WIDE_VALUE_WIDTH = 40

# How many Chinese characters of a label fit on one line of its cell (18 % of the width at
# 9.5 pt). A longer label is wrapped evenly (安全生产许/可证编号 rather than eight characters
# and an orphaned 号): the cell gets a max-width of half the label, in em.
LABEL_LINE_EM = 8

# Printed empty cells get a mark: a blank box on an issued sheet invites a handwritten entry.
EMPTY_VALUE = "/"

# 10 px per module: a typical verify URL (version 5-6) becomes 410-450 px across the 30 mm
# code, about 350-380 dpi, so the bitmap is never the weak link when a phone scans a print.
QR_SCALE = 10
QR_BORDER = 2

Section = tuple[str, Sequence[tuple[str, str]]]


@dataclass(frozen=True)
class SheetCell:
    """One label/value pair; `wide` cells span the value across the rest of the row."""

    label: str
    value: str
    wide: bool

    @property
    def label_em(self) -> str:
        """CSS max-width of the label in em when it needs balanced wrapping, else ""."""
        em = display_width(self.label) / 2
        lines = math.ceil(em / LABEL_LINE_EM)
        if lines <= 1 or "\n" in self.label:
            return ""
        # The slack keeps rounding in the font's advance widths from spilling a third line.
        return f"{math.ceil(em / lines) + 0.25:.2f}"


def display_width(text: str) -> int:
    """Width in half-width units, so Chinese and Latin text are compared fairly."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _is_wide(value: str) -> bool:
    return "\n" in value or display_width(value) > WIDE_VALUE_WIDTH


def layout_rows(fields: Iterable[tuple[str, str]]) -> list[list[SheetCell]]:
    """Pair short fields two per row; wide ones get a row each.

    Fields keep their order: a short field left alone before a wide one stretches across
    the row rather than leaving an empty cell pair, which would look like a missing field.
    """
    rows: list[list[SheetCell]] = []
    pending: SheetCell | None = None
    for label, raw in fields:
        value = (raw or "").strip() or EMPTY_VALUE
        if _is_wide(value):
            if pending is not None:
                rows.append([SheetCell(pending.label, pending.value, wide=True)])
                pending = None
            rows.append([SheetCell(label, value, wide=True)])
        elif pending is None:
            pending = SheetCell(label, value, wide=False)
        else:
            rows.append([pending, SheetCell(label, value, wide=False)])
            pending = None
    if pending is not None:
        rows.append([SheetCell(pending.label, pending.value, wide=True)])
    return rows


def qr_data_uri(url: str) -> str:
    # error="M" (15 %) survives a fold or a stamp across the code; boost_error=False keeps
    # the level fixed, so the printed code's density doesn't vary from sheet to sheet.
    qr = segno.make(url, error="M", micro=False, boost_error=False)
    return qr.png_data_uri(scale=QR_SCALE, border=QR_BORDER)


class SheetURLFetcher(URLFetcher):
    """data: URIs and the cut fonts' own files, nothing else."""

    def __init__(self, allowed_files: frozenset[str]) -> None:
        super().__init__(allowed_protocols={"data", "file"}, fail_on_errors=True)
        self.allowed_files = allowed_files

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        if not url.startswith("data:") and url not in self.allowed_files:
            raise ValueError(f"a sheet loads nothing but its QR code and fonts: {url[:80]}")
        return super().fetch(url, headers)


_thread_fonts = threading.local()


def font_configuration() -> FontConfiguration:
    """This thread's WeasyPrint font configuration, kept across renders. A new one copies the
    cut fonts to a temporary folder and loads them into fontconfig again on every sheet, about
    about a quarter of a render; one per thread, because Pango's font map is
    not thread-safe. Replaced when the font faces change."""
    faces = fonts.font_face_css()
    held = getattr(_thread_fonts, "held", None)
    if held is None or held[0] != faces:
        held = (faces, FontConfiguration())
        _thread_fonts.held = held
    return held[1]


def offline_url_fetcher() -> URLFetcher:
    # The sheet needs nothing but the QR code's data: URI and its fonts. Anything else means
    # the template grew an external reference: fail the render loudly instead of fetching it
    # (a network call in a request) or silently printing a sheet with a hole in it.
    return SheetURLFetcher(fonts.font_urls())


def render_sheet_html(
    *,
    title: str,
    subtitle: str,
    serial: str,
    sections: Sequence[Section],
    verify_url: str,
    issued_at: dt.datetime,
    issuer: str = DEFAULT_ISSUER,
    notes: Sequence[str] = (),
    issued_label: str = "审核通过时间",
) -> str:
    """The HTML that `render_sheet_pdf` prints, for previews and tests."""
    if issued_at.tzinfo is None or issued_at.utcoffset() is None:
        # A naive time could be UTC or local; guessing would misprint the date near midnight.
        raise ValueError("issued_at must be timezone-aware")
    local = issued_at.astimezone(SHEET_TZ)
    context = {
        "title": title,
        "subtitle": subtitle,
        "serial": serial,
        "sections": [(heading, layout_rows(fields)) for heading, fields in sections],
        "qr_src": qr_data_uri(verify_url),
        "verify_url": verify_url,
        "issued_text": local.strftime("%Y年%m月%d日 %H:%M"),
        # What the time is: a filing's approval, a notice's issue (发出时间).
        "issued_label": issued_label,
        "issued_iso": local.isoformat(timespec="seconds"),
        "issuer": issuer,
        "notes": [n for n in notes if n.strip()],
        # Built from fixed names and file paths, not from the sheet's values.
        "font_faces": mark_safe(fonts.font_face_css()),  # noqa: S308  # nosec B308 B703  # fixed font names and paths
    }
    # No request: the sheet must not depend on who prints it, only on what is passed in.
    return render_to_string(TEMPLATE, context)


def render_sheet_pdf(
    *,
    title: str,
    subtitle: str,
    serial: str,
    sections: Sequence[Section],
    verify_url: str,
    issued_at: dt.datetime,
    issuer: str = DEFAULT_ISSUER,
    notes: Sequence[str] = (),
    issued_label: str = "审核通过时间",
) -> bytes:
    """Render an A4 sheet as PDF bytes. Values are text; the template escapes them."""
    html = render_sheet_html(
        title=title,
        subtitle=subtitle,
        serial=serial,
        sections=sections,
        verify_url=verify_url,
        issued_at=issued_at,
        issuer=issuer,
        notes=notes,
        issued_label=issued_label,
    )
    document = weasyprint.HTML(
        string=html,
        # Nothing relative is referenced; a local directory keeps WeasyPrint from
        # treating the document as coming from some URL.
        base_url=str(Path(__file__).resolve().parent),
        url_fetcher=offline_url_fetcher(),
    )
    # The QR code is a 1-bit PNG: keep it lossless and at full resolution.
    pdf = document.write_pdf(optimize_images=False, pdf_identifier=False, font_config=font_configuration())
    assert pdf is not None  # write_pdf returns bytes when no target is given
    return pdf
