"""站内消息: what the committee's actions tell an enterprise, shown on its pages.

Callers send inside their own transaction so a message exists exactly when the action
that caused it committed. Every account of the enterprise shares its messages, so
"read" is the enterprise's, not one user's.
"""

from __future__ import annotations

from django.db.models import Case, Count, IntegerField, QuerySet, Subquery, Value, When
from django.utils import timezone

from laowu.core.http import is_safe_redirect
from laowu.enterprises.models import Enterprise

from .models import Message
from .search import TEXT, matching

HOME_LATEST = 5
READ_FILTERS = (("unread", "未读"), ("read", "已读"))


def send_message(*, enterprise: Enterprise, title: str, body: str, link: str = "") -> Message:
    message = Message(enterprise=enterprise, title=title[:100], body=body, link=link[:200])
    message.full_clean()
    message.save()
    return message


def unread_messages(enterprise_id: int) -> QuerySet[Message]:
    return Message.objects.filter(enterprise_id=enterprise_id, read_at__isnull=True)


def message_list(*, enterprise_id: int, q: str = "", read: str = "") -> QuerySet[Message]:
    """The enterprise's messages, unread first, newest first within each."""
    qs = Message.objects.filter(enterprise_id=enterprise_id)
    if read == "unread":
        qs = qs.filter(read_at__isnull=True)
    elif read == "read":
        qs = qs.filter(read_at__isnull=False)
    unread_first = Case(When(read_at__isnull=True, then=Value(0)), default=Value(1), output_field=IntegerField())
    return matching(qs.order_by(unread_first, "-created_at", "-id"), q, TEXT)


def with_unread_total(qs: QuerySet[Message], enterprise_id: int) -> QuerySet[Message]:
    """`qs` with each row carrying the enterprise's count of unread messages (`unread_messages`,
    whatever `qs` is filtered by) as ``unread_total``: a page of messages and the count its
    heading shows in one statement. The subquery names no column of the row, so PostgreSQL runs
    it once."""
    unread = unread_messages(enterprise_id).order_by().values("enterprise_id").annotate(n=Count("pk")).values("n")
    return qs.annotate(unread_total=Subquery(unread))


def latest_messages(enterprise_id: int, limit: int = HOME_LATEST) -> list[Message]:
    return list(message_list(enterprise_id=enterprise_id)[:limit])


def mark_read(*, message: Message) -> bool:
    """True if this call marked it; an already-read message keeps its first read time."""
    now = timezone.now()
    updated = Message.objects.filter(pk=message.pk, read_at__isnull=True).update(read_at=now)
    if updated:
        message.read_at = now
    return bool(updated)


def mark_all_read(*, enterprise_id: int) -> int:
    return unread_messages(enterprise_id).update(read_at=timezone.now())


def local_link(link: str) -> str:
    """The message's link if it stays on this site, else "" (a message never sends anyone away)."""
    link = (link or "").strip()
    if not link.startswith("/") or link.startswith("//") or "\\" in link:
        return ""
    return link if is_safe_redirect(link) else ""
