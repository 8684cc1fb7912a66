# ruff: noqa: E501 - the template's rows as they were, line for line
"""The enterprise's 项目信息 list, its rows now read as named tuples of the columns they show
(laowu/contracts/views.py `_own_list`), page 1 of the list unsearched written once per process
(`PreparedList`), is byte for byte the page the former code wrote from
model instances (`only()` of those columns), a queryset compiled on each request, through the
template's former {% for %}: every state
a row can be in (草稿, 已申报, 已通过, 已退回, 变更中 and 变更 申报, 已注销), values to escape,
an empty value, searches, filters, a search with no result, a form error, page 2 and the
cursor's pages, an empty list."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.template import engines
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from laowu.contracts import views
from laowu.contracts.models import ProjectFiling
from laowu.contracts.services import select_contract
from laowu.core import prepared
from laowu.core.pagination import COUNT_COLUMN, PAGE_SIZE, PreparedList, paginate
from laowu.review import services
from laowu.review.models import State
from tests.factories import CatalogueFactory, approved_project
from tests.pagebytes import served_both_ways

pytestmark = pytest.mark.django_db

# contracts/list.html's rows before they were written in Python (the loop between its <tbody>'s
# "    " and "\n    </tbody>").
FORMER_ROWS = """{% load laowu %}{% for f in page.object_list %}
      <tr>{% url 'contracts:edit' f.pk as edit_url %}
        <td><a href="{{ edit_url }}">{{ f.project_name }}</a></td><td>{{ f.contract_no }}</td><td>{{ f.builder }}</td>
        <td class="nowrap">{{ f.signed_date|date:"Y-m-d" }}</td><td>{{ f.amount|amount }}</td>
        <td><span class="status status-{{ f.state }}">{{ f.state_label }}</span></td>
        <td class="nowrap row-actions">
          <a href="{{ edit_url }}">{% if f.is_editable %}编辑{% else %}查看{% endif %}</a>
          {% if f.is_editable and not f.approved_submission_id %}<form method="post" action="{% url 'contracts:delete' f.pk %}" class="inline-form" data-confirm="确定删除项目“{{ f.project_name }}”吗？">{% csrf_token %}<button type="submit" class="link-button danger">删除</button></form>{% endif %}
          {% if f.approved_submission_id %}<a href="{% url 'printing:print' f.approved_submission_id %}" target="_blank" rel="noopener">打印PDF</a>{% endif %}
        </td>
      </tr>
    {% empty %}<tr><td colspan="7" class="empty">暂无项目信息，点击“新增”从省合同归集系统中选择项目。</td></tr>{% endfor %}"""

# What the list read before: model instances of the shown columns.
FORMER_FIELDS = ("project_name", "contract_no", "builder", "signed_date", "amount", "state", "approved_submission_id")


def former_list(qs: Any) -> Any:
    return qs.only(*FORMER_FIELDS)


def former_rows(request: Any, page: Any) -> SafeString:
    assert all(isinstance(f, ProjectFiling) for f in page.object_list)
    rendered = engines["django"].from_string(FORMER_ROWS).render({"page": page}, request)
    return mark_safe(rendered)  # noqa: S308  # the template's own escaping


def former_paginate(request: Any, qs: Any, per_page: int = PAGE_SIZE, *, count_with_page: bool = False) -> Any:
    """`paginate` of the queryset built and compiled on each request."""
    if isinstance(qs, PreparedList):
        qs = qs.build(qs.values)
    return paginate(request, qs, per_page, count_with_page=count_with_page)


FORMER = [
    (views, "_own_list", former_list),
    (views, "_own_rows", former_rows),
    (views, "paginate", former_paginate),
]
NEXT = re.compile(r'<a href="\?([^"]+)" rel="next">')
PREV = re.compile(r'<a href="\?([^"]+)" rel="prev">')


def own_contract(enterprise: Any, **fields: Any) -> Any:
    return CatalogueFactory(subcontractor=enterprise.name, subcontractor_credit_code=enterprise.credit_code, **fields)


def link(pattern: re.Pattern[str], page: str) -> dict[str, str]:
    found = pattern.search(page)
    assert found is not None
    return dict(part.split("=", 1) for part in found.group(1).replace("&amp;", "&").split("&"))


def test_every_state_search_and_filter_is_the_former_page(
    as_user: Any, enterprise_a: Any, reviewer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = as_user(enterprise_a)
    url = reverse("contracts:list")
    assert "暂无项目信息" in served_both_ways(client, monkeypatch, url, FORMER)

    enterprise = enterprise_a.enterprise
    approved = approved_project(enterprise_a, reviewer, project_name='<王&"五">\'s', contract_no="A&B-'1'")
    ProjectFiling.objects.filter(pk=approved.pk).update(builder="")  # an empty value
    changing = approved_project(enterprise_a, reviewer, amount="356.0000")
    services.start_change(filing=changing, actor=enterprise_a)
    declared_change = approved_project(enterprise_a, reviewer, amount="0.1234")
    services.declare(filing=services.start_change(filing=declared_change, actor=enterprise_a), actor=enterprise_a)
    rejected_change = approved_project(enterprise_a, reviewer, amount="12.5000")
    submission = services.declare(
        filing=services.start_change(filing=rejected_change, actor=enterprise_a), actor=enterprise_a
    )
    services.reject(submission=submission, actor=reviewer, reason="不符")
    gone = approved_project(enterprise_a, reviewer)
    ProjectFiling.objects.filter(pk=gone.pk).update(state=State.DEREGISTERED)
    draft = select_contract(
        enterprise=enterprise, catalogue_id=own_contract(enterprise, project_name="一期\"'").pk, actor=enterprise_a
    )
    declared = select_contract(enterprise=enterprise, catalogue_id=own_contract(enterprise).pk, actor=enterprise_a)
    ProjectFiling.objects.filter(pk=declared.pk).update(state=State.DECLARED)
    rejected = select_contract(enterprise=enterprise, catalogue_id=own_contract(enterprise).pk, actor=enterprise_a)
    ProjectFiling.objects.filter(pk=rejected.pk).update(state=State.REJECTED)

    page = served_both_ways(client, monkeypatch, url, FORMER)
    assert "&lt;王&amp;&quot;五&quot;&gt;&#x27;s" in page
    assert all(f">{label}</span>" in page for label in ("草稿", "已申报", "已通过", "已退回", "已注销"))
    assert page.count("删除</button>") == 2 and page.count("打印PDF") == 5
    assert reverse("contracts:delete", args=[draft.pk]) in page
    assert any("contracts.own" in key for key in prepared._named), "page 1 read by the kept SQL"
    for params in (
        {"q": "王&"},
        {"q": "一期"},
        {"q": "无此项目"},
        {"state": State.APPROVED},
        {"state": State.REJECTED, "q": "A&B"},
        {"signed_from": "2020-01-01"},
        {"signed_from": "不是日期"},
    ):
        served_both_ways(client, monkeypatch, url, FORMER, params=params)


def test_several_pages_are_the_former_pages(as_user: Any, enterprise_a: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    client = as_user(enterprise_a)
    url = reverse("contracts:list")
    enterprise = enterprise_a.enterprise
    for i in range(2 * PAGE_SIZE + 3):
        select_contract(
            enterprise=enterprise,
            catalogue_id=own_contract(
                enterprise, signed_date=f"2026-0{1 + i % 4}-1{i % 3}", project_name=f"住宅{i}"
            ).pk,
            actor=enterprise_a,
        )
    first = served_both_ways(client, monkeypatch, url, FORMER)
    assert "共 43 条" in first
    second = served_both_ways(client, monkeypatch, url, FORMER, params=link(NEXT, first))
    served_both_ways(client, monkeypatch, url, FORMER, params=link(NEXT, second))
    served_both_ways(client, monkeypatch, url, FORMER, params=link(PREV, second))
    for params in ({"page": "2"}, {"last": "1"}, {"q": "住宅1", "page": "2"}, {"state": State.DRAFT, "page": "3"}):
        served_both_ways(client, monkeypatch, url, FORMER, params=params)


def test_the_rows_are_tuples_of_the_shown_columns(as_user: Any, enterprise_a: Any, reviewer: Any) -> None:
    approved_project(enterprise_a, reviewer)
    response = as_user(enterprise_a).get(reverse("contracts:list"))
    (row,) = response.context["page"].object_list
    assert not isinstance(row, ProjectFiling) and set(row._fields) - {COUNT_COLUMN} == {*views.OWN_LIST_FIELDS}
