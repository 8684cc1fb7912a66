"""通知公告, 站内消息 and 证照到期提醒 in Chromium, with JavaScript and without: a reviewer
publishes a notice, anyone sees it on the login page, the enterprise reads its messages
and its expiring licences, the reviewer sends the reminders. Every page fits 1366×768."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from laowu.enterprises.models import BasicInfo
from laowu.review import services as workflow
from laowu.supervision.models import ExpiryReminder, Message, Notice
from tests.browser.conftest import new_page, snap
from tests.browser.test_basic_info_flow import PASSWORD, accept_dialogs, login, logout
from tests.factories import EnterpriseUserFactory, StaffFactory, complete_basic_info, make_pdf_bytes

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def _licence_expiring_in(owner: Any, reviewer: Any, days: int) -> None:
    info = complete_basic_info(owner.enterprise, actor=owner)
    workflow.approve(submission=workflow.declare(filing=info, actor=owner), actor=reviewer)
    workflow.start_change(filing=BasicInfo.objects.get(pk=info.pk), actor=owner)
    info = workflow.save_fields(
        filing=BasicInfo.objects.get(pk=info.pk),
        data={"qualification_valid_until": dt.date.today() + dt.timedelta(days=days)},
        actor=owner,
    )
    workflow.approve(submission=workflow.declare(filing=info, actor=owner), actor=reviewer)


def test_notices_messages_and_expiry(live_server: Any, browser: Any, js_enabled: bool, tmp_path: Path) -> None:
    tag = "js" if js_enabled else "nojs"
    base = live_server.url
    owner = EnterpriseUserFactory(password=PASSWORD)
    reviewer = StaffFactory(role="reviewer", username="shenhe", password=PASSWORD)
    _licence_expiring_in(owner, reviewer, 20)
    # The two approvals above told the enterprise; it has read those, the reminder is what is new.
    Message.objects.filter(enterprise=owner.enterprise).update(read_at=timezone.now())

    page = new_page(browser, js=js_enabled)
    accept_dialogs(page)

    # The reviewer writes and publishes a notice.
    login(page, base, reviewer.username)
    page.click(".sidebar >> text=通知公告")
    expect(page.locator("text=暂无通知公告")).to_be_visible()
    page.click("a:has-text('新增')")
    page.fill("#id_title", "关于开展2026年度劳务企业信息核查的通知")
    page.fill("#id_body", "各劳务企业：\n请于5月31日前完成基本信息核查。")
    page.check("#id_pinned")
    page.click("button:has-text('保存')")
    expect(page.locator(".msg-success", has_text="通知公告已保存（未发布）")).to_be_visible()
    # Its attachment goes through the one attachment panel (选择 → 上传).
    form = tmp_path / "核查表.pdf"
    form.write_bytes(make_pdf_bytes("notice form"))
    row = page.locator(".attach-table tbody tr").first
    row.locator("input[type=file]").set_input_files(str(form))
    row.locator("button:has-text('上传')").click()
    expect(page.locator(".msg-success", has_text="上传成功")).to_be_visible()
    expect(page.locator(".attach-name", has_text="核查表.pdf")).to_be_visible()
    snap(page, f"notice-edit-{tag}")
    page.click("button:has-text('发布')")
    expect(page.locator(".msg-success", has_text="已发布")).to_be_visible()
    assert Notice.objects.get().is_published

    # 证照到期提醒: the reviewer sends now; the list shows who was told.
    page.click(".sidebar >> text=证照到期提醒")
    expect(page.locator("td", has_text="还有20天到期")).to_be_visible()
    page.click("button:has-text('立即发送到期提醒')")
    expect(page.locator(".msg-success", has_text="新发送提醒1条")).to_be_visible()
    expect(page.locator("text=短信已发送")).to_be_visible()
    snap(page, f"expiry-committee-{tag}")
    assert ExpiryReminder.objects.get().sms_sent
    logout(page)

    # The login page shows it; anyone can read it.
    page.goto(base + "/accounts/login/")
    notice_link = page.locator(".login-notices a", has_text="劳务企业信息核查")
    expect(notice_link).to_be_visible()
    snap(page, f"login-notices-{tag}")
    notice_link.click()
    expect(page.locator(".notice-body", has_text="请于5月31日前完成基本信息核查。")).to_be_visible()
    # Public notice, public attachment: no login needed to open it.
    file_link = page.locator(".notice-files a", has_text="核查表.pdf")
    expect(file_link).to_be_visible()
    assert page.request.get(base + file_link.get_attribute("href")).headers["content-type"] == "application/pdf"
    snap(page, f"notice-public-{tag}")

    # The enterprise: home with the notice, the unread message and the expiry warning.
    login(page, base, owner.username)
    expect(page.locator(".home-alert", has_text="1")).to_be_visible()
    expect(page.locator(".panel", has_text="站内消息").locator("text=1条未读")).to_be_visible()
    expect(page.locator(".home-list a", has_text="劳务企业信息核查")).to_be_visible()
    snap(page, f"enterprise-home-notices-{tag}")
    page.click(".sidebar >> text=站内消息")
    expect(page.locator("tr.unread", has_text="资质证书还有20天到期")).to_be_visible()
    snap(page, f"messages-{tag}")
    # Opening the reminder marks it read and goes to the page where the licence is updated.
    page.click("a.message-title")
    expect(page).to_have_url(base + "/enterprise/basic-info/")
    page.click(".sidebar >> text=站内消息")
    expect(page.locator("tr.unread")).to_have_count(0)
    page.click(".sidebar >> text=证照到期提醒")
    expect(page.locator("td", has_text="还有20天到期")).to_be_visible()
    expect(page.locator("button:has-text('立即发送到期提醒')")).to_have_count(0)
    snap(page, f"expiry-enterprise-{tag}")
    page.click(".sidebar >> text=通知公告")
    expect(page.locator(".sidebar")).to_be_visible()
    expect(page.locator("a", has_text="劳务企业信息核查")).to_be_visible()
