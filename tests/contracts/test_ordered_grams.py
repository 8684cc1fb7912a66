"""合同编号's ordered gram table (laowu.core.search.OrderedGrams, migration contracts 0006).

A piece of a contract number common only among older filings (a year) is found by walking the
postings of its rarest trigram in the list's order. The table must follow every change of the
filings through its triggers, and the walk must show exactly the rows a plain icontains shows,
in the list's order, on every page and with the same count."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from laowu.accounts.models import District
from laowu.accounts.scope import in_user_districts
from laowu.contracts.models import CONTRACT_NO_GRAMS, ProjectFiling
from laowu.core import search as search_module
from laowu.core.pagination import paginate
from laowu.core.search import COVERED_WALK_COST, grams_of, ordered_count, search, search_estimate, search_plan
from laowu.enterprises.models import Enterprise
from laowu.review.models import State
from tests.conftest import client_for
from tests.core.test_pagination import get
from tests.factories import approved_project
from tests.supervision.test_search import clone_project

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 1)


def postings(pk: int) -> set[tuple[str, dt.date, str]]:
    with connection.cursor() as cur:
        cur.execute(f'SELECT gram, signed_date, code FROM "{CONTRACT_NO_GRAMS.name}" WHERE row_id = %s', [pk])  # noqa: S608
        return set(cur.fetchall())


def expected_postings(filing: ProjectFiling) -> set[tuple[str, dt.date, str]]:
    filing.refresh_from_db()
    return {(g, filing.signed_date, filing.contract_no) for g in grams_of(filing.contract_no, 3)}


@pytest.mark.postgres_only
def test_triggers_keep_the_gram_table_in_sync(enterprise_a: Any, reviewer: Any) -> None:
    base = approved_project(enterprise_a, reviewer, contract_no="HT-3205-2025-0000001")
    assert postings(base.pk) == expected_postings(base)
    other = clone_project(base, enterprise_a.enterprise, contract_no="LWFB-2024-0000002")  # insert
    assert postings(other.pk) == expected_postings(other)

    other.contract_no = "SZLW2026-0507-0000003"  # update of the code
    other.save()
    assert postings(other.pk) == expected_postings(other)
    assert not any(code == "LWFB-2024-0000002" for _, _, code in postings(other.pk))

    ProjectFiling.objects.filter(pk=other.pk).update(signed_date=dt.date(2023, 5, 6))  # update of the sort key
    assert {d for _, d, _ in postings(other.pk)} == {dt.date(2023, 5, 6)}
    assert postings(other.pk) == expected_postings(other)

    ProjectFiling.objects.filter(pk=other.pk).update(site_manager="李四")  # neither: untouched
    assert postings(other.pk) == expected_postings(other)

    other.delete()
    assert postings(other.pk) == set()
    assert postings(base.pk) == expected_postings(base)


@pytest.fixture
def filings(enterprise_a: Any, reviewer: Any) -> list[ProjectFiling]:
    """45 filings a day apart, newest first: the newest 15 of 2026 (some with '025' in their
    sequence, one with 2025 in its name only), the older 30 of 2025."""
    search_module._catalog_cache.clear()
    base = approved_project(enterprise_a, reviewer, contract_no="HT-3205-2026-9999999", signed_date=TODAY)
    rows = [base]
    for i in range(1, 45):
        year = 2026 if i < 15 else 2025
        name = "相城区2025年安置房项目" if i == 4 else f"相城区测试{i}号地块住宅项目"
        number = f"HT-3205-{year}-{i:03d}0250" if i % 3 == 0 else f"LWFB-{year}-{i:07d}"
        signed = TODAY - dt.timedelta(days=i // 2)  # pairs share a date: the id decides
        rows.append(clone_project(base, enterprise_a.enterprise, contract_no=number, project_name=name))
        ProjectFiling.objects.filter(pk=rows[-1].pk).update(signed_date=signed)
    yield rows
    search_module._catalog_cache.clear()


@pytest.fixture
def ordered_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    """The 45 rows taken as a province's list where the term is common but not among the newest rows."""
    monkeypatch.setattr(search_module, "_planner_rows", lambda qs: 1_000_000.0)
    monkeypatch.setattr(search_module, "_match_share", lambda *args, **kwargs: (0.3, 0.3))
    monkeypatch.setattr(search_module, "_walk_is_dense", lambda *args, **kwargs: False)
    monkeypatch.setattr(
        search_module, "_gram_size", lambda model, column, term: 3 if term.isascii() and len(term) >= 3 else 2
    )
    monkeypatch.setattr(search_module, "_text_estimate", lambda *args, **kwargs: (0.0, 0.0))


