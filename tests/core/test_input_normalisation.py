"""Codes as people type them: full-width digits, pasted spaces, other scripts' digits."""

from __future__ import annotations

import datetime as dt

import pytest
from django import forms
from django.core.exceptions import ValidationError

from laowu.core.forms import CodeField
from laowu.core.validators import (
    normalize_code,
    require_ascii_digits,
    validate_credit_code,
    validate_id_number,
    validate_mobile,
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
