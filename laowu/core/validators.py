"""Validators for Chinese identifiers used throughout the platform.

Each check follows its national standard so that a typo is caught at the field,
not weeks later when a reviewer compares the filing with the licence.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import unicodedata
from pathlib import Path

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError

from .areas import PROVINCE_CODES, RESIDENCE_PERMIT_CODES, is_known_id_area

# GB 32100-2015: 18 characters from this 31-symbol alphabet (no I, O, Z, S, V).
_CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CREDIT_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$")

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"^[0-9]{17}[0-9X]$")

# Mainland mobile numbers: 11 digits starting 13-19 (covers every carrier's ranges).
_MOBILE_RE = re.compile(r"^1[3-9][0-9]{9}$")


MSG_NON_ASCII_DIGIT = "含有0–9以外的数字字符（如其他文字的数字），请用数字0–9重新输入。"


def normalize_code(value: str | None, *, upper: bool = True) -> str:
    """A code as people type it, in the one spelling it is checked, stored and compared in.

    NFKC turns full-width ０–９, Ａ–Ｚ and brackets (an input method in full-width mode)
    into ASCII, whitespace anywhere goes (pasted "159 0036 8499", the ideographic space),
    and letters are upper-cased. Digits of other scripts (Arabic-Indic ٣, Devanagari ३)
    survive NFKC; `require_ascii_digits` refuses them rather than guess.
    """
    value = "".join(unicodedata.normalize("NFKC", value or "").split())
    return value.upper() if upper else value


def require_ascii_digits(value: str) -> None:
    # str.isdigit() and regex \d accept every script's digits; int() even reads them. A code
    # that only looks like an existing one must never pass as a different value.
    if any(ch.isdigit() and not ("0" <= ch <= "9") for ch in value):
        raise ValidationError(MSG_NON_ASCII_DIGIT, code="non_ascii_digit")


def credit_code_check_char(first17: str) -> str:
    """Return the GB 32100-2015 check character for the first 17 characters."""
    total = sum(_CREDIT_ALPHABET.index(c) * w for c, w in zip(first17, _CREDIT_WEIGHTS, strict=True))
    return _CREDIT_ALPHABET[(31 - total % 31) % 31]


def is_valid_credit_code(value: str) -> bool:
    if not value or not _CREDIT_RE.match(value):
        return False
    return credit_code_check_char(value[:17]) == value[17]


def normalize_credit_code(value: str) -> str:
    return normalize_code(value)


def validate_credit_code(value: str) -> None:
    value = normalize_credit_code(value)
    require_ascii_digits(value)
    if len(value) != 18:
        raise ValidationError("统一社会信用代码应为18位。", code="credit_code_length")
    if not _CREDIT_RE.match(value):
        raise ValidationError(
            "统一社会信用代码含有无效字符（只能是数字和除 I、O、Z、S、V 以外的大写字母）。",
            code="credit_code_chars",
        )
    if not is_valid_credit_code(value):
        raise ValidationError("统一社会信用代码校验位不正确，请核对后重新输入。", code="credit_code_check")


def id_number_check_char(first17: str) -> str:
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def id_number_birth_date(value: str) -> dt.date | None:
    try:
        return dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return None


def is_valid_id_number(value: str, *, today: dt.date | None = None) -> bool:
    try:
        validate_id_number(value, today=today)
    except ValidationError:
        return False
    return True


def validate_id_number(value: str, *, today: dt.date | None = None) -> None:
    value = normalize_code(value)
    require_ascii_digits(value)
    if not _ID_RE.match(value):
        raise ValidationError("身份证号应为18位，前17位为数字，最后一位为数字或X。", code="id_format")
    if value[:2] not in PROVINCE_CODES and value[:6] not in RESIDENCE_PERMIT_CODES:
        raise ValidationError(
            f"身份证号前两位（{value[:2]}）不是有效的省份代码，请核对后重新输入。", code="id_province"
        )
    birth = id_number_birth_date(value)
    today = today or dt.date.today()
    if birth is None or birth > today or birth.year < 1900:
        raise ValidationError("身份证号中的出生日期无效。", code="id_birth")
    if id_number_check_char(value[:17]) != value[17]:
        raise ValidationError("身份证号校验位不正确，请核对后重新输入。", code="id_check")
    if not is_known_id_area(value[:6], born=birth):
        # After the check character: a single typo is reported as such, not as a place.
        raise ValidationError(
            f"身份证号前六位（{value[:6]}）不是有效的行政区划代码，请核对后重新输入。", code="id_area"
        )


def is_valid_mobile(value: str) -> bool:
    return bool(_MOBILE_RE.match((value or "").strip()))


def validate_mobile(value: str) -> None:
    if not is_valid_mobile(value):
        raise ValidationError("请输入正确的11位手机号码。", code="mobile")


# Landlines (0512-66668888) are common for an office's 联系电话, so accept both.
_PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,6})?)$", re.ASCII)


def validate_phone(value: str) -> None:
    if value and not _PHONE_RE.match(value.strip()):
        raise ValidationError("请输入正确的手机号码或固定电话（如 0512-66668888）。", code="phone")


_QUALIFICATION_RE = re.compile(r"^D[0-9]{9}$")


def validate_qualification_no(value: str) -> None:
    if value and not _QUALIFICATION_RE.match(value):
        raise ValidationError("施工劳务资质证书编号应为字母D加9位数字，如 D332012345。", code="qualification_no")


# e.g. （苏）JZ安许证字〔2020〕000123
_SAFETY_LICENSE_RE = re.compile(r"^（[\u4e00-\u9fa5]）JZ安许证字〔\d{4}〕\d{6}$", re.ASCII)


def normalize_safety_license_no(value: str) -> str:
    """People type half-width brackets; the licence prints full-width ones."""
    value = (value or "").strip().replace(" ", "")
    for a, b in (("(", "（"), (")", "）"), ("[", "〔"), ("]", "〕"), ("【", "〔"), ("】", "〕"), ("jz", "JZ")):
        value = value.replace(a, b)
    return value


def validate_safety_license_no(value: str) -> None:
    if value and not _SAFETY_LICENSE_RE.match(value):
        raise ValidationError("安全生产许可证编号格式应如 （苏）JZ安许证字〔2020〕000123。", code="safety_license_no")


# 安全生产考核合格证书, e.g. 苏建安C3(2023)0000001: province, class, year, serial. The class is
# C1/C2/C3 since the split into 机械/土建/综合; certificates issued before it (苏建安C(2013)1300326)
# carry a plain C and are still in force, so their holder's class is asked for separately.
_SAFETY_CERT_RE = re.compile(r"^[\u4e00-\u9fa5]建安(C[123]?)\(([0-9]{4})\)([0-9]{7})$")


def normalize_safety_cert_no(value: str) -> str:
    # normalize_code turns full-width brackets (the printed certificate's) into ASCII ones.
    return normalize_code(value).replace("〔", "(").replace("〕", ")").replace("【", "(").replace("】", ")")


def safety_cert_category(value: str) -> str | None:
    """The class (C1/C2/C3) a well-formed certificate number carries, else None (a plain C too)."""
    m = _SAFETY_CERT_RE.match(value or "")
    return m.group(1) if m and m.group(1) != "C" else None


def safety_cert_is_legacy(value: str) -> bool:
    """A well-formed number from before the C1/C2/C3 split: it names no class."""
    m = _SAFETY_CERT_RE.match(value or "")
    return bool(m) and m.group(1) == "C"


def validate_safety_cert_no(value: str) -> None:
    require_ascii_digits(value or "")
    m = _SAFETY_CERT_RE.match(value or "")
    if not m:
        raise ValidationError(
            "安全生产考核合格证书编号格式应如 苏建安C3(2023)0000001（2015年前发证的为 苏建安C(2013)1300326）。",
            code="safety_cert_no",
        )
    year = int(m.group(2))
    if year < 1990 or year > dt.date.today().year:
        raise ValidationError("安全生产考核合格证书编号中的年份不正确。", code="safety_cert_year")


# 劳资专管员 培训合格证书: issued by whichever training body the district names, with no
# national numbering, so only the shape is held: 4–40 characters, Chinese characters, Latin
# letters, digits and the separators those bodies print, and at least one digit (a number,
# not a sentence such as "已培训").
_WAGE_CERT_RE = re.compile(r"^(?=.*[0-9])[\u4e00-\u9fa50-9A-Z()〔〕\[\]/_.·-]{4,40}$")


def normalize_wage_cert_no(value: str) -> str:
    return normalize_code(value)


def validate_wage_cert_no(value: str) -> None:
    if not value:
        return
    require_ascii_digits(value)
    if not _WAGE_CERT_RE.match(value):
        raise ValidationError(
            "培训合格证书编号应为4–40位，只能含汉字、字母、数字及 - _ / . ( ) 〔 〕 等符号，且至少有一位数字。",
            code="wage_cert_no",
        )


class PasswordComplexityValidator:
    """At least 3 of the 4 character classes (等保 level-3 password policy)."""

    def validate(self, password: str, user: object = None) -> None:
        classes = [
            any(c.isupper() for c in password),
            any(c.islower() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        ]
        if sum(classes) < 3:
            raise ValidationError(
                "密码须至少包含大写字母、小写字母、数字、特殊字符中的三类。",
                code="password_too_simple",
            )

    def get_help_text(self) -> str:
        return "密码至少8位，且须包含大写字母、小写字母、数字、特殊字符中的至少三类。"


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's length rule with its message in Chinese, written here: Django 5.2 changed the
    message's wording (so its id), and the translation it had no longer matched."""

    def validate(self, password: str, user: object = None) -> None:
        if len(password) < self.min_length:
            raise ValidationError(
                self.get_error_message(), code="password_too_short", params={"min_length": self.min_length}
            )

    def get_error_message(self) -> str:
        return f"密码太短，至少需要{self.min_length}位。"

    def get_help_text(self) -> str:
        return f"密码至少{self.min_length}位。"


