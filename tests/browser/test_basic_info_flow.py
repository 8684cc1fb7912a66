"""docs/manual.md §4.1 in Chromium, as an enterprise and a reviewer: fill, 选择/上传, 申报, 撤回,
edit, 申报, reviewer 退回 with a reason, the enterprise sees it, fixes, 申报, reviewer 通过,
打印, and the QR code's verification page. Once with JavaScript on, once with it off."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser.conftest import approve_open_submission, new_page, pass_second_factor, second_factor_device, snap
from tests.factories import EnterpriseUserFactory, StaffFactory, make_pdf_bytes

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.prints]

PASSWORD = "Laowu@2026"


def login(page: Any, base: str, username: str) -> None:
    device = second_factor_device(username)
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.fill("input[name=captcha_1]", "PASSED")
    page.click("button:has-text('登录')")
    pass_second_factor(page, device)


def logout(page: Any) -> None:
    page.click("text=退出登录")


def accept_dialogs(page: Any) -> None:
    # Confirmation dialogs (申报/撤回/删除) appear only with JavaScript; accept them.
    page.on("dialog", lambda d: d.accept())


def upload(page: Any, kind_label: str, path: Path) -> None:
    row = page.locator("tr", has_text=kind_label).first
    row.locator("input[type=file]").set_input_files(str(path))
    row.locator("button:has-text('上传')").click()
    expect(page.locator(".msg-success", has_text="上传成功")).to_be_visible()


def test_manual_4_1(live_server: Any, browser: Any, js_enabled: bool, tmp_path: Path) -> None:
    tag = "basic-js" if js_enabled else "basic-nojs"
    base = live_server.url
    owner = EnterpriseUserFactory(password=PASSWORD)
    StaffFactory(role="reviewer", username="shenhe", password=PASSWORD)
    ent = owner.enterprise
    files = {}
    for label in ("营业执照", "施工劳务资质证书", "安全生产许可证"):
        files[label] = tmp_path / f"{label}.pdf"
        files[label].write_bytes(make_pdf_bytes(label))
    fake = tmp_path / "假的.pdf"
    fake.write_bytes(b"\x89PNG\r\n\x1a\n not a pdf")

    page = new_page(browser, js=js_enabled)
    accept_dialogs(page)
    login(page, base, owner.username)
    page.click(".sidebar >> text=基本信息归集")
    expect(page.locator(".status", has_text="草稿").first).to_be_visible()
    # Provider data is shown read-only.
    assert page.locator("#id_name").is_disabled() and page.locator("#id_credit_code").is_disabled()

    # 第1步: complete the record; a wrong licence number is refused beside the field.
    page.select_option("#id_registration_place", "in_district")
    page.fill("#id_office_address", "苏州市相城区元和街道嘉元路959号")
    page.fill("#id_principal", "张建国")
    page.fill("#id_employee_count", "56")
    page.fill("#id_qualification_no", "X123")
    page.fill("#id_qualification_issuer", "苏州市住房和城乡建设局")
    page.fill("#id_qualification_valid_until", "2030-12-31")
    page.fill("#id_safety_license_no", "(苏)JZ安许证字[2020]000123")
    page.fill("#id_safety_license_valid_until", "2029-06-30")
    page.click("button:has-text('保存')")
    assert "D加9位数字" in page.locator("#id_qualification_no_error").inner_text()
    assert page.input_value("#id_office_address") == "苏州市相城区元和街道嘉元路959号"  # input kept
    page.fill("#id_qualification_no", "D332012345")
    page.click("button:has-text('保存')")
    expect(page.locator(".msg-success", has_text="已保存")).to_be_visible()
    # Half-width brackets were normalised to the licence's own form.
    assert page.input_value("#id_safety_license_no") == "（苏）JZ安许证字〔2020〕000123"

    # 第2步: 选择 → 上传; a non-PDF renamed .pdf is refused with a clear message.
    upload_row = page.locator("tr", has_text="营业执照").first
    upload_row.locator("input[type=file]").set_input_files(str(fake))
    upload_row.locator("button:has-text('上传')").click()
    expect(page.locator(".msg-error", has_text="只能上传PDF")).to_be_visible()
    for label, path in files.items():
        upload(page, label, path)
    expect(page.locator("tr", has_text="营业执照").locator("text=营业执照.pdf")).to_be_visible()
    snap(page, f"{tag}-01-filled")

    # 第4步: 申报, then 撤回 and edit, then 申报 again.
    page.click("button:has-text('申报')")
    expect(page.locator(".status", has_text="已申报").first).to_be_visible()
    page.click("button:has-text('撤回')")
    expect(page.locator(".status", has_text="草稿").first).to_be_visible()
    page.fill("#id_employee_count", "60")
    page.click("button:has-text('保存')")
    page.click("button:has-text('申报')")
    expect(page.locator(".status", has_text="已申报").first).to_be_visible()
    snap(page, f"{tag}-02-declared")
    logout(page)

    # The reviewer 退回 with a reason.
    login(page, base, "shenhe")
    page.click(".sidebar >> text=待审核")
    snap(page, f"{tag}-03-queue")
    page.locator("tr", has_text=ent.name).locator("a", has_text="审核").click()
    expect(page.locator("h2", has_text="申报内容")).to_be_visible()
    snap(page, f"{tag}-04-review")
    page.fill("#id_reason", "安全生产许可证扫描件不清晰，请重新上传")
    page.click("button:has-text('退回')")
    expect(page.locator(".msg-success", has_text="已退回")).to_be_visible()
    logout(page)

    # The enterprise sees the reason, fixes and declares again.
    login(page, base, owner.username)
    page.click(".sidebar >> text=基本信息归集")
    expect(page.locator(".reject-reason", has_text="安全生产许可证扫描件不清晰")).to_be_visible()
    snap(page, f"{tag}-05-rejected")
    row = page.locator("tr", has_text="安全生产许可证").first
    row.locator("button:has-text('删除')").click()
    expect(page.locator(".msg-success", has_text="已删除附件")).to_be_visible()
    clearer = tmp_path / "安全生产许可证-清晰.pdf"
    clearer.write_bytes(make_pdf_bytes("clearer"))
    upload(page, "安全生产许可证", clearer)
    page.click("button:has-text('申报')")
    expect(page.locator(".status", has_text="已申报").first).to_be_visible()
    logout(page)

    # The reviewer sees what changed and approves.
    login(page, base, "shenhe")
    page.click(".sidebar >> text=待审核")
    page.locator("tr", has_text=ent.name).locator("a", has_text="审核").click()
    # The reviewer reads the changes before deciding (and the page has finished loading).
    expect(page.locator("h2", has_text="与已通过")).to_have_count(0)  # never approved before
    expect(page.locator("td", has_text="第2版")).to_be_visible()  # the rejected revision is in 审核记录
    approve_open_submission(page)
    logout(page)

    # 第5步: 打印 gives the 企业基本情况表 whose QR code leads to the verification page.
    login(page, base, owner.username)
    page.click(".sidebar >> text=基本信息归集")
    expect(page.locator(".status", has_text="已通过").first).to_be_visible()
    snap(page, f"{tag}-06-approved")
    href = page.get_attribute("a:has-text('打印')", "href")
    pdf = page.request.get(base + href)
    assert pdf.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(pdf.body()))
    assert ent.credit_code in reader.pages[0].extract_text()
    urls = []
    for image in reader.pages[0].images:
        img = Image.open(io.BytesIO(image.data)).convert("L")
        urls += [b.text for b in zxingcpp.read_barcodes(img.resize((img.width * 4, img.height * 4)))]
    assert len(urls) == 1 and urls[0].startswith(base + "/v/")
    public = new_page(browser, js=js_enabled)
    public.goto(urls[0])
    expect(public.locator(".verify-status")).to_have_text("已通过（有效）")
    expect(public.locator("text=" + ent.credit_code)).to_be_visible()
    snap(public, f"{tag}-07-verify")
    public.context.close()
    page.context.close()
