"""docs/manual.md §6.1 in Chromium: search, 新增, 选择项目 → search → 选择, fill, 上传, 提交, reviewer
通过, 打印PDF and the QR verification page — with JavaScript (a dialog) and without (a page)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect
from pypdf import PdfReader

from laowu.personnel.models import SafetyOfficer, WageManager
from laowu.review import services
from tests.browser.conftest import approve_open_submission, new_page, snap
from tests.browser.test_basic_info_flow import PASSWORD, accept_dialogs, login, logout, upload
from tests.factories import (
    CatalogueFactory,
    EnterpriseUserFactory,
    StaffFactory,
    approved_person,
    complete_basic_info,
    make_pdf_bytes,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.prints]


def test_manual_6_1(live_server: Any, browser: Any, js_enabled: bool, tmp_path: Path) -> None:
    tag = "project-js" if js_enabled else "project-nojs"
    base = live_server.url
    owner = EnterpriseUserFactory(password=PASSWORD)
    reviewer = StaffFactory(role="reviewer", username="shenhe", password=PASSWORD)
    info = complete_basic_info(owner.enterprise, actor=owner)
    services.approve(submission=services.declare(filing=info, actor=owner), actor=reviewer)
    approved_person(SafetyOfficer, owner, reviewer, id_number="11010519491231002X", name="孙安全")
    approved_person(WageManager, owner, reviewer, id_number="110101199003074477", name="钱劳资")
    code = owner.enterprise.credit_code
    for i in range(12):
        CatalogueFactory(subcontractor_credit_code=code, project_name=f"相城区第{i}号地块安置房项目")
    CatalogueFactory(
        subcontractor_credit_code=code, project_name="阳澄湖生态休闲旅游度假区游客中心", contract_no="LWFB-YCH-0001"
    )
    CatalogueFactory(project_name="别家企业的项目")
    contract_pdf = tmp_path / "劳务分包合同.pdf"
    contract_pdf.write_bytes(make_pdf_bytes("contract"))

    page = new_page(browser, js=js_enabled)
    accept_dialogs(page)
    login(page, base, owner.username)
    # 第1步: the list and its search bar.
    page.click(".sidebar >> text=项目信息归集")
    expect(page.locator("text=暂无项目信息")).to_be_visible()
    # 第2步-第3步: 新增 → 选择项目 → search → 选择.
    page.click("a:has-text('新增')")
    page.click("a:has-text('选择项目')")
    scope = page.locator(".dialog") if js_enabled else page
    if js_enabled:
        expect(page.locator(".dialog")).to_be_visible()
    else:
        expect(page.locator("h1", has_text="选择项目")).to_be_visible()
    expect(scope.locator("text=别家企业的项目")).to_have_count(0)
    scope.locator("input[name=q]").fill("阳澄湖")
    scope.locator("button:has-text('查询')").click()
    expect(scope.locator("tr", has_text="LWFB-YCH-0001")).to_be_visible()
    expect(scope.locator("tbody tr")).to_have_count(1)
    snap(page, f"{tag}-01-picker")
    scope.locator("tr", has_text="LWFB-YCH-0001").locator("button:has-text('选择')").click()
    expect(page.locator(".msg-success", has_text="已选择项目")).to_be_visible()
    expect(page.locator("td", has_text="阳澄湖生态休闲旅游度假区游客中心")).to_be_visible()
    page.fill("#id_site_manager", "刘建华")
    page.fill("#id_site_manager_phone", "13911112222")
    page.select_option("#id_safety_officer", label="孙安全（苏建安C3(2023)0000001）")
    page.select_option("#id_wage_manager", label="钱劳资（LZ2023-0001）")
    page.fill("#id_planned_workers", "120")
    page.click("button:has-text('保存')")
    expect(page.locator(".msg-success", has_text="已保存")).to_be_visible()
    upload(page, "劳务分包合同", contract_pdf)
    page.click("button:has-text('提交')")
    expect(page.locator(".status", has_text="已申报").first).to_be_visible()
    snap(page, f"{tag}-02-declared")
    # The list finds it by contract number.
    page.click(".sidebar >> text=项目信息归集")
    page.fill("input[name=q]", "LWFB-YCH")
    page.click("button:has-text('查询')")
    expect(page.locator("tbody tr")).to_have_count(1)
    logout(page)

    login(page, base, "shenhe")
    page.click(".sidebar >> text=待审核")
    page.locator("tr", has_text="阳澄湖生态休闲旅游度假区游客中心").locator("a", has_text="审核").click()
    approve_open_submission(page)
    logout(page)

    # 第4步: 打印PDF from the list.
    login(page, base, owner.username)
    page.click(".sidebar >> text=项目信息归集")
    href = page.get_attribute("tr:has-text('阳澄湖') >> a:has-text('打印PDF')", "href")
    snap(page, f"{tag}-03-approved-list")
    pdf = page.request.get(base + href)
    reader = PdfReader(io.BytesIO(pdf.body()))
    assert "项目信息表" in "".join(reader.pages[0].extract_text().split())
    urls = []
    for image in reader.pages[0].images:
        img = Image.open(io.BytesIO(image.data)).convert("L")
        urls += [b.text for b in zxingcpp.read_barcodes(img.resize((img.width * 4, img.height * 4)))]
    assert len(urls) == 1
    public = new_page(browser, js=js_enabled)
    public.goto(urls[0])
    expect(public.locator(".verify-status", has_text="有效")).to_be_visible()
    expect(public.locator("td", has_text="LWFB-YCH-0001")).to_be_visible()
    snap(public, f"{tag}-04-verify")
    public.context.close()
    page.context.close()
