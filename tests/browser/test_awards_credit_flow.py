"""评优创先 and 信用评分 in Chromium, with and without JavaScript: the reviewer finds an
enterprise by a plain search, nominates it, uploads the support, records 已获评; the
enterprise sees the award and the +points on its credit page; every page fits 1366×768."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from laowu.supervision.models import Award, AwardStatus, BadBehaviour, BadBehaviourStatus
from tests.browser.conftest import new_page, snap
from tests.browser.test_basic_info_flow import PASSWORD, accept_dialogs, login, logout, upload
from tests.factories import EnterpriseUserFactory, StaffFactory, make_pdf_bytes

pytestmark = pytest.mark.django_db(transaction=True)


def test_nominate_grant_and_see_the_score(live_server: Any, browser: Any, js_enabled: bool, tmp_path: Path) -> None:
    tag = "award-js" if js_enabled else "award-nojs"
    base = live_server.url
    today = timezone.localdate()
    owner = EnterpriseUserFactory(password=PASSWORD, enterprise__name="苏州阳澄湖建筑劳务有限公司")
    EnterpriseUserFactory(password=PASSWORD, enterprise__name="苏州别家劳务有限公司")
    reviewer = StaffFactory(role="reviewer", username="shenhe", password=PASSWORD)
    BadBehaviour.objects.create(
        enterprise=owner.enterprise,
        grade="C",
        category="real_name",
        facts="未按规定落实实名制考勤",
        legal_basis="《保障农民工工资支付条例》",
        decision_no="相劳专〔2026〕3号",
        decision_date=today - dt.timedelta(days=20),
        points=2,
        issuer="相城区建筑劳务专业委员会",
        publicity_start=today - dt.timedelta(days=10),
        publicity_end=today + dt.timedelta(days=200),
        status=BadBehaviourStatus.PUBLISHED,
        created_by=reviewer,
    )
    support = tmp_path / "推荐材料.pdf"
    support.write_bytes(make_pdf_bytes("support"))

    page = new_page(browser, js=js_enabled)
    accept_dialogs(page)
    login(page, base, "shenhe")
    page.click(".sidebar >> text=评优创先")
    expect(page.locator("text=没有符合条件的推荐")).to_be_visible()
    snap(page, f"{tag}-01-list-empty")
    page.click("a:has-text('推荐')")
    page.fill("input[name=q]", "阳澄湖")
    page.click("button:has-text('查询')")
    expect(page.locator("tbody tr")).to_have_count(1)
    snap(page, f"{tag}-02-pick")
    page.locator("tr", has_text="苏州阳澄湖建筑劳务有限公司").locator("a:has-text('选择')").click()
    page.select_option("#id_title", label="优秀劳务企业")
    page.fill("#id_reasons", "实名制管理规范，工资按月足额支付，全年无安全事故。")
    # The enterprise is under 不良行为公示: the form says so and asks for an explicit confirmation.
    expect(page.locator(".award-publicity")).to_contain_text("正在不良行为公示期内")
    snap(page, f"{tag}-03-form")
    page.click("button:has-text('推荐')")
    expect(page.locator(".error", has_text="如确需推荐")).to_be_visible()
    expect(page.locator("#id_reasons")).to_have_value("实名制管理规范，工资按月足额支付，全年无安全事故。")
    snap(page, f"{tag}-03b-confirm")
    page.check("#id_publicity_confirmed")
    page.click("button:has-text('推荐')")
    expect(page.locator(".msg-success", has_text="已推荐")).to_be_visible()
    upload(page, "推荐材料", support)
    snap(page, f"{tag}-04-detail")
    page.check("input[value=granted]")
    page.click("button:has-text('确定')")
    expect(page.locator(".msg-success", has_text="已登记评定结果：已获评")).to_be_visible()
    award = Award.objects.get()
    assert award.status == AwardStatus.GRANTED and award.decided_on == today

    page.click(".sidebar >> text=信用评分")
    row = page.locator("tr", has_text="苏州阳澄湖建筑劳务有限公司")
    expect(row).to_contain_text("98")  # 100 − (C类5 + 2分×1) + 5
    snap(page, f"{tag}-05-credit-list")
    row.locator("a:has-text('明细')").click()
    expect(page.locator(".credit-score")).to_have_text("98")
    expect(page.locator("td", has_text="相劳专〔2026〕3号")).to_be_visible()
    snap(page, f"{tag}-06-credit-detail")
    page.click("a:has-text('查看规则')")
    page.fill("#id_award_addition", "8")
    page.click("button:has-text('保存')")
    expect(page.locator(".msg-success", has_text="信用评分规则已保存")).to_be_visible()
    snap(page, f"{tag}-07-rules")
    logout(page)

    login(page, base, owner.username)
    page.click(".sidebar >> text=信用评分")
    expect(page.locator(".credit-score")).to_have_text("101")
    expect(page.locator("td", has_text="获评加分")).to_be_visible()
    expect(page.locator("td", has_text="优秀劳务企业")).to_have_count(2)  # the event and the award row
    snap(page, f"{tag}-08-my-credit")
    page.locator("tr", has_text="已获评").locator("a:has-text('查看')").click()
    expect(page.locator("h1", has_text=f"{today.year}年度优秀劳务企业")).to_be_visible()
    expect(page.locator("text=推荐材料.pdf")).to_be_visible()
    expect(page.locator("button:has-text('撤回')")).to_have_count(0)
    page.close()
