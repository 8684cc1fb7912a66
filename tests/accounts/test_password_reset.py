from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from laowu.accounts import services
from laowu.accounts.models import SmsCode, phone_is
from laowu.audit.models import AuditEvent
from laowu.integrations.sms import SmsDeliveryError
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

FORGOT = "/accounts/password/forgot/"
RESET = "/accounts/password/reset/"


def outbox_codes(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def ask(client: Any, phone: str) -> Any:
    return client.post(FORGOT, {"phone": phone, "captcha_0": "k", "captcha_1": "PASSED"})


def comparable(resp: Any, phone: str) -> str:
    """A step-2 page with what legitimately differs between two callers taken out: the
    masked number they typed and the CSRF token."""
    page = resp.content.decode().replace(f"{phone[:3]}****{phone[-4:]}", "<phone>")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)


def test_full_reset_flow(client: Any, enterprise_a: Any, _sms_outbox: Path) -> None:
    resp = ask(client, enterprise_a.phone)
    assert resp.status_code == 302 and resp["Location"] == RESET
    msgs = outbox_codes(_sms_outbox)
    assert len(msgs) == 1 and msgs[0]["phone"] == enterprise_a.phone
    code = msgs[0]["code"]
    assert len(code) == 6 and code.isdigit()
    page = client.get(RESET).content.decode()
    assert enterprise_a.phone[:3] + "****" + enterprise_a.phone[-4:] in page
    resp = client.post(RESET, {"code": code, "new_password1": "Reset@2026", "new_password2": "Reset@2026"})
    assert resp.status_code == 302 and resp["Location"] == reverse("accounts:login")
    enterprise_a.refresh_from_db()
    assert enterprise_a.check_password("Reset@2026")
    assert AuditEvent.objects.filter(action="account.password_reset", result="success", user=enterprise_a).exists()
    # A code works once.
    with pytest.raises(ValidationError, match="已失效"):
        services.reset_password_with_code(phone=enterprise_a.phone, code=code, new_password="Again@2026")


def test_same_reply_for_unknown_number(client: Any, enterprise_a: Any, _sms_outbox: Path) -> None:
    known = ask(client, enterprise_a.phone)
    known_page = client.get(RESET).content.decode()
    other = Client()
    unknown = ask(other, "13600000000")
    unknown_page = other.get(RESET).content.decode()
    assert known.status_code == unknown.status_code == 302 and known["Location"] == unknown["Location"]
    assert "如该号码已注册" in known_page and "如该号码已注册" in unknown_page
    # Nothing was sent to the unknown number, but the request counts against its limits.
    assert [m["phone"] for m in outbox_codes(_sms_outbox)] == [enterprise_a.phone]
    assert SmsCode.objects.filter(**phone_is("13600000000")).count() == 1
    assert "请" in ask(other, "13600000000").content.decode()  # 60 s resend limit applies too


def test_resend_needs_60_seconds(enterprise_a: Any) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        services.request_password_reset_code(phone=enterprise_a.phone)
    with (
        time_machine.travel(start + dt.timedelta(seconds=30), tick=False),
        pytest.raises(services.RateLimited, match="31秒后"),
    ):
        services.request_password_reset_code(phone=enterprise_a.phone)
    with time_machine.travel(start + dt.timedelta(seconds=61), tick=False):
        services.request_password_reset_code(phone=enterprise_a.phone)
    # The newer code voids the older one.
    assert SmsCode.objects.filter(**phone_is(enterprise_a.phone), voided=False).count() == 1


def test_daily_cap_of_10_per_phone(enterprise_a: Any) -> None:
    start = timezone.localtime().replace(hour=1, minute=0, second=0, microsecond=0)
    for i in range(10):
        with time_machine.travel(start + dt.timedelta(minutes=2 * i), tick=False):
            services.request_password_reset_code(phone=enterprise_a.phone)
    with (
        time_machine.travel(start + dt.timedelta(minutes=30), tick=False),
        pytest.raises(services.RateLimited, match="今日"),
    ):
        services.request_password_reset_code(phone=enterprise_a.phone)
    with time_machine.travel(start + dt.timedelta(days=1), tick=False):
        services.request_password_reset_code(phone=enterprise_a.phone)


def test_per_ip_hourly_limit(settings: Any) -> None:
    settings.LAOWU_SMS_HOURLY_PER_IP = 3
    client = Client(REMOTE_ADDR="10.1.1.1")
    for i in range(3):
        assert ask(client, f"1360000000{i}").status_code == 302
    resp = ask(client, "13600000009")
    assert resp.status_code == 200 and "当前网络获取验证码过于频繁" in resp.content.decode()
    assert ask(Client(REMOTE_ADDR="10.1.1.2"), "13600000009").status_code == 302


def test_code_expires_after_5_minutes(enterprise_a: Any, _sms_outbox: Path) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        services.request_password_reset_code(phone=enterprise_a.phone)
    code = outbox_codes(_sms_outbox)[-1]["code"]
    with (
        time_machine.travel(start + dt.timedelta(seconds=settings.LAOWU_SMS_CODE_TTL_SECONDS + 1), tick=False),
        pytest.raises(ValidationError, match="已失效"),
    ):
        services.reset_password_with_code(phone=enterprise_a.phone, code=code, new_password="Reset@2026")


