"""重新从天眼查获取 on 基本信息归集 in Chromium, at 1366×768 and on a 390 px phone: shown while the
registered data is not confirmed, and after a successful retry the fields are filled and marked
天眼查 (laowu/enterprises/services.py refresh_from_provider)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from laowu.accounts import services as account_services
from laowu.enterprises.services import ensure_basic_info
from laowu.integrations.company_info.base import CompanyInfo
from tests.browser.conftest import SCREENS
from tests.browser.test_basic_info_flow import login

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("width", [1366, 390])
def test_retry_from_the_basic_info_page(
    live_server: Any, browser: Any, enterprise_a: Any, monkeypatch: Any, width: int
) -> None:
    enterprise = enterprise_a.enterprise
    enterprise.provider_confirmed = False
    enterprise.provider_data = {}
    enterprise.save()
    ensure_basic_info(enterprise=enterprise)
    found = CompanyInfo(name=enterprise.name, credit_code=enterprise.credit_code, legal_representative="周法人")
    # The live server runs in this process: the provider it asks is this one.
    monkeypatch.setattr(
        account_services, "get_company_info_provider", lambda: type("P", (), {"lookup": lambda s, c: found})()
    )
    ctx = browser.new_context(viewport={"width": width, "height": 768 if width > 400 else 844}, locale="zh-CN")
    page = ctx.new_page()
    login(page, live_server.url, enterprise_a.username)
    page.goto(live_server.url + reverse("enterprises:basic_info"))
    button = page.locator("button", has_text="重新从天眼查获取")
    expect(button).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"provider-refresh-{width}.png"))
    button.click()
    expect(page.locator(".msg-success", has_text="已从天眼查获取企业登记信息")).to_be_visible()
    expect(page.locator("[name=legal_representative]")).to_have_value("周法人")
    expect(page.locator("button", has_text="重新从天眼查获取")).to_have_count(0)
    page.screenshot(path=str(SCREENS / f"provider-refresh-{width}-done.png"))
    ctx.close()
