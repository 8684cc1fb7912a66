"""The signed-in user and its second-factor state read in one query (laowu/accounts/middleware.py
`AuthenticationMiddleware`, `OTPMiddleware`): the same answers as Django's and django_otp's own
middleware, from the next request on after any change, and every gate still reached."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import HASH_SESSION_KEY
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from laowu.accounts import otp, services
from laowu.accounts.models import User
from tests.accounts.test_otp import password_login
from tests.factories import EnterpriseUserFactory, StaffFactory, totp_code, totp_device

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
VERIFY = reverse("accounts:otp_verify")
ENROL = reverse("accounts:otp_enrol")
CHANGE = reverse("accounts:password_change")
HELP = reverse("workspace:help")
# Open to anyone (帮助 is public): the tests of who is signed in ask for the home page.
HOME = reverse("workspace:home")


@pytest.fixture(autouse=True)
def _fresh_counters() -> None:
    cache.clear()


def _queries(client: Client, path: str) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        resp = client.get(path)
    assert resp.status_code == 200, resp
    return [q["sql"] for q in ctx.captured_queries]


def test_a_signed_in_page_reads_the_session_and_the_user_only(
    as_user: Any, enterprise_a: Any, reviewer: Any, secadmin: Any
) -> None:
    # An enterprise account without an app, a verified staff account, and one verified with a
    # recovery code: the session row and one user query, the device state inside it.
    recovery = Client()
    recovery.force_login(secadmin, backend="django.contrib.auth.backends.ModelBackend")
    totp_device(secadmin)
    services.regenerate_recovery_codes(user=secadmin)
    session = recovery.session
    session[DEVICE_ID_SESSION_KEY] = otp.recovery_device(secadmin).persistent_id
    session.save()
    for client in (as_user(enterprise_a), as_user(reviewer), recovery):
        client.get(HELP)
        sqls = _queries(client, HELP)
        assert len(sqls) <= 2, sqls
        assert not any("otp_totp_totpdevice" in sql and "accounts_user" not in sql for sql in sqls), sqls
        assert not any("otp_static_staticdevice" in sql and "accounts_user" not in sql for sql in sqls), sqls


def test_a_password_only_session_reaches_the_code_page_once_the_account_enrols(enterprise_a: Any) -> None:
    c, _ = password_login(enterprise_a)
    assert c.get(HELP).status_code == 200
    # The account binds an app in another session (or on the console): this one, past the
    # password only, must enter a code from its very next request.
    services.bind_totp_key(user=enterprise_a, key_hex="3132333435363738393031323334353637383930")
    assert c.get(HELP)["Location"] == VERIFY + "?next=%2Fhelp%2F"
    post = c.post(reverse("supervision:message_mark_all_read"))
    assert post.status_code == 302 and post["Location"] == VERIFY
    device = otp.totp_device(enterprise_a)
    assert c.post(VERIFY, {"code": totp_code(device)}).status_code == 302
    assert c.get(HELP).status_code == 200


def test_a_verified_session_loses_its_verification_when_the_device_goes(as_user: Any, reviewer: Any) -> None:
    c = as_user(reviewer)
    assert c.get(HELP).status_code == 200
    services.reset_second_factor(account=reviewer, actor=None)
    assert c.get(HELP)["Location"].startswith(ENROL)
    assert DEVICE_ID_SESSION_KEY not in c.session  # dropped, as django_otp drops it


def test_an_unconfirmed_device_does_not_verify(as_user: Any, reviewer: Any) -> None:
    c = as_user(reviewer)
    TOTPDevice.objects.filter(user=reviewer).update(confirmed=False)
    assert c.get(HELP)["Location"].startswith(ENROL)


def test_another_accounts_device_does_not_verify(as_user: Any, reviewer: Any, supervisor: Any) -> None:
    c = as_user(reviewer)
    session = c.session
    session[DEVICE_ID_SESSION_KEY] = totp_device(supervisor).persistent_id
    session.save()
    assert c.get(HELP)["Location"].startswith(VERIFY)


def test_a_recovery_code_session_stays_verified_until_reset(reviewer: Any, settings: Any) -> None:
    settings.OTP_STATIC_THROTTLE_FACTOR = 0
    totp_device(reviewer)
    codes = services.regenerate_recovery_codes(user=reviewer)
    c, _ = password_login(reviewer)
    assert c.get(HELP)["Location"].startswith(VERIFY)
    assert c.post(VERIFY, {"code": codes[0]}).status_code == 302
    assert c.get(HELP).status_code == 200
    services.reset_second_factor(account=reviewer, actor=None)
    assert c.get(HELP)["Location"].startswith(ENROL)


def test_a_device_id_in_another_form_is_left_to_django_otp(as_user: Any, reviewer: Any) -> None:
    # The full import path older django_otp versions wrote: django_otp's own lookup answers.
    c = as_user(reviewer)
    session = c.session
    device = otp.totp_device(reviewer)
    session[DEVICE_ID_SESSION_KEY] = f"django_otp.plugins.otp_totp.models.TOTPDevice/{device.pk}"
    session.save()
    assert c.get(HELP).status_code == 200


def test_a_password_changed_elsewhere_signs_the_session_out(as_user: Any, enterprise_a: Any) -> None:
    c = as_user(enterprise_a)
    assert c.get(HOME).status_code == 200
    user = User.objects.get(pk=enterprise_a.pk)
    user.set_password("Another-pass-2026")
    user.save(update_fields=["password"])
    assert c.get(HOME)["Location"].startswith(LOGIN)
    assert HASH_SESSION_KEY not in c.session  # flushed


def test_a_session_without_its_password_hash_is_signed_out(as_user: Any, enterprise_a: Any) -> None:
    c = as_user(enterprise_a)
    session = c.session
    del session[HASH_SESSION_KEY]
    session.save()
    assert c.get(HOME)["Location"].startswith(LOGIN)


def test_a_deactivated_or_missing_account_is_signed_out(as_user: Any) -> None:
    user = EnterpriseUserFactory()
    c = as_user(user)
    assert c.get(HOME).status_code == 200
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert c.get(HOME)["Location"].startswith(LOGIN)
    # An account no longer there (the audit trail keeps real ones): the session names another id.
    c = as_user(EnterpriseUserFactory())
    session = c.session
    session["_auth_user_id"] = str(User.objects.order_by("-pk").values_list("pk", flat=True)[0] + 1000)
    session.save()
    assert c.get(HOME)["Location"].startswith(LOGIN)


def test_a_hash_made_with_a_fallback_secret_is_renewed(as_user: Any, enterprise_a: Any, settings: Any) -> None:
    c = as_user(enterprise_a)
    old_hash = c.session[HASH_SESSION_KEY]
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-for-this-test-only-" + "x" * 30
    assert c.get(HOME).status_code == 200
    assert c.session[HASH_SESSION_KEY] != old_hash
    settings.SECRET_KEY_FALLBACKS = []
    assert c.get(HOME).status_code == 200


def test_a_session_of_an_unknown_backend_is_anonymous(as_user: Any, enterprise_a: Any) -> None:
    c = as_user(enterprise_a)
    session = c.session
    session["_auth_user_backend"] = "laowu.nowhere.Backend"
    session.save()
    assert c.get(HOME)["Location"].startswith(LOGIN)


def test_a_forced_password_change_comes_after_the_code(reviewer: Any) -> None:
    device = totp_device(reviewer)
    User.objects.filter(pk=reviewer.pk).update(must_change_password=True)
    c, _ = password_login(reviewer)
    assert c.get(HELP)["Location"].startswith(VERIFY)
    assert c.get(CHANGE)["Location"].startswith(VERIFY)
    assert c.post(VERIFY, {"code": totp_code(device)}).status_code == 302
    assert c.get(HELP)["Location"] == CHANGE
    assert c.get(CHANGE).status_code == 200


def test_a_staff_account_without_an_app_enrols_before_anything(as_user: Any) -> None:
    staff = StaffFactory(role="supervisor", username="jg2")
    c, _ = password_login(staff)
    for path in (HELP, CHANGE, "/"):
        assert c.get(path)["Location"].startswith(ENROL), path


def test_the_user_is_read_as_the_orm_reads_it(reviewer: Any) -> None:
    # Every field, through the same converters (dates, the sealed phone number): the cursor
    # in otp.user_with_second_factor_state makes the instance Django's get() would.
    device = totp_device(reviewer)
    User.objects.filter(pk=reviewer.pk).update(last_login=reviewer.date_joined)
    expected = User.objects.get(pk=reviewer.pk)
    for persistent_id in (None, device.persistent_id, "otp_totp.totpdevice/999999"):
        user = otp.user_with_second_factor_state(reviewer.pk, persistent_id)
        assert user is not None and user._state.adding is False and user._state.db == "default"
        for field in User._meta.concrete_fields:
            assert getattr(user, field.attname) == getattr(expected, field.attname), field.name
        assert otp.session_device_ok(user, persistent_id) is (
            None if persistent_id is None else persistent_id == device.persistent_id
        )
        assert getattr(user, otp.HAS_TOTP_ATTR) is True
    assert otp.user_with_second_factor_state(reviewer.pk + 1000, None) is None
