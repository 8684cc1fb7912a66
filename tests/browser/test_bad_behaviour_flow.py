"""不良行为公示 in Chromium, with JavaScript and without: the reviewer records and publishes, the
public sees it, the enterprise applies for early removal with evidence, the reviewer agrees and
the record leaves the public page."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from laowu.core.dates import add_months
from laowu.supervision.models import BadBehaviour, BadBehaviourStatus, RemovalStatus
from tests.browser.conftest import new_page, snap
from tests.browser.test_basic_info_flow import PASSWORD, accept_dialogs, login, logout, upload
from tests.factories import EnterpriseUserFactory, StaffFactory, make_id_number, make_pdf_bytes

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_publish_apply_and_remove(live_server: Any, browser: Any, js_enabled: bool, tmp_path: Path) -> None:
    tag = "bad-behaviour-js" if js_enabled else "bad-behaviour-nojs"
    base = live_server.url
    owner = EnterpriseUserFactory(password=PASSWORD)
    StaffFactory(role="reviewer", username="shenhe", password=PASSWORD)
    ent = owner.enterprise
    decision = tmp_path / "处理决定书.pdf"
    decision.write_bytes(make_pdf_bytes("decision"))
    evidence = tmp_path / "整改证明.pdf"
    evidence.write_bytes(make_pdf_bytes("evidence"))
    today = dt.date.today()
    start = today  # publishing needs a start of today or later
    id_number = make_id_number()

    page = new_page(browser, js=js_enabled)
    accept_dialogs(page)
    login(page, base, "shenhe")
    page.click(".sidebar >> text=不良行为公示")
    expect(page.locator("h1", has_text="不良行为记录")).to_be_visible()
    page.click("a:has-text('新增')")
    page.fill("input[name=q]", ent.credit_code)
    page.click("button:has-text('查询')")
    expect(page.locator("td", has_text=ent.name)).to_be_visible()
    snap(page, f"{tag}-choose")
    page.click("a:has-text('选择')")
    page.fill("#id_person_name", "张建国")
    page.fill("#id_person_id_number", id_number)
    page.select_option("#id_grade", "A")
    page.select_option("#id_category", "wage_arrears")
    page.fill("#id_facts", "在相城区某安置房项目拖欠农民工工资35万元。")
    page.fill("#id_legal_basis", "《保障农民工工资支付条例》第五十五条")
    page.fill("#id_decision_no", "相劳专〔2026〕1号")
    page.fill("#id_decision_date", start.isoformat())
    page.fill("#id_points", "10")
    page.fill("#id_publicity_start", start.isoformat())
    # Too short a period is refused beside the field, and the input is kept.
    page.fill("#id_publicity_end", add_months(start, 2).isoformat())
    page.click("button:has-text('保存')")
    expect(page.locator("#id_publicity_end_error")).to_contain_text("公示截止日期应在")
    expect(page.locator("#id_decision_no")).to_have_value("相劳专〔2026〕1号")
    snap(page, f"{tag}-form-error")
    page.fill("#id_publicity_end", add_months(start, 12).isoformat())
    page.click("button:has-text('保存')")
    expect(page.locator(".msg-success", has_text="已保存为草稿")).to_be_visible()
    upload(page, "处理决定书", decision)
    # The reviewer's own detail page is where the full ID number shows.
    expect(page.locator("td", has_text=id_number)).to_be_visible()
    page.click("button:has-text('发布')")
    expect(page.locator(".msg-success", has_text="已发布")).to_be_visible()
    snap(page, f"{tag}-published")
    rec = BadBehaviour.objects.get()
    assert rec.status == BadBehaviourStatus.PUBLISHED
    logout(page)

    # The public page, no login.
    page.goto(base + "/gs/")
    expect(page.locator("td", has_text=ent.name)).to_be_visible()
    expect(page.locator("td", has_text="张*国")).to_be_visible()
    assert id_number not in page.content()
    snap(page, f"{tag}-public")
    page.click("a:has-text('查看')")
    expect(page.locator("td", has_text="拖欠农民工工资35万元")).to_be_visible()
    snap(page, f"{tag}-public-detail")

    # Four months on (the dates moved back rather than the server's clock), early removal is allowed.
    BadBehaviour.objects.filter(pk=rec.pk).update(
        decision_date=add_months(today, -4), publicity_start=add_months(today, -4), publicity_end=add_months(today, 8)
    )

    # The enterprise applies for early removal with evidence.
    login(page, base, owner.username)
    page.click(".sidebar >> text=不良行为记录")
    page.click("a:has-text('相劳专〔2026〕1号')")
    page.fill("#id_rectification", "已足额支付拖欠工资，并建立工资专户按月支付。")
    page.click("button:has-text('申请提前移出')")
    expect(page.locator(".msg-success", has_text="已保存申请")).to_be_visible()
    upload(page, "整改证明材料", evidence)
    page.click("button:has-text('提交')")
    expect(page.locator(".msg-success", has_text="已提交")).to_be_visible()
    snap(page, f"{tag}-applied")
    assert rec.removals.get().status == RemovalStatus.PENDING
    logout(page)

    # The reviewer agrees; the record leaves the public page today.
    login(page, base, "shenhe")
    page.click(".sidebar >> text=不良行为公示")
    page.click("a.tab:has-text('提前移出申请')")
    snap(page, f"{tag}-removals")
    page.locator("table.table a", has_text="审核").click()
    expect(page.locator("td", has_text="已足额支付拖欠工资")).to_be_visible()
    snap(page, f"{tag}-decide")
    page.fill("#id_note", "整改到位")
    page.click("button:has-text('同意')")
    expect(page.locator(".msg-success", has_text="已同意提前移出")).to_be_visible()
    logout(page)
    page.goto(base + "/gs/")
    expect(page.locator("td.empty")).to_be_visible()
    rec.refresh_from_db()
    assert rec.ended_early_on == today and rec.publicity_end == today - dt.timedelta(days=1)
