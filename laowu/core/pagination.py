"""List pagination that costs the same on page 1 and on page 1,000.

`Paginator` counts every matching row and reaches page N with OFFSET, so at province scale
(a million people) each page scans up to the whole table. Here:

- counts are bounded: at most COUNT_LIMIT rows are counted, beyond that the page says
  "超过 10000 条";
- numbered pages use OFFSET only while it stays within OFFSET_LIMIT rows;
- 下一页 / 上一页 / 末页 are keyset cursors: the sort key of the last (first) row shown, so
  the next page is `WHERE (updated_at, id) < (…) ORDER BY … LIMIT n` — an index range scan
  whatever the depth.

The queryset's order_by must end in a unique column (the primary key is appended if it
does not). Same-direction orderings become one row comparison, which PostgreSQL answers
from a composite index; mixed directions fall back to the OR-expanded comparison.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import EmptyResultSet, FieldDoesNotExist, ValidationError
from django.db import connection
from django.db.models import Count, F, Field, ForeignObject, IntegerField, Model, OrderBy, Q, QuerySet, Window
from django.db.models.expressions import RawSQL
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan
from django.db.models.functions import Coalesce
from django.db.models.query import NamedValuesListIterable
from django.db.models.sql.query import Query
from django.db.models.sql.where import AND, ExtraWhere, WhereNode
from django.http import HttpRequest, QueryDict

from . import prepared as prepared_sql
from .search import ordered_count, ordered_ids, ordered_list_filters, search_estimate, search_plan

PAGE_SIZE = 20
COUNT_LIMIT = 10_000
OFFSET_LIMIT = 10_000
# The page numbers around the current one that get their own link.
NUMBER_WINDOW = 3
CURSOR_PARAMS = ("page", "after", "before", "last")


def bounded_count(qs: QuerySet[Any], limit: int = COUNT_LIMIT) -> str:
    """A count for display that reads at most `limit` + 1 rows: "10000+" beyond that."""
    n = _count_upto(qs, limit + 1)
    return f"{limit}+" if n > limit else str(n)


def _counted(qs: QuerySet[Any]) -> QuerySet[Any]:
    """`qs` as `_count_upto` counts it: unordered, by its ids where that counts the same."""
    counted = qs.order_by()
    query = counted.query
    plain = not query.distinct and query.group_by is None and not query.combinator
    if plain and not any(
        getattr(a, "contains_aggregate", False) or getattr(a, "contains_over_clause", False)
        for a in query.annotations.values()
    ):
        counted = counted.values("pk")
        _drop_select_joins(counted.query)
    return counted


def _drop_select_joins(query: Any) -> None:
    """Leave out of `query`'s FROM the joins only its former select needed: a list read as rows
    of columns (`values_list`) that names a related row (a person's enterprise's name) joins it,
    and `values("pk")` keeps the join, which would make a count read every counted row's related
    row too (and no longer count from an index alone). Only a join to the one row a foreign key
    points at is left out, which changes no count; one the conditions use, or that leads to one
    they use, is kept."""
    used: set[str] = set()
    if not _condition_aliases(query.where, used):
        return  # a subquery in the conditions may lean on any join of this query: keep them all
    for alias in list(used):
        join = query.alias_map.get(alias)
        while join is not None and getattr(join, "parent_alias", None):
            used.add(join.parent_alias)
            join = query.alias_map.get(join.parent_alias)
    for alias, join in query.alias_map.items():
        if alias not in used and isinstance(getattr(join, "join_field", None), ForeignObject):
            query.alias_refcount[alias] = 0


def _condition_aliases(node: Any, found: set[str]) -> bool:
    """Add to `found` the table aliases the conditions under `node` read; False where they hold
    what may read this query's tables unseen: a subquery, or SQL written by hand."""
    if isinstance(node, (Query, RawSQL, ExtraWhere)) or getattr(node, "subquery", False):
        return False
    alias = getattr(node, "alias", None)
    if isinstance(alias, str):
        found.add(alias)
    children = getattr(node, "children", None)
    parts = children if children is not None else getattr(node, "get_source_expressions", list)()
    return all(part is None or _condition_aliases(part, found) for part in parts)


