"""The generic sheet renderer: what a printed 企业基本情况表 must guarantee on paper and in
the PDF, independent of which view prints it."""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pikepdf
import pypdf
import pytest
import weasyprint
import zxingcpp
from PIL import Image
from weasyprint.urls import FatalURLFetchingError

from laowu.documents import fonts
from laowu.documents.printing import (
    EMPTY_VALUE,
    font_configuration,
    layout_rows,
    offline_url_fetcher,
    qr_data_uri,
    render_sheet_html,
    render_sheet_pdf,
)
from laowu.integrations.company_info.base import CompanyInfo
from laowu.integrations.company_info.offline import offline_companies

# Most tests here print, and the module's sheets are rendered once for all of them.
pytestmark = pytest.mark.prints

VERIFY_URL = "https://laowu.xiangcheng.example/v/Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zQ7rS"
SERIAL = "JBXX-2026-000123"
# 06:30 UTC is 14:30 in Shanghai: the sheet must print local time, not the server's UTC.
ISSUED_AT = dt.datetime(2026, 5, 20, 6, 30, tzinfo=dt.UTC)
NOTES = ["本表内容以平台核验页面显示的当前状态为准。"]


def _date(value: dt.date | None) -> str:
    return f"{value:%Y年%m月%d日}" if value else ""


def basic_info_sections(company: CompanyInfo) -> list[tuple[str, list[tuple[str, str]]]]:
    """A realistic 基本信息 record: the 23 fields of BasicInfo, with a 200-character 经营范围."""
    scope = (company.business_scope * 3)[:200]
    return [
        (
            "一、工商登记信息",
            [
                ("企业名称", company.name),
                ("统一社会信用代码", company.credit_code),
                ("法定代表人", company.legal_representative),
                ("注册资本", company.registered_capital),
                ("成立日期", _date(company.established_date)),
                ("企业类型", company.company_type),
                ("登记机关", company.registration_authority),
                ("经营状态", company.business_status),
                ("营业期限自", _date(company.business_term_from)),
                ("营业期限至", _date(company.business_term_to) or "无固定期限"),
                ("注册地址", company.registered_address),
                ("经营范围", scope),
            ],
        ),
        (
            "二、企业补充信息",
            [
                ("注册地", "相城区内"),
                ("办公地址", "苏州市相城区元和街道嘉元路959号元和大厦12层"),
                ("联系人", "李明"),
                ("联系电话", "13812345678"),
                ("主要负责人", "王强"),
                ("职工人数", "86"),
            ],
        ),
        (
            "三、资质证照",
            [
                ("施工劳务资质证书编号", "D332012345"),
                ("资质发证机关", "苏州市住房和城乡建设局"),
                ("资质有效期至", "2028年06月30日"),
                ("安全生产许可证编号", "(苏)JZ安许证字[2021]012345"),
                ("安全生产许可证有效期至", "2027年12月31日"),
            ],
        ),
    ]


def sheet_kwargs(**overrides: Any) -> dict[str, Any]:
    company = offline_companies()[0]
    kwargs: dict[str, Any] = {
        "title": "企业基本情况表",
        "subtitle": company.name,
        "serial": SERIAL,
        "sections": basic_info_sections(company),
        "verify_url": VERIFY_URL,
        "issued_at": ISSUED_AT,
        "notes": NOTES,
    }
    kwargs.update(overrides)
    return kwargs


def squeeze(text: str) -> str:
    # The title is letter-spaced and long values wrap: extracted text has spaces and line
    # breaks where the layout put them. Compare without whitespace.
    return re.sub(r"\s+", "", text)


def page_texts(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]


@pytest.fixture(scope="module")
def company() -> CompanyInfo:
    return offline_companies()[0]


@pytest.fixture(scope="module")
def sheet_pdf(sheet_fonts: None) -> bytes:
    return render_sheet_pdf(**sheet_kwargs())


