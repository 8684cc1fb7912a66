"""The sign-in gates, in the order settings.MIDDLEWARE runs them.

`SecondFactorMiddleware`: a session past the password but not yet past the code reaches nothing
but the code (or enrolment) page, logout and static files. It must come after django_otp's
OTPMiddleware; the rule it applies is `laowu/accounts/otp.py`.

`PasswordChangeRequiredMiddleware`: a user whose password must change (expired, or set by an
admin) is kept on 修改密码, which says why (laowu/accounts/passwords.py `change_required_reason`);
after the second factor, so the change is made by someone who passed both. The login view stays
as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse

from . import otp
from .passwords import change_required_reason

_GATE_ATTR = "_laowu_otp_gate"


def _gate(request: HttpRequest, user: object) -> str | None:
    """`otp.gate_url` once per request: both gates ask it, and for an account without an
    authenticator app each asking costs a query. Kept on the request, never longer, so an
    enrolment or a reset counts from the next request on."""
    if not hasattr(request, _GATE_ATTR):
        setattr(request, _GATE_ATTR, otp.gate_url(user))
    return getattr(request, _GATE_ATTR)


class SecondFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._open: tuple[str, ...] | None = None

    def _open_paths(self) -> tuple[str, ...]:
        # Resolved on first use: the URLconf is not loaded when middleware is built.
        if self._open is None:
            self._open = tuple(
                reverse(name) for name in ("accounts:otp_verify", "accounts:otp_enrol", "accounts:logout")
            )
        return self._open

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        path = request.path
        if path in self._open_paths() or path.startswith("/" + settings.STATIC_URL.lstrip("/")):
            return self.get_response(request)
        target = _gate(request, user)
        if target is None:
            return self.get_response(request)
        if request.method == "GET":
            # Back to the page asked for once the code is entered (checked there: same host only).
            target += "?" + urlencode({"next": request.get_full_path()})
        return HttpResponseRedirect(target)


# Reachable while a change is due: the page itself and signing out. Static files are served
# before this middleware (WhiteNoise), and the captcha image needs no session.
ALLOWED_URL_NAMES = ("accounts:password_change", "accounts:logout")


class PasswordChangeRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        # Not before the second factor is passed: its own pages must stay reachable.
        if user is not None and user.is_authenticated and _gate(request, user) is None and change_required_reason(user):
            allowed = {reverse(name) for name in ALLOWED_URL_NAMES}
            if request.path not in allowed:
                return redirect("accounts:password_change")
        return self.get_response(request)
