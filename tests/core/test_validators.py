from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from laowu.core.validators import (
    PasswordComplexityValidator,
    credit_code_check_char,
    is_valid_credit_code,
    is_valid_id_number,
    is_valid_mobile,
    mask_id_number,
    mask_mobile,
    validate_credit_code,
    validate_id_number,
)

# Published codes of well-known registrants, checked against GB 32100-2015 by hand.
REAL_VALID_CREDIT_CODES = [
    "91110000600037341L",  # example widely used in the standard's explanatory material
    "91350100M000100Y43",
    "91320507MA1XWL000C",  # the offline provider's demo enterprise
]


@pytest.mark.parametrize("code", REAL_VALID_CREDIT_CODES)
def test_valid_credit_codes(code: str) -> None:
    assert is_valid_credit_code(code)
    validate_credit_code(code.lower())  # lower case is normalised, not refused


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("91110000600037341M", "校验位不正确"),  # wrong check character
        ("9111000060003734", "应为18位"),  # too short
        ("91110000600037341LX", "应为18位"),
        ("91110000600O37341L", "无效字符"),  # letter O is not in the alphabet
        ("91110000600I37341L", "无效字符"),
        ("", "应为18位"),
    ],
)
def test_invalid_credit_codes(code: str, message: str) -> None:
    assert not is_valid_credit_code(code)
    with pytest.raises(ValidationError, match=message):
        validate_credit_code(code)


def test_credit_check_char_modulo_zero_maps_to_0() -> None:
    # A weighted sum divisible by 31 gives check value 31 mod 31 = 0, not index 31.
    first17 = "00000000000000000"
    assert credit_code_check_char(first17) == "0"


@pytest.mark.parametrize("value", ["11010519491231002X", "110101199003074477", "32050719880101123X"])
def test_valid_id_numbers(value: str) -> None:
    assert is_valid_id_number(value)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("110105194912310021", "校验位"),
        ("110105194902300021", "出生日期"),  # 30 February
        ("11010519491231002", "18位"),
        ("11010530001231002X", "出生日期"),  # born in the future
        ("1101051949123100ZX", "18位"),
    ],
)
def test_invalid_id_numbers(value: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        validate_id_number(value, today=dt.date(2026, 11, 27))


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("13800000000", True),
        ("19912345678", True),
        ("12800000000", False),
        ("1380000000", False),
        ("138000000001", False),
        ("1380000000a", False),
    ],
)
def test_mobile(value: str, ok: bool) -> None:
    assert is_valid_mobile(value) is ok


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("Abcdefg1", True),
        ("abcdefg1!", True),
        ("ABCDEFG1!", True),
        ("abcdefgh", False),
        ("abcdefg1", False),
        ("ABCDEFGh", False),
    ],
)
def test_password_complexity(password: str, ok: bool) -> None:
    if ok:
        PasswordComplexityValidator().validate(password)
    else:
        with pytest.raises(ValidationError, match="三类"):
            PasswordComplexityValidator().validate(password)


def test_masks() -> None:
    assert mask_id_number("32050719880101123X") == "3205**********123X"
    assert mask_mobile("13812345678") == "138****5678"