@pytest.fixture(scope="module")
def long_pdf(company: CompanyInfo, sheet_fonts: None) -> bytes:
    # The same record three times over: about two and a half pages' worth of rows.
    sections = [(heading, fields * 3) for heading, fields in basic_info_sections(company)]
    return render_sheet_pdf(**sheet_kwargs(sections=sections))


# ------------------------------------------------------------------ the PDF itself


def test_basic_info_sheet_is_a_single_a4_page(sheet_pdf: bytes) -> None:
    assert sheet_pdf.startswith(b"%PDF-")
    reader = pypdf.PdfReader(io.BytesIO(sheet_pdf), strict=True)
    assert len(reader.pages) == 1
    width, height = (float(v) for v in reader.pages[0].mediabox.upper_right)
    # A4 in points: 210 mm × 297 mm, portrait.
    assert (round(width), round(height)) == (595, 842)


def test_metadata_names_the_sheet_and_its_issuer(sheet_pdf: bytes, company: CompanyInfo) -> None:
    meta = pypdf.PdfReader(io.BytesIO(sheet_pdf)).metadata
    assert meta is not None
    assert meta.title is not None
    assert "企业基本情况表" in meta.title
    assert company.name in meta.title
    assert meta.author == "苏州市相城区建筑业协会建筑劳务专业委员会"


def test_chinese_text_is_extractable(sheet_pdf: bytes, company: CompanyInfo) -> None:
    # Extraction goes through the fonts' ToUnicode maps: if it works, copy-paste and
    # search in any viewer work, and so do the assertions below.
    text = squeeze(page_texts(sheet_pdf)[0])
    assert "企业基本情况表" in text
    assert company.name in text
    assert company.credit_code in text
    assert squeeze((company.business_scope * 3)[:200]) in text
    assert "扫描二维码核验本表真伪及当前状态" in text
    assert f"编号：{SERIAL}" in text
    assert "出具单位：苏州市相城区建筑业协会建筑劳务专业委员会" in text
    assert "审核通过时间：2026年05月20日14:30" in text  # Asia/Shanghai, not UTC
    assert "第1页/共1页" in text
    assert squeeze(NOTES[0]) in text


def _fonts(resources: pikepdf.Dictionary, seen: set[tuple[int, int]]) -> Iterator[pikepdf.Dictionary]:
    """Every font reachable from a resource dictionary, form XObjects and patterns included."""
    yield from resources.get("/Font", {}).values()
    for key in ("/XObject", "/Pattern"):
        for obj in resources.get(key, {}).values():
            if obj.objgen in seen or "/Resources" not in obj:
                continue
            seen.add(obj.objgen)
            yield from _fonts(obj.Resources, seen)


def _is_embedded(font: pikepdf.Dictionary) -> bool:
    if font.Subtype == "/Type3":
        return True  # glyphs are drawn by content streams inside the font
    target = font.DescendantFonts[0] if font.Subtype == "/Type0" else font
    descriptor = target.get("/FontDescriptor")
    return descriptor is not None and any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))


def font_report(pdf: bytes) -> dict[str, tuple[bool, bool]]:
    """BaseFont -> (embedded, has a ToUnicode map), for every font any page uses."""
    report: dict[str, tuple[bool, bool]] = {}
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        seen: set[tuple[int, int]] = set()
        for page in doc.pages:
            for font in _fonts(page.Resources, seen):
                report[str(font.get("/BaseFont", "?"))] = (_is_embedded(font), "/ToUnicode" in font)
    return report


def test_every_font_is_an_embedded_noto_cjk_subset(sheet_pdf: bytes, long_pdf: bytes) -> None:
    for pdf in (sheet_pdf, long_pdf):
        report = font_report(pdf)
        assert report
        for name, (embedded, to_unicode) in report.items():
            assert embedded, f"{name} is not embedded"
            assert to_unicode, f"{name} has no ToUnicode map"
            # Nothing fell back to another family, which a viewer might not have or draw differently:
            # the GB 2312 cuts of the two Noto faces, as every value here is in GB 2312.
            assert re.fullmatch(r"/[A-Z]{6}\+Laowu-Sheet-(Serif|Sans-Bold)", name), name


