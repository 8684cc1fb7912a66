"""laowu.core.search: whichever plan a term gets, the rows are those of a plain match.

On PostgreSQL a search over a big list is written for one of two plans (module docstring):
through the bigram indexes for a rare term, or as a walk of the list's order for a common
one. Both, and the plain form used for small lists and SQLite, must find exactly the rows
whose name or contact contains the term (or whose credit code starts or ends with it)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext

from laowu.core import pagination
from laowu.core import search as search_module
from laowu.core.pagination import paginate
from laowu.core.search import search, search_estimate, search_plan
from laowu.enterprises.models import Enterprise
from tests.core.test_pagination import get
from tests.factories import EnterpriseFactory

pytestmark = pytest.mark.django_db

NAMES = ["苏州建筑劳务有限公司", "相城坤龙劳务有限公司", "吴中建设工程有限公司", "元和建筑安装队", "HT-2024-020 施工队"]
CONTACTS = ["王坤龙", "李建筑", "张三", "ab-020"]
TERMS = ["建筑", "劳务有", "坤龙", "020", "-020", "ht-2", "建", "有限公司", "不存在的词"]


@pytest.fixture
def enterprises() -> list[Enterprise]:
    search_module._catalog_cache.clear()
    rows = [
        EnterpriseFactory(name=f"{NAMES[i % len(NAMES)]}{i}", contact_name=CONTACTS[i % len(CONTACTS)])
        for i in range(45)
    ]
    yield rows
    search_module._catalog_cache.clear()


def expected(rows: list[Enterprise], term: str) -> set[int]:
    low = term.lower()
    found = {e.pk for e in rows if low in e.name.lower() or low in e.contact_name.lower()}
    if term.isascii() and term.isalnum():
        found |= {e.pk for e in rows if e.credit_code.startswith(term.upper()) or e.credit_code.endswith(term.upper())}
    return found


def find(term: str) -> Any:
    qs = Enterprise.objects.order_by("-created_at", "-id")
    return search(qs, term, text=("name", "contact_name"), codes=("credit_code",))


def follow(qs: Any, per_page: int = 4) -> list[int]:
    """Every id shown following 下一页 from page 1."""
    ids: list[int] = []
    request = get()
    while True:
        page, _ = paginate(request, qs, per_page=per_page)
        ids += [e.pk for e in page.object_list]
        if not page.has_next:
            return ids
        request = get(page.next_query)


def force(monkeypatch: pytest.MonkeyPatch, share: float) -> None:
    """Treat the 45 rows as a big list whose matches are `share` of it."""
    monkeypatch.setattr(search_module, "WALK_MIN_ROWS", 0)
    monkeypatch.setattr(search_module, "_match_share", lambda *args, **kwargs: (share, share))


def test_small_lists_match_plainly(enterprises: list[Enterprise]) -> None:
    ordered = list(Enterprise.objects.order_by("-created_at", "-id").values_list("pk", flat=True))
    for term in TERMS:
        qs = find(term)
        assert set(qs.values_list("pk", flat=True)) == expected(enterprises, term), term
        assert search_plan(qs) is None and search_estimate(qs) is None
        assert follow(qs) == [pk for pk in ordered if pk in expected(enterprises, term)], term


@pytest.mark.postgres_only
@pytest.mark.parametrize("share", [0.0, 1.0], ids=["indexed", "walk"])
def test_both_plans_find_the_same_rows_in_the_same_order(
    enterprises: list[Enterprise], monkeypatch: pytest.MonkeyPatch, share: float
) -> None:
    force(monkeypatch, share)
    ordered = list(Enterprise.objects.order_by("-created_at", "-id").values_list("pk", flat=True))
    for term in TERMS:
        qs = find(term)
        want = expected(enterprises, term)
        assert set(qs.values_list("pk", flat=True)) == want, term
        if len(term) >= 2:
            assert search_plan(qs) == ("walk" if share == 1.0 else "indexed")
            assert (search_estimate(qs) is not None) == (share == 1.0)
        assert follow(qs) == [pk for pk in ordered if pk in want], term


@pytest.mark.postgres_only
def test_indexed_plan_reads_matches_through_the_bigram_index(
    enterprises: list[Enterprise], monkeypatch: pytest.MonkeyPatch
) -> None:
    force(monkeypatch, 0.0)
    qs = find("坤龙")
    assert "laowu_bigrams" in str(qs.query) and "strpos" not in str(qs.query)
    # The page's ids are ordered by expressions no index provides: read the matches, then sort.
    with CaptureQueriesContext(connection) as ctx:
        paginate(get(), qs, per_page=4)
    created = '"enterprises_enterprise"."created_at"'
    ids_sql = next(q["sql"] for q in ctx.captured_queries if "ORDER BY COALESCE" in q["sql"])
    assert f"ORDER BY COALESCE({created}, {created}) DESC" in ids_sql
    # Page 1 counts the matches it reads anyway: no second query reads them again.
    assert 'COUNT("enterprises_enterprise"."id") OVER () AS "laowu_matches"' in ids_sql
    assert len(ctx.captured_queries) == 2  # the page's ids with the count, then those rows


@pytest.mark.postgres_only
def test_indexed_plan_counts_its_matches_on_page_one(
    enterprises: list[Enterprise], monkeypatch: pytest.MonkeyPatch
) -> None:
    force(monkeypatch, 0.0)
    for term in ("建筑", "劳务有", "有限公司"):
        qs = find(term)
        want = expected(enterprises, term)
        page, _ = paginate(get(), qs, per_page=4)
        assert (page.count, page.count_capped) == (len(want), False), term
        # As the bounded count says, and capped the same way past COUNT_LIMIT.
        assert page.count == qs.order_by()[: pagination.COUNT_LIMIT + 1].count()
    monkeypatch.setattr(pagination, "COUNT_LIMIT", 5)
    page, _ = paginate(get(), find("有限公司"), per_page=4)
    assert (page.count, page.count_capped) == (5, True)


@pytest.mark.postgres_only
def test_walk_plan_is_not_counted_and_says_about_how_many(
    enterprises: list[Enterprise], monkeypatch: pytest.MonkeyPatch
) -> None:
    force(monkeypatch, 1.0)
    qs = find("劳务有")
    assert "strpos(" in str(qs.query) and "laowu_bigrams" not in str(qs.query)
    with CaptureQueriesContext(connection) as ctx:
        page, _ = paginate(get({"page": "3"}), qs, per_page=4)
    assert not any("COUNT(" in q["sql"].upper() for q in ctx.captured_queries)
    # The estimate (the planner's rows for the list × share 1.0), no numbered pages, and page 1
    # whatever number was asked: reaching page 3 by OFFSET would walk as far as counting does.
    assert page.approximate and page.count == pagination._round_estimate(search_estimate(qs))
    assert page.number == 1 and page.numbered == []
    assert page.has_next and page.next_query and page.last_query
    shown = render_to_string("includes/pagination.html", {"page": page})
    assert f"约 {page.count} 条，第 1 页" in shown and "下一页" in shown and "共 " not in shown


@pytest.mark.postgres_only
def test_estimates_come_from_the_bigram_statistics(enterprises: list[Enterprise]) -> None:
    with connection.cursor() as cur:
        cur.execute("ANALYZE enterprises_enterprise")
    found = {term: search_module._text_estimate(Enterprise, "name", term) for term in ("有限公司", "坤龙", "不存在")}
    assert all(v is not None for v in found.values())
    (common, common_low), (rare, rare_low), (absent, _) = found.values()  # type: ignore[misc]
    assert 20 <= common <= 35  # in 3 of 5 names: 27 rows, as often as its rarest bigram
    assert 5 <= rare <= 15 and absent < 2  # 1 in 5 names; in none
    # Taken as independent, 有限/限公/公司 would be far rarer than they are: the low figure.
    assert common_low < common / 2 and rare_low == rare


@pytest.mark.postgres_only
@pytest.mark.parametrize(("term", "plan"), [("花园劳务", "walk"), ("花台区水", "indexed")])
def test_an_uncertain_term_is_decided_by_the_first_rows_of_the_walk(
    monkeypatch: pytest.MonkeyPatch, term: str, plan: str
) -> None:
    """Common by its rarest bigram, rare by all of them as independent: a phrase whose pairs
    always go together (花园劳务 here) walks; pairs that are common apart but never together
    (花台区水: every row has 花台 or 区水, none the whole term) are read through the indexes."""
    search_module._catalog_cache.clear()
    names = [f"相城花园劳务{i}" for i in range(36)] + [f"花台{i}区水务" for i in range(9)]
    rows = [EnterpriseFactory(name=name, contact_name="张三") for name in names]
    monkeypatch.setattr(search_module, "WALK_MIN_ROWS", 0)
    monkeypatch.setattr(search_module, "_match_share", lambda *args, **kwargs: (1.0, 0.0))
    qs = find(term)
    assert search_plan(qs) == plan
    ordered = list(Enterprise.objects.order_by("-created_at", "-id").values_list("pk", flat=True))
    want = expected(rows, term)
    assert follow(qs) == [pk for pk in ordered if pk in want]
    assert len(want) == (36 if plan == "walk" else 0)


@pytest.mark.postgres_only
def test_indexed_plan_rechecks_its_candidates_with_like_alone(
    enterprises: list[Enterprise], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The indexes are read through the bigram arms, but each candidate row is tested with LIKE
    only: calling laowu_bigrams (plpgsql) again per candidate tripled the page's SQL time."""
    force(monkeypatch, 0.0)
    qs = find("劳务有")
    assert search_plan(qs) == "indexed"
    with CaptureQueriesContext(connection) as ctx:
        paginate(get(), qs, per_page=4)
    ids_sql = next(q["sql"] for q in ctx.captured_queries if "ORDER BY COALESCE" in q["sql"])
    with connection.cursor() as cur:
        cur.execute("SET LOCAL enable_seqscan = off")  # 45 rows: the plan a big table gets
        cur.execute(f"EXPLAIN {ids_sql}")
        plan = [line for (line,) in cur.fetchall()]
    assert any("Bitmap Index Scan" in line and "_bigram" in line for line in plan), plan
    filters = [line for line in plan if "Filter:" in line and "Recheck" not in line]
    assert filters and all("~~" in line and "laowu_bigrams" not in line for line in filters), plan
    assert follow(qs) == [
        pk
        for pk in Enterprise.objects.order_by("-created_at", "-id").values_list("pk", flat=True)
        if pk in expected(enterprises, "劳务有")
    ]


