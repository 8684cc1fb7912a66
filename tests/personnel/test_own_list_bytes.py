# ruff: noqa: E501 - the template as it was, line for line
"""The enterprise's own 安全员 / 劳资专管员 lists are, byte for byte, the page the former template
wrote from model instances (its {% for %} over the rows, the search bar's {% include %}), its
page read with a count of its own: every state of a row, 删除 and 注销, a search, a state
filter, several pages, a gate shown, an empty list. The rows are now named tuples, the count is
read with page 1 and the unbound search bar is rendered once per process
(laowu/personnel/views.py)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.template import engines
from django.urls import reverse

from laowu.core import prepared
from laowu.core.pagination import PAGE_SIZE, PreparedList, paginate
from laowu.personnel import selectors, views
from laowu.personnel.models import SafetyOfficer, WageManager
from laowu.review import services
from laowu.review.models import State
from tests.factories import approved_person, complete_person, make_id_number
from tests.pagebytes import served_both_ways

pytestmark = pytest.mark.django_db

# personnel/list.html before its rows were written in Python and its search bar kept.
FORMER_LIST = """{% extends "workspace.html" %}
{% load laowu workspace_steps %}
{% block title %}{{ label }}归集{% endblock %}
{% block content %}
<div class="panel">
  <div class="panel-head"><h1>{{ label }}归集</h1><a class="btn btn-primary" href="{% url 'personnel:new' kind %}">新增</a><a class="btn btn-default" href="{% url 'personnel:export' kind %}{% if query %}?{{ query }}{% endif %}">导出</a></div>
  {% step_gates "personnel" %}
  {% include "personnel/_search.html" %}
  <table class="table">
    <thead><tr><th>姓名</th><th>身份证号</th><th>手机号</th><th>证书编号</th>{% if has_valid_until %}<th>有效期至</th>{% endif %}<th>状态</th><th>操作</th></tr></thead>
    <tbody>
    {% for p in page.object_list %}
      <tr>{% url 'personnel:edit' kind p.pk as edit_url %}
        <td><a href="{{ edit_url }}">{{ p.name }}</a></td><td class="nowrap">{{ p.id_number|mask_id }}</td><td class="nowrap">{{ p.mobile|mask_mobile|default:"—" }}</td>
        <td>{{ p.cert_no|default:"—" }}</td>{% if has_valid_until %}<td class="nowrap">{{ p.valid_until|date:"Y-m-d"|default:"—" }}</td>{% endif %}
        <td><span class="status status-{{ p.state }}">{{ p.state_label }}</span></td>
        <td class="nowrap row-actions">
          <a href="{{ edit_url }}">{% if p.is_editable %}编辑{% else %}查看{% endif %}</a>
          {# Without JavaScript the link opens the confirmation page; with it, the same question in a dialog. #}
          {% if p.deletable %}<a class="danger-text" href="{% url 'personnel:delete' kind p.pk %}" data-dialog="删除{{ label }}">删除</a>{% endif %}
          {% if p.state == "approved" %}<form method="post" action="{% url 'personnel:deregister' kind p.pk %}" class="inline-form" data-confirm="确定注销{{ label }}“{{ p.name }}”吗？注销后记录保留备查。">{% csrf_token %}<button type="submit" class="link-button danger">注销</button></form>{% endif %}
        </td>
      </tr>
    {% empty %}<tr><td colspan="7" class="empty">暂无{{ label }}，点击“新增”登记。</td></tr>{% endfor %}
    </tbody>
  </table>
  {% include "includes/pagination.html" %}
</div>
{% endblock %}"""

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def former_page(response: Any) -> str:
    """The page of `response`'s request as the former view wrote it: whole model instances, the
    count asked on its own, the template's loop and include."""
    request = response.wsgi_request
    model = response.context["model"]
    q, state = request.GET.get("q", ""), request.GET.get("state", "")
    page, query = paginate(request, selectors.person_list(user=request.user, model=model, q=q, state=state))
    context = {
        "model": model,
        "kind": model.ROLE_URL,
        "label": model.FILING_LABEL,
        "page": page,
        "query": query,
        "q": q,
        "state": state,
        "states": State.choices,
        "has_valid_until": model is SafetyOfficer,
    }
    return TOKEN.sub("csrf", engines["django"].from_string(FORMER_LIST).render(context, request))


def assert_as_before(client: Any, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert TOKEN.sub("csrf", page) == former_page(response)
    return page


@pytest.mark.parametrize("model", [SafetyOfficer, WageManager])
def test_every_state_and_search_is_the_former_page(
    model: Any, filing_in_state: Any, as_user: Any, enterprise_a: Any, reviewer: Any
) -> None:
    url = reverse("personnel:list", args=[model.ROLE_URL])
    client = as_user(enterprise_a)
    # Nothing yet, and the 基本信息 not approved: the empty list and the gate before it.
    empty = assert_as_before(client, url)
    assert "暂无" in empty and "step-gates" in empty

    filing_in_state(State.APPROVED)
    # A name to escape, in a cell, a link and a confirmation's attribute.
    complete_person(model, enterprise_a, id_number=make_id_number(), name="<王&\"五'>")
    declared = complete_person(model, enterprise_a, id_number=make_id_number(), name="赵六")
    services.declare(filing=declared, actor=enterprise_a)
    rejected = complete_person(model, enterprise_a, id_number=make_id_number(), name="孙八")
    services.reject(submission=services.declare(filing=rejected, actor=enterprise_a), actor=reviewer, reason="不符")
    approved_person(model, enterprise_a, reviewer, id_number=make_id_number(), name="李四")
    gone = approved_person(model, enterprise_a, reviewer, id_number=make_id_number(), name="周九")
    services.deregister(filing=gone, actor=enterprise_a)
    # Approved, then in a 变更: editable again, never deletable.
    changing = approved_person(model, enterprise_a, reviewer, id_number=make_id_number(), name="吴十")
    services.start_change(filing=changing, actor=enterprise_a)
    no_cert = complete_person(model, enterprise_a, id_number=make_id_number(), name="钱七")
    model.objects.filter(pk=no_cert.pk).update(cert_no="", mobile="")
    if model is SafetyOfficer:
        model.objects.filter(pk=no_cert.pk).update(valid_until=None)

    page = assert_as_before(client, url)
    assert "step-gates" not in page and "&lt;王&amp;&quot;五&#x27;&gt;" in page
    assert all(f">{label}</span>" in page for label in ("草稿", "已申报", "已退回", "已通过", "已注销")), (
        "every state shown"
    )
    assert page.count("注销</button>") == 1 and page.count('class="danger-text"') == 3  # draft, 驳回, no_cert
    for query in ("?q=李四", "?q=%3C王", "?state=approved", "?state=rejected&q=孙", "?q=无此人", "?state=nonsense"):
        assert_as_before(client, url + query)
    # The unbound search bar again, after bound ones: the kept markup is still the plain one.
    assert 'value=""' in assert_as_before(client, url) and "selected" not in assert_as_before(client, url)


@pytest.mark.parametrize("model", [SafetyOfficer, WageManager])
def test_several_pages_are_the_former_pages(model: Any, filing_in_state: Any, as_user: Any, enterprise_a: Any) -> None:
    filing_in_state(State.APPROVED)
    for n in range(2 * PAGE_SIZE + 3):
        complete_person(model, enterprise_a, id_number=make_id_number(), name=f"王{n}")
    client = as_user(enterprise_a)
    url = reverse("personnel:list", args=[model.ROLE_URL])
    first = assert_as_before(client, url)
    assert "共 43 条" in first and "下一页" in first
    # The cursor's links (下一页 from page 1, then from page 2 and 上一页 back), a numbered page, the last.
    following = re.search(r'<a href="\?([^"]+)" rel="next">', first)
    assert following is not None
    second = assert_as_before(client, f"{url}?{following.group(1).replace('&amp;', '&')}")
    after = re.search(r'<a href="\?([^"]+)" rel="next">', second)
    before = re.search(r'<a href="\?([^"]+)" rel="prev">', second)
    assert after is not None and before is not None
    assert_as_before(client, f"{url}?{after.group(1).replace('&amp;', '&')}")
    assert_as_before(client, f"{url}?{before.group(1).replace('&amp;', '&')}")
    assert_as_before(client, f"{url}?page=2")
    assert_as_before(client, f"{url}?last=1")
    assert_as_before(client, f"{url}?q=王1&page=2")


def test_the_rows_read_the_page_and_its_count_once(
    filing_in_state: Any, as_user: Any, enterprise_a: Any, django_assert_num_queries: Any
) -> None:
    """Page 1 of more than a page: its rows and its count in one statement, no model instance
    made, the sealed columns never opened (tests/personnel/test_list_reads.py)."""
    filing_in_state(State.APPROVED)
    for n in range(PAGE_SIZE + 1):
        complete_person(WageManager, enterprise_a, id_number=make_id_number(), name=f"王{n}")
    client = as_user(enterprise_a)
    url = reverse("personnel:list", args=["wage"])
    client.get(url)
    # Session, user, the page with its count, the gates' standing.
    with django_assert_num_queries(4):
        response = client.get(url)
    rows = response.context["page"].object_list
    assert len(rows) == PAGE_SIZE and not isinstance(rows[0], WageManager)


@pytest.mark.parametrize("approved", [None, 7])
@pytest.mark.parametrize("state", list(State))
def test_deletable_is_the_refusal_rule(state: State, approved: int | None) -> None:
    filing = WageManager(state=state, approved_submission_id=approved)
    assert services.deletable(state.value, approved) == (not services.delete_refusal(filing)) == filing.deletable


def test_the_search_bar_is_kept_only_unbound() -> None:
    views._plain_search.clear()
    context = {"q": "", "state": "", "states": State.choices}
    plain = views._search_html(context)
    assert views._plain_search == {None: plain}
    bound = views._search_html({**context, "q": '"><b>'})
    assert "&quot;&gt;&lt;b&gt;" in bound and views._plain_search == {None: plain}
    assert views._search_html({**context, "state": "approved"}) != plain and views._search_html(context) is plain


def former_paginate(request: Any, qs: Any, per_page: int = PAGE_SIZE, *, count_with_page: bool = False) -> Any:
    """`paginate` of the queryset built and compiled on each request, from the selector."""
    if isinstance(qs, PreparedList):
        model = qs.build(qs.values).model
        user = request.user
        qs = selectors.person_list(user=user, model=model, state=request.GET.get("state", "")).select_related(None)
        qs = qs.annotate(**views._SEALED_TOKENS).values_list(
            *views._OWN_COLUMNS,
            *(("valid_until",) if model is SafetyOfficer else ()),
            *views._SEALED_TOKENS,
            named=True,
        )
    return paginate(request, qs, per_page, count_with_page=count_with_page)


@pytest.mark.parametrize("model", [SafetyOfficer, WageManager])
def test_page_one_written_once_is_the_compiled_page(
    model: Any, filing_in_state: Any, as_user: Any, enterprise_a: Any, reviewer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Page 1 unsearched, whole or of a state, read by the SQL written once per process
    (laowu/core/pagination.py `PreparedList`), is the page the selector's queryset gave."""
    url = reverse("personnel:list", args=[model.ROLE_URL])
    client = as_user(enterprise_a)
    former = [(views, "paginate", former_paginate)]
    assert "暂无" in served_both_ways(client, monkeypatch, url, former)
    filing_in_state(State.APPROVED)
    for n in range(PAGE_SIZE + 2):
        complete_person(model, enterprise_a, id_number=make_id_number(), name=f"王<{n}>")
    approved_person(model, enterprise_a, reviewer, id_number=make_id_number(), name="李四")
    first = served_both_ways(client, monkeypatch, url, former)
    assert "共 23 条" in first and "&lt;" in first
    assert any("personnel.own" in key for key in prepared._named), "page 1 read by the kept SQL"
    for params in ({"state": "approved"}, {"state": "draft"}, {"state": "nonsense"}, {"page": "2"}, {"q": "李"}):
        served_both_ways(client, monkeypatch, url, former, params=params)