def qr_images(pdf: bytes, page_index: int = -1) -> list[Image.Image]:
    page = pypdf.PdfReader(io.BytesIO(pdf)).pages[page_index]
    return [image.image for image in page.images if image.image is not None]


def decode_qr(image: Image.Image) -> list[str]:
    gray = image.convert("L")
    # Upscaling with NEAREST keeps the modules sharp; zxing is happier with a few px per module.
    gray = gray.resize((gray.width * 2, gray.height * 2), Image.Resampling.NEAREST)
    return [r.text for r in zxingcpp.read_barcodes(gray) if r.format == zxingcpp.BarcodeFormat.QRCode]


def test_qr_code_decodes_to_the_verify_url(sheet_pdf: bytes) -> None:
    images = qr_images(sheet_pdf)
    assert len(images) == 1
    (image,) = images
    # Printed 30 mm wide, ≥ 300 px means ≥ 250 dpi: enough to scan from a laser print.
    assert min(image.size) >= 300
    assert decode_qr(image) == [VERIFY_URL]


def test_qr_code_follows_the_url_it_is_given() -> None:
    url = "https://laowu.xiangcheng.example/v/" + "x" * 43
    pdf = render_sheet_pdf(**sheet_kwargs(verify_url=url, sections=[("一、测试", [("字段", "值")])]))
    (image,) = qr_images(pdf)
    assert decode_qr(image) == [url]
    assert f"核验网址：{url}" in page_texts(pdf)[-1]


def test_the_verify_url_is_printed_whole_under_the_qr_code(sheet_pdf: bytes, long_pdf: bytes) -> None:
    # Whoever cannot scan types the address in: it is on the sheet as text, on one line (the
    # extracted text has it unbroken), on the last page only, below the code.
    for pdf in (sheet_pdf, long_pdf):
        texts = page_texts(pdf)
        assert f"核验网址：{VERIFY_URL}\n" in texts[-1]
        assert all(VERIFY_URL not in text for text in texts[:-1])
    html = render_sheet_html(**sheet_kwargs())
    assert html.index('class="qr"') < html.index(f"核验网址：{VERIFY_URL}")


def test_html_special_characters_print_literally() -> None:
    hostile = "<b>x</b>&"
    kwargs = sheet_kwargs(
        subtitle="A&B <i>公司</i>",
        sections=[("一、<script>alert(1)</script>", [("名称", hostile), ("备注", "\"引号\" '单引号'")])],
    )
    html = render_sheet_html(**kwargs)
    assert "<b>x</b>" not in html
    assert "&lt;b&gt;x&lt;/b&gt;&amp;" in html
    assert "<script>" not in html
    text = squeeze(page_texts(render_sheet_pdf(**kwargs))[0])
    assert hostile in text
    assert "A&B<i>公司</i>" in text
    assert "一、<script>alert(1)</script>" in text
    assert "\"引号\"'单引号'" in text


def test_long_record_flows_onto_more_pages_with_the_page_footer(long_pdf: bytes) -> None:
    texts = [squeeze(t) for t in page_texts(long_pdf)]
    assert len(texts) == 2
    for number, text in enumerate(texts, start=1):
        # Every page carries the serial and its place, so a loose page still identifies the sheet.
        assert f"第{number}页/共2页" in text
        assert f"编号：{SERIAL}" in text
    # Later pages say what they continue; the QR block ends the last page.
    assert "企业基本情况表（续）" in texts[1]
    assert "（续）" not in texts[0]
    assert "扫描二维码核验本表真伪及当前状态" in texts[-1]
    assert "扫描二维码核验本表真伪及当前状态" not in texts[0]
    assert decode_qr(qr_images(long_pdf)[0]) == [VERIFY_URL]


# ------------------------------------------------------------------ rendering rules


