"""Lockouts as django-axes applies them: behind a proxy, and spread over several IPs or
usernames — the message's retry time and the 安全管理员's page must say what axes does."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from laowu.accounts.models import SmsCode, phone_is
from laowu.audit.models import AuditEvent
from tests.accounts.test_login import login
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

WRONG = "Wrong@1234"


def via_proxy(client_ip: str, spoofed: str = "") -> Client:
    """A browser behind our one nginx: the proxy is REMOTE_ADDR and appends the caller to
    X-Forwarded-For, after whatever the caller sent itself."""
    hops = f"{spoofed}, {client_ip}" if spoofed else client_ip
    return Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=hops)


def retry_time(resp: Any) -> str | None:
    found = re.search(r"请于 (\d\d:\d\d) 后重试", resp.content.decode())
    return found.group(1) if found else None


def test_behind_a_proxy_lockout_audit_and_sms_limits_use_the_real_client_ip(
    settings: Any, enterprise_a: Any, enterprise_b: Any, secadmin: Any, as_user: Any
) -> None:
    settings.LAOWU_TRUSTED_PROXIES = ["127.0.0.1"]
    # 1.1.1.1 fails 5 times, each time claiming to be someone else in its own header.
    for i in range(settings.AXES_FAILURE_LIMIT):
        resp = login(via_proxy("1.1.1.1", spoofed=f"9.9.9.{i}"), enterprise_a.username, WRONG)
    assert resp.status_code == 429 and retry_time(resp)
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"1.1.1.1"}
    assert set(AuditEvent.objects.filter(action="account.login_failed").values_list("ip", flat=True)) == {"1.1.1.1"}
    assert AuditEvent.objects.get(action="account.lockout").ip == "1.1.1.1"
    # The account is locked, from anywhere; the IP is locked, for any account…
    assert login(via_proxy("2.2.2.2"), enterprise_a.username).status_code == 429
    assert login(via_proxy("1.1.1.1"), enterprise_b.username).status_code == 429
    # …but everyone else behind the same proxy still logs in.
    resp = login(via_proxy("2.2.2.2"), enterprise_b.username)
    assert resp.status_code == 302
    assert AuditEvent.objects.filter(action="account.login", user=enterprise_b).get().ip == "2.2.2.2"
    page = as_user(secadmin).get(reverse("accounts:lockouts")).content.decode()
    assert "1.1.1.1" in page and "127.0.0.1" not in page
    # The SMS per-IP limit counts the same address.
    via_proxy("3.3.3.3").post(
        "/accounts/password/forgot/", {"phone": enterprise_b.phone, "captcha_0": "k", "captcha_1": "PASSED"}
    )
    assert SmsCode.objects.get(**phone_is(enterprise_b.phone)).ip == "3.3.3.3"


def test_without_proxy_setting_the_forwarded_header_is_ignored(enterprise_a: Any) -> None:
    assert settings.LAOWU_TRUSTED_PROXIES == []
    login(Client(REMOTE_ADDR="10.4.4.4", HTTP_X_FORWARDED_FOR="1.1.1.1"), enterprise_a.username, WRONG)
    assert AccessAttempt.objects.get().ip_address == "10.4.4.4"


def test_failures_spread_over_two_ips_lock_the_account_until_the_time_shown(
    enterprise_a: Any, secadmin: Any, as_user: Any
) -> None:
    start = timezone.now().replace(second=0, microsecond=0)
    with time_machine.travel(start, tick=False):
        for _ in range(3):
            login(Client(REMOTE_ADDR="10.0.1.1"), enterprise_a.username, WRONG)
    with time_machine.travel(start + dt.timedelta(minutes=5), tick=False):
        login(Client(REMOTE_ADDR="10.0.1.2"), enterprise_a.username, WRONG)
        resp = login(Client(REMOTE_ADDR="10.0.1.2"), enterprise_a.username, WRONG)
        assert resp.status_code == 429
        # No single row holds 5 failures; their sum does. The first 3 stop counting at
        # start + 15 min, and then 2 (+1 from the refused attempt below) are under the limit.
        until = timezone.localtime(start + dt.timedelta(minutes=15)).strftime("%H:%M")
        assert retry_time(resp) == until
        resp = login(Client(REMOTE_ADDR="10.0.1.3"), enterprise_a.username)
        assert resp.status_code == 429 and retry_time(resp) == until
        page = as_user(secadmin).get(reverse("accounts:lockouts")).content.decode()
        assert enterprise_a.username in page and "当前没有被锁定" not in page
        row = re.search(rf"<tr><td>账号</td><td>{enterprise_a.username}</td><td>—</td><td>(\d+)</td>", page)
        assert row and row.group(1) == "6"
    with time_machine.travel(start + dt.timedelta(minutes=14, seconds=50), tick=False):
        assert login(Client(REMOTE_ADDR="10.0.1.4"), enterprise_a.username).status_code == 429
    with time_machine.travel(start + dt.timedelta(minutes=15, seconds=5), tick=False):
        # axes agrees with the time shown.
        assert login(Client(REMOTE_ADDR="10.0.1.4"), enterprise_a.username).status_code == 302


def test_one_ip_trying_five_usernames_is_listed_and_can_be_unlocked(
    enterprise_a: Any, secadmin: Any, as_user: Any
) -> None:
    attacker = Client(REMOTE_ADDR="10.0.2.9")
    for i in range(settings.AXES_FAILURE_LIMIT):
        login(attacker, f"guess-{i}", WRONG)
    resp = login(attacker, enterprise_a.username)
    assert resp.status_code == 429 and retry_time(resp)
    sec = as_user(secadmin)
    page = sec.get(reverse("accounts:lockouts")).content.decode()
    assert "<tr><td>IP地址</td><td>—</td><td>10.0.2.9</td>" in page
    assert "guess-0" not in page  # one failure each: no account is locked
    assert 'name="ip_address" value="10.0.2.9"' in page and 'name="username"' not in page
    sec.post(reverse("accounts:unlock"), {"ip_address": "10.0.2.9"})
    assert "当前没有被锁定" in sec.get(reverse("accounts:lockouts")).content.decode()
    assert login(attacker, enterprise_a.username, PASSWORD).status_code == 302
    unlock = AuditEvent.objects.get(action="account.unlock")
    assert unlock.user == secadmin and unlock.detail["ip"] == "10.0.2.9"
