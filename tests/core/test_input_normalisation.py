"""Codes as people type them (full-width digits, pasted spaces, other scripts' digits), and
the certificate numbers' formats."""

from __future__ import annotations

import datetime as dt

import pytest
from django import forms
from django.core.exceptions import ValidationError

from laowu.core.forms import CodeField
from laowu.core.validators import (
    normalize_code,
    normalize_safety_cert_no,
    require_ascii_digits,
    safety_cert_category,
    safety_cert_is_legacy,
    validate_credit_code,
    validate_id_number,
    validate_mobile,
    validate_safety_cert_no,
    validate_wage_cert_no,
)

TODAY = dt.date(2026, 12, 7)


def fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def arabic_indic(text: str) -> str:
    return "".join(chr(0x0660 + int(c)) if c.isascii() and c.isdigit() else c for c in text)


# ---------------------------------------------------------------- normalisation


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("15９00368499", "15900368499"),
        (fullwidth("13912345678"), "13912345678"),
        (" 139 1234\u30005678\t", "13912345678"),  # pasted with spaces, the ideographic one too
        ("\U0001d7cf\U0001d7d1\U0001d7d7", "139"),  # mathematical bold digits
        (fullwidth("91320507ma1xwl000c"), "91320507MA1XWL000C"),
        ("苏建安Ｃ（２００８）０２００５１６", "苏建安C(2008)0200516"),
    ],
)
def test_codes_are_normalised_to_ascii(typed: str, stored: str) -> None:
    assert normalize_code(typed) == stored
    require_ascii_digits(normalize_code(typed))


@pytest.mark.parametrize("typed", [arabic_indic("13912345678"), "1391234567\u0967", "139１234567\u06f8"])
def test_digits_of_other_scripts_refused(typed: str) -> None:
    with pytest.raises(ValidationError) as exc:
        require_ascii_digits(normalize_code(typed))
    assert exc.value.code == "non_ascii_digit" and "0–9" in exc.value.messages[0]


def test_code_field_normalises_before_length_and_clean_methods() -> None:
    class Form(forms.Form):
        phone = CodeField(max_length=11, min_length=11)

        def clean_phone(self) -> str:
            value = self.cleaned_data["phone"]
            validate_mobile(value)  # sees the stored spelling
            return value

    assert Form({"phone": "159 0036 8499"}).is_valid()  # 13 characters typed, 11 stored
    form = Form({"phone": "15９00368499"})
    assert form.is_valid() and form.cleaned_data["phone"] == "15900368499"
    form = Form({"phone": arabic_indic("15900368499")})
    assert not form.is_valid() and "0–9" in form.errors["phone"][0]


# ---------------------------------------------------------------- validators no longer read other digits


@pytest.mark.parametrize(
    "value",
    [
        fullwidth("9132050") + "7MA1XWL000C",  # normalised: valid
        "91320507MA1XWL000C",
    ],
)
def test_credit_code_full_width_is_the_same_code(value: str) -> None:
    validate_credit_code(value)


@pytest.mark.parametrize("value", [arabic_indic("91320507") + "MA1XWL000C", "9132050٧MA1XWL000C"])
def test_credit_code_other_digits_refused_not_crashing(value: str) -> None:
    # Before: \d matched "٧", then the check character's alphabet lookup raised ValueError (HTTP 500).
    with pytest.raises(ValidationError, match="0–9"):
        validate_credit_code(value)


def test_mobile_and_id_regexes_take_ascii_only() -> None:
    with pytest.raises(ValidationError):
        validate_mobile(arabic_indic("13912345678"))
    with pytest.raises(ValidationError, match="0–9"):
        validate_id_number(arabic_indic("11010519491231002") + "X", today=TODAY)


# ---------------------------------------------------------------- certificate numbers


@pytest.mark.parametrize(
    ("typed", "stored", "category"),
    [
        ("苏建安C(2013)1300326", "苏建安C(2013)1300326", None),
        ("苏建安C（2008）0200516", "苏建安C(2008)0200516", None),
        ("苏建安c3（2023）0000001", "苏建安C3(2023)0000001", "C3"),
        ("苏建安C1〔2019〕1234567", "苏建安C1(2019)1234567", "C1"),
    ],
)
def test_safety_cert_numbers_old_and_new(typed: str, stored: str, category: str | None) -> None:
    value = normalize_safety_cert_no(typed)
    assert value == stored
    validate_safety_cert_no(value)
    assert safety_cert_category(value) == category
    assert safety_cert_is_legacy(value) is (category is None)


@pytest.mark.parametrize("value", ["2023-LZ-0001", "苏劳资培字(2023)第0012号", "JS/LZ/2024/88", "〔2022〕苏人社培001"])
def test_wage_cert_numbers_accepted(value: str) -> None:
    validate_wage_cert_no(normalize_code(value))


@pytest.mark.parametrize(
    "value",
    ["已培训", "A1", "1" + "X" * 40, "12<script>", "2023—LZ001", "１２'; DROP", arabic_indic("20230001")],
)
def test_wage_cert_numbers_refused(value: str) -> None:
    with pytest.raises(ValidationError):
        validate_wage_cert_no(normalize_code(value))
