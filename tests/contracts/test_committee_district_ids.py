"""The committee's 项目信息 list limited to a reviewer's districts written as their ids
(laowu/accounts/scope.py in_user_district_ids): the same rows and access rules as the subquery
it replaces, and on PostgreSQL the search plans (and count line) such a list had."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from laowu.accounts.models import District, User
from laowu.accounts.scope import in_user_district_ids, in_user_districts, user_district_ids
from laowu.contracts.models import ProjectFiling
from laowu.core import search as search_module
from laowu.core.pagination import paginate
from laowu.core.search import search_plan
from laowu.enterprises.models import Enterprise
from tests.conftest import client_for
from tests.contracts.test_ordered_grams import filings, find, follow, listed, matching, ordered_plan  # noqa: F401
from tests.core.test_pagination import get
from tests.factories import StaffFactory, approved_project
from tests.supervision.test_search import clone_project

pytestmark = pytest.mark.django_db

LIST = reverse("contracts:committee_list")


@pytest.fixture
def spread(enterprise_a: Any, enterprise_b: Any, reviewer: Any) -> tuple[ProjectFiling, ProjectFiling, District]:
    """A filing in the reviewer's district and one in another district (enterprise_b moved there)."""
    search_module._catalog_cache.clear()
    mine = approved_project(enterprise_a, reviewer, contract_no="HT-3205-2025-0000001", project_name="相城区工程一号")
    other = District.objects.create(code="320505", name="虎丘区")
    Enterprise.objects.filter(pk=enterprise_b.enterprise.pk).update(district=other)
    theirs = clone_project(
        mine, enterprise_b.enterprise, contract_no="HT-3205-2025-0000002", project_name="虎丘区工程二号"
    )
    reviewer.__dict__.pop("_laowu_every_district", None)  # remembered while there was one district
    return mine, theirs, other


def users(spread: tuple[ProjectFiling, ProjectFiling, District], reviewer: Any) -> dict[str, Any]:
    _, _, other = spread
    everywhere = StaffFactory(role="supervisor", districts=[*reviewer.districts.all(), other])
    nowhere = StaffFactory(role="supervisor")
    nowhere.districts.clear()
    return {"district": reviewer, "every": everywhere, "none": User.objects.get(pk=nowhere.pk)}


def test_the_ids_give_the_rows_the_subquery_gives(spread: Any, reviewer: Any) -> None:
    mine, theirs, _ = spread
    expected = {"district": {mine.pk}, "every": {mine.pk, theirs.pk}, "none": set()}
    for name, user in users(spread, reviewer).items():
        by_ids = set(in_user_district_ids(user, ProjectFiling.objects.all()).values_list("pk", flat=True))
        by_subquery = set(in_user_districts(user, ProjectFiling.objects.all()).values_list("pk", flat=True))
        assert by_ids == by_subquery == expected[name], name
        enterprises = in_user_district_ids(user, Enterprise.objects.all(), "district")
        assert set(enterprises) == set(in_user_districts(user, Enterprise.objects.all(), "district")), name
    # The reviewer's district written as its id: no subquery of the user's districts.
    sql = str(in_user_district_ids(reviewer, ProjectFiling.objects.all()).query)
    assert "accounts_user_districts" not in sql
    assert f'"district_id" IN ({reviewer.districts.get().pk})' in sql


def test_the_ids_are_read_once_per_user_object_and_afresh_for_the_next(spread: Any, reviewer: Any) -> None:
    _, _, other = spread
    mine = reviewer.districts.get().pk
    with CaptureQueriesContext(connection) as ctx:
        assert user_district_ids(reviewer) == [mine]
        assert user_district_ids(reviewer) == [mine]
    assert len(ctx.captured_queries) == 1
    # A change of the user's districts is seen by the next request's user object (loaded afresh by
    # the authentication middleware), and one user's ids are never another's.
    reviewer.districts.add(other)
    assert user_district_ids(User.objects.get(pk=reviewer.pk)) == sorted([mine, other.pk])
    stranger = StaffFactory(role="supervisor", districts=[other])
    assert user_district_ids(stranger) == [other.pk]
    assert user_district_ids(reviewer) == [mine]  # this request's object, as it was read