def _count_upto(qs: QuerySet[Any], limit: int) -> int:
    """How many rows `qs` has, counting at most `limit`. The rows are counted by their ids: a
    list's annotations (the review queue's snapshot label, read out of each row's JSON) would
    otherwise be computed for every row counted, which the count never reads. Not where a row
    is more than a table row: an aggregate or window annotation (which groups or numbers the
    rows) or DISTINCT (over the selected columns) would count differently by id."""
    return _counted(qs)[:limit].count()


def counts_upto(parts: Sequence[QuerySet[Any]], limit: int) -> list[int]:
    """`_count_upto` of each of `parts`, in one statement: ``SELECT COUNT(*)`` of each counted
    slice (as `QuerySet.count` of a slice writes it), joined by UNION ALL, each count tagged
    with its place since a UNION keeps no order. Each count is planned as on its own; the page
    waits for one round trip instead of one per part. A part no row can meet (``none()``, an
    empty ``__in``: no SQL) counts 0 without asking."""
    sqls, params, counted = [], [], [0] * len(parts)
    for i, qs in enumerate(parts):
        try:
            sql, arm_params = _counted(qs)[:limit].query.sql_with_params()
        except EmptyResultSet:
            continue
        sqls.append(f"SELECT %s, COUNT(*) FROM ({sql}) laowu_counted")  # noqa: S608  # nosec B608  # the ORM's SQL, values are parameters
        params += [i, *arm_params]
    if sqls:
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(sqls), params)
            for i, n in cursor.fetchall():
                counted[i] = n
    return counted


# The bounded count's column on page 1's rows (`paginate`'s `count_with_page`).
COUNT_COLUMN = "laowu_bounded_count"


def _with_count(qs: QuerySet[Any], limit: int) -> QuerySet[Any] | None:
    """`qs` whose rows each carry `_count_upto(qs, limit)` as COUNT_COLUMN: the count's query as a
    scalar subquery of the page's, which the database runs once (it depends on no row), so the
    page and its count are one statement. None where the count is not plain SQL of `qs`'s rows
    (`_counted` keeps a DISTINCT, a grouping or a combination as they are)."""
    named = qs._iterable_class is NamedValuesListIterable
    if qs._fields is not None and not named:  # dicts or bare values: no row to carry the count
        return None
    counted = _counted(qs)
    if not counted.query.values_select:
        return None
    try:
        sql, params = counted[:limit].query.get_compiler(qs.db).as_sql()
    except EmptyResultSet:  # a condition no row meets (`none()`, an empty `__in`): no SQL to run
        return None
    count = RawSQL(f"SELECT COUNT(*) FROM ({sql}) laowu_counted", params, output_field=IntegerField())  # noqa: S608, S611  # nosec B608 B611  # the ORM's own SQL and parameters
    counting = qs.annotate(**{COUNT_COLUMN: count})
    # Named tuples have the columns asked for: the count is asked for too.
    return counting.values_list(*qs._fields, COUNT_COLUMN, named=True) if named else counting