def listed(qs: Any) -> list[int]:
    return list(qs.order_by("-signed_date", "-id").values_list("pk", flat=True))


def matching(term: str, qs: Any = None) -> list[int]:
    qs = ProjectFiling.objects.all() if qs is None else qs
    return listed(qs.filter(contract_no__icontains=term) | qs.filter(project_name__icontains=term))


def find(term: str, qs: Any = None) -> Any:
    qs = ProjectFiling.objects.all() if qs is None else qs
    qs = qs.order_by("-signed_date", "-id")
    return search(
        qs, term, text=("project_name", "contract_no"), walk_cost=COVERED_WALK_COST, ordered=CONTRACT_NO_GRAMS
    )


def follow(qs: Any, per_page: int) -> list[int]:
    ids: list[int] = []
    request = get()
    while True:
        page, _ = paginate(request, qs, per_page=per_page)
        ids += [f.pk for f in page.object_list]
        if not page.has_next:
            return ids
        request = get(page.next_query)


@pytest.mark.postgres_only
@pytest.mark.usefixtures("ordered_plan")
@pytest.mark.parametrize("term", ["2025", "025-", "25-0", "lwfb-2025", "0250"])
def test_a_year_like_term_finds_the_rows_icontains_finds_in_order(filings: list[ProjectFiling], term: str) -> None:
    qs = find(term)
    assert search_plan(qs) == "ordered" and search_estimate(qs) is None
    want = matching(term)
    assert want, term
    assert follow(qs, per_page=4) == want, term
    page, _ = paginate(get(), qs, per_page=4)
    assert (page.count, page.count_capped, page.approximate) == (len(want), False, False)
    # A numbered page skips that many matches of the walk.
    page, _ = paginate(get("page=2"), qs, per_page=4)
    assert [f.pk for f in page.object_list] == want[4:8]
    # 末页 reads the walk backwards.
    page, _ = paginate(get("last=1"), qs, per_page=4)
    tail = len(want) % 4 or 4
    assert [f.pk for f in page.object_list] == want[-tail:]
    # 上一页 from there reads backwards after its cursor.
    if page.has_previous:
        page, _ = paginate(get(page.previous_query), qs, per_page=4)
        assert [f.pk for f in page.object_list] == want[-tail - 4 : -tail]


@pytest.mark.postgres_only
@pytest.mark.usefixtures("ordered_plan")
@pytest.mark.parametrize("state", [State.APPROVED, State.REJECTED])
def test_a_list_filtered_on_carried_columns_walks_the_postings(filings: list[ProjectFiling], state: str) -> None:
    # The 状态 tab and a 签订日期 range are tested on the postings' own columns, in the index.
    ProjectFiling.objects.filter(pk__in=[f.pk for f in filings[::4]]).update(state=State.REJECTED)
    cutoff = TODAY - dt.timedelta(days=20)
    dates = {"signed_date__lte": cutoff, "signed_date__gte": cutoff - dt.timedelta(days=9)}
    filtered = ProjectFiling.objects.filter(state=state, **dates)
    qs = find("2025", filtered)
    assert search_plan(qs) == "ordered"
    want = matching("2025", filtered)
    assert want
    with CaptureQueriesContext(connection) as ctx:
        assert follow(qs, per_page=4) == want
    # Neither the page's ids nor the count fetch a filing to test the filters.
    walks = [q["sql"] for q in ctx.captured_queries if CONTRACT_NO_GRAMS.name in q["sql"]]
    assert walks and not any("LATERAL" in sql for sql in walks)
    assert all('"laowu_g"."state" = ' in sql for sql in walks)
    page, _ = paginate(get(), qs, per_page=4)
    assert (page.count, page.count_capped) == (len(want), False)