@pytest.mark.postgres_only
def test_a_cheaper_walk_is_chosen_for_fewer_matches(
    enterprises: list[Enterprise], monkeypatch: pytest.MonkeyPatch
) -> None:
    """walk_cost moves the crossover to √(rows × 21 × walk_cost) matches: a share between the two
    crossovers is read through the indexes from a walk costing a heap fetch a row, and walked
    where a covering index makes a walked row a tenth of that."""
    monkeypatch.setattr(search_module, "WALK_MIN_ROWS", 0)
    ordered = Enterprise.objects.order_by("-created_at", "-id")
    scope = search_module._planner_rows(ordered)
    share = (scope * 21 * 0.3) ** 0.5 / scope  # between √(scope × 21 × 0.1) and √(scope × 21) matches
    monkeypatch.setattr(search_module, "_match_share", lambda *args, **kwargs: (share, share))
    want = [pk for pk in ordered.values_list("pk", flat=True) if pk in expected(enterprises, "劳务有")]
    for walk_cost, plan in ((1.0, "indexed"), (search_module.COVERED_WALK_COST, "walk")):
        qs = search(ordered, "劳务有", text=("name", "contact_name"), codes=("credit_code",), walk_cost=walk_cost)
        assert search_plan(qs) == plan
        assert follow(qs) == want


@pytest.mark.postgres_only
@pytest.mark.parametrize("share", [0.0, 1.0], ids=["indexed", "walk"])
def test_a_caseless_term_is_matched_without_upper_casing(
    enterprises: list[Enterprise], monkeypatch: pytest.MonkeyPatch, share: float
) -> None:
    """Chinese and digits have no case: upper() of every walked row was two thirds of a walk's
    time. A term with letters is still matched whatever their case."""
    force(monkeypatch, share)
    for term in ("坤龙", "-020"):
        qs = find(term)
        assert "upper(" not in str(qs.query).lower(), term
        assert set(qs.values_list("pk", flat=True)) == expected(enterprises, term)
    qs = find("ht-2")
    assert "upper(" in str(qs.query).lower()
    assert set(qs.values_list("pk", flat=True)) == expected(enterprises, "ht-2") != set()
