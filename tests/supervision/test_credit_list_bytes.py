"""信用评分 (the committee's list) as it is served now and as the former code served it, byte for
byte: page 1 and its count read by two statements, the rows written by the template's former
{% for %} loop (tests/supervision/test_credit_rows.py). More enterprises than a page (a count and
a second page), scores up and down, names to escape, each role that sees the list, a grade filter,
an order, a search, a search with no result."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.template import engines
from django.test.utils import CaptureQueriesContext
from django.utils.safestring import SafeString

from laowu.accounts.models import District
from laowu.core.pagination import paginate
from laowu.enterprises.models import Enterprise
from laowu.supervision.views import credit as views
from tests.conftest import client_for
from tests.factories import EnterpriseFactory
from tests.pagebytes import served_both_ways
from tests.supervision.test_credit_rows import FORMER_ROWS
from tests.supervision.test_credit_views import LIST, scored, today  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db

# The former loop without the closing tag the page writes after it.
FORMER_LOOP = FORMER_ROWS[: FORMER_ROWS.rindex("\n    </tbody>")]


def _former_rows(request: Any, rows: list[Any]) -> SafeString:
    html = engines["django"].from_string(FORMER_LOOP).render({"rows": rows}, request)
    return SafeString(html.removeprefix("    "))


def _former_page(request: Any, qs: Any) -> Any:
    return paginate(request, qs)


FORMER = [(views, "_page_of", _former_page), (views, "_credit_rows", _former_rows)]


@pytest.fixture
def many(enterprise_a: Any, enterprise_b: Any, scored: Any) -> None:  # noqa: F811
    Enterprise.objects.filter(pk=enterprise_a.enterprise.pk).update(name="<建&\"筑'>有限公司")
    District.objects.filter(pk=enterprise_a.enterprise.district_id).update(name="<区'&县>")
    for n in range(25):
        EnterpriseFactory(name=f"无记录{n:02}建筑有限公司")


@pytest.mark.parametrize(
    "params",
    [{}, {"page": "2"}, {"grade": "B"}, {"order": "score"}, {"order": "-score"}, {"q": "无记录0"}, {"q": "没有这家"}],
)
@pytest.mark.parametrize("role", ["reviewer", "supervisor"])
def test_list_is_served_as_before(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, many: None, role: str, params: dict[str, str]
) -> None:
    client = client_for(request.getfixturevalue(role))
    page = served_both_ways(client, monkeypatch, LIST, FORMER, params=params)
    assert "信用评分" in page


def test_page_one_counts_with_its_rows(reviewer: Any, many: None) -> None:
    client = client_for(reviewer)
    client.get(LIST)
    with CaptureQueriesContext(connection) as now:
        client.get(LIST)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(views, "_page_of", _former_page)
        with CaptureQueriesContext(connection) as then:
            client.get(LIST)
    assert len(now) == len(then) - 1
    assert not any("COUNT(*)" in q["sql"] and "LIMIT 21" not in q["sql"] for q in now.captured_queries)