class UserAttributeSimilarityValidator(password_validation.UserAttributeSimilarityValidator):
    """Django's rule, its message in Chinese here for the same reason as above."""

    def get_error_message(self) -> str:
        return "密码与%(verbose_name)s过于相似，请换一个。"

    def get_help_text(self) -> str:
        return "密码不能与账号、姓名等个人信息相似。"


class CommonPasswordValidator(password_validation.CommonPasswordValidator):
    """Django's 20,000 common passwords, its message in Chinese here."""

    def get_error_message(self) -> str:
        return "该密码过于常见，容易被猜中，请换一个。"

    def get_help_text(self) -> str:
        return "密码不能是常见密码。"


COMMON_WORDS_PATH = Path(__file__).resolve().parent / "data" / "common-passwords-zh.txt"

# Letters people swap for look-alike digits and symbols ("P@ssw0rd"): undone before comparing.
_LEET = str.maketrans({"@": "a", "4": "a", "0": "o", "1": "l", "!": "i", "3": "e", "$": "s", "5": "s", "7": "t"})
_EDGE_RE = re.compile(r"^[\W\d_]+|[\W\d_]+$")
# Shifted symbols typed as their digit key, so "1qaz@WSX" is the walk it looks like on the keyboard.
_SHIFTED = str.maketrans(dict(zip("!@#$%^&*()", "1234567890", strict=True)))
# Each key's (row, x) on a QWERTY keyboard, rows staggered as on the real thing.
_KEY_ROWS = (("1234567890-=", 0.0), ("qwertyuiop[]", 0.5), ("asdfghjkl;'", 0.75), ("zxcvbnm,./", 1.25))
_KEY_POS = {ch: (row, col + offset) for row, (keys, offset) in enumerate(_KEY_ROWS) for col, ch in enumerate(keys)}


