"""Signed-in pages on a 390 px phone: the menu becomes a row of links above the page, the page is
no wider than the screen (wide tables scroll inside their panel), and its heading is on the first
screen — laowu/static/laowu/laowu.css, the narrow-screen block at its end."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.conftest import SCREENS
from tests.browser.crawl_data import World, build_world
from tests.browser.test_basic_info_flow import login

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def world(enterprise_a: Any, reviewer: Any) -> World:
    return build_world(enterprise_a, reviewer)


def phone_page(browser: Any, base: str, username: str) -> Any:
    ctx = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    ctx.set_default_timeout(15_000)
    page = ctx.new_page()
    login(page, base, username)
    expect(page.locator(".topbar", has_text="退出登录")).to_be_visible()
    return page


def check(page: Any, base: str, url: str, name: str) -> None:
    page.goto(base + url)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{url}: the page is {width} px wide on a {PHONE['width']} px screen"
    heading = page.locator("main h1").first.bounding_box()
    assert heading is not None and heading["y"] + heading["height"] <= PHONE["height"], f"{url}: heading off-screen"
    # The menu is there, as links, not hidden.
    expect(page.locator("nav.sidebar a").first).to_be_visible()
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"phone-{name}.png"), full_page=True)


def test_enterprise_pages_fit_a_phone(live_server: Any, browser: Any, world: World, enterprise_a: Any) -> None:
    page = phone_page(browser, live_server.url, enterprise_a.username)
    for url, name in [
        ("/", "enterprise-home"),
        (reverse("enterprises:basic_info"), "basic-info"),
        (reverse("personnel:list", args=["safety"]), "safety-list"),
        (reverse("personnel:edit", args=["wage", world.rejected_person.pk]), "wage-rejected"),
        (reverse("contracts:list"), "projects"),
        (reverse("contracts:edit", args=[world.project.pk]), "project"),
    ]:
        check(page, live_server.url, url, name)
    page.context.close()


def test_reviewer_pages_fit_a_phone(live_server: Any, browser: Any, world: World, reviewer: Any) -> None:
    page = phone_page(browser, live_server.url, reviewer.username)
    for url, name in [
        ("/", "reviewer-home"),
        (reverse("review:queue"), "queue"),
        (reverse("review:submission", args=[world.declared_submission.pk]), "submission"),
        (reverse("directory:enterprise_list"), "directory"),
    ]:
        check(page, live_server.url, url, name)
    page.context.close()
