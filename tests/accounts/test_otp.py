"""The second factor (动态验证码): who must use it, the gate after the password, enrolment with
recovery codes, wrong codes and their limits, the 安全管理员's reset, and the enterprise's choice."""

from __future__ import annotations

import re
from io import StringIO
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from laowu.accounts import otp, services
from laowu.accounts.models import User
from laowu.audit.models import AuditEvent
from tests.conftest import PASSWORD
from tests.factories import StaffFactory, totp_code, totp_device

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
VERIFY = reverse("accounts:otp_verify")
ENROL = reverse("accounts:otp_enrol")
RECOVERY = reverse("accounts:otp_recovery_codes")
SETTINGS = reverse("accounts:otp_settings")


@pytest.fixture(autouse=True)
def _fresh_counters() -> None:
    # The wrong-code counters live in the cache (laowu/core/ratelimit.py), keyed by account id,
    # which a rolled-back test may hand to the next test's account.
    cache.clear()


def password_login(user: Any, *, next_url: str = "") -> tuple[Client, Any]:
    c = Client()
    data = {"username": user.username, "password": PASSWORD, "captcha_0": "k", "captcha_1": "PASSED"}
    resp = c.post(LOGIN + (f"?next={next_url}" if next_url else ""), data)
    assert resp.status_code == 302, resp.content.decode()[:500]
    return c, resp


def audit(action: str, user: Any, **filters: Any) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, object_id=str(user.pk), **filters).order_by("pk"))


def test_the_rule_staff_must_enterprises_may(everyone_but_enterprise: list[Any], enterprise_a: Any) -> None:
    for user in everyone_but_enterprise:
        assert otp.otp_required(user), user.role
    assert not otp.otp_required(enterprise_a)
    assert not otp.needs_verification(enterprise_a)
    totp_device(enterprise_a)
    assert otp.needs_verification(enterprise_a)


@pytest.fixture
def everyone_but_enterprise(reviewer: Any, supervisor: Any, sysadmin: Any, secadmin: Any, auditadmin: Any) -> list[Any]:
    return [reviewer, supervisor, sysadmin, secadmin, auditadmin]


def test_gate_sends_staff_without_app_to_enrolment_and_lets_nothing_else_through(
    everyone_but_enterprise: list[Any],
) -> None:
    for user in everyone_but_enterprise:
        c, resp = password_login(user)
        # The password step answers as before; the next page is the gate's.
        home = c.get(resp["Location"])
        assert home.status_code == 302 and home["Location"].startswith(ENROL), user.role
        for path in ("/", "/review/", "/accounts/users/", "/audit/", "/accounts/password/change/", LOGIN):
            r = c.get(path)
            assert r.status_code == 302 and r["Location"] == ENROL + "?next=" + path.replace("/", "%2F"), (
                user.role,
                path,
            )
        # A write is refused too, without a `next` to come back to.
        r = c.post("/accounts/password/change/", {"old_password": PASSWORD})
        assert r.status_code == 302 and r["Location"] == ENROL
        assert c.get(ENROL).status_code == 200
        # Logout stays open.
        r = c.post(reverse("accounts:logout"))
        assert r.status_code == 302 and r["Location"] == LOGIN
        assert c.get("/")["Location"].startswith(LOGIN)


