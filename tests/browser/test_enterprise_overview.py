"""The committee's one-page view of an enterprise in Chromium, with and without JavaScript:
a reviewer goes from the enterprise list to the page, sees each section and follows the
bad-behaviour section's link to the list filtered to the enterprise; it fits 1366×768."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from laowu.supervision.messaging import send_message
from tests.browser.conftest import SCREENS, new_page, snap
from tests.browser.test_basic_info_flow import PASSWORD, login
from tests.factories import EnterpriseUserFactory, StaffFactory
from tests.supervision.test_credit import bad_behaviour

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_reviewer_reads_one_enterprise_on_one_page(live_server: Any, browser: Any, js_enabled: bool) -> None:
    tag = "js" if js_enabled else "nojs"
    owner = EnterpriseUserFactory(password=PASSWORD, enterprise__name="苏州阳澄湖建筑劳务有限公司")
    reviewer = StaffFactory(role="reviewer", username="shenhe", password=PASSWORD)
    today = timezone.localdate()
    bad_behaviour(
        owner.enterprise,
        reviewer,
        decision_no="相劳专〔2026〕12号",
        publicity_start=today - dt.timedelta(days=3),
        publicity_end=today + dt.timedelta(days=200),
    )
    send_message(enterprise=owner.enterprise, title="请按期提交整改回复", body="正文")
    page = new_page(browser, js=js_enabled)
    login(page, live_server.url, reviewer.username)
    page.click(".sidebar >> text=企业列表")
    page.click("a:has-text('苏州阳澄湖建筑劳务有限公司')")
    expect(page.locator("h2", has_text="申报信息")).to_be_visible()
    expect(page.locator("#bad-behaviour td", has_text="相劳专〔2026〕12号")).to_be_visible()
    expect(page.locator("#messages-sent td", has_text="请按期提交整改回复")).to_be_visible()
    snap(page, f"enterprise-overview-{tag}")
    if js_enabled:
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=str(SCREENS / "enterprise-overview-390.png"), full_page=True)
        page.set_viewport_size({"width": 1366, "height": 768})
    page.locator("#bad-behaviour a:has-text('查看全部')").click()
    expect(page.locator("td", has_text="相劳专〔2026〕12号")).to_be_visible()
    expect(page.locator("input[name=q]")).to_have_value(owner.enterprise.credit_code)
    page.context.close()