@pytest.mark.postgres_only
@pytest.mark.usefixtures("ordered_plan")
def test_a_filter_the_postings_do_not_carry_keeps_the_indexed_plan(filings: list[ProjectFiling]) -> None:
    # The site manager is not in the gram table: each posting's filing would be fetched to test it.
    named = ProjectFiling.objects.filter(site_manager=filings[0].site_manager)
    qs = find("2025", named)
    assert search_plan(qs) == "indexed"
    assert follow(qs, per_page=4) == matching("2025", named)
    either = ProjectFiling.objects.filter(Q(state=State.APPROVED) | Q(signed_date__lte=TODAY))
    assert search_plan(find("2025", either)) == "indexed"


@pytest.fixture
def two_districts(filings: list[ProjectFiling], enterprise_b: Any, reviewer: Any) -> tuple[Any, Any]:
    """A second district whose enterprise holds every third filing, and a reviewer of the first only."""
    other = District.objects.create(code="320505", name="虎丘区")
    Enterprise.objects.filter(pk=enterprise_b.enterprise.pk).update(district=other)
    ProjectFiling.objects.filter(pk__in=[f.pk for f in filings[1::3]]).update(enterprise=enterprise_b.enterprise)
    reviewer.__dict__.pop("_laowu_every_district", None)  # remembered while there was one district
    return reviewer, other


@pytest.mark.postgres_only
@pytest.mark.usefixtures("ordered_plan")
@pytest.mark.parametrize("state", ["", State.APPROVED])
def test_a_reviewer_of_some_districts_walks_their_postings_only(two_districts: tuple[Any, Any], state: str) -> None:
    reviewer, _ = two_districts
    scoped = in_user_districts(reviewer, ProjectFiling.objects.all())
    if state:
        scoped = scoped.filter(state=state)
    qs = find("2025", scoped)
    assert search_plan(qs) == "ordered"
    want = matching("2025", scoped)
    assert 4 < len(want) < len(matching("2025"))
    with CaptureQueriesContext(connection) as ctx:
        assert follow(qs, per_page=4) == want
        page, _ = paginate(get(), qs, per_page=4)
    assert (page.count, page.count_capped) == (len(want), False)
    walks = [q["sql"] for q in ctx.captured_queries if CONTRACT_NO_GRAMS.name in q["sql"]]
    # The district's postings only: one range of the partition's index, the value written out.
    assert walks and all('laowu_g."district_id" = ' in sql and "LATERAL" not in sql for sql in walks)
    # The committee list shows that reviewer the same rows.
    client = client_for(reviewer)
    response = client.get(reverse("contracts:committee_list"), {"q": "2025", "state": state})
    assert [f.pk for f in response.context["page"].object_list] == want[:20]
    assert response.context["page"].count == len(want)


@pytest.mark.postgres_only
def test_the_district_and_the_state_follow_the_filing_and_its_enterprise(enterprise_a: Any, reviewer: Any) -> None:
    filing = approved_project(enterprise_a, reviewer, contract_no="HT-3205-2025-0000001")

    def carried() -> set[tuple[str, int]]:
        with connection.cursor() as cur:
            cur.execute(f'SELECT state, district_id FROM "{CONTRACT_NO_GRAMS.name}" WHERE row_id = %s', [filing.pk])  # noqa: S608
            return set(cur.fetchall())

    district = enterprise_a.enterprise.district_id
    assert carried() == {(State.APPROVED, district)}
    ProjectFiling.objects.filter(pk=filing.pk).update(state=State.DEREGISTERED)
    assert carried() == {(State.DEREGISTERED, district)}
    # The enterprise moves: its filings' postings follow (a trigger on the enterprises' table).
    other = District.objects.create(code="320505", name="虎丘区")
    Enterprise.objects.filter(pk=enterprise_a.enterprise.pk).update(district=other)
    assert carried() == {(State.DEREGISTERED, other.pk)}
    Enterprise.objects.filter(pk=enterprise_a.enterprise.pk).update(name="改名不动检索表")
    assert carried() == {(State.DEREGISTERED, other.pk)}
    assert len(postings(filing.pk)) == len(grams_of(filing.contract_no, 3))