@dataclass
class Page:
    object_list: list[Any]
    number: int
    per_page: int
    count: int  # exact up to COUNT_LIMIT
    count_capped: bool  # more rows than COUNT_LIMIT: `count` is a floor
    has_next: bool
    has_previous: bool
    approximate: bool = False  # `count` is a search's estimate, not counted
    next_query: str = ""
    previous_query: str = ""
    first_query: str = ""
    last_query: str = ""
    numbered: list[tuple[int, str]] = field(default_factory=list)

    @property
    def num_pages(self) -> int | None:
        if self.count_capped:
            return None
        return max(1, -(-self.count // self.per_page))

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.object_list else 0

    def __iter__(self) -> Any:
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)


@dataclass(frozen=True)
class _Key:
    path: str  # a field path or an annotation name
    descending: bool
    field: Field | None


def _order_keys(qs: QuerySet[Any]) -> list[_Key] | None:
    """The ordering as keys, or None when it holds expressions a cursor cannot carry."""
    ordering = list(qs.query.order_by) or list(qs.model._meta.ordering)
    keys: list[_Key] = []
    for item in ordering:
        if not isinstance(item, str) or item == "?":
            return None
        descending = item.startswith("-")
        path = item.lstrip("-")
        if path == "pk":
            path = qs.model._meta.pk.name
        keys.append(_Key(path, descending, _resolve_field(qs.model, path)))
    pk_name = qs.model._meta.pk.name
    if not keys or keys[-1].path != pk_name:
        # Without a unique last key two rows could share a cursor and one would be skipped.
        direction = keys[-1].descending if keys else True
        keys.append(_Key(pk_name, direction, qs.model._meta.pk))
    return keys


def _resolve_field(model: type[Model], path: str) -> Field | None:
    current: Any = model
    found: Field | None = None
    for part in path.split("__"):
        try:
            found = current._meta.get_field(part)
        except (FieldDoesNotExist, AttributeError):
            return None  # an annotation: its value is read off the row, untyped
        if found.is_relation and found.related_model is not None:
            current = found.related_model
    if found is not None and found.is_relation:
        return found.target_field  # type: ignore[union-attr, no-any-return]
    return found


def _row_value(row: Any, key: _Key) -> Any:
    value = row
    parts = key.path.split("__")
    for i, part in enumerate(parts):
        if value is None:
            return None
        last = i == len(parts) - 1
        if last and key.field is not None and key.field.is_relation is False and hasattr(value, f"{part}_id"):
            part = f"{part}_id"
        value = getattr(value, part)
    if isinstance(value, Model):
        return value.pk
    return value


def _json_default(value: Any) -> Any:
    # Full precision: DjangoJSONEncoder rounds datetimes to milliseconds, and a cursor a few
    # microseconds early would skip the rows in between.
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (Decimal, uuid.UUID)):
        return str(value)
    raise TypeError(f"cannot put {type(value).__name__} in a cursor")