def test_rendering_is_deterministic(sheet_pdf: bytes) -> None:
    # Same submission, same bytes: a re-rendered sheet dedupes to the same content-addressed Blob.
    assert render_sheet_pdf(**sheet_kwargs()) == sheet_pdf


def test_issue_time_is_printed_in_shanghai_time() -> None:
    html = render_sheet_html(**sheet_kwargs(issued_at=dt.datetime(2026, 5, 19, 18, 30, tzinfo=dt.UTC)))
    assert "2026年05月20日 02:30" in html


def test_naive_issue_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        render_sheet_html(**sheet_kwargs(issued_at=dt.datetime(2026, 5, 20, 14, 30)))


def test_rendering_logs_no_weasyprint_warnings(caplog: pytest.LogCaptureFixture) -> None:
    # Unsupported CSS, a missing font or a refused resource each log a warning: any of them
    # means the sheet does not print as designed.
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        render_sheet_pdf(**sheet_kwargs())
    assert [r.getMessage() for r in caplog.records if r.name.startswith("weasyprint")] == []


@pytest.mark.parametrize(
    "url", ["https://example.invalid/logo.png", "file:///etc/hostname", "logo.png", "file:///usr/share/fonts/"]
)
def test_url_fetcher_refuses_everything_but_data_uris(url: str) -> None:
    html = weasyprint.HTML(string=f'<img src="{url}">', base_url="/nonexistent/", url_fetcher=offline_url_fetcher())
    with pytest.raises(FatalURLFetchingError):
        html.write_pdf()


def test_url_fetcher_allows_data_uris() -> None:
    html = weasyprint.HTML(string=f'<img src="{qr_data_uri(VERIFY_URL)}">', url_fetcher=offline_url_fetcher())
    assert html.write_pdf().startswith(b"%PDF-")


def test_short_fields_pair_up_and_long_ones_take_a_row() -> None:
    rows = layout_rows(
        [
            ("企业名称", "某某建筑劳务有限公司"),
            ("法定代表人", "张三"),
            ("联系人", "李四"),  # left alone by the long field below: stretches across its row
            ("经营范围", "建" * 21),  # 42 half-width units > 40
            ("注册资本", ""),
        ]
    )
    assert [[(c.label, c.wide) for c in row] for row in rows] == [
        [("企业名称", False), ("法定代表人", False)],
        [("联系人", True)],
        [("经营范围", True)],
        [("注册资本", True)],
    ]
    # A blank box on a printed sheet invites a handwritten entry: empty values get a mark.
    assert rows[-1][0].value == EMPTY_VALUE


def test_width_counts_chinese_double_and_line_breaks_force_a_row() -> None:
    rows = layout_rows(
        [
            ("统一社会信用代码", "9" * 36),  # 36 half-width units: still a half cell
            ("简称", "甲"),
            ("备注", "9" * 41),
            ("说明", "第一行\n第二行"),  # a line break never fits a half cell
        ]
    )
    assert [[(c.label, c.wide) for c in row] for row in rows] == [
        [("统一社会信用代码", False), ("简称", False)],
        [("备注", True)],
        [("说明", True)],
    ]


def test_long_labels_wrap_evenly() -> None:
    (row,) = layout_rows([("安全生产许可证有效期至", "2027年12月31日"), ("联系人", "李明")])
    # 11 characters over two lines: at most 6 per line, not 8 and an orphan.
    assert row[0].label_em == "6.25"
    assert row[1].label_em == ""


# ------------------------------------------------------------------ fonts


def test_a_character_outside_gb2312_prints_from_the_system_face() -> None:
    """Names may hold characters the GB 2312 cut lacks: they come from the full Noto face."""
    rare = "王堃、李喆"
    assert not all(ord(ch) in fonts.codepoints() for ch in rare)
    pdf = render_sheet_pdf(**sheet_kwargs(sections=[("一、人员", [("姓名", rare)])]))
    assert rare in squeeze(page_texts(pdf)[0])
    names = {re.sub(r"^/[A-Z]{6}\+", "", name) for name in font_report(pdf)}
    assert names == {"Laowu-Sheet-Serif", "Laowu-Sheet-Sans-Bold", "Noto-Serif-CJK-SC"}


