"""The enterprise's 项目信息 list and the 选择项目 picker read only the columns their rows show,
count their matches in the page's own statement, and read the list's gates in one query
(laowu/contracts/views.py, laowu/core/pagination.py `_with_count`, laowu/workspace/steps.py
`page_gates`), and keep the list's search bar as it first shows it (`_search_html`). Each page is
byte for byte what the former code gave — every column, a count query of its own, the catalogue
probed on its own, the search bar rendered on each request — in every state: empty, one page, many
pages followed by their 下一页/上一页/末页 links, searched, filtered, a form error, and the
picker's empty and "no catalogue" states."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.db import connection
from django.http import HttpResponse
from django.shortcuts import render
from django.template import engines
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from laowu.contracts import views
from laowu.contracts.forms import ProjectSearchForm
from laowu.contracts.models import ProjectFiling
from laowu.contracts.services import select_contract
from laowu.core.pagination import PAGE_SIZE, PreparedList, paginate
from laowu.review.models import State
from laowu.workspace import steps
from tests.factories import CatalogueFactory
from tests.workspace.test_home_queries import former_projects_gates

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
LINK = re.compile(r'<a href="\?([^"]*)"[^>]*>(下一页|上一页|末页|首页|\d+)</a>')


def former_paginate(request: Any, qs: Any, per_page: int = PAGE_SIZE, *, count_with_page: bool = False) -> Any:
    """`paginate` as the views called it: every column, and the count in a query of its own, from
    the queryset built on each request (a `PreparedList` built as the view built it)."""
    if isinstance(qs, PreparedList):
        qs = qs.build(qs.values)
    return paginate(request, qs.defer(None), per_page)


CURRENT_PAGE_GATES = steps.page_gates


def former_page_gates(page: str, enterprise_id: int) -> list[steps.Gate]:
    """`page_gates` as it was: the list's gates in two queries."""
    return former_projects_gates(enterprise_id) if page == "projects" else CURRENT_PAGE_GATES(page, enterprise_id)


LIST_TEMPLATE = Path(settings.BASE_DIR) / "laowu" / "templates" / "contracts" / "list.html"
SEARCH_LINE = "  {# The search bar: laowu/contracts/views.py (_search_html). #}{{ search }}\n"


def former_render(request: Any, template_name: str, context: dict[str, Any]) -> HttpResponse:
    """`render`, the enterprise's list from its template as it was: the search bar included."""
    if template_name != "contracts/list.html":
        return render(request, template_name, context)
    source = LIST_TEMPLATE.read_text()
    assert SEARCH_LINE in source
    source = source.replace(SEARCH_LINE, '  {% include "contracts/_search.html" %}\n')
    form = ProjectSearchForm(request.GET or None)
    return HttpResponse(engines["django"].from_string(source).render({**context, "form": form}, request))


