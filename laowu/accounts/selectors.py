from __future__ import annotations

import dataclasses
import datetime as dt

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import SmsKind, SmsMessage, SmsStatus, User, phone_is


def user_list(*, q: str = "", role: str = "") -> QuerySet[User]:
    """Accounts, newest first, each with `has_totp`: whether it has bound an authenticator app."""
    has_totp = Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True))
    qs = User.objects.select_related("enterprise").annotate(has_totp=has_totp).order_by("-date_joined")
    if q:
        qs = qs.filter(Q(username__icontains=q) | Q(display_name__icontains=q) | Q(enterprise__name__icontains=q))
    if role:
        qs = qs.filter(role=role)
    return qs


# The statuses the 短信发送记录 page filters by; a dropped message (忘记密码 for an unknown
# number) is no send and is never listed.
SMS_LIST_STATUSES = [(s.value, s.label) for s in SmsStatus if s != SmsStatus.DISCARDED]


def sms_messages(*, status: str = "", phone: str = "") -> QuerySet[SmsMessage]:
    """SMS sends, newest first, optionally of one status and to one whole number (短信发送记录):
    the phone is sealed, so it is found through its blind index, never by a part of it."""
    qs = SmsMessage.objects.exclude(kind=SmsKind.DISCARD).order_by("-created_at", "-id")
    if status in dict(SMS_LIST_STATUSES):
        qs = qs.filter(status=status)
    if phone:
        qs = qs.filter(**phone_is(phone))
    return qs


def cooloff() -> dt.timedelta:
    return dt.timedelta(hours=settings.AXES_COOLOFF_TIME)


# ---------------------------------------------------------------- login lockouts
#
# django-axes keeps one AccessAttempt row per (username, IP, user agent) and locks when, for
# any one of AXES_LOCKOUT_PARAMETERS (here: the username; the IP), the failures of the rows
# sharing that value and newer than the cool-off add up to the limit
# (AxesDatabaseHandler.get_failures). An attacker spreading attempts over several IPs, or
# several usernames from one IP, is locked without any single row reaching the limit, so
# the lookups below sum the same way rather than read one row.

LOCKOUT_FIELDS = ("username", "ip_address")


@dataclasses.dataclass(frozen=True)
class Lockout:
    """One locked account or IP (or both, if the lockout parameters combine them)."""

    username: str | None
    ip_address: str | None
    failures: int
    last_attempt: dt.datetime
    until: dt.datetime

    @property
    def kind(self) -> str:
        if self.username is not None and self.ip_address is not None:
            return "账号+IP"
        return "账号" if self.username is not None else "IP地址"


def _lockout_keys() -> list[tuple[str, ...]]:
    """AXES_LOCKOUT_PARAMETERS as field tuples: "username" → ("username",); a combination
    such as ["username", "ip_address"] nested in the list → both fields together."""
    keys = []
    for param in settings.AXES_LOCKOUT_PARAMETERS:
        fields = (param,) if isinstance(param, str) else tuple(param)
        if not set(fields) <= set(LOCKOUT_FIELDS):
            raise ValueError(f"unsupported lockout parameter {param!r}")
        keys.append(fields)
    return keys


def _lift_time(attempts: list[tuple[dt.datetime, int]]) -> dt.datetime | None:
    """When the lock made by these (attempt_time, failures) rows lifts, or None if they do
    not lock. Each row leaves the sum once its last attempt is older than the cool-off, so
    the lock lifts when enough of the oldest rows have left for the sum to fall below the
    limit: with 3 failures at 10:00 and 2 at 10:05, at 10:15."""
    total = sum(n for _, n in attempts)
    if total < settings.AXES_FAILURE_LIMIT:
        return None
    for when, n in sorted(attempts):
        total -= n
        if total < settings.AXES_FAILURE_LIMIT:
            return when + cooloff()
    raise AssertionError("unreachable: the sum reaches 0")


def _recent_attempts() -> QuerySet[AccessAttempt]:
    return AccessAttempt.objects.filter(attempt_time__gte=timezone.now() - cooloff())


def active_lockouts() -> list[Lockout]:
    """Every account and IP locked now, latest failure first.

    Bounded by the cool-off: only the last 15 minutes of failure rows are read.
    """
    rows = list(_recent_attempts().values_list("username", "ip_address", "attempt_time", "failures_since_start"))
    found: list[Lockout] = []
    for key in _lockout_keys():
        groups: dict[tuple[str | None, str | None], list[tuple[dt.datetime, int]]] = {}
        for username, ip_address, when, failures in rows:
            value = (username if "username" in key else None, ip_address if "ip_address" in key else None)
            if any(not v for f, v in zip(LOCKOUT_FIELDS, value, strict=True) if f in key):
                continue  # a blank username or IP is no one's to lock
            groups.setdefault(value, []).append((when, failures))
        for (username, ip_address), attempts in groups.items():
            until = _lift_time(attempts)
            if until is not None:
                found.append(
                    Lockout(
                        username=username,
                        ip_address=ip_address,
                        failures=sum(n for _, n in attempts),
                        last_attempt=max(w for w, _ in attempts),
                        until=until,
                    )
                )
    return sorted(found, key=lambda lock: lock.last_attempt, reverse=True)


def locked_until(*, username: str | None, ip_address: str | None) -> dt.datetime | None:
    """When a login with this username from this IP is allowed again: axes refuses while any
    one of its lockouts holds, so this is the latest of their lift times."""
    given = {"username": username, "ip_address": ip_address}
    times = []
    for key in _lockout_keys():
        if not all(given[f] for f in key):
            continue
        attempts = _recent_attempts().filter(**{f: given[f] for f in key})
        until = _lift_time(list(attempts.values_list("attempt_time", "failures_since_start")))
        if until is not None:
            times.append(until)
    return max(times, default=None)
