# ruff: noqa: E501 - the template's rows as they were, line for line
"""提前移出申请 (the committee's list) as it is served now and as the former code served it, byte
for byte: the applications read as model instances with their record and enterprise, the rows
written by the template's {% for %} loop, the search bar rendered by its include. Every state
shown (待审核, 已同意, 不同意; drafts never), both roles (审核 for a reviewer only), texts to
escape and a rectification cut at 60 characters, times of day, a second page, the status
filter, a search, a search with errors, and the empty list."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

import pytest
from django.template import engines
from django.test import Client
from django.urls import reverse

from laowu.enterprises.models import Enterprise
from laowu.supervision import bad_behaviour as bb
from laowu.supervision.models import BadBehaviour, RemovalApplication, RemovalStatus
from laowu.supervision.views import bad_behaviour as views
from tests.conftest import client_for
from tests.factories import make_id_number
from tests.pagebytes import served_both_ways
from tests.supervision.test_bad_behaviour import START, TZ, at, make_record

pytestmark = pytest.mark.django_db

PAGE = reverse("supervision:removal_list")

FORMER_ROWS = """{% for a in page.object_list %}
      <tr>
        <td>{{ a.enterprise.name }}</td>
        <td class="nowrap"><a href="{{ a.record.get_absolute_url }}">{{ a.record.decision_no }}</a></td>
        <td class="nowrap">{{ a.record.publicity_start|date:"Y-m-d" }}<br>至 {{ a.record.publicity_end|date:"Y-m-d" }}</td>
        <td class="nowrap">{{ a.record.earliest_removal|date:"Y-m-d" }}</td>
        <td>{{ a.rectification|truncatechars:60 }}</td>
        <td class="nowrap">{{ a.submitted_at|date:"Y-m-d H:i" }}</td>
        <td class="nowrap"><span class="status status-removal-{{ a.status }}">{{ a.state_label }}</span></td>
        <td class="nowrap"><a href="{{ a.record.get_absolute_url }}">{% if can_manage and a.status == "pending" %}审核{% else %}查看{% endif %}</a></td>
      </tr>
    {% empty %}<tr><td colspan="8" class="empty">没有符合条件的提前移出申请。</td></tr>{% endfor %}"""


def _former_rows(request: Any, applications: list[RemovalApplication], *, manage: bool) -> str:
    page = type("FormerPage", (), {"object_list": applications})()
    return engines["django"].from_string(FORMER_ROWS).render({"page": page, "can_manage": manage}, request)


def _former_search(form: Any, **kwargs: Any) -> str:
    return engines["django"].get_template("supervision/bad_behaviour/_search.html").render({"form": form})


def both_ways(client: Client, monkeypatch: pytest.MonkeyPatch, params: dict[str, str]) -> str:
    """The page now and formerly, compared; returns it."""
    former = [
        (bb, "removal_rows", bb.removal_list),
        (views, "_removal_rows", _former_rows),
        (views, "_removal_search_html", _former_search),
    ]
    now = served_both_ways(client, monkeypatch, PAGE, former, params=params)
    assert "<h1>不良行为记录</h1>" in now and "提前移出申请" in now
    return now


def _applications(reviewer: Any, enterprise_a: Any, enterprise_b: Any) -> None:
    Enterprise.objects.filter(pk=enterprise_a.enterprise.pk).update(name="<建&\"筑'>有限公司")
    states = [RemovalStatus.PENDING, RemovalStatus.APPROVED, RemovalStatus.REJECTED, RemovalStatus.DRAFT]
    for n in range(28):
        user = enterprise_a if n % 2 else enterprise_b
        rec = make_record(
            reviewer,
            user,
            publish=True,
            person_name="张三丰",
            person_id_number=make_id_number(),
            decision_no=f"相劳专〔2026〕<{n}>&'\"号",
        )
        # Published on different days (the earliest removal date, month ends included).
        month = 1 + n % 12
        day = min(28 + n % 4, calendar.monthrange(2025, month)[1]) if n % 2 else 1 + n
        start = dt.date(2025, month, day)
        BadBehaviour.objects.filter(pk=rec.pk).update(
            publicity_start=start, publicity_end=start + dt.timedelta(days=400)
        )
        rectification = "已整改<完毕>&'\"" if n % 3 else "整改" * 40
        RemovalApplication.objects.create(
            record=rec,
            enterprise=rec.enterprise,
            rectification=rectification,
            created_by=user,
            status=states[n % 4],
            submitted_at=None
            if states[n % 4] == RemovalStatus.DRAFT
            else dt.datetime(2026, 2, 1 + n, 8 + n % 12, n, tzinfo=TZ),
        )


PARAMS: list[dict[str, str]] = [
    {},
    {"page": "2"},
    {"status": ""},
    {"status": "", "page": "2"},
    {"status": "approved"},
    {"status": "rejected"},
    {"status": "draft"},
    {"q": "建&"},
    {"q": "<2>", "status": ""},
    {"q": "没有这家企业"},
]


@pytest.mark.parametrize("role", ["reviewer", "supervisor"])
def test_the_removal_list_is_the_former_page(
    role: str, reviewer: Any, supervisor: Any, enterprise_a: Any, enterprise_b: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = client_for(reviewer if role == "reviewer" else supervisor)
    with at(START):
        assert "没有符合条件的提前移出申请。" in both_ways(client, monkeypatch, {})
        _applications(reviewer, enterprise_a, enterprise_b)
        pages = [both_ways(client, monkeypatch, params) for params in PARAMS]
    everything = pages[2]
    assert everything.count("<tr>\n") == 20 and "下一页" in everything and "<tr>\n" in pages[3]
    shown = "".join(pages)
    for text in (
        "待审核",
        "已同意",
        "不同意",
        "&lt;建&amp;&quot;筑&#x27;&gt;有限公司",
        "已整改&lt;完毕&gt;&amp;&#x27;&quot;",
        "整改" * 28,
        "相劳专〔2026〕&lt;2&gt;&amp;&#x27;&quot;号",
    ):
        assert text in shown, text
    assert "草稿" not in everything and "整改" * 30 not in shown
    assert ("审核</a>" in pages[0]) == (role == "reviewer")
    assert "has-error" in pages[6]


def test_the_removal_list_opens_no_sealed_value(
    reviewer: Any, enterprise_a: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The list shows the enterprise and the record's number and dates: neither the record's
    sealed ID number nor the enterprise's phone is read, let alone opened."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.core.unseal_probe import unsealed

    client = client_for(reviewer)
    with at(START):
        rec = make_record(reviewer, enterprise_a, publish=True, person_name="张三丰", person_id_number=make_id_number())
        RemovalApplication.objects.create(
            record=rec,
            enterprise=rec.enterprise,
            rectification="已整改",
            created_by=enterprise_a,
            status=RemovalStatus.PENDING,
            submitted_at=dt.datetime(2026, 3, 1, 9, 0, tzinfo=TZ),
        )
        client.get(PAGE)
        for params in ({}, {"q": rec.decision_no}):
            with unsealed(monkeypatch) as counts, CaptureQueriesContext(connection) as queries:
                page = client.get(PAGE, params).content.decode()
            assert rec.decision_no in page
            assert not {c for c in counts if not c.startswith("accounts.")}, (params, counts)
            listed = [q for q in queries.captured_queries if "supervision_removalapplication" in q["sql"]]
            assert listed, params
            for q in listed:
                assert "person_id_number" not in q["sql"] and "contact_phone" not in q["sql"], q["sql"]
