"""动态验证码 in Chromium: a staff account's first login binds an authenticator app (QR code and
the key as text, confirmed with one code, then the recovery codes shown once), and a later login
asks for the code after the password. At 1366×768 and on a 390 px wide phone."""

from __future__ import annotations

import io
import re
import time
from base64 import b32decode
from typing import Any

import pytest
import zxingcpp
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from PIL import Image
from playwright.sync_api import expect

from laowu.audit.models import AuditEvent
from tests.browser.a11y import axe_problems, report, structure_problems
from tests.browser.conftest import SCREENS, new_page, snap
from tests.factories import StaffFactory, totp_code

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "Laowu@2026"
PHONE = {"width": 390, "height": 844}


def snap_phone(page: Any, name: str) -> None:
    """The same page on a phone: a screenshot, and no sideways scrolling."""
    page.set_viewport_size(PHONE)
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"{name}-390.png"), full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    page.set_viewport_size({"width": 1366, "height": 768})
    assert width <= PHONE["width"], f"{name}: page is {width}px wide on a 390px phone"


def assert_accessible(page: Any) -> None:
    """The checks tests/browser/test_accessibility.py makes of every crawled page: these pages
    are only reached half logged in, which its crawl never is."""
    problems = axe_problems(page) + structure_problems(page, page.content())
    assert not problems, report(problems)


def password_step(page: Any, base: str, username: str) -> None:
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.fill("input[name=captcha_1]", "PASSED")
    page.click("button:has-text('登录')")


def code_from_key_text(secret: str) -> str:
    """What an authenticator app shows for the key typed in by hand (Base32, spaces ignored)."""
    key = secret.replace(" ", "")
    key += "=" * (-len(key) % 8)
    # The current step's code, unless it is about to change while the page submits.
    if 30 - time.time() % 30 < 2:
        time.sleep(2)
    return f"{totp(b32decode(key)):06d}"


def test_staff_enrols_at_first_login_then_logs_in_with_a_code(live_server: Any, browser: Any) -> None:
    user = StaffFactory(role="reviewer", username="shenhe", password=PASSWORD)
    base = live_server.url
    page = new_page(browser, js=True)

    # First login: the password, then the enrolment page instead of the workspace.
    password_step(page, base, "shenhe")
    expect(page.locator("h2", has_text="绑定验证器App")).to_be_visible()
    expect(page).to_have_url(re.compile("/accounts/otp/enrol/"))
    assert page.locator("img.otp-qr").get_attribute("src").startswith("data:image/svg+xml")
    assert page.locator("img.otp-qr").evaluate("img => img.naturalWidth") > 0
    secret = page.inner_text("#otp-secret")
    assert re.fullmatch(r"([A-Z2-7]{4} ){7}[A-Z2-7]{4}", secret)
    # What the phone's camera reads: the account and the same key.
    qr = zxingcpp.read_barcodes(Image.open(io.BytesIO(page.locator("img.otp-qr").screenshot())))
    assert len(qr) == 1 and qr[0].text.startswith("otpauth://totp/")
    assert "shenhe" in qr[0].text and "secret=" + secret.replace(" ", "") in qr[0].text
    snap(page, "otp-01-enrol")
    assert_accessible(page)
    snap_phone(page, "otp-01-enrol")

    # Any other page sends it back here until it is bound.
    page.goto(base + "/review/")
    expect(page.locator("h2", has_text="绑定验证器App")).to_be_visible()

    page.fill("#id_code", "000000")
    page.click("button:has-text('绑定')")
    expect(page.locator("#id_code_error")).to_contain_text("动态验证码不正确")
    assert page.input_value("#id_code") == "000000"
    snap(page, "otp-02-enrol-error")

    # The key typed in by hand, as from the text on the page: the app's code binds it.
    TOTPDevice.objects.filter(user=user).update(throttling_failure_count=0)
    page.fill("#id_code", code_from_key_text(secret))
    page.click("button:has-text('绑定')")
    expect(page.locator("h2", has_text="恢复码")).to_be_visible()
    expect(page.locator(".msg-success", has_text="验证器App绑定成功")).to_be_visible()
    codes = page.locator(".recovery-codes code").all_inner_texts()
    assert len(codes) == 10 and set(codes) == set(
        StaticToken.objects.filter(device__user=user).values_list("token", flat=True)
    )
    expect(page.locator("button:has-text('打印')")).to_be_visible()
    snap(page, "otp-03-recovery-codes")
    assert_accessible(page)
    snap_phone(page, "otp-03-recovery-codes")
    page.click("text=我已保存，继续")
    # Back to the page asked for before the gate.
    expect(page).to_have_url(re.compile("/review/$"))
    expect(page.locator("nav", has_text="待审核")).to_be_visible()
    # Shown once only.
    page.goto(base + "/accounts/otp/recovery-codes/")
    expect(page.locator("text=恢复码只在生成时显示一次")).to_be_visible()
    assert page.locator(".recovery-codes").count() == 0
    page.click("text=退出登录")

    # A later login: password, then the code.
    password_step(page, base, "shenhe")
    expect(page.locator("h2", has_text="动态验证码")).to_be_visible()
    snap(page, "otp-04-verify")
    assert_accessible(page)
    snap_phone(page, "otp-04-verify")
    page.fill("#id_code", "123456")
    page.click("button:has-text('验证')")
    expect(page.locator("#id_code_error")).to_contain_text("动态验证码不正确")
    snap(page, "otp-05-verify-error")
    assert_accessible(page)
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
    page.fill("#id_code", totp_code(device))
    page.click("button:has-text('验证')")
    expect(page.locator(".main h1", has_text="区劳务专委会工作台")).to_be_visible()
    assert AuditEvent.objects.filter(action="account.otp_enrol", object_id=str(user.pk)).count() == 1
    assert AuditEvent.objects.filter(action="account.otp_verify", object_id=str(user.pk), result="success").exists()
    page.context.close()