def test_enrolment_at_first_login(reviewer: Any) -> None:
    c, _ = password_login(reviewer, next_url="/review/")
    page = c.get(ENROL + "?next=/review/")
    html = page.content.decode()
    assert page.status_code == 200 and "绑定验证器App" in html
    # QR code inline, no request leaves the page; the key also as text for manual entry.
    assert 'src="data:image/svg+xml' in html
    pending = TOTPDevice.objects.get(user=reviewer, confirmed=False)
    assert otp.secret_text(pending) in html and len(otp.secret_text(pending).replace(" ", "")) == 32
    # A reload shows the same key: the app has already scanned it.
    assert otp.secret_text(pending) in c.get(ENROL).content.decode()
    assert TOTPDevice.objects.filter(user=reviewer).count() == 1

    wrong = c.post(ENROL, {"code": "000000", "next": "/review/"})
    assert wrong.status_code == 200
    assert "动态验证码不正确" in wrong.content.decode()
    assert 'value="000000"' in wrong.content.decode()  # what was typed stays beside its error
    assert audit("account.otp_verify", reviewer, result="failure")
    assert not TOTPDevice.objects.filter(user=reviewer, confirmed=True).exists()
    short = c.post(ENROL, {"code": "12345"})
    assert "验证码为验证器App显示的6位数字" in short.content.decode()

    pending.throttling_failure_count = 0
    pending.save()
    resp = c.post(ENROL, {"code": totp_code(pending), "next": "/review/"})
    assert resp.status_code == 302 and resp["Location"] == RECOVERY
    assert TOTPDevice.objects.get(user=reviewer).confirmed
    assert len(audit("account.otp_enrol", reviewer)) == 1

    shown = c.get(RECOVERY).content.decode()
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", shown)
    assert len(codes) == 10 and set(codes) == set(StaticToken.objects.values_list("token", flat=True))
    assert "打印" in shown and "复制" in shown and 'href="/review/"' in shown
    # Shown once: a reload no longer has them.
    again = c.get(RECOVERY).content.decode()
    assert not any(code in again for code in codes) and "只在生成时显示一次" in again
    # The session is verified by the enrolment itself.
    assert c.get("/review/").status_code == 200


def test_login_with_code_wrong_code_and_replay(reviewer: Any, settings: Any) -> None:
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # django-otp's delay has a test of its own below
    device = totp_device(reviewer)
    c, resp = password_login(reviewer, next_url="/review/")
    assert resp["Location"] == "/review/"
    gate = c.get("/review/")
    assert gate["Location"] == VERIFY + "?next=%2Freview%2F"
    page = c.get(gate["Location"]).content.decode()
    assert "动态验证码" in page and "6位数字" in page and "恢复码" in page and "退出" in page

    wrong = c.post(VERIFY, {"code": "123456", "next": "/review/"}).content.decode()
    assert "动态验证码不正确" in wrong and "还可尝试4次" in wrong
    event = audit("account.otp_verify", reviewer, result="failure")[-1]
    assert event.detail == {"kind": "totp", "reason": "wrong_code"}
    assert c.get("/review/").status_code == 302

    code = totp_code(device)
    before = c.session.session_key
    ok = c.post(VERIFY, {"code": code, "next": "/review/"})
    assert ok.status_code == 302 and ok["Location"] == "/review/"
    # A new session key for the session that now opens more.
    assert c.session.session_key != before
    assert c.get("/review/").status_code == 200
    assert audit("account.otp_verify", reviewer, result="success")
    # The code page has nothing left to ask.
    assert c.get(VERIFY)["Location"] == reverse("workspace:home")

    # The same code cannot open a second session (someone reading over a shoulder).
    other, _ = password_login(reviewer)
    replay = other.post(VERIFY, {"code": code}).content.decode()
    assert "动态验证码不正确" in replay


def test_next_must_be_our_own_page(reviewer: Any) -> None:
    device = totp_device(reviewer)
    c, _ = password_login(reviewer)
    resp = c.post(VERIFY, {"code": totp_code(device), "next": "https://evil.example/"})
    assert resp["Location"] == reverse("workspace:home")


def test_wrong_codes_are_throttled_then_limited(reviewer: Any, settings: Any) -> None:
    device = totp_device(reviewer)
    c, _ = password_login(reviewer)
    # django-otp doubles a delay after each wrong code: a second try at once is not even checked.
    c.post(VERIFY, {"code": "111111"})
    fast = c.post(VERIFY, {"code": totp_code(device)}).content.decode()
    assert "尝试过于频繁" in fast
    assert audit("account.otp_verify", reviewer, result="failure")[-1].detail["reason"] == "throttled"

    # Without that delay, the account's own limit (LAOWU_OTP_FAILURE_LIMIT in the lock window).
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    for _ in range(settings.LAOWU_OTP_FAILURE_LIMIT - 1):
        c.post(VERIFY, {"code": "222222"})
    locked = c.post(VERIFY, {"code": totp_code(device)}).content.decode()
    assert "错误次数过多" in locked
    assert audit("account.otp_verify", reviewer, result="failure")[-1].detail == {"reason": "too_many_failures"}
    assert c.get("/").status_code == 302
    # The 安全管理员's reset lifts it (with the app gone, the account enrols again).