@pytest.mark.parametrize("q", ["", "工程", "2025", "HT-3205-2025-0000002"])
def test_the_committee_list_keeps_each_reviewer_to_their_districts(spread: Any, reviewer: Any, q: str) -> None:
    mine, theirs, _ = spread
    seen = {}
    for name, user in users(spread, reviewer).items():
        response = client_for(user).get(LIST, {"q": q} if q else {})
        assert response.status_code == 200
        seen[name] = {f.pk for f in response.context["page"].object_list}
        assert (theirs.project_name in response.content.decode()) == (theirs.pk in seen[name])
    wanted = {f.pk for f in (mine, theirs) if not q or q in f.project_name or q in f.contract_no}
    assert seen["district"] == wanted - {theirs.pk}
    assert seen["every"] == wanted
    assert seen["none"] == set()
    # The export is limited the same way.
    export = client_for(reviewer).get(reverse("contracts:committee_export"), {"q": q} if q else {})
    assert export.status_code == 200


def test_a_district_reviewers_list_reads_the_ids_once(spread: Any, reviewer: Any) -> None:
    client = client_for(reviewer)
    client.get(LIST)  # warm: session, sequences
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(LIST)
    assert [f.pk for f in response.context["page"].object_list] == [spread[0].pk]
    district_reads = [q["sql"] for q in ctx.captured_queries if "accounts_user_districts" in q["sql"]]
    # The signed-in user's query (which also says whether the account covers every district,
    # laowu/accounts/otp.py) and the ids once; the list's own query has none.
    assert len(district_reads) == 2
    assert sum('"accounts_user"."password"' in sql for sql in district_reads) == 1
    assert not [sql for sql in district_reads if "contracts_projectfiling" in sql]


# ---------------------------------------------------------------- PostgreSQL plans


@pytest.fixture
def district_sized(monkeypatch: pytest.MonkeyPatch) -> None:
    """A district's list estimated right (its ids written out): 20,000 rows; a province 1,000,000."""

    def planned(qs: Any) -> float:
        return 20_000.0 if '"district_id" IN (' in str(qs.query) else 1_000_000.0

    monkeypatch.setattr(search_module, "_planner_rows", planned)
    monkeypatch.setattr(search_module, "_postings", lambda qs, walk, rows: 1_000.0)
    monkeypatch.setattr(search_module, "_reltuples", lambda model: 100_000.0)


@pytest.fixture
def two_districts(filings: list[ProjectFiling], enterprise_b: Any, reviewer: Any) -> Any:  # noqa: F811
    other = District.objects.create(code="320505", name="虎丘区")
    Enterprise.objects.filter(pk=enterprise_b.enterprise.pk).update(district=other)
    ProjectFiling.objects.filter(pk__in=[f.pk for f in filings[1::3]]).update(enterprise=enterprise_b.enterprise)
    reviewer.__dict__.pop("_laowu_every_district", None)
    return reviewer


