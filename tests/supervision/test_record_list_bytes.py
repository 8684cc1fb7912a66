# ruff: noqa: E501 - the template's rows as they were, line for line
"""不良行为记录 (the committee's list) as it is served now and as the former code served it, byte
for byte: the rows read as model instances and written by the template's {% for %} loop (with
its include of the state per row), the search bar rendered by its include. Every state a record
shows (草稿, 公示中 and 待公示, 已到期, 已撤销, 提前移出, 移出待审核), both roles, texts to
escape, a second page, filters, a search, a search with errors, and the empty lists. And the
enterprise's own list (本企业不良行为记录) likewise, its rows formerly by its template's loop."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.template import engines
from django.test import Client
from django.urls import reverse

from laowu.enterprises.models import Enterprise
from laowu.supervision import bad_behaviour as bb
from laowu.supervision.models import BadBehaviour, BadBehaviourStatus, RemovalApplication, RemovalStatus
from laowu.supervision.views import bad_behaviour as views
from tests.conftest import client_for
from tests.factories import make_id_number
from tests.pagebytes import served_both_ways
from tests.supervision.test_bad_behaviour import START, at, make_record

pytestmark = pytest.mark.django_db

PAGE = reverse("supervision:bad_behaviour_list")

FORMER_ROWS = """{% for r in page.object_list %}
      <tr>
        <td>{{ r.enterprise.name }}</td>
        <td class="nowrap"><a href="{{ r.get_absolute_url }}">{{ r.decision_no }}</a></td>
        <td class="nowrap"><span class="bb-grade bb-grade-{{ r.grade }}">{{ r.get_grade_display }}</span></td>
        <td>{{ r.get_category_display }}</td>
        <td class="nowrap">{{ r.person_name|default:"—" }}</td>
        <td>{{ r.points }}</td>
        <td class="nowrap">{{ r.publicity_start|date:"Y-m-d" }}<br>至 {{ r.publicity_end|date:"Y-m-d" }}</td>
        <td class="nowrap">{% include "supervision/bad_behaviour/_status.html" %}{% if r.removal_pending %}<br><span class="status status-declared">移出待审核</span>{% endif %}</td>
        <td class="nowrap row-actions"><a href="{{ r.get_absolute_url }}">{% if can_manage and r.is_editable %}编辑/发布{% elif can_manage and r.removal_pending %}审核{% else %}查看{% endif %}</a></td>
      </tr>
    {% empty %}<tr><td colspan="9" class="empty">没有符合条件的不良行为记录。</td></tr>{% endfor %}"""


def _former_rows(request: Any, records: list[BadBehaviour], *, today: dt.date, manage: bool) -> str:
    page = type("FormerPage", (), {"object_list": records})()
    context = {"page": page, "today": today, "can_manage": manage}
    return engines["django"].from_string(FORMER_ROWS).render(context, request)


def _former_search(form: Any, **kwargs: Any) -> str:
    return engines["django"].get_template("supervision/bad_behaviour/_search.html").render({"form": form})


def both_ways(client: Client, monkeypatch: pytest.MonkeyPatch, params: dict[str, str]) -> str:
    """The page now and formerly, compared; returns it."""
    former = [
        (bb, "record_rows", bb.record_list),
        (views, "_record_rows", _former_rows),
        (views, "_record_search_html", _former_search),
    ]
    now = served_both_ways(client, monkeypatch, PAGE, former, params=params)
    assert "<h1>不良行为记录</h1>" in now
    return now


def _records(reviewer: Any, enterprise_a: Any, enterprise_b: Any) -> None:
    Enterprise.objects.filter(pk=enterprise_a.enterprise.pk).update(name="<建&\"筑'>有限公司")
    kinds = [
        ("A", "wage_arrears", ""),
        ("B", "real_name", "张三丰"),
        ("C", "other", "李<&'\">"),
        ("A", "certificate", "王"),
        ("B", "wage_arrears", "欧阳"),
    ]
    for n, (grade, category, person) in enumerate(kinds * 5):
        make_record(
            reviewer,
            enterprise_a if n % 2 else enterprise_b,
            publish=n % 3 != 0,
            grade=grade,
            category=category,
            points=n,
            person_name=person,
            person_id_number=make_id_number() if person else "",
            decision_no=f"相劳专〔2026〕<{n}>&'\"号",
        )
    published = list(BadBehaviour.objects.filter(status=BadBehaviourStatus.PUBLISHED).order_by("pk"))
    # One starts later (待公示), one ended early, one revoked, one past its end (已到期), two
    # with an application awaiting the committee.
    BadBehaviour.objects.filter(pk=published[0].pk).update(
        publicity_start=START + dt.timedelta(days=10), publicity_end=START + dt.timedelta(days=300)
    )
    BadBehaviour.objects.filter(pk=published[1].pk).update(
        ended_early_on=START, publicity_end=START - dt.timedelta(days=1)
    )
    BadBehaviour.objects.filter(pk=published[2].pk).update(status=BadBehaviourStatus.REVOKED, revoke_reason="误登")
    BadBehaviour.objects.filter(pk=published[3].pk).update(
        publicity_start=START - dt.timedelta(days=400), publicity_end=START - dt.timedelta(days=5)
    )
    for rec in published[4:6]:
        RemovalApplication.objects.create(
            record=rec,
            enterprise=rec.enterprise,
            rectification="已整改",
            created_by=reviewer,
            status=RemovalStatus.PENDING,
        )


PARAMS: list[dict[str, str]] = [
    {},
    {"page": "2"},
    {"grade": "C"},
    {"category": "wage_arrears"},
    {"status": "draft"},
    {"status": "expired"},
    {"status": "revoked"},
    {"q": "建&"},
    {"q": "没有这家企业"},
    {"date_from": "2026-13-01", "grade": "X"},
    {"date_from": "2026-03-01", "date_to": "2026-01-01"},
]


@pytest.mark.parametrize("role", ["reviewer", "supervisor"])
def test_the_committee_list_is_the_former_page(
    role: str, reviewer: Any, supervisor: Any, enterprise_a: Any, enterprise_b: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = client_for(reviewer if role == "reviewer" else supervisor)
    with at(START):
        empty = both_ways(client, monkeypatch, {})
        assert "没有符合条件的不良行为记录。" in empty
        _records(reviewer, enterprise_a, enterprise_b)
        pages = [both_ways(client, monkeypatch, params) for params in PARAMS]
    first = pages[0]
    assert first.count("<tr>\n") == 20 and "下一页" in first
    shown = "".join(pages)
    for text in (
        "起</span>",
        "已提前移出",
        "已撤销",
        "已到期",
        "草稿",
        "移出待审核",
        "&lt;建&amp;&quot;筑&#x27;&gt;有限公司",
        "李&lt;&amp;&#x27;&quot;&gt;",
    ):
        assert text in shown, text
    assert ("编辑/发布" in shown and "审核</a>" in shown) == (role == "reviewer")
    assert "has-error" in pages[-2]


@pytest.mark.parametrize("whose", ["committee", "enterprise"])
def test_the_lists_open_no_sealed_value(
    whose: str, reviewer: Any, enterprise_a: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both lists show the person's name, neither the ID number nor a phone: no record's sealed
    value is read, let alone opened. The signed-in user's own row is the session's business: the
    workspace opens the signed-in enterprise's phone once."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.core.unseal_probe import unsealed

    client = client_for(reviewer if whose == "committee" else enterprise_a)
    with at(START):
        make_record(reviewer, enterprise_a, publish=True, person_name="张三丰", person_id_number=make_id_number())
        client.get(PAGE)
        for params in ({}, {"q": "张三丰"}):
            with unsealed(monkeypatch) as counts, CaptureQueriesContext(connection) as queries:
                page = client.get(PAGE, params).content.decode()
            assert "张三丰" in page
            if whose == "committee":
                assert not {c for c in counts if not c.startswith("accounts.")}, (params, counts)
            else:
                assert not {c for c in counts if c.startswith("supervision.")}, (params, counts)
                assert counts["enterprises.enterprise.contact_phone"] <= 1, (params, counts)
            listed = [q for q in queries.captured_queries if "supervision_badbehaviour" in q["sql"]]
            assert listed, params
            for q in listed:
                assert "person_id_number" not in q["sql"] and "contact_phone" not in q["sql"], q["sql"]


FORMER_OWN_ROWS = """{% for r in page.object_list %}
      <tr>
        <td class="nowrap"><a href="{{ r.get_absolute_url }}">{{ r.decision_no }}</a></td>
        <td class="nowrap"><span class="bb-grade bb-grade-{{ r.grade }}">{{ r.get_grade_display }}</span></td>
        <td>{{ r.get_category_display }}</td>
        <td class="nowrap">{{ r.person_name|default:"—" }}</td>
        <td>{{ r.points }}</td>
        <td>{{ r.issuer }}</td>
        <td class="nowrap">{{ r.publicity_start|date:"Y-m-d" }}<br>至 {{ r.publicity_end|date:"Y-m-d" }}</td>
        <td class="nowrap">{% include "supervision/bad_behaviour/_status.html" %}{% if r.removal_pending %}<br><span class="status status-declared">移出待审核</span>{% endif %}</td>
        <td class="nowrap"><a href="{{ r.get_absolute_url }}">查看</a></td>
      </tr>
    {% empty %}<tr><td colspan="9" class="empty">暂无不良行为记录。</td></tr>{% endfor %}"""


def _former_own_rows(request: Any, records: list[BadBehaviour], *, today: dt.date) -> str:
    page = type("FormerPage", (), {"object_list": records})()
    return engines["django"].from_string(FORMER_OWN_ROWS).render({"page": page, "today": today}, request)


def own_both_ways(client: Client, monkeypatch: pytest.MonkeyPatch, params: dict[str, str]) -> str:
    """The enterprise's own list now and formerly (whole records, the template's loop, the
    search bar's include), compared; returns it."""
    former = [
        (bb, "own_record_rows", bb.record_list),
        (views, "_own_record_rows", _former_own_rows),
        (views, "_record_search_html", _former_search),
    ]
    now = served_both_ways(client, monkeypatch, PAGE, former, params=params)
    assert "<h1>本企业不良行为记录</h1>" in now
    return now


