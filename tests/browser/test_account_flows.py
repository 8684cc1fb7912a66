"""用户注册 (with its SMS code) → 用户登录 → 退出 → 忘记密码 (code from the SMS outbox) → login with the new
password, in real Chromium, once with JavaScript on and once with it off."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from laowu.accounts.models import User
from laowu.integrations.company_info.offline import offline_companies
from tests.browser.conftest import new_page, pass_second_factor, second_factor_device, snap
from tests.factories import EnterpriseUserFactory, StaffFactory

pytestmark = pytest.mark.django_db(transaction=True)


def fill_captcha(page: Any) -> None:
    page.fill("input[name=captcha_1]", "PASSED")


def test_register_login_logout_reset_login(live_server: Any, browser: Any, js_enabled: bool, _sms_outbox: Path) -> None:
    tag = "js" if js_enabled else "nojs"
    company = offline_companies()[2 if js_enabled else 3]
    page = new_page(browser, js=js_enabled)
    base = live_server.url

    # The manual's bookmarked address leads to the login page.
    page.goto(base + "/Home/Login")
    expect(page).to_have_title(re.compile("^用户登录"))
    snap(page, f"{tag}-01-login")

    page.click("text=用户注册")
    expect(page.locator("h2", has_text="用户注册")).to_be_visible()
    page.fill("#id_name", company.name)
    page.fill("#id_credit_code", company.credit_code)
    page.fill("#id_contact_name", "陈工")
    page.fill("#id_phone", "13855556666")
    page.fill("#id_password1", "Xc8%Jyw3Np")
    page.fill("#id_password2", "Other@2026")
    fill_captcha(page)
    page.click("button:has-text('注册')")
    # The error stands beside the field and the other input is kept.
    assert page.locator("#id_password2_error").inner_text() == "两次输入的密码不一致。"
    assert page.input_value("#id_credit_code") == company.credit_code
    assert page.input_value("#id_phone") == "13855556666"
    snap(page, f"{tag}-02-register-error")
    page.fill("#id_password1", "Xc8%Jyw3Np")
    page.fill("#id_password2", "Xc8%Jyw3Np")
    fill_captcha(page)
    page.click("button:has-text('注册')")
    # Step 2: the code sent to the contact's phone makes the account.
    expect(page.locator("text=短信验证码已发送至 138****6666")).to_be_visible()
    assert not User.objects.filter(username=company.credit_code).exists()
    sent = [json.loads(line) for line in _sms_outbox.read_text(encoding="utf-8").splitlines()]
    assert sent[-1]["phone"] == "13855556666" and sent[-1]["purpose"] == "register"
    page.fill("#id_code", sent[-1]["code"])
    page.click("button:has-text('完成注册')")

    expect(page.locator(".main h1", has_text=company.name)).to_be_visible()
    expect(page.locator("text=已核验").first).to_be_visible()
    for label in ("基本信息归集", "安全员归集", "劳资专管员归集", "项目信息归集"):
        assert page.locator(".sidebar", has_text=label).count() == 1
    snap(page, f"{tag}-03-home")
    assert User.objects.get(username=company.credit_code).enterprise.provider_confirmed

    page.click("text=退出登录")
    expect(page).to_have_title(re.compile("^用户登录"))

    page.click("text=忘记密码")
    expect(page).to_have_url(re.compile("/accounts/password/forgot/$"))
    snap(page, f"{tag}-04-forgot")
    page.fill("#id_phone", "13855556666")
    fill_captcha(page)
    page.click("button:has-text('获取验证码')")
    expect(page.locator("text=短信验证码已发送至 138****6666")).to_be_visible()
    messages = [json.loads(line) for line in _sms_outbox.read_text(encoding="utf-8").splitlines()]
    assert messages[-1]["phone"] == "13855556666"
    code = messages[-1]["code"]
    assert re.fullmatch(r"\d{6}", code)
    snap(page, f"{tag}-05-reset")
    page.fill("#id_code", code)
    page.fill("#id_new_password1", "Renew#2027")
    page.fill("#id_new_password2", "Renew#2027")
    page.click("button:has-text('重置密码')")
    expect(page.locator("text=密码已重置，请使用新密码登录。")).to_be_visible()

    # The old password no longer works; the new one does.
    page.fill("#id_username", company.credit_code)
    page.fill("#id_password", "Xc8%Jyw3Np")
    fill_captcha(page)
    page.click("button:has-text('登录')")
    expect(page.locator("text=账号或密码错误")).to_be_visible()
    snap(page, f"{tag}-06-login-error")
    page.fill("#id_username", company.credit_code)
    page.fill("#id_password", "Renew#2027")
    fill_captcha(page)
    page.click("button:has-text('登录')")
    expect(page.locator(".main h1", has_text=company.name)).to_be_visible()
    page.context.close()


def test_captcha_refresh_with_javascript(live_server: Any, browser: Any) -> None:
    page = new_page(browser, js=True)
    page.goto(live_server.url + "/accounts/login/")
    key = page.input_value("input[name=captcha_0]")
    src = page.get_attribute(".captcha-box img", "src")
    page.click("text=换一张")
    # Polled from Python: a predicate string would need eval, which the CSP rightly forbids.
    expect(page.locator("input[name=captcha_0]")).not_to_have_value(key)
    assert page.get_attribute(".captcha-box img", "src") != src
    page.context.close()


@pytest.mark.parametrize(
    ("role", "path", "heading"),
    [
        ("reviewer", "/", "区劳务专委会工作台"),
        ("supervisor", "/", "区劳务专委会工作台"),
        ("sysadmin", "/accounts/users/", "账号管理"),
        ("sysadmin", "/accounts/users/new/", "新建工作人员"),
        ("secadmin", "/accounts/lockouts/", "登录锁定"),
        ("auditadmin", "/audit/", "审计日志"),
    ],
)
def test_staff_pages_fit_1366(live_server: Any, browser: Any, role: str, path: str, heading: str) -> None:
    StaffFactory(role=role, username=f"demo-{role}", password="Laowu@2026")
    device = second_factor_device(f"demo-{role}")
    page = new_page(browser, js=True)
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", f"demo-{role}")
    page.fill("#id_password", "Laowu@2026")
    fill_captcha(page)
    page.click("button:has-text('登录')")
    pass_second_factor(page, device)
    page.goto(live_server.url + path)
    expect(page.locator(".panel-head h1", has_text=heading)).to_be_visible()
    snap(page, f"staff-{role}{path.replace('/', '-')}")
    page.context.close()


def test_password_change_page_fits_1366(live_server: Any, browser: Any, js_enabled: bool) -> None:
    tag = "js" if js_enabled else "nojs"
    user = EnterpriseUserFactory(password="Laowu@2026")
    page = new_page(browser, js=js_enabled)
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", "Laowu@2026")
    fill_captcha(page)
    page.click("button:has-text('登录')")
    page.goto(live_server.url + "/accounts/password/change/")
    expect(page.locator("h1", has_text="修改密码")).to_be_visible()
    snap(page, f"{tag}-07-password-change")
    page.fill("#id_old_password", "Laowu@2026")
    page.fill("#id_new_password1", "Gx!83mQa")
    page.fill("#id_new_password2", "Change#2028")
    page.click("button:has-text('保存')")
    assert page.locator("#id_new_password2_error").inner_text() == "两次输入的密码不一致。"
    snap(page, f"{tag}-08-password-change-error")
    page.fill("#id_old_password", "Laowu@2026")
    page.fill("#id_new_password1", "Gx!83mQa")
    page.fill("#id_new_password2", "Gx!83mQa")
    page.click("button:has-text('保存')")
    expect(page.locator("text=密码修改成功。")).to_be_visible()
    page.context.close()
    user.refresh_from_db()
    assert user.check_password("Gx!83mQa")
