from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from .models import AuditEvent


def audit_events(
    *,
    username: str = "",
    role: str = "",
    action: str = "",
    result: str = "",
    ip: str = "",
    object_type: str = "",
    object_id: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[AuditEvent]:
    qs = AuditEvent.objects.all()
    if username:
        # From the start, which the username's pattern index answers: the log grows by every
        # write, and a substring search would read all of it.
        qs = qs.filter(username__startswith=username.strip())
    if role:
        qs = qs.filter(role=role)
    if action:
        qs = qs.filter(action=action)
    if result:
        qs = qs.filter(result=result)
    if ip:
        qs = qs.filter(ip=ip)
    # Type and ID together hit the (object_type, object_id) index: one object's history.
    if object_type:
        qs = qs.filter(object_type=object_type)
    if object_id:
        qs = qs.filter(object_id=object_id.strip())
    if date_from:
        qs = qs.filter(created_at__date__gte=date_from)
    if date_to:
        qs = qs.filter(created_at__date__lte=date_to)
    return qs