def fetch(client: Any, url: str, params: dict[str, str] | str) -> tuple[str, int]:
    """The page (its CSRF token, new on each request, blanked) and its queries."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"{url}?{params}") if isinstance(params, str) else client.get(url, params)
    assert response.status_code == 200
    return TOKEN.sub("csrf", response.content.decode()), len(captured)


def compare(client: Any, url: str, params: dict[str, str] | str, monkeypatch: Any) -> tuple[str, int, int]:
    """The page now and as the former code wrote it: the same bytes. Its queries now and then."""
    page, queries = fetch(client, url, params)
    with monkeypatch.context() as former:
        former.setattr(views, "paginate", former_paginate)
        # Whole model instances, as `paginate` was given them (the rows write either alike).
        former.setattr(views, "_own_list", lambda qs: qs)
        former.setattr(steps, "page_gates", former_page_gates)
        former.setattr(views, "render", former_render)
        old, old_queries = fetch(client, url, params)
    assert page == old
    return page, queries, old_queries


def walk(client: Any, url: str, start: dict[str, str], monkeypatch: Any) -> list[str]:
    """Every page reached from ``start`` through its pagination links, each compared."""
    seen: set[str] = set()
    pages = []
    todo = [urlencode(start)]
    while todo:
        params = todo.pop()
        if params in seen:
            continue
        seen.add(params)
        page, _, _ = compare(client, url, params, monkeypatch)
        pages.append(page)
        todo += [html.unescape(query) for query, _ in LINK.findall(page)]
    return pages


def own_contract(enterprise: Any, **fields: Any) -> Any:
    return CatalogueFactory(subcontractor=enterprise.name, subcontractor_credit_code=enterprise.credit_code, **fields)


def test_the_project_list_is_what_the_former_reads_wrote(as_user: Any, enterprise_a: Any, monkeypatch: Any) -> None:
    client = as_user(enterprise_a)
    url = reverse("contracts:list")
    enterprise = enterprise_a.enterprise
    client.get(url)  # the session's first request writes more
    # Empty: no filing, no catalogue (its gate names the credit code).
    page, queries, old_queries = compare(client, url, {}, monkeypatch)
    assert "暂无项目信息" in page and enterprise.credit_code in page
    assert queries == old_queries - 1  # the catalogue in the gates' query; one page: no count

    # Many pages: dates shared by several filings (the id breaks the tie), values to escape,
    # each state of a row.
    filings = [
        select_contract(
            enterprise=enterprise,
            catalogue_id=own_contract(
                enterprise,
                signed_date=f"2026-0{1 + i % 4}-1{i % 3}",
                project_name=f'<项目&"{i}">\'' if i % 7 == 0 else f"住宅{i}",
                amount=f"{i}.{i:04d}",
            ).pk,
            actor=enterprise_a,
        )
        for i in range(2 * PAGE_SIZE + 5)
    ]
    ProjectFiling.objects.filter(pk__in=[f.pk for f in filings[::5]]).update(state=State.REJECTED)
    ProjectFiling.objects.filter(pk__in=[f.pk for f in filings[1::5]]).update(state=State.DECLARED)
    own_contract(enterprise)  # one contract still offered: no catalogue gate
    pages = walk(client, url, {}, monkeypatch)
    assert len(pages) >= 3 and all("&lt;项目&amp;&quot;" in p for p in pages[:1])
    assert "共 45 条，第 1 / 3 页" in pages[0]
    _, queries, old_queries = compare(client, url, {}, monkeypatch)
    assert queries == old_queries - 2  # the count rides in the page's query, the catalogue in the gates'

    # Filtered by state (the page's own count), searched (the search's own reads), a form error.
    for params in (
        {"state": State.REJECTED},
        {"state": State.DRAFT},
        {"state": State.APPROVED},
        {"signed_from": "2026-03-01"},
        {"q": "住宅1"},
        {"q": "<项目"},
        {"signed_from": "不是日期"},
    ):
        walk(client, url, params, monkeypatch)


@pytest.mark.parametrize("partial", ["1", ""])
def test_the_picker_is_what_the_former_reads_wrote(
    partial: str, as_user: Any, enterprise_a: Any, monkeypatch: Any
) -> None:
    client = as_user(enterprise_a)
    url = reverse("contracts:picker")
    enterprise = enterprise_a.enterprise
    client.get(url)  # the session's first request writes more
    # No contract at all: the "no catalogue" gate; a search finding nothing.
    for params in ({"partial": partial}, {"partial": partial, "filing": "7"}):
        page, _, _ = compare(client, url, params, monkeypatch)
        assert "没有可选择的合同" in page and enterprise.credit_code in page
    assert "没有符合条件的合同" in compare(client, url, {"partial": partial, "q": "住宅"}, monkeypatch)[0]

    contracts = [
        own_contract(
            enterprise,
            signed_date=f"2026-0{1 + i % 3}-0{1 + i % 2}",
            project_name=f"住宅<{i}>&'\"" if i % 2 else f"厂房{i}",
            builder="王&李" if i % 3 == 0 else "建设单位",
            amount=f"{i}.5000",
        )
        for i in range(3 * views.PICKER_PAGE_SIZE + 3)
    ]
    CatalogueFactory()  # another enterprise's
    # Every contract filed but one: the rest are not offered.
    for contract in contracts[-3:]:
        select_contract(enterprise=enterprise, catalogue_id=contract.pk, actor=enterprise_a)
    for params in (
        {"partial": partial},
        {"partial": partial, "q": "住宅"},
        {"partial": partial, "q": "王&"},
        {"partial": partial, "q": "无此合同"},
        {"partial": partial, "filing": "7"},
        {"partial": partial, "q": "厂房", "filing": "8"},
    ):
        walk(client, url, params, monkeypatch)
    first, queries, old_queries = compare(client, url, {"partial": partial, "q": "住宅"}, monkeypatch)
    assert "共 15 条，第 1 / 2 页" in first and "下一页" in first and "住宅&lt;1&gt;&amp;&#x27;&quot;" in first
    assert queries == old_queries - 1  # the count rides in the page's query
    # 30 offered, 10 a page: each reached by its number, 下一页, 上一页 and 末页 links.
    assert len(walk(client, url, {"partial": partial}, monkeypatch)) >= 3

    # Every contract filed: nothing offered, the gate says so.
    for contract in contracts[:-3]:
        select_contract(enterprise=enterprise, catalogue_id=contract.pk, actor=enterprise_a)
    page, _, _ = compare(client, url, {"partial": partial}, monkeypatch)
    assert "均已申报" in page
