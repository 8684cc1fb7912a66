"""The second-factor gate: a session past the password but not yet past the code reaches
nothing but the code (or enrolment) page, logout and static files.

It lives in accounts, not core, because the rule it applies is an accounts rule
(`laowu/accounts/otp.py`); it must come after django_otp's OTPMiddleware in settings.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from . import otp


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
        target = otp.gate_url(user)
        if target is None:
            return self.get_response(request)
        if request.method == "GET":
            # Back to the page asked for once the code is entered (checked there: same host only).
            target += "?" + urlencode({"next": request.get_full_path()})
        return HttpResponseRedirect(target)
