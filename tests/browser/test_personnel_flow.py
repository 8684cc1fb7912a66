"""docs/manual.md §5.1 and §5.2 in Chromium: 新增 → 保存 → 上传 → 提交 → 撤回 → 提交 → reviewer 通过,
for a 安全员 and a 劳资专管员, with JavaScript on and off."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from laowu.personnel.models import SafetyOfficer
from laowu.review import services
from tests.browser.conftest import approve_open_submission, new_page, snap
from tests.browser.test_basic_info_flow import PASSWORD, accept_dialogs, login, logout, upload
from tests.factories import EnterpriseUserFactory, StaffFactory, complete_basic_info, make_pdf_bytes

pytestmark = pytest.mark.django_db(transaction=True)

ROLES = [
    (
        "安全员归集",
        "安全员",
        {"#id_cert_no": "苏建安C3(2023)0000001", "#id_issuer": "江苏省住房和城乡建设厅"},
        {"#id_cert_category": "C3", "#id_education": "大专", "#id_gender": "男"},
        ("身份证", "安全生产考核合格证书"),
    ),
    (
        "劳资专管员归集",
        "劳资专管员",
        {"#id_cert_no": "LZ2023-0001", "#id_issuer": "苏州市相城区人力资源和社会保障局"},
        {"#id_education": "本科", "#id_gender": "女"},
        ("身份证", "培训合格证书"),
    ),
]


def test_manual_5(live_server: Any, browser: Any, js_enabled: bool, tmp_path: Path) -> None:
    tag = "people-js" if js_enabled else "people-nojs"
    base = live_server.url
    owner = EnterpriseUserFactory(password=PASSWORD)
    reviewer = StaffFactory(role="reviewer", username="shenhe", password=PASSWORD)
    info = complete_basic_info(owner.enterprise, actor=owner)
    services.approve(submission=services.declare(filing=info, actor=owner), actor=reviewer)
    pdf = tmp_path / "证件.pdf"
    pdf.write_bytes(make_pdf_bytes("people"))

    page = new_page(browser, js=js_enabled)
    accept_dialogs(page)
    ids = {"安全员": "11010519491231002X", "劳资专管员": "110101199003074477"}
    for menu, label, texts, selects, kinds in ROLES:
        login(page, base, owner.username)
        # 第1步: the list; 第2步: 新增.
        page.click(f".sidebar >> text={menu}")
        expect(page.locator("h1", has_text=menu)).to_be_visible()
        page.click("a:has-text('新增')")
        # 第3步: fill and 保存.
        page.fill("#id_name", "周" + label[:1])
        page.fill("#id_id_number", ids[label])
        page.fill("#id_mobile", "13912345678")
        for sel, val in texts.items():
            page.fill(sel, val)
        for sel, val in selects.items():
            page.select_option(sel, val)
        page.fill("#id_issue_date", "2023-03-01")
        if label == "安全员":
            page.fill("#id_valid_until", (dt.date.today() + dt.timedelta(days=500)).isoformat())
        page.click("button:has-text('保存')")
        # Without the consent box ticked, nothing is saved and the input is kept.
        expect(page.locator("#id_consent_error")).to_contain_text("请勾选")
        assert page.input_value("#id_id_number") == ids[label]
        page.check("#id_consent")
        page.click("button:has-text('保存')")
        expect(page.locator(".msg-success", has_text="已保存")).to_be_visible()
        # 第4步: 选择 → 上传.
        for kind in kinds:
            upload(page, kind, pdf)
        snap(page, f"{tag}-{label}-01-filled")
        # 第5步: 提交, 撤回, 提交.
        page.click("button:has-text('提交')")
        expect(page.locator(".status", has_text="已申报").first).to_be_visible()
        page.click("button:has-text('撤回')")
        expect(page.locator(".status", has_text="草稿").first).to_be_visible()
        page.click("button:has-text('提交')")
        expect(page.locator(".status", has_text="已申报").first).to_be_visible()
        page.click(f".sidebar >> text={menu}")
        expect(page.locator("td", has_text=ids[label][:4] + "**********" + ids[label][-4:])).to_be_visible()
        snap(page, f"{tag}-{label}-02-list")
        logout(page)

        login(page, base, "shenhe")
        page.click(".sidebar >> text=待审核")
        page.locator("tr", has_text="周" + label[:1]).locator("a", has_text="审核").click()
        expect(page.locator("td", has_text=ids[label])).to_be_visible()  # reviewers see it in full
        approve_open_submission(page)
        logout(page)

        login(page, base, owner.username)
        page.click(f".sidebar >> text={menu}")
        row = page.locator("tr", has_text="周" + label[:1])
        expect(row.locator(".status", has_text="已通过")).to_be_visible()
        # Approved people are deregistered, not deleted.
        expect(row.locator("a, button", has_text="删除")).to_have_count(0)
        expect(row.locator("button", has_text="注销")).to_have_count(1)
        logout(page)
    page.context.close()


def test_delete_draft_person(live_server: Any, browser: Any, js_enabled: bool) -> None:
    """删除 asks first: in a dialog with JavaScript, on a page of its own without."""
    tag = "people-delete-js" if js_enabled else "people-delete-nojs"
    owner = EnterpriseUserFactory(password=PASSWORD)
    person = SafetyOfficer.objects.create(enterprise=owner.enterprise, name="吴草", id_number="11010519491231002X")
    page = new_page(browser, js=js_enabled)
    accept_dialogs(page)
    login(page, live_server.url, owner.username)
    page.click(".sidebar >> text=安全员归集")
    question = "确认删除安全员“吴草”（身份证号 1101**********002X）吗？"

    # First 取消 (or close the dialog): nothing is deleted.
    page.locator("tr", has_text="吴草").locator("a", has_text="删除").click()
    if js_enabled:
        dialog = page.locator(".dialog")
        expect(dialog).to_contain_text(question)
        snap(page, f"{tag}-01-confirm")
        dialog.locator(".dialog-close").click()
        expect(dialog).to_have_count(0)
    else:
        expect(page.locator("h1", has_text="删除安全员")).to_be_visible()
        expect(page.locator(".delete-confirm")).to_contain_text(question)
        snap(page, f"{tag}-01-confirm")
        page.click("a:has-text('取消')")
        expect(page.locator("h1", has_text="安全员归集")).to_be_visible()
    assert SafetyOfficer.objects.filter(pk=person.pk).exists()

    # Then confirm: deleted, back on the list with a message.
    page.locator("tr", has_text="吴草").locator("a", has_text="删除").click()
    scope = page.locator(".dialog") if js_enabled else page.locator(".delete-confirm")
    expect(scope).to_contain_text(question)
    scope.locator("button", has_text="删除").click()
    expect(page.locator(".msg-success", has_text="已删除安全员“吴草”")).to_be_visible()
    expect(page.locator("tr", has_text="吴草")).to_have_count(0)
    assert not SafetyOfficer.objects.filter(pk=person.pk).exists()
    page.context.close()
