"""项目名称 and 合同编号's bigram table (laowu.contracts.models.PROJECT_TEXT_GRAMS, migration contracts 0011).

The committee list limited to a reviewer's districts finds any term through the postings of its
rarest bigram in those districts. The table must follow every change of a filing and of its
enterprise's district, and the pages must show exactly the rows and the count a plain icontains
of either column shows, in the list's order."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from laowu.accounts.models import District
from laowu.accounts.scope import in_user_district_ids
from laowu.contracts.models import CONTRACT_NO_GRAMS, PROJECT_TEXT_GRAMS, ProjectFiling
from laowu.core.pagination import paginate
from laowu.core.search import COVERED_WALK_COST, grams_of, search, search_plan
from laowu.enterprises.models import Enterprise
from laowu.review.models import State
from tests.conftest import client_for
from tests.contracts import test_ordered_grams
from tests.contracts.test_ordered_grams import follow, listed
from tests.core.test_pagination import get
from tests.factories import approved_project
from tests.supervision.test_search import clone_project

pytestmark = pytest.mark.django_db

# The ordered gram table's tests' filings (45, a day apart, two kinds of numbers) and districts.
filings = test_ordered_grams.filings
two_districts = test_ordered_grams.two_districts

Posting = tuple[str, dt.date, str, str, int]


def postings(pk: int) -> set[Posting]:
    with connection.cursor() as cur:
        cur.execute(
            f'SELECT gram, signed_date, code, state, district_id FROM "{PROJECT_TEXT_GRAMS.name}" WHERE row_id = %s',  # noqa: S608
            [pk],
        )
        return set(cur.fetchall())


def expected_postings(filing: ProjectFiling) -> set[Posting]:
    filing.refresh_from_db()
    text = f"{filing.project_name}\n{filing.contract_no}"
    district = Enterprise.objects.get(pk=filing.enterprise_id).district_id
    return {(g, filing.signed_date, text, filing.state, district) for g in grams_of(text, 2)}


@pytest.mark.postgres_only
def test_triggers_keep_the_text_grams_in_sync(enterprise_a: Any, enterprise_b: Any, reviewer: Any) -> None:
    base = approved_project(enterprise_a, reviewer, contract_no="HT-3205-2025-0000001")
    assert postings(base.pk) == expected_postings(base) != set()
    other = clone_project(base, enterprise_a.enterprise, contract_no="LWFB-2024-0000002", project_name="昆山花园")
    assert postings(other.pk) == expected_postings(other)

    ProjectFiling.objects.filter(pk=other.pk).update(project_name="相城区一期（安置房）")  # the name
    assert postings(other.pk) == expected_postings(other)
    assert not any("昆山" in code for _, _, code, _, _ in postings(other.pk))
    ProjectFiling.objects.filter(pk=other.pk).update(contract_no="SZLW2026-0507")  # the number
    assert postings(other.pk) == expected_postings(other)
    ProjectFiling.objects.filter(pk=other.pk).update(signed_date=dt.date(2023, 5, 6), state=State.DEREGISTERED)
    assert postings(other.pk) == expected_postings(other)
    # Moved to another enterprise, then that enterprise to another district: the district follows.
    ProjectFiling.objects.filter(pk=other.pk).update(enterprise=enterprise_b.enterprise)
    assert postings(other.pk) == expected_postings(other)
    elsewhere = District.objects.create(code="320505", name="虎丘区")
    Enterprise.objects.filter(pk=enterprise_b.enterprise.pk).update(district=elsewhere)
    assert {d for *_, d in postings(other.pk)} == {elsewhere.pk}
    assert postings(other.pk) == expected_postings(other)
    assert postings(base.pk) == expected_postings(base)  # the other enterprise's filing stays

    other.delete()
    assert postings(other.pk) == set()
    assert postings(base.pk) == expected_postings(base)


def matching(term: str, qs: Any) -> list[int]:
    return listed(qs.filter(contract_no__icontains=term) | qs.filter(project_name__icontains=term))


def find(term: str, qs: Any) -> Any:
    return search(
        qs.order_by("-signed_date", "-id"),
        term,
        text=("project_name", "contract_no"),
        walk_cost=COVERED_WALK_COST,
        ordered=CONTRACT_NO_GRAMS,
        partition_grams=PROJECT_TEXT_GRAMS,
    )


@pytest.fixture
def district_list(request: pytest.FixtureRequest) -> tuple[Any, Any]:
    """The reviewer of the first of two districts, and the list as the committee view limits it."""
    reviewer, _ = request.getfixturevalue("two_districts")
    return reviewer, in_user_district_ids(reviewer, ProjectFiling.objects.all())


# Names (Chinese, common and rare), 2-character pieces, Latin text in either case, a piece
# spanning a name's end and a number's start (no row holds it), a term in no row.
TERMS = ["相城区", "测试", "安置房项目", "号地", "25", "02", "lw", "LWFB", "Fb-20", "2025", "项目HT", "目L", "无此项目"]


@pytest.mark.postgres_only
@pytest.mark.parametrize("state", ["", State.APPROVED])
@pytest.mark.parametrize("term", TERMS)
def test_a_district_list_finds_what_icontains_finds(
    request: pytest.FixtureRequest, district_list: tuple[Any, Any], term: str, state: str
) -> None:
    _, scoped = district_list
    rows = request.getfixturevalue("filings")
    ProjectFiling.objects.filter(pk__in=[f.pk for f in rows[::4]]).update(state=State.REJECTED)
    if state:
        scoped = scoped.filter(state=state)
    qs = find(term, scoped)
    assert search_plan(qs) == "ordered"
    want = matching(term, scoped)
    assert follow(qs, per_page=4) == want
    page, _ = paginate(get(), qs, per_page=4)
    assert (page.count, page.count_capped, page.approximate) == (len(want), False, False)
    if len(want) > 4:
        page, _ = paginate(get("page=2"), qs, per_page=4)
        assert [f.pk for f in page.object_list] == want[4:8]
        page, _ = paginate(get("last=1"), qs, per_page=4)
        assert [f.pk for f in page.object_list] == want[-(len(want) % 4 or 4) :]


@pytest.mark.postgres_only
def test_the_district_list_reads_the_postings_of_its_district(
    district_list: tuple[Any, Any],
) -> None:
    reviewer, scoped = district_list
    want = matching("测试", scoped)
    assert 20 < len(want) < len(matching("测试", ProjectFiling.objects.all()))
    client = client_for(reviewer)
    url = reverse("contracts:committee_list")
    with CaptureQueriesContext(connection) as ctx:
        first = client.get(url, {"q": "测试"})
    page = first.context["page"]
    assert [f.pk for f in page.object_list] == want[:20]
    assert (page.count, page.count_capped) == (len(want), False)
    walks = [q["sql"] for q in ctx.captured_queries if PROJECT_TEXT_GRAMS.name in q["sql"]]
    assert walks and all('laowu_g."district_id" = ' in sql and "LATERAL" not in sql for sql in walks)
    # A term as long as a gram is its postings: none is tested again.
    assert not any("strpos" in sql for sql in walks)
    second = client.get(f"{url}?{page.next_query}")
    assert [f.pk for f in second.context["page"].object_list] == want[20:40]
    # A longer one tests each posting of its rarest gram against the whole term.
    with CaptureQueriesContext(connection) as ctx:
        longer = client.get(url, {"q": "测试1"})
    assert [f.pk for f in longer.context["page"].object_list] == matching("测试1", scoped)[:20]
    walks = [q["sql"] for q in ctx.captured_queries if PROJECT_TEXT_GRAMS.name in q["sql"]]
    assert walks and all("strpos" in sql for sql in walks)


@pytest.mark.postgres_only
def test_a_term_holding_a_newline_or_the_whole_list_keeps_the_other_plans(
    district_list: tuple[Any, Any],
) -> None:
    _, scoped = district_list
    qs = find("测试\n1", scoped)
    assert search_plan(qs) != "ordered" and listed(qs) == matching("测试\n1", scoped) == []
    # Not limited to some districts: the table is not read (it has no index of the whole list).
    everyone = find("测试", ProjectFiling.objects.all())
    assert PROJECT_TEXT_GRAMS.name not in str(everyone.query)
    assert search_plan(everyone) != "ordered"
    assert listed(everyone) == matching("测试", ProjectFiling.objects.all())


def test_sqlite_keeps_the_plain_match(district_list: tuple[Any, Any]) -> None:
    _, scoped = district_list
    qs = find("测试", scoped)
    if connection.vendor != "postgresql":
        assert search_plan(qs) is None
    assert listed(qs) == matching("测试", scoped)


@pytest.mark.postgres_only
def test_the_table_is_built_while_its_sources_take_no_writes(enterprise_a: Any, reviewer: Any) -> None:
    """laowu/core/search.py `ordered_grams_operation`: the fill and the triggers in one transaction
    holding the filings and the enterprises in SHARE mode, so that the running site's writes wait
    for the build rather than fall between the fill and the triggers (no postings, ever)."""
    from laowu.core.search import ordered_grams_operation

    filing = approved_project(enterprise_a, reviewer, contract_no="HT-3205-2025-0000002")
    operation = ordered_grams_operation(PROJECT_TEXT_GRAMS)
    held: list[tuple[str, str]] = []

    class Editor:
        def __init__(self) -> None:
            self.connection = connection

        def quote_name(self, name: str) -> str:
            return connection.ops.quote_name(name)

        def execute(self, sql: str) -> None:
            with connection.cursor() as cur:
                if sql.startswith(f'INSERT INTO "{PROJECT_TEXT_GRAMS.name}"'):
                    cur.execute(
                        "SELECT relation::regclass::text, mode FROM pg_locks "
                        "WHERE pid = pg_backend_pid() AND locktype = 'relation' AND mode = 'ShareLock'"
                    )
                    held.extend(cur.fetchall())
                cur.execute(sql)

    operation.reverse_code(None, Editor())  # type: ignore[attr-defined]
    operation.code(None, Editor())  # type: ignore[attr-defined]
    assert {("contracts_projectfiling", "ShareLock"), ("enterprises_enterprise", "ShareLock")} <= set(held)
    assert postings(filing.pk) == expected_postings(filing) != set()