def test_recovery_code_logs_in_once(reviewer: Any, settings: Any) -> None:
    settings.OTP_STATIC_THROTTLE_FACTOR = 0
    device = totp_device(reviewer)
    codes = services.regenerate_recovery_codes(user=reviewer)
    assert len(codes) == 10 and device.confirmed

    c, _ = password_login(reviewer)
    # Typed with a space or in capitals, as printed or read aloud.
    typed = codes[3][:4].upper() + " " + codes[3][4:]
    resp = c.post(VERIFY, {"code": typed})
    assert resp.status_code == 302
    home = c.get(resp["Location"], follow=True).content.decode()
    assert "已使用恢复码登录，剩余9个" in home
    used = audit("account.otp_recovery_used", reviewer)
    assert len(used) == 1 and used[0].detail == {"left": 9}

    other, _ = password_login(reviewer)
    again = other.post(VERIFY, {"code": codes[3]}).content.decode()
    assert "恢复码不正确或已使用过" in again
    assert other.post(VERIFY, {"code": codes[4]}).status_code == 302


def test_regenerate_recovery_codes(as_user: Any, supervisor: Any) -> None:
    c = as_user(supervisor)
    page = c.get(SETTINGS).content.decode()
    assert "已开启" in page and "不能关闭" in page and "重新生成恢复码" in page
    c.post(reverse("accounts:otp_regenerate"))
    first = set(StaticToken.objects.filter(device__user=supervisor).values_list("token", flat=True))
    resp = c.post(reverse("accounts:otp_regenerate"))
    assert resp["Location"] == RECOVERY
    second = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", c.get(RECOVERY).content.decode())
    assert len(second) == 10 and not first & set(second)
    assert set(StaticToken.objects.filter(device__user=supervisor).values_list("token", flat=True)) == set(second)
    assert len(audit("account.otp_recovery_regenerate", supervisor)) == 2
    # Staff cannot switch it off, not even by posting the form.
    refused = c.post(SETTINGS, {"password": PASSWORD}).content.decode()
    assert "工作人员账号必须使用动态验证码" in refused
    assert TOTPDevice.objects.filter(user=supervisor, confirmed=True).exists()


def test_secadmin_resets_a_second_factor(
    as_user: Any, secadmin: Any, sysadmin: Any, reviewer: Any, enterprise_a: Any
) -> None:
    reviewer_client = as_user(reviewer)
    assert reviewer_client.get("/review/").status_code == 200
    admin = as_user(secadmin)
    listing = admin.get(reverse("accounts:user_list")).content.decode()
    reset_url = reverse("accounts:user_otp_reset", args=[reviewer.pk])
    assert reset_url in listing and "重置动态验证码" in listing and "data-confirm" in listing
    # Not one's own, and not for an account without an app; no account management for secadmin.
    assert reverse("accounts:user_otp_reset", args=[secadmin.pk]) not in listing
    assert reverse("accounts:user_otp_reset", args=[enterprise_a.pk]) not in listing
    assert reverse("accounts:staff_create") not in listing and "停用" not in listing

    # Only the 安全管理员: the 系统管理员 is refused.
    assert as_user(sysadmin).post(reset_url).status_code == 403
    assert TOTPDevice.objects.filter(user=reviewer).exists()

    resp = admin.post(reset_url, {"next": reverse("accounts:user_list") + "?q=reviewer"})
    assert resp["Location"] == reverse("accounts:user_list") + "?q=reviewer"
    assert not TOTPDevice.objects.filter(user=reviewer).exists()
    assert not StaticDevice.objects.filter(user=reviewer).exists()
    event = audit("account.otp_reset", reviewer)[0]
    assert event.user == secadmin and event.detail == {"had_device": True}
    assert "已重置" in admin.get(reverse("accounts:user_list")).content.decode()
    # The reviewer's open session loses its verification at once, and enrols again.
    assert reviewer_client.get("/review/")["Location"].startswith(ENROL)
    c, _ = password_login(reviewer)
    assert c.get("/")["Location"].startswith(ENROL)

    # Never one's own: refused and audited.
    admin.post(reverse("accounts:user_otp_reset", args=[secadmin.pk]))
    assert TOTPDevice.objects.filter(user=secadmin).exists()
    assert audit("account.otp_reset", secadmin, result="failure")


