"""The platform's password rules (settings.AUTH_PASSWORD_VALIDATORS): each refuses what it
should, in Chinese, and lets a good password through."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import get_default_password_validators, validate_password
from django.core.exceptions import ValidationError
from django.utils.module_loading import import_string

from laowu.accounts.models import User
from laowu.core.validators import CommonPatternPasswordValidator, PersonalNumberPasswordValidator
from tests.factories import EnterpriseUserFactory

CJK = re.compile(r"[\u4e00-\u9fff]")

# For each configured validator: a password it alone is meant to refuse.
BAD_FOR = {
    "laowu.core.validators.MinimumLengthValidator": "Xy7$",
    "laowu.core.validators.PasswordComplexityValidator": "abcdefghzq",
    "laowu.core.validators.UserAttributeSimilarityValidator": "wangxiaoer",
    "laowu.core.validators.CommonPasswordValidator": "password",
    "laowu.core.validators.CommonPatternPasswordValidator": "Admin@123",
    "laowu.core.validators.PersonalNumberPasswordValidator": "Hz#13912345678",
    "laowu.accounts.passwords.PasswordHistoryValidator": "Laowu@2026",
}


def test_every_configured_validator_has_a_case() -> None:
    assert {v["NAME"] for v in settings.AUTH_PASSWORD_VALIDATORS} == set(BAD_FOR)


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(BAD_FOR))
def test_each_validator_refuses_in_chinese(name: str) -> None:
    user = EnterpriseUserFactory(display_name="wangxiaoer", phone="13912345678")
    config = next(v for v in settings.AUTH_PASSWORD_VALIDATORS if v["NAME"] == name)
    validator = import_string(name)(**config.get("OPTIONS", {}))
    with pytest.raises(ValidationError) as caught:
        validator.validate(BAD_FOR[name], user)
    for message in caught.value.messages:
        assert CJK.search(message), (name, message)
    assert CJK.search(validator.get_help_text()), name


@pytest.mark.django_db
def test_too_short_message_is_chinese_through_the_whole_chain() -> None:
    with pytest.raises(ValidationError) as caught:
        validate_password("Xy7$")
    assert "密码太短，至少需要8位。" in caught.value.messages
    assert all(CJK.search(m) for m in caught.value.messages)


def test_every_help_text_is_chinese() -> None:
    for validator in get_default_password_validators():
        assert CJK.search(validator.get_help_text()), validator


@pytest.mark.parametrize(
    "password",
    [
        "Admin@123",
        "Qwerty@123",
        "Aa1!Aa1!",
        "P@ssw0rd1",
        "1qaz@WSX",
        "Qwer1234",
        "Zxcv@123",
        "Woaini1314!",
        "Suzhou#2026",
        "Xiangcheng@1",
        "Laowu@2026",
        "@@Zhangsan88",
        "abcABC123!",
    ],
)
def test_common_patterns_are_refused(password: str) -> None:
    with pytest.raises(ValidationError) as caught:
        CommonPatternPasswordValidator().validate(password)
    assert caught.value.error_list[0].code == "password_common_pattern"


@pytest.mark.parametrize("password", ["Hz7$tq2Lm", "Xs9#kLp2", "Jiangnan#River9", "Tr0ub4dor&3", "Gx!83mQa"])
def test_uncommon_passwords_pass(password: str) -> None:
    CommonPatternPasswordValidator().validate(password)


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("Ab#13912345678", "password_contains_phone"),
        ("Ab#12345678x", "password_contains_phone"),  # the mobile's last 8 digits
        ("x91320507MA1XWL000C", "password_contains_credit_code"),
        ("Ab#ma1xwl000", "password_contains_credit_code"),  # the organisation part, any case
    ],
)
def test_own_phone_or_credit_code_is_refused(password: str, code: str) -> None:
    user = User(username="91320507MA1XWL000C", phone="13912345678")
    with pytest.raises(ValidationError) as caught:
        PersonalNumberPasswordValidator().validate(password, user)
    assert caught.value.error_list[0].code == code


def test_someone_elses_numbers_are_no_concern() -> None:
    user = User(username="91320507MA1XWL000C", phone="13912345678")
    PersonalNumberPasswordValidator().validate("Ab#13700000000", user)
    PersonalNumberPasswordValidator().validate("Ab#13912345678")  # no account to compare with


def test_registration_form_compares_with_the_phone_typed(client: Any, db: Any) -> None:
    from laowu.accounts.forms import RegistrationForm

    form = RegistrationForm(
        {
            "name": "x",
            "credit_code": "91320507MA1XWL000C",
            "contact_name": "赵六",
            "phone": "13912345678",
            "password1": "Zl#13912345678",
            "password2": "Zl#13912345678",
            "captcha_0": "x",
            "captcha_1": "PASSED",
        }
    )
    assert not form.is_valid()
    assert "密码不能包含本账号的手机号码。" in form.errors["password1"]
