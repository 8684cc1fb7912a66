"""Password history, expiry and must-change (laowu/accounts/passwords.py, middleware.py)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from laowu.accounts import otp, services
from laowu.accounts.models import PasswordHistory, User
from laowu.audit.models import AuditEvent
from tests.conftest import PASSWORD
from tests.factories import EnterpriseUserFactory, StaffFactory, totp_code, totp_device

pytestmark = pytest.mark.django_db

CHANGE = reverse("accounts:password_change")
PASSWORDS = ["Hz7$tq2Lm", "Xs9#kLp2", "Gx!83mQa", "Vb4^rw8Tn", "Kd2*mp6Qz", "Jf5&yc3Wr"]


def login(client: Client, user: User, password: str = PASSWORD) -> Any:
    """The password step, then — for staff, who must (laowu/accounts/otp.py) — the 动态验证码 from
    their app: the password-change gate comes after the second factor."""
    data = {"username": user.username, "password": password, "captcha_0": "k", "captcha_1": "PASSED"}
    resp = client.post(reverse("accounts:login"), data)
    if resp.status_code == 302 and otp.otp_required(user):
        resp = client.post(reverse("accounts:otp_verify"), {"code": totp_code(totp_device(user))})
    return resp


def change(client: Client, old: str, new: str) -> Any:
    return client.post(CHANGE, {"old_password": old, "new_password1": new, "new_password2": new})


# ---------------------------------------------------------------- history


def test_the_last_five_passwords_cannot_come_back(db: Any) -> None:
    user = EnterpriseUserFactory()
    for new in PASSWORDS:
        services.change_password(user=user, new_password=new)
    assert PasswordHistory.objects.filter(user=user).count() == 5
    for old in PASSWORDS[1:]:
        with pytest.raises(ValidationError) as caught:
            services.change_password(user=user, new_password=old)
        assert "最近5次" in caught.value.messages[0]
    # The sixth-last has dropped out of the history.
    services.change_password(user=user, new_password=PASSWORDS[0])
    user.refresh_from_db()
    assert user.check_password(PASSWORDS[0])
    assert PasswordHistory.objects.filter(user=user).count() == 5


def test_change_page_refuses_a_recent_password_beside_the_field(as_user: Any) -> None:
    # The factory's password is stored as the account's hash only, with no history row.
    enterprise_a = EnterpriseUserFactory(password=PASSWORDS[5])
    client = as_user(enterprise_a)
    assert change(client, PASSWORDS[5], PASSWORDS[0]).status_code == 302
    resp = change(client, PASSWORDS[0], PASSWORDS[5])
    page = resp.content.decode()
    assert resp.status_code == 200 and "最近5次使用过的密码" in page
    enterprise_a.refresh_from_db()
    assert enterprise_a.check_password(PASSWORDS[0])


def test_reset_by_sms_refuses_a_recent_password(client: Client, enterprise_a: Any, _sms_outbox: Path) -> None:
    services.change_password(user=enterprise_a, new_password=PASSWORDS[0])
    services.change_password(user=enterprise_a, new_password=PASSWORDS[2])
    client.post("/accounts/password/forgot/", {"phone": enterprise_a.phone, "captcha_0": "k", "captcha_1": "PASSED"})
    code = json.loads(_sms_outbox.read_text(encoding="utf-8").splitlines()[-1])["code"]
    resp = client.post(
        "/accounts/password/reset/", {"code": code, "new_password1": PASSWORDS[0], "new_password2": PASSWORDS[0]}
    )
    assert resp.status_code == 200 and "最近5次使用过的密码" in resp.content.decode()
    resp = client.post(
        "/accounts/password/reset/", {"code": code, "new_password1": PASSWORDS[1], "new_password2": PASSWORDS[1]}
    )
    assert resp.status_code == 302
    enterprise_a.refresh_from_db()
    assert enterprise_a.check_password(PASSWORDS[1])


# ---------------------------------------------------------------- staff-set passwords


def test_staff_created_in_the_ui_must_change_at_first_login(as_user: Any, sysadmin: Any) -> None:
    as_user(sysadmin).post(
        reverse("accounts:staff_create"),
        {
            "username": "lishen",
            "display_name": "李审",
            "role": "reviewer",
            "phone": "",
            "password1": PASSWORDS[0],
            "password2": PASSWORDS[0],
        },
    )
    staff = User.objects.get(username="lishen")
    assert staff.must_change_password is True
    client = Client()
    assert login(client, staff, PASSWORDS[0]).status_code == 302
    resp = client.get(reverse("review:queue"))
    assert resp.status_code == 302 and resp["Location"] == CHANGE
    page = client.get(CHANGE).content.decode()
    assert "您的密码由管理员设置，首次登录请先修改密码。" in page
    # The admin's choice counts as used: the holder picks another.
    assert "最近5次使用过的密码" in change(client, PASSWORDS[0], PASSWORDS[0]).content.decode()
    assert change(client, PASSWORDS[0], PASSWORDS[1]).status_code == 302
    staff.refresh_from_db()
    assert staff.must_change_password is False
    assert client.get(reverse("review:queue")).status_code == 200


def test_console_created_staff_keep_their_own_password(db: Any) -> None:
    staff = services.create_staff_account(
        username="yunwei", role="auditadmin", display_name="运维", password=PASSWORDS[0], actor=None
    )
    assert staff.must_change_password is False


def test_sysadmin_resets_a_password_that_must_be_changed(as_user: Any, sysadmin: Any, reviewer: Any) -> None:
    admin = as_user(sysadmin)
    listing = admin.get(reverse("accounts:user_list")).content.decode()
    url = reverse("accounts:user_set_password", args=[reviewer.pk])
    assert url in listing
    resp = admin.post(url, {"password1": "Admin@123", "password2": "Admin@123"})
    assert resp.status_code == 200 and "容易被猜中" in resp.content.decode()
    services.change_password(user=reviewer, new_password=PASSWORDS[1])
    resp = admin.post(url, {"password1": PASSWORDS[1], "password2": PASSWORDS[1]})  # the current one
    assert resp.status_code == 200 and "最近5次" in resp.content.decode()
    resp = admin.post(url, {"password1": PASSWORDS[2], "password2": PASSWORDS[2]})
    assert resp.status_code == 302 and resp["Location"] == reverse("accounts:user_list")
    reviewer.refresh_from_db()
    assert reviewer.check_password(PASSWORDS[2]) and reviewer.must_change_password
    ev = AuditEvent.objects.get(action="account.password_set", result="success")
    assert ev.user == sysadmin and ev.object_id == str(reviewer.pk)
    client = Client()
    login(client, reviewer, PASSWORDS[2])
    assert client.get("/")["Location"] == CHANGE


def test_admin_accounts_and_oneself_cannot_be_reset_in_the_ui(as_user: Any, sysadmin: Any, auditadmin: Any) -> None:
    admin = as_user(sysadmin)
    for account in (auditadmin, sysadmin):
        url = reverse("accounts:user_set_password", args=[account.pk])
        assert admin.get(url).status_code == 404
        assert admin.post(url, {"password1": PASSWORDS[0], "password2": PASSWORDS[0]}).status_code == 404
    auditadmin.refresh_from_db()
    assert auditadmin.check_password(PASSWORD)
    with pytest.raises(ValidationError):
        services.admin_set_password(account=auditadmin, password=PASSWORDS[0], actor=sysadmin)
    assert AuditEvent.objects.filter(action="account.password_set", result="failure").exists()


def test_only_the_sysadmin_opens_the_reset_page(as_user: Any, secadmin: Any, enterprise_a: Any) -> None:
    url = reverse("accounts:user_set_password", args=[enterprise_a.pk])
    assert as_user(secadmin).get(url).status_code == 403


# ---------------------------------------------------------------- expiry


def test_expired_password_keeps_the_user_on_the_change_page(settings: Any, enterprise_a: Any) -> None:
    settings.LAOWU_PASSWORD_MAX_AGE_DAYS = 90
    User.objects.filter(pk=enterprise_a.pk).update(password_changed_at=timezone.now() - dt.timedelta(days=89))
    client = Client()
    login(client, enterprise_a)
    assert client.get("/").status_code == 200
    with time_machine.travel(timezone.now() + dt.timedelta(days=2)):
        resp = login(Client(), enterprise_a)  # the login itself succeeds, then the gate
        assert resp.status_code == 302 and resp["Location"] == "/"
        client = Client()
        login(client, enterprise_a)
        for url in ("/", reverse("enterprises:basic_info"), reverse("supervision:messages")):
            assert client.get(url)["Location"] == CHANGE, url
        # Posting elsewhere is refused the same way, before the view runs.
        assert client.post(reverse("supervision:message_mark_all_read"))["Location"] == CHANGE
        page = client.get(CHANGE).content.decode()
        assert "您的密码已超过90天未修改" in page
        assert change(client, PASSWORD, PASSWORDS[0]).status_code == 302
        assert client.get("/").status_code == 200


def test_logout_is_allowed_while_a_change_is_due(enterprise_a: Any) -> None:
    User.objects.filter(pk=enterprise_a.pk).update(must_change_password=True)
    client = Client()
    login(client, enterprise_a)
    assert client.post(reverse("accounts:logout"))["Location"] == reverse("accounts:login")
    assert client.get("/")["Location"].startswith(reverse("accounts:login"))


def test_without_a_recorded_change_the_age_counts_from_the_account(settings: Any) -> None:
    user = EnterpriseUserFactory()
    assert user.password_changed_at is None
    client = Client()
    login(client, user)
    assert client.get("/").status_code == 200
    User.objects.filter(pk=user.pk).update(date_joined=timezone.now() - dt.timedelta(days=91))
    assert client.get("/")["Location"] == CHANGE
    settings.LAOWU_PASSWORD_MAX_AGE_DAYS = 0  # expiry off
    assert client.get("/").status_code == 200


def test_staff_expire_too(settings: Any) -> None:
    staff = StaffFactory(role="supervisor", username="jg")
    User.objects.filter(pk=staff.pk).update(password_changed_at=timezone.now() - dt.timedelta(days=100))
    client = Client()
    login(client, staff)
    assert client.get(reverse("review:queue"))["Location"] == CHANGE