@pytest.mark.postgres_only
@pytest.mark.usefixtures("ordered_plan")
def test_the_count_reads_the_postings_unsorted(filings: list[ProjectFiling]) -> None:
    # Any COUNT_LIMIT + 1 matches count the same: no ORDER BY, so no sort of every match.
    qs = find("2025")
    with CaptureQueriesContext(connection) as ctx:
        assert ordered_count(qs, 10_001) == len(matching("2025"))
    (sql,) = [q["sql"] for q in ctx.captured_queries if "count(*)" in q["sql"]]
    walk = sql.split(CONTRACT_NO_GRAMS.name, 1)[1].split(") laowu_n")[0]
    assert "ORDER BY" not in walk


@pytest.mark.postgres_only
@pytest.mark.usefixtures("ordered_plan")
def test_filters_added_after_the_search_are_tested_on_each_match(filings: list[ProjectFiling]) -> None:
    cutoff = TODAY - dt.timedelta(days=10)
    qs = find("2025").filter(signed_date__lte=cutoff)
    assert search_plan(qs) == "ordered"
    want = matching("2025", ProjectFiling.objects.filter(signed_date__lte=cutoff))
    assert follow(qs, per_page=4) == want
    page, _ = paginate(get(), qs, per_page=4)
    assert page.count == len(want)


@pytest.mark.postgres_only
@pytest.mark.usefixtures("ordered_plan")
def test_the_committee_list_shows_the_same_two_pages(filings: list[ProjectFiling], reviewer: Any) -> None:
    want = matching("2025")
    assert len(want) > 20
    by_pk = {f.pk: f for f in ProjectFiling.objects.filter(pk__in=want)}
    client = client_for(reviewer)
    url = reverse("contracts:committee_list")
    first = client.get(url, {"q": "2025"})
    assert first.status_code == 200
    page = first.context["page"]
    assert [f.pk for f in page.object_list] == want[:20]
    assert (page.count, page.count_capped) == (len(want), False)
    second = client.get(f"{url}?{page.next_query}")
    assert [f.pk for f in second.context["page"].object_list] == want[20:40]
    assert by_pk[want[20]].contract_no in second.content.decode()


def test_small_lists_and_sqlite_keep_the_plain_match(filings: list[ProjectFiling]) -> None:
    qs = find("2025")
    assert search_plan(qs) is None
    assert listed(qs) == matching("2025")


@pytest.fixture
def underestimated(monkeypatch: pytest.MonkeyPatch) -> None:
    """The planner's estimate of a list limited by a subquery (a reviewer's districts) is far too low:
    3,000 rows, under WALK_MIN_ROWS, where the subquery's values written out give 20,000."""

    def planned(qs: Any) -> float:
        sql = str(qs.query)
        if "IN (SELECT" in sql or re.search(r'"enterprise_id" = \d', sql):
            return 3_000.0  # the district's list as planned, and one enterprise's
        return 20_000.0 if '"district_id" IN (' in sql else 1_000_000.0

    monkeypatch.setattr(search_module, "_planner_rows", planned)
    monkeypatch.setattr(search_module, "_postings", lambda qs, walk, rows: 1_000.0)
    monkeypatch.setattr(search_module, "_reltuples", lambda model: 100_000.0)


