"""The sign-in gates, in the order settings.MIDDLEWARE runs them.

`AuthenticationMiddleware` and `OTPMiddleware` stand in for Django's and django_otp's: the same
`request.user`, with `is_verified()`, but the user row and its second-factor state come in one
query (`otp.user_with_second_factor_state`) instead of three (user, device, the gate's "has an app?"),
and with them the account's enterprise and whether it covers every district, which pages would
otherwise each ask in queries of their own. Nothing is cached beyond the request.

`SecondFactorMiddleware`: a session past the password but not yet past the code reaches nothing
but the code (or enrolment) page, logout and static files. It must come after `OTPMiddleware`
(which installs `is_verified()`); the rule it applies is `laowu/accounts/otp.py`.

`PasswordChangeRequiredMiddleware`: a user whose password must change (expired, or set by an
admin) is kept on 修改密码, which says why (laowu/accounts/passwords.py `change_required_reason`);
after the second factor, so the change is made by someone who passed both. The login view stays
as it is.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth import middleware as auth_middleware
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.functional import SimpleLazyObject
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.middleware import OTPMiddleware as DjangoOTPMiddleware

from . import otp
from .models import User
from .passwords import change_required_reason

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _session_user(request: HttpRequest) -> Any:
    """`django.contrib.auth.get_user`, for sessions logged in through the ModelBackend (all of
    ours: laowu/accounts/views.py), with the user read by `otp.user_with_second_factor_state`. The
    checks are Django's, in its order: the backend still configured, the account still
    allowed in (`is_active`), and the session's password hash still the account's (a password
    change elsewhere signs this session out; a hash made with a fallback secret is renewed).
    Anything else goes to Django's own `get_user`."""
    session = request.session
    backend_path = session.get(BACKEND_SESSION_KEY)
    if backend_path != MODEL_BACKEND or backend_path not in settings.AUTHENTICATION_BACKENDS:
        return auth.get_user(request)
    try:
        user_id = User._meta.pk.to_python(session[SESSION_KEY])
    except KeyError:
        return AnonymousUser()
    user = otp.user_with_second_factor_state(user_id, session.get(DEVICE_ID_SESSION_KEY))
    if user is None or not ModelBackend().user_can_authenticate(user):
        return AnonymousUser()
    session_hash = session.get(HASH_SESSION_KEY)
    auth_hash = user.get_session_auth_hash()
    if session_hash and constant_time_compare(session_hash, auth_hash):
        return user
    if session_hash and any(
        constant_time_compare(session_hash, fallback) for fallback in user.get_session_auth_fallback_hash()
    ):
        session.cycle_key()
        session[HASH_SESSION_KEY] = auth_hash
        return user
    session.flush()
    return AnonymousUser()


def _get_user(request: HttpRequest) -> Any:
    # The attribute Django's own middleware caches under, so that anything reading it agrees.
    if not hasattr(request, "_cached_user"):
        request._cached_user = _session_user(request)  # type: ignore[attr-defined]
    return request._cached_user  # type: ignore[attr-defined]


class AuthenticationMiddleware(auth_middleware.AuthenticationMiddleware):
    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)  # its checks, and `request.auser`
        request.user = SimpleLazyObject(functools.partial(_get_user, request))  # type: ignore[assignment]


class OTPMiddleware(DjangoOTPMiddleware):
    """django_otp's, taking the session device's state from the user's own query when
    `AuthenticationMiddleware` read it; the device itself is loaded only if something asks
    for more than `is_verified()`."""

    def _verify_user_sync(self, request: HttpRequest, user: Any) -> Any:
        persistent_id = request.session.get(DEVICE_ID_SESSION_KEY)
        ok = otp.session_device_ok(user, persistent_id) if persistent_id and user.is_authenticated else None
        if ok is None:
            return super()._verify_user_sync(request, user)
        self._init_user_fields(user)
        if ok:
            user.otp_device = SimpleLazyObject(functools.partial(self._device_from_persistent_id, persistent_id))
        else:
            # As django_otp's `_finalize_device`: a device gone or no longer confirmed.
            del request.session[DEVICE_ID_SESSION_KEY]
        return user


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