def test_five_wrong_tries_void_the_code(enterprise_a: Any, _sms_outbox: Path) -> None:
    services.request_password_reset_code(phone=enterprise_a.phone)
    code = outbox_codes(_sms_outbox)[-1]["code"]
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for left in (4, 3, 2, 1):
        with pytest.raises(ValidationError, match=f"还可尝试{left}次"):
            services.reset_password_with_code(phone=enterprise_a.phone, code=wrong, new_password="Reset@2026")
    with pytest.raises(ValidationError, match="错误次数过多"):
        services.reset_password_with_code(phone=enterprise_a.phone, code=wrong, new_password="Reset@2026")
    with pytest.raises(ValidationError, match="已失效"):
        services.reset_password_with_code(phone=enterprise_a.phone, code=code, new_password="Reset@2026")
    enterprise_a.refresh_from_db()
    assert enterprise_a.check_password(PASSWORD)
    assert AuditEvent.objects.filter(action="account.password_reset", result="failure").count() == 6


def test_reset_lifts_a_lockout(enterprise_a: Any, _sms_outbox: Path) -> None:
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            "/accounts/login/",
            {"username": enterprise_a.username, "password": "x", "captcha_0": "k", "captcha_1": "PASSED"},
        )
    services.request_password_reset_code(phone=enterprise_a.phone)
    code = outbox_codes(_sms_outbox)[-1]["code"]
    services.reset_password_with_code(phone=enterprise_a.phone, code=code, new_password="Reset@2026")
    resp = Client(REMOTE_ADDR="10.2.2.2").post(
        "/accounts/login/",
        {"username": enterprise_a.username, "password": "Reset@2026", "captcha_0": "k", "captcha_1": "PASSED"},
    )
    assert resp.status_code == 302


def test_new_password_must_follow_rules(client: Any, enterprise_a: Any, _sms_outbox: Path) -> None:
    ask(client, enterprise_a.phone)
    code = outbox_codes(_sms_outbox)[-1]["code"]
    resp = client.post(RESET, {"code": code, "new_password1": "short", "new_password2": "short"})
    assert "至少" in resp.content.decode()
    # The code was not consumed by the refused attempt.
    resp = client.post(RESET, {"code": code, "new_password1": "Reset@2026", "new_password2": "Reset@2026"})
    assert resp.status_code == 302


def test_sms_delivery_failure_gets_the_same_reply_as_an_unknown_number(
    enterprise_a: Any, monkeypatch: Any, settings: Any
) -> None:
    # A failing SMS backend must not tell registered numbers apart: only registered numbers
    # reach the backend, so an error page there would reveal which numbers are registered.
    # (Sent at once by the tests' immediate task backend, and not retried: the retries have
    # their own tests in tests/accounts/test_sms_queue.py.)
    settings.LAOWU_SMS_RETRY_DELAYS = []

    class Broken:
        def send_code(self, *, phone: str, code: str, purpose: str) -> None:
            raise SmsDeliveryError("isv.BUSINESS_LIMIT_CONTROL")

    monkeypatch.setattr("laowu.accounts.sms.get_sms_backend", lambda: Broken())
    known_client, unknown_client = Client(REMOTE_ADDR="10.3.3.1"), Client(REMOTE_ADDR="10.3.3.2")
    known, unknown = ask(known_client, enterprise_a.phone), ask(unknown_client, "13600000001")
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == RESET

    assert comparable(known_client.get(RESET), enterprise_a.phone) == comparable(
        unknown_client.get(RESET), "13600000001"
    )
    # The failure is not lost: the code is void, and the operators see it in the audit log.
    assert SmsCode.objects.get(**phone_is(enterprise_a.phone)).voided is True
    failed = AuditEvent.objects.get(action="account.sms_code", result="failure")
    assert failed.user == enterprise_a and "BUSINESS_LIMIT_CONTROL" in failed.detail["error"]
    # And the same 60 s limit answers both numbers next.
    assert "秒后" in ask(known_client, enterprise_a.phone).content.decode()
    assert "秒后" in ask(unknown_client, "13600000001").content.decode()


def test_reset_page_without_phone_goes_back_to_step_one(client: Any) -> None:
    assert client.get(RESET)["Location"] == FORGOT


def test_step_two_answers_alike_for_registered_and_unknown_numbers(enterprise_a: Any, _sms_outbox: Path) -> None:
    # A password resembling the account (its credit code) is refused by the similarity rule,
    # but only once the code is proven: before that, the reply must not depend on whether
    # the number belongs to that account.
    similar = enterprise_a.username.lower()[:12] + "@A1"
    known, unknown = Client(REMOTE_ADDR="10.6.6.1"), Client(REMOTE_ADDR="10.6.6.2")
    ask(known, enterprise_a.phone)
    ask(unknown, "13600000002")
    wrong = {"code": "000000", "new_password1": similar, "new_password2": similar}
    known_reply = known.post(RESET, wrong)
    assert "验证码不正确" in known_reply.content.decode()
    assert comparable(known_reply, enterprise_a.phone) == comparable(unknown.post(RESET, wrong), "13600000002")
    # With the right code the account's own rule applies, and the code survives for a retry.
    code = outbox_codes(_sms_outbox)[-1]["code"]
    resp = known.post(RESET, {"code": code, "new_password1": similar, "new_password2": similar})
    assert resp.status_code == 200 and "相似" in resp.content.decode()
    resp = known.post(RESET, {"code": code, "new_password1": "Reset@2026", "new_password2": "Reset@2026"})
    assert resp.status_code == 302