@pytest.mark.postgres_only
@pytest.mark.usefixtures("ordered_plan", "underestimated")
def test_an_underestimated_district_list_reads_postings_or_indexes(
    two_districts: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    reviewer, _ = two_districts
    scoped = in_user_districts(reviewer, ProjectFiling.objects.all())
    # A piece of a code: its rarest gram's postings of the reviewer's district.
    qs = find("2025", scoped)
    assert search_plan(qs) == "ordered"
    want = matching("2025", scoped)
    assert follow(qs, per_page=4) == want
    page, _ = paginate(get(), qs, per_page=4)
    assert (page.count, page.count_capped, page.approximate) == (len(want), False, False)
    # A rare name: its matches through the indexes, the district written out (the planner, misled
    # by the subquery, would test the district's rows), counted exactly as testing them counts.
    monkeypatch.setattr(search_module, "_match_share", lambda *args, **kwargs: (0.01, 0.01))
    qs = find("测试3号", scoped)
    assert search_plan(qs) == "indexed" and '"district_id" IN (SELECT' not in str(qs.query)
    want = matching("测试3号", scoped)
    assert want and follow(qs, per_page=4) == want
    page, _ = paginate(get(), qs, per_page=4)
    assert (page.count, page.count_capped, page.approximate) == (len(want), False, False)
    # A common one: each of the list's rows tested, as before.
    monkeypatch.setattr(search_module, "_match_share", lambda *args, **kwargs: (0.3, 0.3))
    qs = find("相城区", scoped)
    assert search_plan(qs) is None
    assert listed(qs) == matching("相城区", scoped)


@pytest.mark.postgres_only
@pytest.mark.usefixtures("ordered_plan", "underestimated")
def test_a_small_list_without_a_subquery_is_tested_row_by_row(filings: list[ProjectFiling]) -> None:
    # One enterprise's filings: estimated without a subquery, nothing to correct, no second EXPLAIN.
    own = ProjectFiling.objects.filter(enterprise_id=filings[0].enterprise_id, state=State.APPROVED)
    with CaptureQueriesContext(connection) as ctx:
        qs = find("2025", own)
    assert search_plan(qs) is None
    assert not [q for q in ctx.captured_queries if q["sql"].startswith("EXPLAIN")]
    assert listed(qs) == matching("2025", own)


@pytest.mark.postgres_only
@pytest.mark.usefixtures("ordered_plan")
def test_a_district_list_reads_only_its_share_of_the_postings(
    two_districts: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # '025' in half of 100,000 filings: 50,000 postings, of which a 20,000-row district reads its share.
    monkeypatch.setattr(search_module, "_stats", lambda *args: search_module._GramStats({"025": 0.5, "202": 0.5}, 0.9))
    monkeypatch.setattr(search_module, "_reltuples", lambda model: 100_000.0)
    reviewer, _ = two_districts
    scoped = find("2025", in_user_districts(reviewer, ProjectFiling.objects.all()))
    walk = getattr(scoped.query, search_module.ORDERED_ATTR)
    assert walk.gram == "025"
    assert search_module._postings(scoped, walk, 20_000.0) == pytest.approx(10_000.0)
    # A list of every district reads all of them.
    everyone = find("2025")
    assert search_module._postings(everyone, getattr(everyone.query, search_module.ORDERED_ATTR), 20_000.0) == (
        pytest.approx(50_000.0)
    )


@pytest.mark.postgres_only
@pytest.mark.usefixtures("ordered_plan")
def test_postings_out_of_step_never_show_a_row_the_list_excludes(two_districts: tuple[Any, Any]) -> None:
    """The page's rows are read with the list's own filters again (laowu/core/pagination.py): a
    posting whose copied district is wrong finds its row, which the district's list then leaves out."""
    reviewer, _ = two_districts
    scoped = in_user_districts(reviewer, ProjectFiling.objects.all())
    want = matching("2025", scoped)
    outsider = next(
        f.pk for f in ProjectFiling.objects.filter(contract_no__contains="2025").exclude(pk__in=want).order_by("-pk")
    )
    mine = scoped.first().enterprise.district_id
    with connection.cursor() as cur:
        table = connection.ops.quote_name(CONTRACT_NO_GRAMS.name)
        cur.execute(f"UPDATE {table} SET district_id = %s WHERE row_id = %s", [mine, outsider])  # noqa: S608
    qs = find("2025", scoped)
    assert search_plan(qs) == "ordered"
    with CaptureQueriesContext(connection) as ctx:
        shown = follow(qs, per_page=4)
    assert any(CONTRACT_NO_GRAMS.name in q["sql"] for q in ctx.captured_queries)
    # A page may come out a row short (the walk counted the outsider), but never holds it.
    assert outsider not in shown and set(shown) <= set(want)
