# ruff: noqa: E501 - the template's rows as they were, line for line
"""企业列表 (the committee's enterprise directory) as it is served now and as the former code
served it, byte for byte: the enterprises read as model instances, their 基本信息 in a second
query, and the rows written by the template's {% for %} loop. 基本信息 in each state and none,
confirmed by the provider or not, texts to escape, both roles, a second page, a search, and the
empty lists."""

from __future__ import annotations

from typing import Any

import pytest
from django.template import engines
from django.test import Client
from django.urls import reverse

from laowu.enterprises import directory
from laowu.enterprises.models import BasicInfo, Enterprise
from laowu.review.models import State
from tests.conftest import client_for
from tests.factories import EnterpriseUserFactory, complete_basic_info
from tests.pagebytes import served_both_ways

pytestmark = pytest.mark.django_db

PAGE = reverse("directory:enterprise_list")

FORMER_ROWS = """{% for row in rows %}
      <tr><td><a href="{% url 'directory:enterprise_detail' row.enterprise.pk %}">{{ row.enterprise.name }}</a></td><td>{{ row.enterprise.credit_code }}</td><td>{{ row.enterprise.district }}</td>
      <td>{% if row.enterprise.provider_confirmed %}已核验{% else %}<span class="status status-rejected">未核验</span>{% endif %}</td>
      <td>{% if row.info %}<span class="status status-{{ row.info.state }}">{{ row.info.state_label }}</span>{% else %}<span class="muted">未填报</span>{% endif %}</td>
      <td class="nowrap">{{ row.enterprise.created_at|date:"Y-m-d" }}</td></tr>
    {% empty %}<tr><td colspan="6" class="empty">没有符合条件的企业。</td></tr>{% endfor %}"""


def _former_listed(qs: Any) -> Any:
    return qs


def _former_rows(request: Any, enterprises: list[Enterprise]) -> str:
    """The former view's rows: each enterprise's 基本信息 read whole, the former loop."""
    infos = {b.enterprise_id: b for b in BasicInfo.objects.filter(enterprise__in=[e.pk for e in enterprises])}
    rows = [{"enterprise": e, "info": infos.get(e.pk)} for e in enterprises]
    return engines["django"].from_string(FORMER_ROWS).render({"rows": rows}, request)


def both_ways(client: Client, monkeypatch: pytest.MonkeyPatch, params: dict[str, str]) -> str:
    former = [(directory, "_listed", _former_listed), (directory, "_directory_rows", _former_rows)]
    now = served_both_ways(client, monkeypatch, PAGE, former, params=params)
    assert "<h1>企业列表</h1>" in now
    return now


@pytest.mark.parametrize("role", ["reviewer", "supervisor"])
def test_the_directory_is_the_former_page(
    role: str, reviewer: Any, supervisor: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = client_for(reviewer if role == "reviewer" else supervisor)
    assert "没有符合条件的企业。" in both_ways(client, monkeypatch, {})
    users = [EnterpriseUserFactory() for _ in range(24)]
    states = [State.DRAFT, State.DECLARED, State.APPROVED, State.REJECTED]
    for n, user in enumerate(users[:12]):
        info = complete_basic_info(user.enterprise, actor=user)
        BasicInfo.objects.filter(pk=info.pk).update(state=states[n % len(states)])
    Enterprise.objects.filter(pk=users[-1].enterprise.pk).update(name="<建&\"筑'>有限公司", credit_code="<91&'\">")
    Enterprise.objects.filter(pk__in=[u.enterprise.pk for u in users[::3]]).update(provider_confirmed=False)
    pages = [
        both_ways(client, monkeypatch, params)
        for params in ({}, {"page": "2"}, {"q": "<建&"}, {"q": users[3].enterprise.name}, {"q": "没有这家企业"})
    ]
    shown = "".join(pages)
    for text in (
        "已核验",
        "未核验",
        "未填报",
        "草稿",
        "已通过",
        "&lt;建&amp;&quot;筑&#x27;&gt;有限公司",
        "&lt;91&amp;",
    ):
        assert text in shown, text
    assert pages[0].count("<tr><td>") == 20 and "下一页" in pages[0]
    assert "没有符合条件的企业。" in pages[-1]


def test_the_directory_reads_no_sealed_value(reviewer: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The list shows no phone and no provider data: neither is read, let alone opened."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.core.unseal_probe import unsealed

    EnterpriseUserFactory()
    client = client_for(reviewer)
    client.get(PAGE)
    with unsealed(monkeypatch) as counts, CaptureQueriesContext(connection) as queries:
        client.get(PAGE)
    assert not {c for c in counts if not c.startswith("accounts.")}, counts
    listed = [q["sql"] for q in queries.captured_queries if 'FROM "enterprises_enterprise"' in q["sql"]]
    assert listed
    for sql in listed:
        assert "contact_phone" not in sql and "provider_data" not in sql, sql
