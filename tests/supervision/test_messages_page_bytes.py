"""站内消息 as it is served now and as it was: its heading's unread count read apart
(`messaging.unread_messages(...).count()`) and page 1's count in a statement of its own. Now the
rows carry the count (`messaging.with_unread_total`) and page 1 its count: one statement for
the page's messages. No message, all read, some unread, more than a page, each filter, a search,
a search that finds nothing, page 2."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from laowu.core.pagination import paginate
from laowu.supervision import messaging
from laowu.supervision.messaging import send_message
from laowu.supervision.models import Message
from laowu.supervision.views import notices as views
from tests.pagebytes import served_both_ways

pytestmark = pytest.mark.django_db

URL = reverse("supervision:messages")
FORMER = [
    (views, "paginate", lambda request, qs, **kwargs: paginate(request, qs)),
    (messaging, "with_unread_total", lambda qs, enterprise_id: qs),
    (views, "_unread_count", lambda page, enterprise_id, filtered: messaging.unread_messages(enterprise_id).count()),
]
PARAMS: list[dict[str, str]] = [
    {},
    {"read": "unread"},
    {"read": "read"},
    {"q": "审核"},
    {"q": "无此消息"},
    {"read": "unread", "q": "审核"},
    {"page": "2"},
]


def _each(client: Any, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    return [served_both_ways(client, monkeypatch, URL, FORMER, params=params) for params in PARAMS]


def test_the_messages_page_is_the_former_page(as_user: Any, enterprise_a: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    client = as_user(enterprise_a)
    enterprise = enterprise_a.enterprise
    assert "暂无站内消息" in _each(client, monkeypatch)[0]

    first = send_message(enterprise=enterprise, title="审核结果一", body="内容", link="")
    Message.objects.filter(pk=first.pk).update(read_at=timezone.now())
    pages = _each(client, monkeypatch)  # every message read
    assert "标为已读</button>" not in pages[0] and "<h1>站内消息</h1>" in pages[0]

    for n in range(24):
        send_message(enterprise=enterprise, title=f"审核结果{n}", body=f"第{n}条", link="/x/" if n % 2 else "")
    pages = _each(client, monkeypatch)
    for page in pages:
        assert "<h1>站内消息（24条未读）</h1>" in page  # whatever the filter, search or page shown
    assert "下一页" in pages[0] and "没有符合条件的消息。" in pages[4]


def test_page_one_reads_its_messages_in_one_statement(as_user: Any, enterprise_a: Any) -> None:
    client = as_user(enterprise_a)
    for n in range(24):
        send_message(enterprise=enterprise_a.enterprise, title=f"审核结果{n}", body="内容", link="")
    client.get(URL)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(URL).content.decode()
    reads = [q["sql"] for q in queries.captured_queries if "supervision_message" in q["sql"]]
    assert len(reads) == 1, reads
    assert "共 24 条" in page
