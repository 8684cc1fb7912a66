"""Password policy beyond the validators in laowu/core/validators.py: the history of recent
passwords, the 90-day expiry and the must-change flag. Every password an account gets goes
through `set_new_password` (inside the caller's transaction), so the three stay in step."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils import timezone

from .models import PasswordHistory, User


def set_new_password(
    user: User,
    raw_password: str | None = None,
    *,
    encoded: str | None = None,
    must_change: bool = False,
    now: dt.datetime | None = None,
) -> None:
    """Give `user` a new password and save it: the hash, when it was set, whether its holder
    must replace it (someone else chose it), and a row in the history, which keeps only the
    last LAOWU_PASSWORD_HISTORY. Call inside the service's transaction, after validation."""
    now = now or timezone.now()
    if user.pk is not None and user.has_usable_password() and not PasswordHistory.objects.filter(user=user).exists():
        # An account from before the history was kept: its outgoing password is the first entry.
        since = user.password_changed_at or user.date_joined
        PasswordHistory.objects.create(user=user, password=user.password, created_at=since)
    if encoded is not None:
        # Hashed earlier (a registration waiting for its SMS code keeps only the hash).
        user.password = encoded
    else:
        user.set_password(raw_password)
    user.password_changed_at = now
    user.must_change_password = must_change
    if user.pk is None:
        user.save()
    else:
        user.save(update_fields=["password", "password_changed_at", "must_change_password"])
    PasswordHistory.objects.create(user=user, password=user.password, created_at=now)
    keep = PasswordHistory.objects.filter(user=user).order_by("-created_at", "-pk")[: settings.LAOWU_PASSWORD_HISTORY]
    PasswordHistory.objects.filter(user=user).exclude(pk__in=list(keep.values_list("pk", flat=True))).delete()


class PasswordHistoryValidator:
    """A new password may not be the current one nor any of the last LAOWU_PASSWORD_HISTORY
    (等保 level 3). Accounts not yet saved (registration, a new staff account) have none."""

    def validate(self, password: str, user: Any = None) -> None:
        if user is None or getattr(user, "pk", None) is None:
            return
        hashes = list(
            PasswordHistory.objects.filter(user_id=user.pk)
            .order_by("-created_at", "-pk")
            .values_list("password", flat=True)[: settings.LAOWU_PASSWORD_HISTORY]
        )
        # The stored hash too: accounts from before the history was kept have no rows yet.
        current = User.objects.filter(pk=user.pk).values_list("password", flat=True).first()
        for encoded in [current, *hashes]:
            if encoded and check_password(password, encoded):
                raise ValidationError(
                    f"新密码不能与最近{settings.LAOWU_PASSWORD_HISTORY}次使用过的密码相同，请换一个。",
                    code="password_reused",
                )

    def get_help_text(self) -> str:
        return f"新密码不能与最近{settings.LAOWU_PASSWORD_HISTORY}次使用过的密码相同。"


def password_expires_at(user: User) -> dt.datetime | None:
    """When the password stops being accepted without a change; None if expiry is off.
    An account whose change time was never recorded counts from when it was made."""
    days = settings.LAOWU_PASSWORD_MAX_AGE_DAYS
    if not days:
        return None
    since = user.password_changed_at or user.date_joined
    return since + dt.timedelta(days=days)


def change_required_reason(user: Any, now: dt.datetime | None = None) -> str:
    """Why the signed-in user must change their password before going on, or "" if not."""
    if not getattr(user, "is_authenticated", False):
        return ""
    if user.must_change_password:
        return "您的密码由管理员设置，首次登录请先修改密码。"
    expires = password_expires_at(user)
    if expires is not None and (now or timezone.now()) >= expires:
        return f"您的密码已超过{settings.LAOWU_PASSWORD_MAX_AGE_DAYS}天未修改，请先修改密码后继续使用。"
    return ""