@pytest.mark.postgres_only
@pytest.mark.usefixtures("ordered_plan", "district_sized")
def test_a_district_list_by_ids_keeps_its_exact_plans(two_districts: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    scoped = in_user_district_ids(two_districts, ProjectFiling.objects.all())
    # A piece of a code: the district's postings, counted exactly; no subquery run for the values.
    with CaptureQueriesContext(connection) as ctx:
        qs = find("2025", scoped)
    assert search_plan(qs) == "ordered"
    assert not [q for q in ctx.captured_queries if "accounts_user_districts" in q["sql"]]
    want = matching("2025", scoped)
    assert want and follow(qs, per_page=4) == want
    page, _ = paginate(get(), qs, per_page=4)
    assert (page.count, page.count_capped, page.approximate) == (len(want), False, False)
    # A rare name: its matches through the indexes.
    monkeypatch.setattr(search_module, "_match_share", lambda *args, **kwargs: (0.01, 0.01))
    qs = find("测试3号", scoped)
    assert search_plan(qs) == "indexed"
    want = matching("测试3号", scoped)
    assert want and follow(qs, per_page=4) == want
    # A common one: each of the district's rows tested, as a small list's. A code piece the planner
    # walks the list's order for keeps that plan (its page is cheap), counted exactly as before.
    monkeypatch.setattr(search_module, "_match_share", lambda *args, **kwargs: (0.3, 0.3))
    monkeypatch.setattr(search_module, "_page_reads_every_row", lambda qs: False)
    qs = find("LW", scoped)
    want = matching("LW", scoped)
    assert search_plan(qs) is None and "laowu_bigrams" not in str(qs.query)
    assert len(want) > 4 and listed(qs) == want
    page, _ = paginate(get(), qs, per_page=4)
    assert (page.count, page.count_capped, page.approximate) == (len(want), False, False)
    # Where the planner reads every row for the page anyway, and for a name whatever it would do
    # (its matches may be rare in the district however common in the table), they are counted
    # exactly in page 1's own read: no second pass over the rows for the count.
    monkeypatch.setattr(search_module, "_page_reads_every_row", lambda qs: True)
    assert search_plan(find("LW", scoped)) == "indexed"
    monkeypatch.setattr(search_module, "_page_reads_every_row", lambda qs: False)
    qs = find("相城区", scoped)
    want = matching("相城区", scoped)
    assert search_plan(qs) == "indexed" and "laowu_bigrams" not in str(qs.query)
    assert len(want) > 4 and follow(qs, per_page=4) == want
    with CaptureQueriesContext(connection) as ctx:
        page, _ = paginate(get(), qs, per_page=4)
    assert (page.count, page.count_capped, page.approximate) == (len(want), False, False)
    assert [f.pk for f in page.object_list] == want[:4]
    assert len(ctx.captured_queries) == 2  # the page's ids with the count, then its rows
    assert "COUNT(" in ctx.captured_queries[0]["sql"] and "OVER ()" in ctx.captured_queries[0]["sql"]


@pytest.mark.postgres_only
@pytest.mark.usefixtures("ordered_plan")
def test_a_large_district_list_is_planned_as_any_large_list(
    two_districts: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Over PARTITIONED_EXACT_ROWS rows (several large districts): a common term walks the list's order
    # and shows an estimate, as the subquery's estimate of so many rows made it.
    monkeypatch.setattr(search_module, "_planner_rows", lambda qs: 200_000.0)
    monkeypatch.setattr(search_module, "_match_share", lambda *args, **kwargs: (0.3, 0.3))
    monkeypatch.setattr(search_module, "_walk_is_dense", lambda *args, **kwargs: True)
    qs = find("相城区", in_user_district_ids(two_districts, ProjectFiling.objects.all()))
    assert search_plan(qs) == "walk"
    page, _ = paginate(get(), qs, per_page=4)
    assert page.approximate


@pytest.mark.postgres_only
def test_the_planner_says_whether_a_page_reads_every_row(filings: list[ProjectFiling]) -> None:  # noqa: F811
    ordered = ProjectFiling.objects.order_by("-signed_date", "-id")
    with connection.cursor() as cur:
        cur.execute("SET LOCAL enable_sort = off")  # the walk of project_signed_cover
        assert not search_module._page_reads_every_row(ordered)
        cur.execute("SET LOCAL enable_sort = on")
        cur.execute("SET LOCAL enable_indexscan = off")
        cur.execute("SET LOCAL enable_indexonlyscan = off")
        cur.execute("SET LOCAL enable_bitmapscan = off")
        assert search_module._page_reads_every_row(ordered)  # every row read, then sorted


@pytest.mark.postgres_only
def test_the_committee_list_by_ids_shows_the_pages_the_subquery_showed(two_districts: Any) -> None:
    """Unpatched plans on the real (small) tables: the same rows and count line either way."""
    reviewer = two_districts
    for term in ("2025", "相城区", "测试3号", "LWFB"):
        response = client_for(reviewer).get(LIST, {"q": term})
        page = response.context["page"]
        want = matching(term, in_user_districts(reviewer, ProjectFiling.objects.all()))
        assert [f.pk for f in page.object_list] == want[:20], term
        assert (page.count, page.approximate) == (len(want), False), term
