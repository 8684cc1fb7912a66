from __future__ import annotations

import datetime as dt

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from .models import User


def user_list(*, q: str = "", role: str = "") -> QuerySet[User]:
    qs = User.objects.select_related("enterprise").order_by("-date_joined")
    if q:
        qs = qs.filter(Q(username__icontains=q) | Q(display_name__icontains=q) | Q(enterprise__name__icontains=q))
    if role:
        qs = qs.filter(role=role)
    return qs


def cooloff() -> dt.timedelta:
    return dt.timedelta(hours=settings.AXES_COOLOFF_TIME)


def active_lockouts() -> QuerySet[AccessAttempt]:
    """Attempt rows that currently lock an account or an IP."""
    return AccessAttempt.objects.filter(
        failures_since_start__gte=settings.AXES_FAILURE_LIMIT,
        attempt_time__gte=timezone.now() - cooloff(),
    ).order_by("-attempt_time")


def locked_until(*, username: str | None, ip_address: str | None) -> dt.datetime | None:
    """When the lock on this account or IP lifts (the later of the two)."""
    cond = Q()
    if username:
        cond |= Q(username=username)
    if ip_address:
        cond |= Q(ip_address=ip_address)
    if not cond:
        return None
    last = active_lockouts().filter(cond).aggregate(last=Max("attempt_time"))["last"]
    return last + cooloff() if last else None
