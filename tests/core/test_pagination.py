"""Keyset pagination with bounded counts (laowu/core/pagination.py), on both databases."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import parse_qs

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from laowu.accounts.models import District
from laowu.core import pagination
from laowu.core.pagination import paginate
from laowu.core.validators import credit_code_check_char
from laowu.enterprises.models import Enterprise

pytestmark = pytest.mark.django_db


def make_enterprises(n: int, *, same_time: bool = False) -> list[Enterprise]:
    district = District.objects.first() or District.objects.create(code="320507", name="相城区")
    base = timezone.now() - dt.timedelta(days=1)
    rows = []
    for i in range(n):
        body = f"91320507MA{i:07d}"
        rows.append(
            Enterprise(
                name=f"测试劳务企业{i:03d}",
                credit_code=body + credit_code_check_char(body),
                district=district,
                contact_name="张三",
                contact_phone="13900000000",
            )
        )
    created = Enterprise.objects.bulk_create(rows)
    for i, e in enumerate(created):
        # Ties on the sort key are the case a cursor without the id would get wrong.
        when = base if same_time else base + dt.timedelta(minutes=i // 3)
        Enterprise.objects.filter(pk=e.pk).update(created_at=when)
    return list(Enterprise.objects.order_by("-created_at", "-id"))


def get(params: dict[str, str] | str = "") -> Any:
    if isinstance(params, str):
        params = {k: v[0] for k, v in parse_qs(params).items()}
    return RequestFactory().get("/list/", params)


def walk(qs: Any, per_page: int) -> tuple[list[int], list[Any]]:
    """Follow 下一页 from page 1 to the end; the ids seen and the pages."""
    seen: list[int] = []
    pages = []
    request = get()
    while True:
        page, _ = paginate(request, qs, per_page=per_page)
        pages.append(page)
        seen += [e.pk for e in page.object_list]
        if not page.has_next:
            return seen, pages
        request = get(page.next_query)


@pytest.mark.parametrize("same_time", [False, True])
def test_next_links_visit_every_row_once_in_order(same_time: bool) -> None:
    expected = [e.pk for e in make_enterprises(47, same_time=same_time)]
    seen, pages = walk(Enterprise.objects.order_by("-created_at", "-id"), per_page=10)
    assert seen == expected
    assert [p.number for p in pages] == [1, 2, 3, 4, 5]
    assert pages[0].count == 47 and pages[0].num_pages == 5 and not pages[0].has_previous
    assert "after=" in pages[0].next_query and "page=2" in pages[0].next_query


def test_previous_and_last_links() -> None:
    expected = [e.pk for e in make_enterprises(47)]
    qs = Enterprise.objects.order_by("-created_at", "-id")
    _, pages = walk(qs, per_page=10)
    # 上一页 from page 4 is page 3, by cursor.
    back, _ = paginate(get(pages[3].previous_query), qs, per_page=10)
    assert [e.pk for e in back.object_list] == expected[20:30] and back.number == 3
    assert back.has_next and back.has_previous
    # 末页 is the tail read backwards: the last 7 rows, in list order.
    last, _ = paginate(get(pages[0].last_query), qs, per_page=10)
    assert [e.pk for e in last.object_list] == expected[40:] and last.number == 5 and not last.has_next
    # 上一页 from page 2 is the plain first page.
    assert parse_qs(pages[1].previous_query) == {"page": ["1"]}


def test_numbered_pages_and_other_parameters_are_kept() -> None:
    expected = [e.pk for e in make_enterprises(47)]
    qs = Enterprise.objects.order_by("-created_at", "-id")
    page, query = paginate(get({"page": "3", "q": "劳务"}), qs, per_page=10)
    assert [e.pk for e in page.object_list] == expected[20:30]
    assert query == "q=%E5%8A%B3%E5%8A%A1"
    assert [n for n, _ in page.numbered] == [1, 2, 3, 4, 5]
    assert all("q=" in q for _, q in page.numbered) and "q=" in page.next_query
    # Out-of-range and malformed input falls back instead of failing.
    assert paginate(get({"page": "99"}), qs, per_page=10)[0].number == 5
    assert paginate(get({"page": "x"}), qs, per_page=10)[0].number == 1
    broken, _ = paginate(get({"after": "not-a-cursor", "page": "7"}), qs, per_page=10)
    assert [e.pk for e in broken.object_list] == expected[:10] or broken.number <= 5


def test_counts_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    make_enterprises(30)
    monkeypatch.setattr(pagination, "COUNT_LIMIT", 12)
    monkeypatch.setattr(pagination, "OFFSET_LIMIT", 20)
    qs = Enterprise.objects.order_by("-created_at", "-id")
    with CaptureQueriesContext(connection) as ctx:
        page, _ = paginate(get(), qs, per_page=5)
    assert page.count == 12 and page.count_capped and page.num_pages is None
    (count_sql,) = [q["sql"].upper() for q in ctx.captured_queries if "COUNT(" in q["sql"].upper()]
    assert "LIMIT 13" in count_sql
    # Numbered pages never reach deeper than OFFSET_LIMIT rows…
    assert max(n for n, _ in page.numbered or [(1, "")]) <= 4
    deep, _ = paginate(get({"page": "9"}), qs, per_page=5)
    assert deep.number == 4
    # …while 下一页 goes on by cursor, with no OFFSET at all.
    _, pages = walk(qs, per_page=5)
    assert len(pages) == 6
    with CaptureQueriesContext(connection) as ctx:
        paginate(get(pages[4].next_query), qs, per_page=5)
    assert not any("OFFSET" in q["sql"].upper() for q in ctx.captured_queries)


def test_mixed_directions_and_lists() -> None:
    make_enterprises(23)
    qs = Enterprise.objects.order_by("name", "-id")
    expected = list(qs.values_list("pk", flat=True))
    seen, _ = walk(qs, per_page=6)
    assert seen == expected
    items = list(range(23))
    page, _ = paginate(get({"page": "4"}), items, per_page=6)
    assert page.object_list == [18, 19, 20, 21, 22] and not page.has_next and page.count == 23


def test_a_single_page_is_counted_by_its_rows() -> None:
    """When page 1 holds every row there is no count query: its length is the count."""
    make_enterprises(4)
    qs = Enterprise.objects.order_by("-created_at", "-id")
    with CaptureQueriesContext(connection) as ctx:
        page, _ = paginate(get(), qs, per_page=5)
    assert page.count == 4 and not page.count_capped and page.num_pages == 1 and len(page.object_list) == 4
    assert len(ctx.captured_queries) == 1 and "COUNT(" not in ctx.captured_queries[0]["sql"].upper()


def test_counts_are_taken_by_id_without_the_lists_annotations() -> None:
    from django.db.models import Count, F, Q, Value, Window
    from django.db.models.functions import Concat, RowNumber

    made = make_enterprises(23)
    labelled = Enterprise.objects.annotate(label=Concat("name", Value("·"), "credit_code")).order_by("-created_at")
    with CaptureQueriesContext(connection) as ctx:
        page, _ = paginate(get(), labelled, per_page=5)
    assert page.count == 23 and page.object_list[0].label == f"{made[0].name}·{made[0].credit_code}"
    (count_sql,) = [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"].upper()]
    assert "label" not in count_sql.lower() and "·" not in count_sql
    # Filtered on the annotation: the filter stays, only the annotated column goes.
    some = labelled.filter(label__contains="企业00")
    assert paginate(get(), some, per_page=5)[0].count == 10 == some.count()
    assert pagination.bounded_count(labelled, limit=20) == "20+"
    # An aggregate, a window, DISTINCT: counted as before, over the rows the list has.
    grouped = Enterprise.objects.annotate(users=Count("accounts")).filter(Q(users=0)).order_by("name")
    numbered = Enterprise.objects.annotate(n=Window(RowNumber(), order_by=F("id").asc())).order_by("name")
    district_ids = Enterprise.objects.values("district").distinct().order_by("district")
    assert paginate(get(), grouped, per_page=5)[0].count == 23 == len(list(grouped))
    assert paginate(get(), numbered, per_page=5)[0].count == 23
    assert pagination.bounded_count(district_ids) == "1" == str(len(list(district_ids)))


def _same_page(a: pagination.Page, b: pagination.Page) -> bool:
    fields = ("number", "count", "count_capped", "has_next", "has_previous", "approximate", "numbered")
    queries = ("next_query", "previous_query", "first_query", "last_query")
    return (
        [e.pk for e in a.object_list] == [e.pk for e in b.object_list]
        and all(getattr(a, f) == getattr(b, f) for f in fields + queries)
        and a.num_pages == b.num_pages
    )


@pytest.mark.parametrize("made", [0, 4, 5, 6, 23])
def test_a_count_read_with_the_page_is_the_count_and_one_query_fewer(
    made: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`count_with_page`: the same page (rows, count, capped or not, every link) as the separate
    count gives, in one query where that count would be a second; past COUNT_LIMIT as well."""
    monkeypatch.setattr(pagination, "COUNT_LIMIT", 12)
    make_enterprises(made)
    lists = [
        Enterprise.objects.order_by("-created_at", "-id"),
        Enterprise.objects.filter(name__contains="企业00").order_by("name"),
        Enterprise.objects.none().order_by("name"),
        # Named tuples (the committee's lists): the count is one of their columns.
        Enterprise.objects.values_list("pk", "id", "name", "created_at", named=True).order_by("-created_at", "-id"),
    ]
    for qs in lists:
        with CaptureQueriesContext(connection) as separate:
            before, _ = paginate(get(), qs, per_page=5)
        with CaptureQueriesContext(connection) as together:
            after, _ = paginate(get(), qs, per_page=5, count_with_page=True)
        assert _same_page(before, after), (made, str(qs.query) if not qs.query.is_empty() else "none")
        # A count was needed where page 1 is not the only one.
        assert len(together) == len(separate) - (1 if before.has_next else 0)
        # Later pages, by cursor or number, are read as before.
        for query in filter(None, (before.next_query, before.last_query)):
            assert _same_page(
                paginate(get(query), qs, per_page=5)[0], paginate(get(query), qs, per_page=5, count_with_page=True)[0]
            )


