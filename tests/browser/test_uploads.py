"""选择 → 上传 in Chromium, on the 基本信息归集 page: several files per slot with a progress bar,
files the server would refuse refused in the browser before anything is sent, one 上传 sending what
every slot has chosen, the page keeping its place and what else was typed on it; and with
JavaScript off, the plain form post doing the same work."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from laowu.documents.validation import format_size
from laowu.enterprises.models import BasicInfo
from laowu.enterprises.services import ensure_basic_info
from tests.browser.conftest import SCREENS, new_page
from tests.conftest import client_for
from tests.documents import pdfs
from tests.factories import EnterpriseUserFactory, make_pdf_bytes

pytestmark = pytest.mark.django_db(transaction=True)

PAGE = reverse("enterprises:basic_info")
UPLOAD_PATH = "/files/upload/"


@pytest.fixture
def owner(db: Any) -> Any:
    return EnterpriseUserFactory()


@pytest.fixture
def info(owner: Any) -> BasicInfo:
    return ensure_basic_info(enterprise=owner.enterprise)


@pytest.fixture
def open_page(browser: Any, live_server: Any) -> Iterator[Callable[..., Any]]:
    """Open the page signed in as `user`; the browser contexts are closed after the test, so the
    live server's threads let go of their database connections before the database is dropped."""
    contexts: list[Any] = []

    def open_as(user: Any, *, js: bool = True) -> Any:
        page = new_page(browser, js=js)
        contexts.append(page.context)
        # Past both factors, as a staff account must be (laowu/accounts/otp.py).
        client = client_for(user)
        session = client.cookies["sessionid"].value
        page.context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
        page.goto(live_server.url + PAGE)
        return page

    yield open_as
    for context in contexts:
        context.close()


def write(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def slot(page: Any, info: BasicInfo, kind: str) -> Any:
    return page.locator(f"#att-basic_info-{info.pk}-{kind}")


def uploads_sent(page: Any) -> list[str]:
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if UPLOAD_PATH in r.url and r.method == "POST" else None)
    return sent


def shot(page: Any, name: str) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"upload-{name}.png"), full_page=False)


def test_several_files_in_one_slot_with_javascript(open_page: Any, owner: Any, info: BasicInfo, tmp_path: Path) -> None:
    page = open_page(owner)
    sent = uploads_sent(page)
    # Typed but not saved yet: uploading must not lose it.
    page.fill("#id_office_address", "苏州市相城区元和街道嘉元路959号")
    other = slot(page, info, "other")
    files = [write(tmp_path, f"第{n}页.pdf", make_pdf_bytes(f"page {n}")) for n in (1, 2, 3)]
    other.locator("input[type=file]").set_input_files(files)
    expect(other.locator(".upload-ready")).to_have_count(3)
    expect(other.locator(".file-chosen")).to_have_text("已选择3个文件")
    shot(page, "chosen")
    other.locator("button", has_text="上传").click()
    expect(other.locator(".upload-results .msg-success")).to_have_count(3)
    for n in (1, 2, 3):
        expect(other.locator(".attach-name", has_text=f"第{n}页.pdf")).to_be_visible()
        expect(other.locator(".msg-success", has_text=f"“第{n}页.pdf”上传成功。")).to_be_visible()
    shot(page, "stored")
    assert len(sent) == 3  # one request per file, each small enough for any request limit
    assert sorted(info.attachments.values_list("original_name", flat=True)) == ["第1页.pdf", "第2页.pdf", "第3页.pdf"]
    # No reload: what was typed above is still there, and the slot is ready for more.
    assert page.input_value("#id_office_address") == "苏州市相城区元和街道嘉元路959号"
    expect(other.locator(".file-chosen")).to_have_text("未选择文件")
    # The panel was replaced in place; its delete forms still ask before deleting.
    page.once("dialog", lambda d: d.dismiss())
    other.locator(".attach-item", has_text="第1页.pdf").locator("button", has_text="删除").click()
    assert info.attachments.count() == 3