def test_without_the_cuts_sheets_print_from_the_system_faces(sheet_pdf: bytes, settings: Any, tmp_path: Path) -> None:
    settings.LAOWU_SHEET_FONTS_DIR = tmp_path
    pdf = render_sheet_pdf(**sheet_kwargs())
    names = {re.sub(r"^/[A-Z]{6}\+", "", name) for name in font_report(pdf)}
    assert names == {"Noto-Serif-CJK-SC", "Noto-Sans-CJK-SC-Bold"}
    assert squeeze(page_texts(pdf)[0]) == squeeze(page_texts(sheet_pdf)[0])
    # The same glyphs from a fifth of the font data.
    assert len(sheet_pdf) < len(pdf) / 2


def test_the_cuts_are_built_once_and_again_when_their_source_changes(
    tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bookkeeping: the cut itself (fontTools, 15–25 s a face) is what every sheet above
    printed from; here it is a copy, so that rebuilding is cheap to see."""
    settings.LAOWU_SHEET_FONTS_DIR = tmp_path
    cuts: list[Path] = []

    def cut(source: Path, index: int, out: Path, cps: frozenset[int], tag: str) -> Path:
        cuts.append(out)
        out.write_bytes(b"font")
        out.with_suffix(".json").write_text(f'{{"tag": "{tag}"}}')
        return out

    monkeypatch.setattr(fonts, "_cut", cut)
    monkeypatch.setattr(fonts, "ProcessPoolExecutor", ThreadPoolExecutor)
    few = {ord(ch) for ch in "企业基本情况表"}
    assert fonts.font_face_css() == "" and fonts.font_urls() == frozenset()
    written = fonts.build_sheet_fonts(unicodes=few, log=lambda line: None)
    assert sorted(p.name for p in written) == ["LaowuSheetSans-700.otf", "LaowuSheetSerif-400.otf"]
    assert fonts.build_sheet_fonts(unicodes=few, log=lambda line: None) == []  # up to date
    assert len(fonts.build_sheet_fonts(unicodes=few | {ord("堃")}, log=lambda line: None)) == 2  # other characters
    assert len(fonts.build_sheet_fonts(unicodes=few | {ord("堃")}, force=True, log=lambda line: None)) == 2
    assert len(cuts) == 6
    css = fonts.font_face_css()
    assert 'font-family: "Laowu Sheet Serif"; font-weight: 400' in css
    assert 'font-family: "Laowu Sheet Sans"; font-weight: 700' in css
    assert fonts.font_urls() == {p.as_uri() for p in written}
    # A line per face when it starts and when it is done, with the seconds so far.
    lines: list[str] = []
    fonts.build_sheet_fonts(unicodes=few, force=True, log=lines.append)
    assert len(lines) == 5  # two starts, the notice, two ends
    assert "正在生成打印字体（共2个" in lines[2]
    ends = [line for line in lines if "已完成，用时" in line]
    assert sorted(line.split("：")[0] for line in ends) == ["LaowuSheetSans-700.otf", "LaowuSheetSerif-400.otf"]
    assert all(line.endswith(" 秒") for line in ends)


def test_each_thread_keeps_one_font_configuration(sheet_pdf: bytes, settings: Any, tmp_path: Path) -> None:
    """Kept across renders (the same bytes every time), never shared between threads, and
    replaced when the font faces change."""
    mine = font_configuration()
    assert font_configuration() is mine
    assert render_sheet_pdf(**sheet_kwargs()) == sheet_pdf == render_sheet_pdf(**sheet_kwargs())
    theirs: list[Any] = []
    worker = threading.Thread(target=lambda: theirs.append(font_configuration()))
    worker.start()
    worker.join()
    assert theirs[0] is not mine
    settings.LAOWU_SHEET_FONTS_DIR = tmp_path
    assert font_configuration() is not mine