def _next_to(a: str, b: str) -> bool:
    """Whether typing b after a is a walk: the same key, a neighbouring key, or the next letter/digit."""
    if a == b or (abs(ord(a) - ord(b)) == 1 and a.isalnum() and b.isalnum()):
        return True
    pa, pb = _KEY_POS.get(a), _KEY_POS.get(b)
    return bool(pa and pb and abs(pa[0] - pb[0]) <= 1 and abs(pa[1] - pb[1]) <= 1)


def _walks(password: str) -> list[int]:
    """The lengths of the keyboard walks (runs of neighbouring keys) that make up the password."""
    keys = password.lower().translate(_SHIFTED)
    runs = [1]
    for a, b in itertools.pairwise(keys):
        if _next_to(a, b):
            runs[-1] += 1
        else:
            runs.append(1)
    return runs


def _is_repeated(password: str) -> bool:
    """ "Aa1!Aa1!", "abcabcabc": a short piece typed again and again."""
    text = password.lower()
    return any(len(text) % n == 0 and text == text[:n] * (len(text) // n) for n in range(1, len(text) // 2 + 1))


class CommonPatternPasswordValidator:
    """Weak passwords that pass the complexity rule by decoration: a common word or keyboard walk
    with digits and symbols added ("Admin@123", "Qwerty@123", "P@ssw0rd1", "1qaz@WSX"), or a
    short piece repeated ("Aa1!Aa1!"). The word is found by lowercasing, stripping digits and
    symbols from both ends and undoing look-alike swaps, then looking it up in Django's common
    passwords and the bundled Chinese-context list (COMMON_WORDS_PATH)."""

    def __init__(self, words_path: str | Path = COMMON_WORDS_PATH) -> None:
        words = {
            line.strip().lower()
            for line in Path(words_path).read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")
        }
        self.words = words | password_validation.CommonPasswordValidator().passwords

    def core(self, password: str) -> str:
        return _EDGE_RE.sub("", password.lower())

    def is_weak(self, password: str) -> bool:
        core = self.core(password)
        if not core or core in self.words or core.translate(_LEET) in self.words:
            return True
        # The whole password with its swaps undone ("P@ssw0rd" → "password").
        if self.core(password.lower().translate(_LEET)) in self.words:
            return True
        if _is_repeated(password):
            return True
        # At most two walks, each of three keys or more: "1qaz2wsx", "Qwer1234", "Zxcv@123".
        runs = _walks(password)
        return len(runs) <= 2 and min(runs) >= 3 and sum(runs) >= 6

    def validate(self, password: str, user: object = None) -> None:
        if self.is_weak(password):
            raise ValidationError(
                "密码由常见单词、键盘连续按键或重复字符加数字、符号组成，容易被猜中，请换一个。",
                code="password_common_pattern",
            )

    def get_help_text(self) -> str:
        return "密码不能是常见单词或键盘连续按键加数字、符号（如 Admin@123、Qwerty@123）。"


class PersonalNumberPasswordValidator:
    """A password containing the account's own mobile number or 统一社会信用代码: both are printed
    on paperwork and shown to colleagues. UserAttributeSimilarityValidator compares by likeness
    of the whole string and misses digits inside a longer password, so this one looks for the
    numbers themselves (the mobile's last 8 digits and the code's 9-character organisation part
    too, the pieces people copy)."""

    def validate(self, password: str, user: object = None) -> None:
        if user is None:
            return
        text = password.upper()
        phone = str(getattr(user, "phone", "") or "")
        if phone and (phone in text or (len(phone) == 11 and phone[-8:] in text)):
            raise ValidationError("密码不能包含本账号的手机号码。", code="password_contains_phone")
        for code in (str(getattr(user, "username", "") or "").upper(), str(getattr(user, "credit_code", "") or "")):
            if len(code) == 18 and _CREDIT_RE.match(code) and (code in text or code[8:17] in text):
                raise ValidationError("密码不能包含本企业的统一社会信用代码。", code="password_contains_credit_code")

    def get_help_text(self) -> str:
        return "密码不能包含本账号的手机号码或统一社会信用代码。"


def mask_id_number(value: str) -> str:
    """3205**********1234: keeps region prefix and last four, as public pages require."""
    if not value or len(value) < 8:
        return "*" * len(value or "")
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_name(value: str) -> str:
    """张*国 / 李*: a person's name on a public page keeps its first and last character."""
    value = value or ""
    if len(value) <= 1:
        return value
    if len(value) == 2:
        return value[0] + "*"
    return value[0] + "*" * (len(value) - 2) + value[-1]


def mask_mobile(value: str) -> str:
    if not value or len(value) < 7:
        return "*" * len(value or "")
    return value[:3] + "****" + value[-4:]


# Mask kinds named by models' SENSITIVE_FIELDS / VERIFY_MASKS.
MASKS = {"id": mask_id_number, "mobile": mask_mobile, "name": mask_name}
