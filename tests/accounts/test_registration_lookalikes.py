"""Registration with hostile input: look-alike digits never make a second account with the
"same" credit code or phone, and no input at all makes the page fail (HTTP 500)."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from laowu.accounts.models import Role, User, phone_is
from laowu.core.validators import credit_code_check_char, is_valid_credit_code, is_valid_mobile, normalize_code
from laowu.enterprises.models import Enterprise
from tests.accounts.test_registration import VERIFY, sent_codes
from tests.factories import EnterpriseUserFactory

pytestmark = pytest.mark.django_db

GOOD = "Hz7$tq2Lm"  # passes the password rules (laowu/accounts/passwords.py)
PHONE = "15900368499"

# Ways to write one digit d that a person, an input method or an attacker might use. The first
# three are folded to ASCII by NFKC; the rest are other scripts' digits and refused.
DIGIT_FORMS = (
    lambda d: str(d),
    lambda d: chr(0xFF10 + d),  # full-width ０–９
    lambda d: chr(0x1D7CE + d),  # mathematical bold 𝟎–𝟗
    lambda d: chr(0x0660 + d),  # Arabic-Indic ٠–٩
    lambda d: chr(0x06F0 + d),  # Extended Arabic-Indic ۰–۹
    lambda d: chr(0x0966 + d),  # Devanagari ०–९
)
SPACES = ("", "", " ", "\u3000", "\t")


def lookalike(value: str) -> st.SearchStrategy[str]:
    """`value` with each digit written in one of DIGIT_FORMS and letters in either width:
    half the time only the forms NFKC folds (the same value), else any form."""

    def spelled(digit_forms: tuple[Any, ...]) -> st.SearchStrategy[str]:
        def char(c: str) -> st.SearchStrategy[str]:
            if c.isdigit():
                forms = st.sampled_from(digit_forms).map(lambda f: f(int(c)))
            else:
                forms = st.sampled_from([c, c.lower(), chr(ord(c) + 0xFEE0)])
            return st.tuples(forms, st.sampled_from(SPACES)).map("".join)

        return st.tuples(*(char(c) for c in value)).map("".join)

    return st.sampled_from([DIGIT_FORMS[:3], DIGIT_FORMS]).flatmap(spelled)


def fresh_credit_code(n: int) -> str:
    first17 = f"91320507MA{n:07d}"
    return first17 + credit_code_check_char(first17)


_serial = iter(range(5_000_000, 9_999_999))


def register(**over: str) -> Any:
    data = {
        "name": "苏州相城测试建筑劳务有限公司",
        "credit_code": fresh_credit_code(next(_serial)),
        "contact_name": "赵六",
        "phone": f"137{next(_serial) % 10**8:08d}",
        "password1": GOOD,
        "password2": GOOD,
        "captcha_0": "x",
        "captcha_1": "PASSED",
    }
    data.update(over)
    # A fresh client each time: a successful registration logs the client in. The test client
    # re-raises any exception in the view, so an HTTP 500 fails the test. Step 2 (the SMS code,
    # tests/accounts/test_registration.py) follows a step 1 that went through.
    client = Client()
    resp = client.post(reverse("accounts:register"), data)
    if resp.status_code != 302 or resp["Location"] != VERIFY:
        return resp
    codes = sent_codes(django_settings.LAOWU_SMS_OUTBOX, normalize_code(data["phone"]))
    if not codes:  # a number already on an account gets a notice, not a code
        return resp
    return client.post(VERIFY, {"code": codes[-1]})


def test_full_width_phone_is_the_same_phone() -> None:
    existing = EnterpriseUserFactory(phone=PHONE)
    register(phone="15９00368499")
    # Not said (no enumeration), but no second account: the holder of the number got a notice.
    assert User.objects.filter(**phone_is(PHONE)).count() == 1 and User.objects.get(**phone_is(PHONE)) == existing
    assert User.objects.count() == 1


def test_full_width_credit_code_registers_as_ascii() -> None:
    code = fresh_credit_code(1_234_567)
    typed = "".join(chr(ord(c) + 0xFEE0) for c in code.lower())
    resp = register(credit_code=typed)
    assert resp.status_code == 302
    assert User.objects.get(role=Role.ENTERPRISE).username == code
    assert Enterprise.objects.get().credit_code == code


def test_arabic_indic_digit_in_credit_code_is_an_error_beside_the_field() -> None:
    code = fresh_credit_code(7_654_321)
    resp = register(credit_code=code[:5] + chr(0x0660 + int(code[5])) + code[6:])
    page = resp.content.decode()
    assert resp.status_code == 200 and "0–9" in page and 'id="id_credit_code' in page
    assert not User.objects.exists()


@settings(max_examples=30, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(phone=lookalike(PHONE), code_variant=st.booleans())
def test_no_second_account_through_lookalike_digits(db: Any, phone: str, code_variant: bool) -> None:
    existing = User.objects.filter(**phone_is(PHONE)).first() or EnterpriseUserFactory(phone=PHONE)
    over = {"phone": phone}
    if code_variant:
        code = existing.username
        over["credit_code"] = "".join(chr(ord(c) + 0xFEE0) if c.isalnum() else c for c in code)
    register(**over)
    # Refused (not 0–9), or answered like any number but with no code sent (the phone is
    # `existing`'s: no enumeration): either way no second account.
    assert User.objects.filter(role=Role.ENTERPRISE).count() == 1


CODE_TEXT = st.one_of(
    st.text(max_size=30),
    st.text(alphabet="0123456789０１２３４５６７８９٠١٢٣٤٥٦٧٨٩ABCDXYZabcxyz \u3000\u202e-", max_size=22),
)
# Valid values from a small pool, in any spelling: some register, the rest collide with them.
CREDIT_CODES = st.integers(0, 5).map(fresh_credit_code).flatmap(lookalike)
PHONES = st.integers(0, 5).map(lambda n: f"1590036850{n}").flatmap(lookalike)


@settings(max_examples=50, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(credit_code=st.one_of(CODE_TEXT, CREDIT_CODES), phone=st.one_of(CODE_TEXT, PHONES))
def test_any_text_in_the_code_fields_never_fails_the_page(db: Any, credit_code: str, phone: str) -> None:
    resp = register(credit_code=credit_code, phone=phone)
    assert resp.status_code in (200, 302)
    event("registered" if resp.status_code == 302 else "refused")
    for user in User.objects.filter(role=Role.ENTERPRISE):
        # Whatever was accepted is stored in its one ASCII spelling.
        assert user.username.isascii() and is_valid_credit_code(user.username)
        assert user.phone.isascii() and is_valid_mobile(user.phone)
    assert User.objects.filter(role=Role.ENTERPRISE).count() == len(set(User.objects.values_list("phone", flat=True)))