def _encode(values: Sequence[Any]) -> str:
    raw = json.dumps(list(values), default=_json_default, ensure_ascii=False, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(token: str, keys: list[_Key]) -> list[Any] | None:
    """The cursor's values typed by their fields, or None for a malformed or foreign cursor."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        values = json.loads(raw)
    except (ValueError, TypeError):
        return None
    if not isinstance(values, list) or len(values) != len(keys):
        return None
    typed = []
    for key, value in zip(keys, values, strict=True):
        if value is None:
            return None
        if key.field is not None:
            try:
                value = key.field.to_python(value)
            except (ValidationError, TypeError, ValueError):
                return None
        typed.append(value)
    return typed


def _after(keys: list[_Key], values: list[Any], *, reverse: bool) -> Q:
    """Rows strictly after `values` in the keys' order (before them with `reverse`)."""
    directions = {k.descending for k in keys}
    if len(directions) == 1:
        descending = directions.pop() != reverse
        lookup = TupleLessThan if descending else TupleGreaterThan
        return Q(lookup(Tuple(*(F(k.path) for k in keys)), tuple(values)))
    # Mixed directions have no single row comparison: (a > x) OR (a = x AND (b < y OR …)).
    condition = Q()
    for i in reversed(range(len(keys))):
        key = keys[i]
        op = "lt" if key.descending != reverse else "gt"
        step = Q(**{f"{key.path}__{op}": values[i]})
        condition = step if i == len(keys) - 1 else step | (Q(**{key.path: values[i]}) & condition)
    return condition


def _reversed(keys: list[_Key]) -> list[str]:
    return [f"{'' if k.descending else '-'}{k.path}" for k in keys]


def _query(params: QueryDict, **values: Any) -> str:
    q = params.copy()
    for name, value in values.items():
        q[name] = str(value)
    return q.urlencode()


def _fetch(qs: QuerySet[Any], start: int, stop: int, cursor: list[Any] | None = None) -> list[Any]:
    """The rows `qs[start:stop]`. A search's page is read in two steps: the page's ids in the
    list's order, without the joins the rows need, then those rows (otherwise every match the
    search reads, up to thousands, would be joined to its enterprise before the sort keeps
    21). For a search through the indexes the ids are ordered by `COALESCE(key, key)`, the
    same order, which no index provides: the planner reads the matches and sorts them, as
    `search` chose, rather than walking the list's order testing every row. An "ordered" search's
    ids come from its walk of a gram's postings, which starts after `cursor` (the keys of the row
    the page follows) rather than testing every posting before it."""
    plan = search_plan(qs)
    if plan is None:
        return list(qs[start:stop])
    if plan == "ordered":
        # The ids come from the gram table's copies of the list's filter columns (a filing's state,
        # its enterprise's district), kept by triggers; the rows are read with the list's own filters
        # again, so postings out of step could never show a row the list excludes.
        return _rows_by_id(qs, ordered_ids(qs, start, stop, cursor), keep=ordered_list_filters(qs))
    ids_qs = qs
    if plan == "indexed":
        ids_qs = qs.order_by(*(_unindexed(item) for item in qs.query.order_by))
    return _rows_by_id(qs, list(ids_qs.values_list("pk", flat=True)[start:stop]))


def _fetch_counted(qs: QuerySet[Any], stop: int) -> tuple[list[Any], int]:
    """Page 1 of a search through the indexes, and how many rows match, in one read: that
    page's query reads and sorts every match anyway (`_fetch`), so it counts them on the way
    (a separate count would read them all again, the same heap pages: half the page's time)."""
    ids_qs = qs.order_by(*(_unindexed(item) for item in qs.query.order_by)).annotate(laowu_matches=Window(Count("pk")))
    pairs = list(ids_qs.values_list("pk", "laowu_matches")[:stop])
    return _rows_by_id(qs, [pk for pk, _ in pairs]), pairs[0][1] if pairs else 0


def _rows_by_id(qs: QuerySet[Any], ids: list[Any], *, keep: int = 0) -> list[Any]:
    """The rows of `ids`, in that order; of `qs`'s conditions only the first `keep` (the list's own
    filters, before the search's) are tested again: the search is done, the ids say which rows."""
    if not ids:
        return []
    rows = qs.order_by()
    where = rows.query.where
    rows.query.where = WhereNode(where.children[:keep] if where.connector == AND else [])
    by_id = {row.pk: row for row in rows.filter(pk__in=ids)}
    return [by_id[pk] for pk in ids if pk in by_id]


def _unindexed(item: Any) -> Any:
    if not isinstance(item, str):
        return item
    path = item.lstrip("-")
    return OrderBy(Coalesce(F(path), F(path)), descending=item.startswith("-"))


def _round_estimate(n: int) -> int:
    """An estimate to two significant digits: 62,191 is shown as 约 62000."""
    if n < 100:
        return max(n, 1)
    scale = 10 ** (len(str(n)) - 2)
    return round(n / scale) * scale


def _request_page(request: HttpRequest) -> tuple[QueryDict, int]:
    """The query string without paging parameters, and the page number asked for (1 if none)."""
    params = request.GET.copy()
    for name in (*CURSOR_PARAMS, "at"):
        params.pop(name, None)
    try:
        return params, max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return params, 1


def _numbered(params: QueryDict, number: int, reachable: int) -> list[tuple[int, str]]:
    """Links to the page numbers around the current one, up to the last reachable page."""
    low, high = max(1, number - NUMBER_WINDOW), min(reachable, number + NUMBER_WINDOW)
    return [(n, _query(params, page=n)) for n in range(low, high + 1)]


@dataclass(frozen=True)
class PreparedList:
    """A list's queryset as ``build(values)``, for `paginate` with `count_with_page`: its page 1
    (the one nearly every visit reads) and count are one statement whose SQL is written once per
    process and per ``key`` (laowu/core/prepared.py `related_instances`): building and compiling
    the queryset would cost more than the database takes to answer. Every other page (a cursor,
    a page number, 末页) is read from ``build(values)`` as a queryset's. The rule for ``build`` is
    prepared.py's: it depends on nothing but its values and the ``key``; it narrows by no search
    (`search`'s plans choose by the values) and is ordered to the end by plain fields."""

    key: tuple[Hashable, ...]
    build: Callable[[Mapping[str, Any]], QuerySet[Any]]
    values: Mapping[str, int | str]


# A PreparedList's order as cursor keys, per key: they depend on its shape, not on its values.
_prepared_keys: dict[tuple[Hashable, ...], list[_Key]] = {}


def _prepared_first_page(
    request: HttpRequest, prepared: PreparedList, number: int, per_page: int, params: QueryDict
) -> Page | None:
    """Page 1 of `prepared` with its count, as `paginate` reads it from the queryset; None for
    any other page (a cursor `_decode` accepts, 末页, a page number)."""
    keys = _prepared_keys.get(prepared.key)
    if keys is None:
        keys = _order_keys(prepared.build(prepared.values))
        if keys is None:
            raise ValueError(f"{prepared.key!r} is not ordered by fields a cursor can carry")
        if len(_prepared_keys) >= prepared_sql.MAX_KEPT:
            _prepared_keys.clear()
        _prepared_keys[prepared.key] = keys
    cursor = request.GET.get("after") or request.GET.get("before")
    if number != 1 or request.GET.get("last") or (cursor and _decode(cursor, keys) is not None):
        return None
    ordering = [("-" if k.descending else "") + k.path for k in keys]

    def build(placeholders: Mapping[str, Any]) -> QuerySet[Any]:
        qs = prepared.build(placeholders).order_by(*ordering)
        counting = _with_count(qs, COUNT_LIMIT + 1) if search_plan(qs) is None else None
        if counting is None:
            raise ValueError(f"{prepared.key!r} has no page 1 with its count in one statement")
        return counting[: per_page + 1]

    rows = prepared_sql.related_instances(("paginate", per_page, *prepared.key), build, prepared.values)
    if len(rows) <= per_page:
        count, capped = len(rows), False
    else:
        matches = getattr(rows[0], COUNT_COLUMN)
        count, capped = min(matches, COUNT_LIMIT), matches > COUNT_LIMIT
    last_pages = -(-count // per_page) if count else 1
    page = Page(rows[:per_page], 1, per_page, count, capped, len(rows) > per_page, False)
    return _links(page, params, keys, last_pages)


def paginate(
    request: HttpRequest,
    qs: QuerySet[Any] | list[Any] | PreparedList,
    per_page: int = PAGE_SIZE,
    *,
    count_with_page: bool = False,
) -> tuple[Page, str]:
    """The requested page and the query string without paging parameters (for export links).

    `count_with_page`: page 1 of a list not narrowed by a search reads its count in the same
    statement as its rows (`_with_count`), one query fewer. A `PreparedList`'s page 1 is then
    that statement written once per process (`_prepared_first_page`). Only where the count is cheap
    whatever the rows: a list of a few rows would otherwise pay for a count the page's length
    already gives, and for a search's matches that count reads as much as the page again."""
    params, number = _request_page(request)
    if isinstance(qs, list):
        return _list_page(qs, number, per_page, params), params.urlencode()
    if isinstance(qs, PreparedList):
        if count_with_page and (page := _prepared_first_page(request, qs, number, per_page, params)) is not None:
            return page, params.urlencode()
        qs = qs.build(qs.values)

    keys = _order_keys(qs)
    if keys is not None:
        qs = qs.order_by(*(("-" if k.descending else "") + k.path for k in keys))
    after, before = request.GET.get("after"), request.GET.get("before")
    values = None
    if keys is not None and (after or before):
        values = _decode(after or before or "", keys)

    # Page 1 is read first: when it is the only page its length is the count, and the count
    # query (as long again for a search's matches) is not needed.
    first_rows, matches = None, None
    if number == 1 and values is None and not request.GET.get("last"):
        if search_plan(qs) == "indexed" and not qs.query.distinct:
            first_rows, matches = _fetch_counted(qs, per_page + 1)
        elif count_with_page and search_plan(qs) is None and (counting := _with_count(qs, COUNT_LIMIT + 1)) is not None:
            first_rows = _fetch(counting, 0, per_page + 1)
            matches = getattr(first_rows[0], COUNT_COLUMN) if first_rows else 0
        else:
            first_rows = _fetch(qs, 0, per_page + 1)
    estimate = search_estimate(qs)
    approximate = False
    if first_rows is not None and len(first_rows) <= per_page:
        count, capped = len(first_rows), False
    elif matches is not None:
        count, capped = min(matches, COUNT_LIMIT), matches > COUNT_LIMIT
    elif search_plan(qs) == "ordered":
        # Counted as the page was read, along the postings' order, up to the bound.
        matches = ordered_count(qs, COUNT_LIMIT + 1)
        count, capped = min(matches, COUNT_LIMIT), matches > COUNT_LIMIT
    elif estimate is not None:
        # A common search term walked in the list's order: counting its matches would read them
        # all, so the page says about how many there are and offers no numbered pages.
        count, capped, approximate = _round_estimate(estimate), True, True
    else:
        count = _count_upto(qs, COUNT_LIMIT + 1)
        capped = count > COUNT_LIMIT
        count = min(count, COUNT_LIMIT)
    last_pages = -(-count // per_page) if count else 1

    if keys is not None and values is not None and after:
        rows = _fetch(qs.filter(_after(keys, values, reverse=False)), 0, per_page + 1, values)
        has_next, rows = len(rows) > per_page, rows[:per_page]
        has_previous = True
    elif keys is not None and values is not None and before:
        rows = _fetch(qs.filter(_after(keys, values, reverse=True)).order_by(*_reversed(keys)), 0, per_page + 1, values)
        has_previous, rows = len(rows) > per_page, rows[:per_page]
        rows.reverse()
        has_next = True
        if not has_previous:
            number = 1
    elif keys is not None and request.GET.get("last") and count:
        # The tail of the list read backwards: as cheap as the first page.
        tail = count - (last_pages - 1) * per_page if not capped else per_page
        rows = _fetch(qs.order_by(*_reversed(keys)), 0, per_page + 1)
        has_previous = len(rows) > per_page
        rows = rows[: min(per_page, tail)] if not capped else rows[:per_page]
        rows.reverse()
        has_next = False
        number = last_pages if not capped else max(number, 2)
    else:
        # Numbered page: OFFSET, but never deeper than OFFSET_LIMIT rows.
        max_number = max(1, OFFSET_LIMIT // per_page if capped else min(last_pages, OFFSET_LIMIT // per_page))
        number = 1 if approximate else min(number, max_number)
        start = (number - 1) * per_page
        rows = first_rows if number == 1 and first_rows is not None else _fetch(qs, start, start + per_page + 1)
        has_next, rows = len(rows) > per_page, rows[:per_page]
        has_previous = number > 1

    page = Page(rows, number, per_page, count, capped, has_next, has_previous, approximate=approximate)
    return _links(page, params, keys, last_pages), params.urlencode()


def _links(page: Page, params: QueryDict, keys: list[_Key] | None, last_pages: int) -> Page:
    """`page` with its links: first, previous, next, last (keyset cursors where `keys`) and numbers."""
    rows, number, per_page, capped = page.object_list, page.number, page.per_page, page.count_capped
    has_next, has_previous = page.has_next, page.has_previous
    page.first_query = _query(params, page=1)
    if keys is not None and rows:
        first_cursor = _encode([_row_value(rows[0], k) for k in keys])
        last_cursor = _encode([_row_value(rows[-1], k) for k in keys])
        if has_next:
            page.next_query = _query(params, page=number + 1, after=last_cursor)
        if has_previous:
            page.previous_query = (
                page.first_query if number == 2 else _query(params, page=number - 1, before=first_cursor)
            )
        if has_next:
            page.last_query = _query(params, page=last_pages, last=1) if not capped else _query(params, last=1)
    else:
        if has_next:
            page.next_query = _query(params, page=number + 1)
            page.last_query = _query(params, page=min(last_pages, max(1, OFFSET_LIMIT // per_page)))
        if has_previous:
            page.previous_query = _query(params, page=number - 1)
    if not capped and page.num_pages and page.num_pages > 1:
        page.numbered = _numbered(params, number, min(page.num_pages, OFFSET_LIMIT // per_page))
    return page


def _list_page(items: list[Any], number: int, per_page: int, params: QueryDict) -> Page:
    """An already-bounded list held in memory (e.g. a few hundred computed rows)."""
    count = len(items)
    last_pages = max(1, -(-count // per_page))
    number = min(number, last_pages)
    rows = items[(number - 1) * per_page : number * per_page]
    page = Page(rows, number, per_page, count, False, number < last_pages, number > 1)
    page.first_query = _query(params, page=1)
    if page.has_next:
        page.next_query = _query(params, page=number + 1)
        page.last_query = _query(params, page=last_pages)
    if page.has_previous:
        page.previous_query = _query(params, page=number - 1)
    if last_pages > 1:
        page.numbered = _numbered(params, number, last_pages)
    return page


def paginate_segments(
    request: HttpRequest, segments: Sequence[list[Any] | QuerySet[Any]], per_page: int = PAGE_SIZE
) -> tuple[Page, str]:
    """One list made of consecutive parts: in-memory lists (already bounded) and querysets.

    E.g. the credit list by score: the few scored enterprises below the base score, then
    the many at the base score (a queryset in name order), then those above. The cursor
    names the part and the position in it (a list index, or a keyset cursor in a
    queryset), so 下一页 is as cheap at any depth; numbered pages use offsets within
    OFFSET_LIMIT rows as `paginate` does."""
    params, number = _request_page(request)
    sizes, capped = [], False
    keys: list[list[_Key] | None] = []
    parts: list[list[Any] | QuerySet[Any]] = []
    # The querysets' counts in one statement rather than one each.
    counted = iter(counts_upto([part for part in segments if not isinstance(part, list)], COUNT_LIMIT + 1))
    for part in segments:
        if isinstance(part, list):
            sizes.append(len(part))
            keys.append(None)
            parts.append(part)
            continue
        size = next(counted)
        capped = capped or size > COUNT_LIMIT
        sizes.append(min(size, COUNT_LIMIT))
        part_keys = _order_keys(part)
        if part_keys is not None:
            part = part.order_by(*(("-" if k.descending else "") + k.path for k in part_keys))
        keys.append(part_keys)
        parts.append(part)
    count = min(sum(sizes), COUNT_LIMIT)
    capped = capped or sum(sizes) > COUNT_LIMIT
    last_pages = max(1, -(-count // per_page))

    # Where the page starts: (part, list index or queryset offset, keyset values or None).
    start: tuple[int, int, list[Any] | None] | None = None
    at = request.GET.get("at", "")
    if at and "." in at:
        head, token = at.split(".", 1)
        if head.isdigit() and int(head) < len(parts):
            i = int(head)
            if keys[i] is None and token.isdigit():
                start = (i, int(token), None)
            elif keys[i] is not None:
                values = _decode(token, keys[i])  # type: ignore[arg-type]
                if values is not None:
                    start = (i, 0, values)
    if start is None:
        number = min(number, max(1, OFFSET_LIMIT // per_page if capped else min(last_pages, OFFSET_LIMIT // per_page)))
        offset = (number - 1) * per_page
        i = 0
        while i < len(parts) - 1 and offset >= sizes[i]:
            offset -= sizes[i]
            i += 1
        start = (i, offset, None)

    rows: list[Any] = []
    origin: list[int] = []
    i, offset, values = start
    while i < len(parts) and len(rows) <= per_page:
        part, wanted = parts[i], per_page + 1 - len(rows)
        if isinstance(part, list):
            taken = part[offset : offset + wanted]
        elif values is not None and keys[i] is not None:
            taken = list(part.filter(_after(keys[i], values, reverse=False))[:wanted])  # type: ignore[arg-type]
        else:
            taken = list(part[offset : offset + wanted])
        rows += taken
        origin += [i] * len(taken)
        i, offset, values = i + 1, 0, None
    has_next = len(rows) > per_page
    rows, origin = rows[:per_page], origin[:per_page]
    page = Page(rows, number, per_page, count, capped, has_next, number > 1)
    page.first_query = _query(params, page=1)
    if has_next and rows:
        last_part = origin[-1]
        if keys[last_part] is None:
            position = start[1] + origin.count(last_part) if last_part == start[0] else origin.count(last_part)
            page.next_query = _query(params, page=number + 1, at=f"{last_part}.{position}")
        else:
            cursor = _encode([_row_value(rows[-1], k) for k in keys[last_part]])  # type: ignore[union-attr]
            page.next_query = _query(params, page=number + 1, at=f"{last_part}.{cursor}")
    if number > 1 and number - 1 <= OFFSET_LIMIT // per_page:
        page.previous_query = _query(params, page=number - 1)
    if not capped and last_pages > 1:
        reachable = min(last_pages, OFFSET_LIMIT // per_page)
        page.numbered = _numbered(params, number, reachable)
        if number < reachable:
            page.last_query = _query(params, page=reachable)
    return page, params.urlencode()
