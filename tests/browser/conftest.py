"""Playwright driving Debian's Chromium against pytest-django's live server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the
# test itself (fixtures, assertions) are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("LAOWU_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
# Two cores shared with the live server (and, on a busy machine, other work): give
# assertions the same patience as actions rather than Playwright's 5 s default.
expect.set_options(timeout=15_000)

SCREENS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screens"
VIEWPORT = {"width": 1366, "height": 768}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make test` (it installs Debian's chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(params=[True, False], ids=["js", "nojs"])
def js_enabled(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


def new_page(browser: Any, *, js: bool = True) -> Any:
    ctx = browser.new_context(viewport=VIEWPORT, locale="zh-CN", java_script_enabled=js)
    ctx.set_default_timeout(15_000)
    return ctx.new_page()


def snap(page: Any, name: str) -> None:
    """Save a 1366×768 full-page screenshot and check the page needs no horizontal scroll."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= VIEWPORT["width"], f"{name}: page is {width}px wide, needs horizontal scrolling at 1366×768"


def second_factor_device(username: str) -> Any:
    """The authenticator app of an account that uses a 动态验证码 (every staff account,
    laowu/accounts/otp.py), or None. A staff account the test made without one is given one, as
    if it had enrolled at an earlier login (enrolment has its own test,
    tests/browser/test_otp_flow.py). Call it before the password step: the server decides
    where that step leads as soon as the form is sent."""
    from laowu.accounts import otp
    from laowu.accounts.models import User
    from tests.factories import totp_device

    user = User.objects.get(username=username)
    if otp.otp_required(user) or otp.has_second_factor(user):
        return totp_device(user)
    return None


def pass_second_factor(page: Any, device: Any) -> None:
    """After the password step: type the code the app shows, computed from the device's key
    as the app computes it."""
    from tests.factories import totp_code

    if device is None:
        return
    expect(page.locator("h2", has_text="动态验证码")).to_be_visible()
    page.fill("#id_code", totp_code(device))
    page.click("button:has-text('验证')")
    expect(page.locator("h2", has_text="动态验证码")).to_have_count(0)


def approve_open_submission(page: Any) -> None:
    """Reviewer's 通过 on the submission page just opened: wait until it has loaded, as a
    reader would, then confirm and expect the success message."""
    expect(page.locator("h2", has_text="审核记录")).to_be_visible()
    page.wait_for_load_state()
    page.click("button:has-text('通过')")
    expect(page.locator(".msg-success", has_text="已审核通过")).to_be_visible()
