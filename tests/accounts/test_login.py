from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from laowu.audit.models import AuditEvent
from tests.conftest import PASSWORD
from tests.core.test_csp_middleware import POLICY

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def login(client: Any, username: str, password: str = PASSWORD, captcha: str = "PASSED", **extra: Any) -> Any:
    return client.post(
        LOGIN, {"username": username, "password": password, "captcha_0": "k", "captcha_1": captcha}, **extra
    )


def test_legacy_manual_addresses_redirect(client: Any) -> None:
    assert client.get("/Home/Login")["Location"] == reverse("accounts:login")
    assert client.get("/Home/AlterGlPwd")["Location"] == reverse("accounts:password_forgot")


def test_login_page_is_chinese_with_register_and_forgot_links(client: Any) -> None:
    page = client.get(LOGIN).content.decode()
    for text in ("用户登录", "用户注册", "忘记密码", "验证码", 'lang="zh-CN"'):
        assert text in page


def test_enterprise_logs_in_with_credit_code_and_audit_records_it(client: Any, enterprise_a: Any) -> None:
    resp = login(client, enterprise_a.username.lower())  # case does not matter for a credit code
    assert resp.status_code == 302 and resp["Location"] == "/"
    home = client.get("/").content.decode()
    assert enterprise_a.enterprise.name in home and "基本信息归集" in home and "安全员归集" in home
    ev = AuditEvent.objects.get(action="account.login")
    assert ev.user == enterprise_a and ev.role == "enterprise" and ev.ip == "127.0.0.1"


def test_wrong_captcha_does_not_count_as_failed_password(client: Any, enterprise_a: Any) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT + 2):
        resp = login(client, enterprise_a.username, captcha="WRONG")
        assert "验证码错误" in resp.content.decode()
    assert login(client, enterprise_a.username).status_code == 302


def test_five_failures_lock_for_15_minutes_with_retry_time(enterprise_a: Any) -> None:
    client = Client(REMOTE_ADDR="10.0.0.7")
    for i in range(settings.AXES_FAILURE_LIMIT - 1):
        resp = login(client, enterprise_a.username, password="Wrong@1234")
        assert resp.status_code == 200 and "账号或密码错误" in resp.content.decode(), i
    start = timezone.now()
    resp = login(client, enterprise_a.username, password="Wrong@1234")
    assert resp.status_code == 429
    page = resp.content.decode()
    until = timezone.localtime(start + dt.timedelta(minutes=15)).strftime("%H:%M")
    assert "已被锁定" in page and until in page
    # Even the right password is refused while locked, from another IP too (account lock).
    other = Client(REMOTE_ADDR="10.0.0.8")
    assert login(other, enterprise_a.username).status_code == 429
    assert AuditEvent.objects.filter(action="account.login_failed").count() >= settings.AXES_FAILURE_LIMIT
    assert AuditEvent.objects.filter(action="account.lockout", username=enterprise_a.username).exists()
    # After 15 minutes the lock lifts.
    with time_machine.travel(start + dt.timedelta(minutes=15, seconds=5)):
        assert login(other, enterprise_a.username).status_code == 302


def test_ip_with_five_failures_is_locked_for_other_accounts(enterprise_a: Any, enterprise_b: Any) -> None:
    client = Client(REMOTE_ADDR="10.0.0.9")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "nobody-" + enterprise_a.username, password="Wrong@1234")
    assert login(client, enterprise_b.username).status_code == 429
    assert login(Client(REMOTE_ADDR="10.0.0.10"), enterprise_b.username).status_code == 302


def test_idle_session_expires_after_30_minutes(client: Any, enterprise_a: Any) -> None:
    assert settings.SESSION_COOKIE_AGE == 30 * 60 and settings.LAOWU_SESSION_TOUCH_SECONDS == 60
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        login(client, enterprise_a.username)
    with time_machine.travel(start + dt.timedelta(minutes=29), tick=False):
        assert client.get("/").status_code == 200  # activity renews the session
    with time_machine.travel(start + dt.timedelta(minutes=29 + 29), tick=False):
        assert client.get("/").status_code == 200
    with time_machine.travel(start + dt.timedelta(minutes=29 + 29 + 31), tick=False):
        resp = client.get("/")
        assert resp.status_code == 302 and resp["Location"].startswith(LOGIN)


def test_session_is_renewed_once_a_minute_not_on_every_page(client: Any, enterprise_a: Any) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        login(client, enterprise_a.username)
        client.get("/")
    key = client.session.session_key
    expires = Session.objects.get(session_key=key).expire_date
    with (
        time_machine.travel(start + dt.timedelta(seconds=30), tick=False),
        CaptureQueriesContext(connection) as queries,
    ):
        assert client.get("/").status_code == 200
    assert not [q for q in queries.captured_queries if "django_session" in q["sql"] and "UPDATE" in q["sql"]]
    assert Session.objects.get(session_key=key).expire_date == expires
    with time_machine.travel(start + dt.timedelta(seconds=90), tick=False):
        assert client.get("/").status_code == 200
    assert Session.objects.get(session_key=key).expire_date == expires + dt.timedelta(seconds=90)
    with time_machine.travel(start + dt.timedelta(seconds=140), tick=False):
        assert client.get("/").status_code == 200  # within the minute: not renewed
    # So the idle time counts from the renewal, a minute at most before the last page.
    with time_machine.travel(start + dt.timedelta(seconds=90 + 30 * 60 + 1), tick=False):
        assert client.get("/").status_code == 302


def test_logout_is_post_only_and_audited(client: Any, enterprise_a: Any) -> None:
    login(client, enterprise_a.username)
    assert client.get("/accounts/logout/").status_code == 405
    resp = client.post("/accounts/logout/")
    assert resp.status_code == 302 and resp["Location"] == LOGIN
    assert client.get("/").status_code == 302
    assert AuditEvent.objects.filter(action="account.logout", user=enterprise_a).exists()


def test_password_change(client: Any, enterprise_a: Any) -> None:
    login(client, enterprise_a.username)
    url = reverse("accounts:password_change")
    resp = client.post(url, {"old_password": "bad", "new_password1": "Hz7$tq2Lm", "new_password2": "Hz7$tq2Lm"})
    assert "原密码不正确" in resp.content.decode()
    resp = client.post(url, {"old_password": PASSWORD, "new_password1": "newpassword", "new_password2": "newpassword"})
    assert "三类" in resp.content.decode()
    resp = client.post(url, {"old_password": PASSWORD, "new_password1": "Hz7$tq2Lm", "new_password2": "Hz7$tq2Lm"})
    assert resp.status_code == 302
    assert client.get("/").status_code == 200  # session survives the change
    enterprise_a.refresh_from_db()
    assert enterprise_a.check_password("Hz7$tq2Lm")
    assert AuditEvent.objects.filter(action="account.password_change", user=enterprise_a).exists()


def test_security_headers(client: Any) -> None:
    resp = client.get(LOGIN)
    assert "default-src 'self'" in resp["Content-Security-Policy"]
    # The whole policy (tests/core/test_csp_middleware.py `POLICY`).
    assert sorted(resp["Content-Security-Policy"].split("; ")) == sorted(POLICY)
    assert resp["X-Frame-Options"] == "DENY"
    assert resp["X-Content-Type-Options"] == "nosniff"


def test_csrf_enforced_on_login() -> None:
    client = Client(enforce_csrf_checks=True)
    assert login(client, "x").status_code == 403
