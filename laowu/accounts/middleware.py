"""Keep a user whose password must change (expired, or set by an admin) on 修改密码.

Its own middleware, after AuthenticationMiddleware, so the login view stays as it is: once
signed in, every page but 修改密码 and 退出 answers with a redirect to 修改密码, which says
why (laowu/accounts/passwords.py `change_required_reason`)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from .passwords import change_required_reason

# Reachable while a change is due: the page itself and signing out. Static files are served
# before this middleware (WhiteNoise), and the captcha image needs no session.
ALLOWED_URL_NAMES = ("accounts:password_change", "accounts:logout")


class PasswordChangeRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and change_required_reason(user):
            allowed = {reverse(name) for name in ALLOWED_URL_NAMES}
            if request.path not in allowed:
                return redirect("accounts:password_change")
        return self.get_response(request)
