"""The 选择项目 picker's page 1 and its count are one statement written once per process and per
lookup (laowu/contracts/views.py `picker`, laowu/core/pagination.py `PreparedList`,
laowu/core/prepared.py named values). Each page is byte for byte what the queryset built on every
request gave, in the same number of queries, in every state: no catalogue, nothing found, many
pages followed through 下一页/上一页/末页 and their numbers, a malformed cursor, a term with the LIKE
specials % _ \\ (escaped as the ORM escapes them), a term with letters (case-folded), a blank term,
and the filing= parameter."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from laowu.contracts import views
from laowu.contracts.models import CatalogueContract
from laowu.contracts.services import select_contract
from laowu.core import prepared
from tests.factories import CatalogueFactory

pytestmark = pytest.mark.django_db

URL = reverse("contracts:picker")
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
LINK = re.compile(r'<a href="\?([^"]*)"[^>]*>(下一页|上一页|末页|首页|\d+)</a>')


def built_each_request(key: Any, build: Any, values: Any) -> Any:
    """`PreparedList` as the view's queryset was before: built from its values on every request."""
    return build(values)


def fetch(client: Any, params: str) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"{URL}?{params}")
    assert response.status_code == 200
    return TOKEN.sub("csrf", response.content.decode()), len(captured)


def compare(client: Any, params: dict[str, str] | str, monkeypatch: Any) -> str:
    """The page now and from the queryset built on each request: the same bytes, as many queries."""
    params = params if isinstance(params, str) else urlencode(params)
    page, queries = fetch(client, params)
    with monkeypatch.context() as former:
        former.setattr(views, "PreparedList", built_each_request)
        old, old_queries = fetch(client, params)
    assert page == old
    assert queries == old_queries
    return page


def walk(client: Any, start: dict[str, str], monkeypatch: Any) -> list[str]:
    """Every page reached from ``start`` through its pagination links, each compared."""
    seen: set[str] = set()
    pages = []
    todo = [urlencode(start)]
    while todo:
        params = todo.pop()
        if params in seen:
            continue
        seen.add(params)
        page = compare(client, params, monkeypatch)
        pages.append(page)
        todo += [html.unescape(query) for query, _ in LINK.findall(page)]
    return pages


def own_contract(enterprise: Any, **fields: Any) -> Any:
    return CatalogueFactory(subcontractor=enterprise.name, subcontractor_credit_code=enterprise.credit_code, **fields)


@pytest.mark.parametrize("partial", ["1", ""])
def test_the_prepared_picker_is_what_the_queryset_gave(
    partial: str, as_user: Any, enterprise_a: Any, monkeypatch: Any
) -> None:
    client = as_user(enterprise_a)
    enterprise = enterprise_a.enterprise
    client.get(URL)  # the session's first request writes more
    assert "没有可选择的合同" in compare(client, {"partial": partial}, monkeypatch)
    assert "没有符合条件的合同" in compare(client, {"partial": partial, "q": "100%"}, monkeypatch)

    names = ["100%住宅", "100住宅", "a_b住宅", "axb住宅", "c\\d住宅", "cd住宅", "Villa 住宅", "VILLA", "<x>&'\""]
    contracts = [
        own_contract(
            enterprise,
            signed_date=f"2026-0{1 + i % 3}-0{1 + i % 2}",
            project_name=names[i % len(names)] if i < 2 * len(names) else f"住宅{i}",
            builder="王&李" if i % 3 == 0 else "建设单位",
            amount=f"{i}.5000",
        )
        for i in range(3 * views.PICKER_PAGE_SIZE + 3)
    ]
    CatalogueFactory(project_name="100%住宅")  # another enterprise's: never offered
    select_contract(enterprise=enterprise, catalogue_id=contracts[0].pk, actor=enterprise_a)  # filed: not offered

    searched = {}
    for q in ("", "  ", "住宅", "%", "_", "\\", "100%", "a_b", "c\\d", "villa", "王&", "无此合同", "<x>"):
        pages = walk(client, {"partial": partial, "q": q}, monkeypatch)
        searched[q] = pages[0]
    # The specials match themselves only, as the ORM's escaping made them (each name is given to two
    # contracts; the first 100%住宅 is filed).
    assert "共 1 条" in searched["%"] and "共 1 条" in searched["100%"]
    assert "共 2 条" in searched["_"] and "a_b住宅" in searched["a_b"] and "axb住宅" not in searched["a_b"]
    assert "共 2 条" in searched["\\"] and "cd住宅" not in searched["c\\d"]
    assert "Villa 住宅" in searched["villa"] and "VILLA" in searched["villa"]  # case-folded
    assert "共 32 条" in searched["  "] and "共 32 条" in searched[""] and "下一页" in searched[""]  # all offered
    assert "没有符合条件的合同" in searched["无此合同"]

    for params in (
        {"partial": partial, "filing": "7"},
        {"partial": partial, "q": "住宅", "filing": "8"},
        {"partial": partial, "filing": "<7>"},
        {"partial": partial, "after": "not-a-cursor"},
        {"partial": partial, "before": "W10", "q": "住宅"},
        {"partial": partial, "page": "2"},
        {"partial": partial, "last": "1"},
    ):
        walk(client, params, monkeypatch)


def test_page_one_is_built_and_written_once(as_user: Any, enterprise_a: Any, monkeypatch: Any) -> None:
    client = as_user(enterprise_a)
    for i in range(12):
        own_contract(enterprise_a.enterprise, project_name=f"住宅{i}")
    client.get(f"{URL}?q=住宅")  # written once per lookup
    client.get(URL)
    built: list[Any] = []
    real = views._picker_query
    monkeypatch.setattr(views, "_picker_query", lambda values, lookup: built.append(values) or real(values, lookup))
    with CaptureQueriesContext(connection) as captured:
        for q in ("住宅1", "住宅", ""):
            assert client.get(URL, {"q": q}).status_code == 200
    assert not built  # another term of the same lookup: bound, not built
    # session, user, the page with its count
    assert len(captured) == 9, "\n".join(q["sql"][:70] for q in captured)
    cursor = html.unescape(LINK.findall(client.get(URL).content.decode())[0][0])
    assert client.get(f"{URL}?{cursor}").status_code == 200
    assert built  # any other page is the queryset's


def test_named_values_bind_as_the_orm_binds_them(enterprise_a: Any) -> None:
    code = enterprise_a.enterprise.credit_code
    for name in ("50%_off", "50x_off", "50%xoff", "back\\slash", "backslash", "Mixed"):
        own_contract(enterprise_a.enterprise, project_name=name)
    CatalogueFactory(project_name="50%_off")

    def build(values: Any) -> Any:
        return (
            CatalogueContract.objects.filter(subcontractor_credit_code=values["code"])
            .filter(Q(project_name__icontains=values["q"]) | Q(project_name__startswith=values["q"]))
            .order_by("pk")
        )

    for q in ("%", "_", "%_", "\\", "50%", "mixed", "x"):
        values = {"code": code, "q": q}
        got = prepared.related_instances(("test.named",), build, values)
        assert [c.pk for c in got] == [c.pk for c in build(values)], q
    with pytest.raises(ValueError, match="each of its values"):
        prepared.related_instances(("test.unused",), lambda v: CatalogueContract.objects.all(), {"code": code})
