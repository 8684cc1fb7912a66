"""统计分析 in Chromium, with and without JavaScript: the period filter, the charts drawn and
readable at 1366×768 without horizontal scrolling, and the workbook download."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import new_page, snap
from tests.browser.test_basic_info_flow import login
from tests.supervision.test_statistics import dataset  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_dashboard(
    live_server: Any,
    browser: Any,
    js_enabled: bool,
    dataset: dict[str, Any],  # noqa: F811 (the fixture imported above)
    reviewer: Any,
) -> None:
    page = new_page(browser, js=js_enabled)
    login(page, live_server.url, reviewer.username)
    page.click(".sidebar >> text=统计分析")
    expect(page.locator("h1", has_text="统计分析")).to_be_visible()
    page.fill("#id_month_from", "2024-01")
    page.fill("#id_month_to", "2024-12")
    page.select_option("#id_type", "basic_info")
    page.click("button:has-text('查询')")
    expect(page.locator(".note", has_text="统计期间：2024-01 至 2024-12")).to_be_visible()

    charts = page.locator("svg.chart")
    expect(charts).to_have_count(7)
    for i in range(7):
        box = charts.nth(i).bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 150
    monthly = page.locator("#stat-submissions")
    expect(monthly.locator("tbody tr", has_text="2024-03")).to_contain_text("1")
    expect(monthly.locator("svg.chart rect title", has_text="2024-04 · 审核通过：1")).to_have_count(1)
    expect(page.locator("#stat-filings tbody tr")).to_have_count(1)
    snap(page, "statistics-" + ("js" if js_enabled else "nojs"))

    with page.expect_download() as info:
        page.click("a:has-text('导出')")
    path = info.value.path()
    wb = openpyxl.load_workbook(io.BytesIO(Path(path).read_bytes()))
    assert list(wb["信息归集分类统计"].iter_rows(values_only=True))[1] == ("企业基本信息", 1, 1, 1, 0, 0, 3)
