"""站内消息: what the committee's actions tell an enterprise, shown on its pages.

Callers send inside their own transaction so a message exists exactly when the action
that caused it committed.
"""

from __future__ import annotations

from django.db.models import QuerySet

from laowu.enterprises.models import Enterprise

from .models import Message


def send_message(*, enterprise: Enterprise, title: str, body: str, link: str = "") -> Message:
    message = Message(enterprise=enterprise, title=title[:100], body=body, link=link[:200])
    message.full_clean()
    message.save()
    return message


def unread_messages(enterprise_id: int) -> QuerySet[Message]:
    return Message.objects.filter(enterprise_id=enterprise_id, read_at__isnull=True)