def test_reset_on_the_console(secadmin: Any) -> None:
    totp_device(secadmin)
    out = StringIO()
    call_command("reset_second_factor", secadmin.username, stdout=out)
    assert "已重置" in out.getvalue()
    assert not TOTPDevice.objects.filter(user=secadmin).exists()
    assert audit("account.otp_reset", secadmin)[0].username == "manage.py"


def test_enterprise_may_turn_it_on_and_off(enterprise_a: Any, as_user: Any) -> None:
    # Off by default: password only.
    c, resp = password_login(enterprise_a)
    assert c.get(resp["Location"]).status_code == 200
    page = c.get(SETTINGS).content.decode()
    assert "未开启" in page and ENROL in page
    assert "动态验证码" in c.get("/").content.decode()  # in the 账号设置 menu

    enrol = c.get(ENROL).content.decode()
    assert "开启后，每次登录" in enrol and "暂不开启" in enrol
    device = TOTPDevice.objects.get(user=enterprise_a, confirmed=False)
    assert c.post(ENROL, {"code": totp_code(device)})["Location"] == RECOVERY
    assert c.get(SETTINGS).content.decode().count("已开启") == 1

    # From now on its login asks for the code too.
    c2, _ = password_login(enterprise_a)
    assert c2.get("/")["Location"].startswith(VERIFY)
    assert c2.post(VERIFY, {"code": totp_code(device)}).status_code == 302
    assert c2.get("/").status_code == 200

    wrong = c2.post(SETTINGS, {"password": "nope"}).content.decode()
    assert "密码不正确" in wrong and TOTPDevice.objects.filter(user=enterprise_a).exists()
    assert c2.post(SETTINGS, {"password": PASSWORD})["Location"] == SETTINGS
    assert not TOTPDevice.objects.filter(user=enterprise_a).exists()
    assert not StaticDevice.objects.filter(user=enterprise_a).exists()
    assert audit("account.otp_disable", enterprise_a)
    c3, resp = password_login(enterprise_a)
    assert c3.get(resp["Location"]).status_code == 200


def test_client_for_is_past_both_factors(as_user: Any, reviewer: Any, auditadmin: Any, enterprise_a: Any) -> None:
    assert as_user(reviewer).get("/review/").status_code == 200
    assert as_user(auditadmin).get("/audit/").status_code == 200
    assert as_user(enterprise_a).get("/").status_code == 200
    assert not TOTPDevice.objects.filter(user=enterprise_a).exists()


def test_new_staff_account_enrols_at_first_login(as_user: Any, sysadmin: Any) -> None:
    StaffFactory(role="supervisor", username="newsup", password=PASSWORD)
    c, _ = password_login(User.objects.get(username="newsup"))
    assert c.get("/")["Location"].startswith(ENROL)
    listing = as_user(sysadmin).get(reverse("accounts:user_list")).content.decode()
    assert "待首次登录绑定" in listing


def test_demo_staff_are_bound_to_printed_keys(settings: Any) -> None:
    from laowu.accounts.management.commands.seed_demo import DEMO_OTP_KEYS, demo_key_hex

    settings.LAOWU_DEMO_DATA_ALLOWED = True
    out = StringIO()
    call_command("seed_demo", stdout=out)
    printed = out.getvalue()
    for username, key in DEMO_OTP_KEYS.items():
        user = User.objects.get(username=username)
        assert TOTPDevice.objects.get(user=user, confirmed=True).key == demo_key_hex(key)
        assert re.search(rf"{username}\s.*动态验证码密钥 {key}", printed)
    assert "demo_otp_code" in printed
    # A reset account gets the printed key back on the next run.
    services.reset_second_factor(account=User.objects.get(username="shenhe"), actor=None)
    call_command("seed_demo", stdout=StringIO())
    assert otp.totp_device(User.objects.get(username="shenhe")).key == demo_key_hex(DEMO_OTP_KEYS["shenhe"])

    # The code the command shows is the one the login takes.
    shown = StringIO()
    call_command("demo_otp_code", "shenhe", stdout=shown)
    code = re.match(r"(\d{6})（", shown.getvalue()).group(1)  # type: ignore[union-attr]
    assert services.verify_second_factor(user=User.objects.get(username="shenhe"), code=code)

    settings.LAOWU_DEMO_DATA_ALLOWED = False
    with pytest.raises(CommandError, match="生产环境"):
        call_command("demo_otp_code", "shenhe")