def test_a_count_read_with_the_page_keeps_distinct_and_grouped_lists_apart() -> None:
    """A DISTINCT or grouped list is counted by its own query, as before: its rows are not the
    table's rows the count's subquery would count."""
    from django.db.models import Count

    make_enterprises(23)
    grouped = Enterprise.objects.annotate(users=Count("accounts")).order_by("name")
    distinct = Enterprise.objects.distinct().order_by("name")
    for qs in (grouped, distinct):
        before, _ = paginate(get(), qs, per_page=5)
        after, _ = paginate(get(), qs, per_page=5, count_with_page=True)
        assert (before.count, before.count_capped) == (after.count, after.count_capped)
    assert paginate(get(), grouped, per_page=5, count_with_page=True)[0].count == 23


def test_a_count_leaves_out_the_joins_only_the_rows_columns_made(enterprise_a: Any, enterprise_b: Any) -> None:
    """Rows read as columns naming a related row (a person's enterprise's name) join it; their
    count does not, unless a condition reads the joined table (or a subquery might)."""
    from django.db.models import Exists, OuterRef

    from laowu.core.pagination import _count_upto, _counted
    from laowu.enterprises.models import Enterprise
    from laowu.personnel.models import SafetyOfficer
    from tests.factories import complete_person, make_id_number

    for user, n in ((enterprise_a, 3), (enterprise_b, 2)):
        for i in range(n):
            complete_person(SafetyOfficer, user, id_number=make_id_number(), name=f"张{i}")
    rows = SafetyOfficer.objects.values_list("id", "enterprise__name", named=True)
    assert "JOIN" not in str(_counted(rows).query)
    district = enterprise_a.enterprise.district_id
    by_district = rows.filter(enterprise__district_id=district)
    assert "JOIN" in str(_counted(by_district).query)
    with_subquery = rows.filter(Exists(Enterprise.objects.filter(pk=OuterRef("enterprise"))))
    assert "JOIN" in str(_counted(with_subquery).query)
    for qs in (rows, by_district, with_subquery):
        assert _count_upto(qs, 100) == len(list(qs)) > 0
