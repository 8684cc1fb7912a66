"""The enterprise home as it is served now and as the former code served it, byte for byte: its
short lists (the rejected records its steps name, the latest messages with the unread count, the
district's latest notices) read by one statement each, and now all three by one. A new enterprise
(nothing to list), one with every state of every type (more rejected records than shown), more
messages and notices than shown (read and unread, pinned and plain, ties of time, another
district's and province-wide ones, texts to escape), and a notice published with no time."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from laowu.accounts.models import District
from laowu.review.models import Filing
from laowu.supervision import messaging, notices
from laowu.supervision.models import Message, Notice
from laowu.workspace import steps, views
from tests.conftest import client_for
from tests.workspace.test_home_queries import every_state  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db

HOME = reverse("workspace:home")
SPECIALS = "<b>&\"'"


class FormerLists:
    """The home's former reads: each list by its own query, as model instances."""

    def __init__(self, enterprise_id: int, district_id: int) -> None:
        self.enterprise_id, self.district_id = enterprise_id, district_id
        self.messages: list[Message] = []
        self.notices: list[Notice] = []

    def read(self, models: list[type[Filing]]) -> dict[type[Filing], tuple[steps.Rejected, ...]]:
        pk = self.enterprise_id
        latest = messaging.with_unread_total(messaging.message_list(enterprise_id=pk), pk)
        self.messages = list(latest[: messaging.HOME_LATEST])
        shown = notices.published_notices(district_id=self.district_id).select_related(None)
        self.notices = list(shown[: notices.HOME_LATEST])
        return steps._rejected(pk, models) if models else {}


def both_ways(user: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    from tests.pagebytes import served_both_ways

    return served_both_ways(client_for(user), monkeypatch, HOME, [(views, "_HomeLists", FormerLists)])


def _lists(user: Any, reviewer: Any) -> None:
    enterprise = user.enterprise
    now = timezone.now()
    for i in range(7):
        message = messaging.send_message(enterprise=enterprise, title=f"消息{i}{SPECIALS}", body="正文")
        # Two messages of one time: the newer id first.
        Message.objects.filter(pk=message.pk).update(
            created_at=now - dt.timedelta(days=i // 2), read_at=now if i % 3 == 0 else None
        )
    other = District.objects.exclude(pk=enterprise.district_id).first() or District.objects.create(
        code="320599", name="别区"
    )
    for i in range(8):
        Notice.objects.create(
            title=f"公告{i}{SPECIALS}",
            body="正文",
            pinned=i in (1, 4),
            is_published=i != 6,
            published_at=now - dt.timedelta(days=i // 2, hours=1),
            district=(None, enterprise.district, other)[i % 3],
            created_by=reviewer,
        )


def test_a_new_enterprises_home(enterprise_a: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    page = both_ways(enterprise_a, monkeypatch)
    assert "暂无站内消息。" in page and "暂无通知公告。" in page


def test_every_state_and_list(every_state: Any, reviewer: Any, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    _lists(every_state, reviewer)
    page = both_ways(every_state, monkeypatch)
    assert "安退3" in page and "合同附件不清晰" in page and "条未读" in page
    assert page.count("消息") >= messaging.HOME_LATEST and "公告" in page


def test_lists_without_a_rejected_record(enterprise_a: Any, reviewer: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _lists(enterprise_a, reviewer)
    # A notice published with no time: placed where the database places a NULL.
    Notice.objects.create(title="无时间", body="正文", is_published=True, published_at=None, created_by=reviewer)
    page = both_ways(enterprise_a, monkeypatch)
    assert ("无时间" in page) == connection.features.nulls_order_largest


def test_the_lists_are_one_statement(every_state: Any, reviewer: Any) -> None:  # noqa: F811
    _lists(every_state, reviewer)
    client = client_for(every_state)
    client.get(HOME)
    with CaptureQueriesContext(connection) as queries:
        client.get(HOME)
    lists = [q["sql"] for q in queries.captured_queries if "supervision_notice" in q["sql"]]
    assert len(lists) == 1
    assert "supervision_message" in lists[0] and "personnel_safetyofficer" in lists[0]
    assert not any("supervision_message" in q["sql"] and q["sql"] not in lists for q in queries.captured_queries)
    # Only the shown columns: no body of a message or a notice.
    assert '"body"' not in lists[0]
