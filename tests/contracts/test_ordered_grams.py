"""合同编号's ordered gram table (laowu.core.search.OrderedGrams, migration contracts 0006).

A piece of a contract number common only among older filings (a year) is found by walking the
postings of its rarest trigram in the list's order. The table must follow every change of the
filings through its triggers, and the walk must show exactly the rows a plain icontains shows,
in the list's order, on every page and with the same count."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse

from laowu.contracts.models import CONTRACT_NO_GRAMS, ProjectFiling
from laowu.core import search as search_module
from laowu.core.pagination import paginate
from laowu.core.search import COVERED_WALK_COST, grams_of, search, search_estimate, search_plan
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
def test_a_filtered_list_keeps_the_indexed_plan(filings: list[ProjectFiling]) -> None:
    # Its filters would be tested on each matching posting's row: slower than the indexes for a count.
    older = ProjectFiling.objects.filter(signed_date__lte=TODAY - dt.timedelta(days=10))
    qs = find("2025", older)
    assert search_plan(qs) == "indexed"
    assert follow(qs, per_page=4) == matching("2025", older)


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
