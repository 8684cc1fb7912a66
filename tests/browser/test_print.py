"""Printing a list in Chromium: the print stylesheet (laowu/static/laowu/print.css) leaves
out the sidebar, the menus, the buttons, the search form and the page links, and prints
the platform's name and the page's title on top with the table at full width."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from laowu.supervision import notices
from tests.browser.conftest import SCREENS, new_page
from tests.browser.test_basic_info_flow import PASSWORD, login
from tests.factories import EnterpriseUserFactory, StaffFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

HIDDEN_IN_PRINT = (".sidebar", ".userbox", ".search-bar", ".pagination a", ".panel-head .btn", ".footer")


def test_a_printed_list_has_no_screen_chrome(live_server: Any, browser: Any) -> None:
    reviewer = StaffFactory(role="reviewer", username="shenhe", password=PASSWORD)
    for n in range(25):  # more than one page, so the page links are there on screen
        notices.create_notice(data={"title": f"第{n + 1}号通知", "body": "正文"}, actor=reviewer)
    EnterpriseUserFactory(password=PASSWORD)
    page = new_page(browser)
    login(page, live_server.url, reviewer.username)
    page.goto(live_server.url + "/supervision/notices/")
    for selector in HIDDEN_IN_PRINT:
        expect(page.locator(selector).first).to_be_visible()

    page.emulate_media(media="print")
    for selector in HIDDEN_IN_PRINT:
        expect(page.locator(selector).first).to_be_hidden()
    expect(page.locator(".brand")).to_be_visible()  # the platform's name on top
    expect(page.locator(".panel-head h1").first).to_be_visible()  # the page's title
    expect(page.locator(".page-info")).to_contain_text("共 25 条")  # which part of the list this is
    table = page.locator(".table").first.bounding_box()
    body = page.locator("body").bounding_box()
    assert table is not None and body is not None
    assert table["width"] >= body["width"] - 2  # the table takes the whole width

    SCREENS.mkdir(parents=True, exist_ok=True)
    pdf = page.pdf(path=str(SCREENS / "print-notice-list.pdf"), format="A4", print_background=True)
    assert pdf.startswith(b"%PDF")
    page.context.close()
