"""现场检查 in Chromium, with JavaScript on and off: the committee chooses a filed project,
scores it, uploads a site photo and 发出 a 整改通知; the enterprise reads it, replies with a
photo and 提交; the committee 复查通过 and the notice is closed."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from laowu.supervision import inspections as svc
from laowu.supervision.models import INSPECTION_ITEMS, Inspection, InspectionStatus, Message
from tests.browser.conftest import new_page, snap
from tests.browser.test_basic_info_flow import PASSWORD, accept_dialogs, login, logout, upload
from tests.factories import EnterpriseUserFactory, StaffFactory, approved_project

pytestmark = pytest.mark.django_db(transaction=True)


def write_photo(path: Path, colour: tuple[int, int, int]) -> Path:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), colour).save(out, format="JPEG")
    path.write_bytes(out.getvalue())
    return path


def test_inspection_loop(live_server: Any, browser: Any, js_enabled: bool, tmp_path: Path) -> None:
    tag = "inspection-js" if js_enabled else "inspection-nojs"
    base = live_server.url
    owner = EnterpriseUserFactory(password=PASSWORD)
    reviewer = StaffFactory(role="reviewer", username="shenhe", password=PASSWORD)
    approved_project(owner, reviewer, project_name="阳澄湖半岛安置房项目", contract_no="LWFB-YCH-0001")
    factory = approved_project(owner, reviewer, project_name="黄埭镇标准厂房项目")
    # An older notice of the other project, 10 days past its deadline and never answered.
    issued_on = timezone.localdate() - dt.timedelta(days=30)
    with time_machine.travel(dt.datetime.combine(issued_on, dt.time(10)), tick=False):
        old = svc.create_inspection(
            project=factory,
            data={
                "inspected_on": issued_on,
                "inspectors": "王强",
                "scores": {code: full for code, _, full in INSPECTION_ITEMS} | {"safety_officer": 5},
                "problems": "安全员不在岗。",
                "needs_rectification": True,
                "deadline": issued_on + dt.timedelta(days=20),
            },
            actor=reviewer,
        )
        old = svc.issue_inspection(inspection=old, actor=reviewer)
    site_photo = write_photo(tmp_path / "现场照片.jpg", (180, 90, 30))
    fixed_photo = write_photo(tmp_path / "整改后照片.jpg", (30, 160, 60))
    deadline = timezone.localdate() + dt.timedelta(days=15)

    page = new_page(browser, js=js_enabled)
    accept_dialogs(page)

    # The committee: 新增检查 → search → 选择.
    login(page, base, "shenhe")
    page.click(".sidebar >> text=现场检查")
    expect(page.locator("tr", has_text=old.notice_no).locator(".tag-overdue")).to_have_text("已逾期 10 天")
    page.click("a:has-text('新增检查')")
    page.fill("input[name=q]", "阳澄湖")
    page.click("button:has-text('查询')")
    expect(page.locator("tbody tr")).to_have_count(1)
    snap(page, f"{tag}-01-choose-project")
    page.locator("tr", has_text="LWFB-YCH-0001").locator("a:has-text('选择')").click()

    # The form: a score beyond full marks is refused beside its field, the rest kept.
    expect(page.locator("td", has_text="阳澄湖半岛安置房项目")).to_be_visible()
    page.fill("#id_inspectors", "张明、李华")
    lost = {"real_name": 8, "wages": 5}
    for code, _, full in INSPECTION_ITEMS:
        page.fill(f"#id_score_{code}", str(full - lost.get(code, 0)))
    page.fill("#id_score_site", "12")
    page.fill("#id_problems", "1. 考勤记录不全；\n2. 4月工资未按时足额发放。")
    page.check("#id_needs_rectification")
    page.fill("#id_deadline", deadline.isoformat())
    page.click("button:has-text('保存')")
    expect(page.locator("#id_score_site_error")).to_have_text("得分不能超过满分 10 分。")
    expect(page.locator("#id_inspectors")).to_have_value("张明、李华")
    page.fill("#id_score_site", "10")
    snap(page, f"{tag}-02-form")
    page.click("button:has-text('保存')")
    expect(page.locator(".msg-success", has_text="已保存检查记录")).to_be_visible()
    expect(page.locator(".status", has_text="草稿")).to_be_visible()

    # A site photo, then 发出.
    upload(page, "检查记录及现场照片", site_photo)
    expect(page.locator(".insp-photo img")).to_have_count(1)
    snap(page, f"{tag}-03-draft")
    page.click("button:has-text('发出')")
    expect(page.locator(".msg-success", has_text="已发出整改通知书")).to_be_visible()
    inspection = Inspection.objects.exclude(pk=old.pk).get()
    assert inspection.status == InspectionStatus.RECTIFYING and inspection.total_score == 87
    notice_no = inspection.notice_no
    assert notice_no.startswith(f"XCZG-{timezone.localdate().year}-")
    expect(page.locator("h1", has_text=notice_no)).to_be_visible()
    snap(page, f"{tag}-03b-issued")
    logout(page)

    # The enterprise: the 站内消息 exists; the list, the notice, the reply with a photo, 提交.
    assert Message.objects.filter(enterprise=owner.enterprise, title__startswith="整改通知").exists()
    login(page, base, owner.username)
    page.click(".sidebar >> text=现场检查整改")
    row = page.locator("tr", has_text=notice_no)
    expect(row.locator(".status", has_text="整改中")).to_be_visible()
    row.locator("a:has-text('整改回复')").click()
    expect(page.locator("text=考勤记录不全")).to_be_visible()
    expect(page.locator("td", has_text=deadline.isoformat()).first).to_be_visible()
    expect(page.locator(".insp-photo img")).to_have_count(1)
    page.fill("#id_content", "已补齐3-4月考勤记录，4月工资已于5月10日足额发放，附现场照片。")
    page.click("button:has-text('保存')")
    expect(page.locator(".msg-success", has_text="已保存第1轮整改情况")).to_be_visible()
    upload(page, "整改证明材料及照片", fixed_photo)
    snap(page, f"{tag}-04-reply")
    page.click("button:has-text('提交')")
    expect(page.locator(".msg-success", has_text="已提交第1轮整改回复")).to_be_visible()
    expect(page.locator(".status-bar .status", has_text="待复查")).to_be_visible()
    logout(page)

    # The committee re-inspects: 复查通过 → 已闭环.
    login(page, base, "shenhe")
    page.click(".sidebar >> text=现场检查")
    page.locator("tr", has_text=notice_no).locator("a:has-text('复查')").click()
    expect(page.locator("text=已补齐3-4月考勤记录")).to_be_visible()
    page.fill("#id_note", "现场复查，考勤与工资发放已整改到位。")
    snap(page, f"{tag}-05-review")
    page.click("button:has-text('复查通过')")
    expect(page.locator(".msg-success", has_text="复查通过，该整改通知已闭环")).to_be_visible()
    expect(page.locator(".status-bar .status", has_text="已闭环")).to_be_visible()
    inspection.refresh_from_db()
    assert inspection.status == InspectionStatus.CLOSED and inspection.closed_at is not None
    snap(page, f"{tag}-06-closed")
    page.click(".sidebar >> text=现场检查")
    expect(page.locator("tr", has_text=notice_no).locator(".status", has_text="已闭环")).to_be_visible()
    snap(page, f"{tag}-07-committee-list")
    logout(page)

    # The enterprise sees its closed notice, and the overdue one flagged; 只看逾期 filters.
    login(page, base, owner.username)
    page.click(".sidebar >> text=现场检查整改")
    expect(page.locator("tr", has_text=notice_no).locator(".status", has_text="已闭环")).to_be_visible()
    expect(page.locator("tr", has_text=old.notice_no).locator(".tag-overdue")).to_have_text("已逾期 10 天")
    page.check("#id_overdue")
    page.click("button:has-text('查询')")
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.locator("tbody tr", has_text="黄埭镇标准厂房项目")).to_be_visible()
    snap(page, f"{tag}-08-enterprise-overdue")
    page.locator("tr", has_text=old.notice_no).locator("a", has_text="黄埭镇标准厂房项目").click()
    expect(page.locator(".reject-reason", has_text="已超过 10 天仍未提交整改回复")).to_be_visible()
    page.context.close()
