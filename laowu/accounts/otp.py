"""The second factor (动态验证码, TOTP) — who must have one, and where an unverified session goes.

The one place for the rule: staff (审核员, 监管人员 and the three admins) must use a TOTP
authenticator app after their password; an enterprise account may turn it on for itself under
账号设置. The gate (`laowu/accounts/middleware.py`) asks `gate_url`, the login views and pages
ask the predicates below, and the writes live in `laowu/accounts/services.py`.
"""

from __future__ import annotations

from base64 import b32encode
from typing import Any

import segno
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import STAFF_ROLES

RECOVERY_CODE_COUNT = 10
TOTP_DEVICE_NAME = "验证器App"
RECOVERY_DEVICE_NAME = "恢复码"


def otp_required(user: Any) -> bool:
    """Staff accounts may not work on a password alone; enterprise accounts may choose."""
    return bool(user.is_authenticated and user.role in STAFF_ROLES)


def totp_device(user: Any, *, confirmed: bool = True) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("-pk").first()


def has_second_factor(user: Any) -> bool:
    """A confirmed authenticator app. Not remembered on the user object: the gate asks it only
    while a session is unverified (one indexed query), and a cached answer would go stale the
    moment the account enrols or is reset."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def needs_verification(user: Any) -> bool:
    """Whether this account's login asks for a code after the password."""
    return bool(user.is_authenticated and (otp_required(user) or has_second_factor(user)))


def is_verified(user: Any) -> bool:
    # `is_verified` is installed by django_otp's OTPMiddleware on every request's user.
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def gate_url(user: Any) -> str | None:
    """Where a logged-in session must go before any other page, or None if it may go on:
    the code page for an account with an authenticator app, the enrolment page for a staff
    account still without one."""
    if not user.is_authenticated or is_verified(user):
        return None
    if has_second_factor(user):
        return reverse("accounts:otp_verify")
    if otp_required(user):
        return reverse("accounts:otp_enrol")
    return None


def recovery_codes_left(user: Any) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def recovery_device(user: Any) -> StaticDevice | None:
    return StaticDevice.objects.filter(user=user, confirmed=True).first()


def normalize_code(value: str) -> str:
    """What the user typed, as stored: spaces and dashes (copied or printed groups) dropped,
    recovery codes in lower case."""
    return "".join(ch for ch in value if ch not in " -\u3000\t").lower()


def is_totp_code(code: str) -> bool:
    return len(code) == 6 and code.isdigit()


def secret_text(device: TOTPDevice) -> str:
    """The key in Base32, the form authenticator apps take for manual entry, in groups of 4."""
    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_data_uri(device: TOTPDevice) -> str:
    """The otpauth:// URI as an inline SVG QR code (the same segno the printed sheets use): no
    request leaves the server, and the CSP allows data: images."""
    return segno.make(device.config_url, error="M", micro=False).svg_data_uri(scale=5, border=2)
