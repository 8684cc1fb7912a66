"""Login, logout and lockout events go to the audit log; failures and lockouts through
`record_refusal`, whose per-IP limit keeps a password-guessing run from flooding it."""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from laowu.audit.services import Action, record, record_refusal


@receiver(user_logged_in)
def on_login(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    record(action=Action.LOGIN, request=request, user=user)


@receiver(user_logged_out)
def on_logout(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    if user is not None:
        record(action=Action.LOGOUT, request=request, user=user)


@receiver(user_login_failed)
def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    username = str(credentials.get("username", ""))[:150]
    user = get_user_model().objects.filter(username=username).first()
    record_refusal(action=Action.LOGIN_FAILED, request=request, user=user, username=username)


@receiver(user_locked_out)
def on_locked_out(sender: Any, request: HttpRequest, username: str | None, ip_address: str, **kwargs: Any) -> None:
    user = get_user_model().objects.filter(username=username).first() if username else None
    record_refusal(
        action=Action.LOCKOUT, request=request, user=user, username=username or "", detail={"ip": ip_address}
    )