def test_progress_is_shown_while_sending(open_page: Any, owner: Any, info: BasicInfo, tmp_path: Path) -> None:
    page = open_page(owner)
    # A slow line (64 KB/s up) so the transfer of a 512 KB scan can be watched.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 20, "downloadThroughput": -1, "uploadThroughput": 64 * 1024},
    )
    scan = write(tmp_path, "扫描件.pdf", pdfs.padded_pdf(512 * 1024))
    licence = slot(page, info, "business_license")
    licence.locator("input[type=file]").set_input_files(scan)
    licence.locator("button", has_text="上传").click()
    bar = licence.locator(".upload-progress progress")
    expect(bar).to_be_visible()
    expect(licence.locator(".upload-progress")).to_contain_text("正在上传“扫描件.pdf”")
    # It moves as the bytes go out, and says how far it is.
    values = [bar.evaluate("e => e.value")]
    while values[-1] < 20 and len(values) < 100:
        page.wait_for_timeout(100)
        values.append(bar.evaluate("e => e.value"))
    assert values[-1] >= 20 and values == sorted(values), values
    assert "%" in licence.locator(".upload-progress").inner_text()
    # Buttons wait while a transfer is under way: no second batch can start.
    expect(licence.locator("button", has_text="上传")).to_be_disabled()
    shot(page, "progress")
    expect(licence.locator(".msg-success", has_text="“扫描件.pdf”上传成功。")).to_be_visible(timeout=60_000)
    assert info.attachments.get().original_name == "扫描件.pdf"


def test_refused_in_the_browser_before_sending(
    open_page: Any, owner: Any, info: BasicInfo, tmp_path: Path, settings: Any
) -> None:
    settings.LAOWU_ATTACHMENT_MAX_BYTES = 200 * 1024
    page = open_page(owner)
    sent = uploads_sent(page)
    expect(page.locator(".attachments .note")).to_contain_text("每个文件大小需在200KB以内")
    # The row-by-row hint is for JavaScript off only.
    expect(page.locator(".attachments .note")).not_to_contain_text("同一行", use_inner_text=True)
    licence = slot(page, info, "business_license")
    big = write(tmp_path, "太大的扫描件.pdf", pdfs.padded_pdf(300 * 1024))
    licence.locator("input[type=file]").set_input_files(big)
    # Said beside the slot as soon as it is chosen, in the server's words.
    refusal = licence.locator(".upload-state .msg-error")
    # The sizes are worded as the server words them (validation.format_size).
    size = format_size(Path(big).stat().st_size, round_up=True)
    expect(refusal).to_have_text(
        f"“太大的扫描件.pdf”不能上传：文件大小超过200KB（该文件约{size}），请压缩或减少页数后重新选择。"
    )
    licence.locator("button", has_text="上传").click()
    expect(refusal).to_be_visible()
    # A Word file in a PDF-only slot is refused the same way.
    word = write(tmp_path, "合同.docx", b"PK\x03\x04 a word file")
    licence.locator("input[type=file]").set_input_files(word)
    expect(refusal).to_have_text("“合同.docx”不能上传：只能上传PDF格式的文件。")
    licence.locator("button", has_text="上传").click()
    shot(page, "refused")
    page.wait_for_timeout(500)
    assert sent == [] and not info.attachments.exists()
    # Nothing chosen: 上传 says so beside the slot, again without a request.
    qualification = slot(page, info, "qualification")
    qualification.locator("button", has_text="上传").click()
    expect(qualification.locator(".upload-results .msg-error")).to_have_text("请先点击“选择”选择要上传的文件。")
    assert sent == []


def test_one_upload_sends_every_slots_files(open_page: Any, owner: Any, info: BasicInfo, tmp_path: Path) -> None:
    page = open_page(owner)
    licence, other = slot(page, info, "business_license"), slot(page, info, "other")
    licence.locator("input[type=file]").set_input_files(write(tmp_path, "执照.pdf", make_pdf_bytes("licence")))
    other.locator("input[type=file]").set_input_files(
        [write(tmp_path, "说明.pdf", make_pdf_bytes("note")), write(tmp_path, "照片.png", pdfs.png_bytes())]
    )
    # The photo cannot go into a PDF-only slot: refused here, the other two are sent.
    expect(other.locator(".upload-state .msg-error")).to_contain_text("“照片.png”不能上传")
    licence.locator("button", has_text="上传").click()
    expect(licence.locator(".msg-success", has_text="“执照.pdf”上传成功。")).to_be_visible()
    expect(other.locator(".msg-success", has_text="“说明.pdf”上传成功。")).to_be_visible()
    expect(other.locator(".upload-results .msg-error", has_text="“照片.png”不能上传")).to_be_visible()
    kinds = dict(info.attachments.values_list("original_name", "kind"))
    assert kinds == {"执照.pdf": "business_license", "说明.pdf": "other"}
    # The checklist above followed: 营业执照 is no longer asked for.
    expect(page.locator("#filing-problems")).not_to_contain_text("营业执照")