OWN_PARAMS: list[dict[str, str]] = [
    {},
    {"page": "2"},
    {"grade": "A"},
    {"category": "real_name"},
    {"status": "published"},
    {"status": "expired"},
    {"status": "revoked"},
    {"status": "draft"},
    {"q": "张三丰"},
    {"q": "<2"},
    {"q": "没有这份决定书"},
    {"date_from": "2026-13-01", "grade": "X"},
]


@pytest.mark.parametrize("whose", ["a", "b"])
def test_the_enterprises_own_list_is_the_former_page(
    whose: str, reviewer: Any, enterprise_a: Any, enterprise_b: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A's records hold 待公示, 已到期 and an application awaiting the committee, B's the one
    ended early and the revoked one; A has enough for a second page."""
    user = enterprise_a if whose == "a" else enterprise_b
    client = client_for(user)
    with at(START):
        assert "暂无不良行为记录。" in own_both_ways(client, monkeypatch, {})
        _records(reviewer, enterprise_a, enterprise_b)
        for n in range(14):
            make_record(reviewer, enterprise_a, publish=True, decision_no=f"相劳专〔2026〕A{n}号")
        first = BadBehaviour.objects.filter(enterprise=user.enterprise, status=BadBehaviourStatus.PUBLISHED).first()
        assert first is not None
        BadBehaviour.objects.filter(pk=first.pk).update(issuer="<相城&\"区'>劳务专委会")
        pages = [own_both_ways(client, monkeypatch, params) for params in OWN_PARAMS]
    shown = "".join(pages)
    states = ("起</span>", "已到期", "移出待审核") if whose == "a" else ("已提前移出", "已撤销")
    for text in (*states, "公示中", "李&lt;&amp;&#x27;&quot;&gt;", "&lt;相城&amp;&quot;区&#x27;&gt;劳务专委会"):
        assert text in shown, text
    assert "草稿" not in pages[0] and "编辑/发布" not in shown
    if whose == "a":
        assert pages[0].count("<tr>\n") == 20 and "下一页" in pages[0]
        assert "<tr>\n" in pages[1]
    assert "has-error" in pages[-1]
