"""Save 1366×768 screenshots of the main pages of a running server (for looking at them).

Usage: .venv/bin/python scripts/screenshots.py [BASE_URL] [OUT_DIR]
Needs LAOWU_CAPTCHA_TEST_MODE=1 on the server (answer PASSED) and the demo data; run it from the
checkout, which it asks for the demo staff accounts' 动态验证码 (manage.py demo_otp_code).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
OUT = Path(sys.argv[2] if len(sys.argv) > 2 else "test-artifacts/screens")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


def login(page, username: str) -> None:
    page.goto(BASE + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "Demo#Xc2026")
    page.fill("#id_captcha_1", "PASSED")
    page.click("button[type=submit].btn-primary")
    page.wait_for_load_state()
    if "/accounts/otp/verify/" in page.url:
        # Demo staff accounts use a 动态验证码 (README, demo accounts): read it as a person
        # without an authenticator app would.
        shown = subprocess.run(  # noqa: S603 - our own manage.py with a demo account name
            [sys.executable, "manage.py", "demo_otp_code", username], capture_output=True, text=True, check=True
        ).stdout
        page.fill("#id_code", shown[:6])
        page.click("button[type=submit].btn-primary")
        page.wait_for_load_state()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for name, user, paths in [
            ("anon", None, ["/accounts/login/", "/accounts/register/", "/accounts/password/forgot/"]),
            ("ent", "91320507MA1XWL000C", ["/", "/w/enterprise/basic-info/", "/accounts/password/change/"]),
            ("rev", "shenhe", ["/"]),
            ("sys", "xitong", ["/accounts/users/", "/accounts/users/new/"]),
            ("sec", "anquan", ["/accounts/lockouts/"]),
            ("aud", "shenji", ["/audit/"]),
        ]:
            ctx = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
            page = ctx.new_page()
            if user:
                login(page, user)
            for path in paths:
                page.goto(BASE + path)
                fname = OUT / f"{name}{path.replace('/', '_') or '_'}.png"
                page.screenshot(path=str(fname), full_page=True)
                sw = page.evaluate("document.documentElement.scrollWidth")
                print(fname, "scrollWidth", sw)
            ctx.close()
        browser.close()


if __name__ == "__main__":
    main()