def test_leaving_by_another_form_with_files_unsent_asks_first(
    open_page: Any, owner: Any, info: BasicInfo, tmp_path: Path
) -> None:
    page = open_page(owner)
    other = slot(page, info, "other")
    other.locator("input[type=file]").set_input_files(write(tmp_path, "补充.pdf", make_pdf_bytes("more")))
    questions: list[str] = []

    def dismiss(dialog: Any) -> None:
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.click("button:has-text('保存')")
    page.wait_for_timeout(300)
    assert questions and questions[0].startswith("有未上传的文件：其他：补充.pdf")
    # Stayed: the file is still chosen, and 上传 still sends it.
    expect(other.locator(".upload-ready")).to_contain_text("补充.pdf（")
    expect(other.locator(".upload-ready")).to_contain_text("）待上传")
    other.locator("button", has_text="上传").click()
    expect(other.locator(".msg-success", has_text="“补充.pdf”上传成功。")).to_be_visible()


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_the_page_keeps_its_place(open_page: Any, owner: Any, info: BasicInfo, tmp_path: Path, js: bool) -> None:
    page = open_page(owner, js=js)
    other = slot(page, info, "other")
    other.scroll_into_view_if_needed()
    page.evaluate("window.scrollBy(0, 200)")
    before = page.evaluate("window.scrollY")
    row_top = other.bounding_box()["y"]
    assert before > 0
    other.locator("input[type=file]").set_input_files(write(tmp_path, "附加.pdf", make_pdf_bytes("extra")))
    other.locator("button", has_text="上传").click()
    expect(other.locator(".msg-success", has_text="“附加.pdf”上传成功。")).to_be_visible()
    box = other.bounding_box()
    if js:
        # Same place on the screen as before.
        assert abs(page.evaluate("window.scrollY") - before) <= 2 and abs(box["y"] - row_top) <= 2
    else:
        # The redirect comes back to the slot's row, which is brought into view whole (at the top
        # of the screen, or as far as the page scrolls when the row is near its end).
        assert page.url.endswith(f"#att-basic_info-{info.pk}-other")
        assert page.evaluate("window.scrollY") > 0
        assert box["y"] >= 0 and box["y"] + box["height"] <= page.viewport_size["height"]
    shot(page, f"place-{'js' if js else 'nojs'}")


def test_without_javascript_several_files_are_uploaded(
    open_page: Any, owner: Any, info: BasicInfo, tmp_path: Path
) -> None:
    page = open_page(owner, js=False)
    # Without the script 上传 sends the page's form: every slot's chosen files and the typed values.
    # (inner text: Playwright's plain text leaves <noscript> out whatever the browser shows.)
    expect(page.locator(".attachments .note")).to_contain_text(
        "可在多类附件中选择文件后点击任一“上传”，一并上传；页面上填写的信息同时保存。", use_inner_text=True
    )
    other = slot(page, info, "other")
    other.locator("input[type=file]").set_input_files(
        [write(tmp_path, "甲.pdf", make_pdf_bytes("a")), write(tmp_path, "乙.pdf", pdfs.png_bytes())]
    )
    other.locator("button", has_text="上传").click()
    expect(other.locator(".msg-success", has_text="“甲.pdf”上传成功。")).to_be_visible()
    expect(other.locator(".msg-error", has_text="“乙.pdf”上传失败：只能上传PDF格式的文件")).to_be_visible()
    expect(other.locator(".attach-name", has_text="甲.pdf")).to_be_visible()
    assert list(info.attachments.values_list("original_name", flat=True)) == ["甲.pdf"]
    shot(page, "nojs")
