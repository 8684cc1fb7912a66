"""Substring search that stays indexed at province scale.

The figures behind the choices below are in docs/benchmarks/README.md ("Measurements behind
design choices").

Chinese text has no word boundaries, so searches are substring matches (`%term%`), which a
B-tree cannot answer and pg_trgm does not answer for 1–2 character Chinese terms. On
PostgreSQL each searchable column gets a GIN index over `laowu_bigrams(column)`, the set of
its lower-cased 2-character substrings. A term of two or more characters is contained in a
text only if all of the term's bigrams are, so

    laowu_bigrams(col) @> laowu_bigrams(term)  AND  upper(col) LIKE upper('%term%')

finds candidates through the index and rechecks them exactly. Other databases (SQLite in
development and tests) keep the plain `icontains`, which is exact and fine for small data.

A search over several columns is an OR of such conditions; for it to stay indexed every arm
must be indexable, so a column of a related table (e.g. the enterprise's name on a person
list) is matched as `enterprise_id = ANY(ARRAY(SELECT id FROM enterprise WHERE …))`, which
PostgreSQL answers with the foreign key's index after evaluating the subquery once.

A column of codes matched anywhere (合同编号: HT-3209-2025-0290012) also gets a GIN index over
`laowu_trigrams(column)`, its 3-character substrings, used for ASCII terms of three or more
characters. Digits have only 100 bigrams, each in most numbers, so the bigram index cannot
narrow a piece of a number and the search walked the whole list; there are 1,000 digit
trigrams, and the rarest three of a term's narrow it to a few hundred candidates. pg_trgm is
not used for this: it splits words at '-' and pads them, so a piece spanning a hyphen
('5-029') gives it no trigram to look up, and it reads every trigram's list where the rarest
three suffice.

A column of names can have a trigram index too (项目名称), used for Chinese terms of three or more
characters. A place name's bigrams are each common (山市 in every 昆山市…, 元和 in every 元和…), and a
term joining two of them (山市元和) was looked up by bigrams that all occur, not adjacent, in several
times as many rows as hold the term: each such candidate was a heap fetch the recheck threw away.
Its rarest trigrams (山市元) are about as common as the term. Which index serves which terms is read
from the index's statistics (codes or names), and only the lookup changes: the plan of such a term
is still chosen on its bigrams' statistics, as the walk's estimate "约 N 条" is.

Codes (统一社会信用代码, 身份证号) are matched by their start or their end (`LIKE 'term%'`
on the column and on its reverse), which pattern B-tree indexes answer; their digits would
make bigram lists too long to be useful.

Choosing the plan. A list page wants the first 21 matches in the list's order. Two plans can
give them: read every match through the indexes and sort them (cost ∝ matches), or walk the
list's ordering index and test each row until 21 match (cost ∝ rows / matches × 21). Each is
fast where the other is slow: a rare name through the walk reads the whole table, a common
word through the indexes sorts tens of thousands of rows. The planner cannot choose well by
itself: it multiplies the bigrams' frequencies as if independent, and does not know that the
exact LIKE recheck keeps almost every candidate. So `search` estimates the matches itself from
the bigram index's own statistics (ANALYZE's most common elements: with the default
statistics target every bigram in more than about 0.1% of the rows is listed, well below
where the plans cross) and writes the condition for one plan only. A walked row and a match
read through the indexes cost about the same (a heap fetch each) unless the list's order has a
covering index holding the searched columns: then a walked row is an index entry, about a
tenth of a heap fetch (`walk_cost`).
Below √(rows × 21 × walk_cost) matches the condition is the indexed one and pagination orders
the page's ids by COALESCE(key, key), which no index provides, so the planner reads the
matches and sorts them. Above, the condition is a plain substring test (`Contains`) the walk
applies row by row, and the estimate stays on the queryset so that pagination shows "约 N 条"
instead of counting.

A term common by its rarest bigram but rare by all of them taken as independent is either a
phrase (湖花园: 湖花 is nearly always followed by 园, so it is as common as 湖花) or a rare
combination of common pairs (花台区水). The statistics cannot tell them apart, so the list's
first rows in its own order are read and tested (`_walk_is_dense`): a walk's cost is set by
how often the rows it meets match, which this measures directly, at the cost of 1,000 rows
(counting the matches through the indexes instead costs more than either plan).

A piece of a code can be common and still absent from the list's first rows: a year (2025, '24-')
is in a third of the filings and in none of the newest, so the walk reads every newer row before
its first match and the indexes read and sort all its matches; neither is cheap. For a code column
with an ordered gram table (`OrderedGrams`, kept by triggers) such a term gets a third plan,
"ordered": the postings of its rarest trigram in the list's order, each rechecked against the whole
term in the index entry itself, so that a page costs the postings read until 21 match, and the
bounded count the postings read until COUNT_LIMIT + 1 match. The term's other columns are read
through their indexes and merged in, which `search` allows only when they match it rarely.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, replace
from typing import Any

from django.db import connection, transaction
from django.db.models import BooleanField, Expression, ExpressionWrapper, F, Model, Q, QuerySet
from django.db.models.expressions import Col, RawSQL
from django.db.models.functions import Reverse
from django.db.models.lookups import Exact, In, Lookup, StartsWith
from django.db.models.sql.compiler import SQLCompiler
from django.db.models.sql.constants import INNER
from django.db.models.sql.datastructures import Join
from django.db.models.sql.query import Query

# plpgsql rather than SQL: building the GIN index calls it once per row, and the loop is
# about 3x faster than generate_series + array_agg (duplicates are harmless: GIN drops them).
_GRAM_FUNCTION = """
CREATE OR REPLACE FUNCTION {name}(t text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
  l text := lower(t);
  r text[] := '{{}}';
BEGIN
  FOR i IN 1 .. char_length(l) - {n} + 1 LOOP
    r := r || substr(l, i, {n});
  END LOOP;
  RETURN r;
END
$$
"""
GRAM_FUNCTIONS = {2: "laowu_bigrams", 3: "laowu_trigrams"}
GRAM_INDEX_SUFFIX = {2: "bigram", 3: "trigram"}
BIGRAM_FUNCTION = _GRAM_FUNCTION.format(name=GRAM_FUNCTIONS[2], n=2)
TRIGRAM_FUNCTION = _GRAM_FUNCTION.format(name=GRAM_FUNCTIONS[3], n=3)
MIN_INDEXED_TERM = 2
# Terms this long use a column's trigram index where it has one of text like theirs (`_gram_size`).
MIN_TRIGRAM_TERM = 3
# At most this many of a term's bigrams are looked up in the index (the rarest; `contains`).
LOOKED_UP_GRAMS = 3
# Query attributes (copied with the query on every clone): that it is a search, and a walk
# search's estimate of its matches.
SEARCH_ATTR = "laowu_search"
ESTIMATE_ATTR = "laowu_search_estimate"
# … and an "ordered" search's walk of a gram's postings (`_OrderedWalk`).
ORDERED_ATTR = "laowu_search_ordered"
# Rows a page reads: its 20 and the one that says whether there is a next page.
PAGE_ROWS = 21
GRAM_STATS_SECONDS = 600.0
# A list this small (one enterprise's) is read through its own index and each row tested.
WALK_MIN_ROWS = 10_000
# Rows of the list's order read to decide an uncertain term (`_walk_is_dense`), for a walk whose
# rows cost a heap fetch each; a cheaper walk reads more of them for the same cost, up to the most.
WALK_SAMPLE_ROWS = 1000
WALK_SAMPLE_MAX_ROWS = 4000
# `search(walk_cost=…)` for a list ordered by a covering index that holds the searched columns.
COVERED_WALK_COST = 0.1
# A match read through the indexes (its heap row, the recheck, the list's joins) against a row of a
# list tested by itself (an index probe and its heap row).
INDEXED_MATCH_COST = 2.0


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


class _ColumnCondition(Expression):
    """A boolean condition on one column, written as SQL by the subclass."""

    output_field = BooleanField()

    def __init__(self, column: Any) -> None:
        super().__init__()
        self.column = column if hasattr(column, "resolve_expression") else F(column)

    def get_source_expressions(self) -> list[Any]:
        return [self.column]

    def set_source_expressions(self, exprs: list[Any]) -> None:
        (self.column,) = exprs


class _TermCondition(_ColumnCondition):
    """`template` filled with the column's SQL; the term is its one parameter."""

    template = ""

    def __init__(self, column: Any, term: str | list[str]) -> None:
        super().__init__(column)
        self.term = term

    def as_sql(self, compiler: SQLCompiler, connection: Any) -> tuple[str, list[Any]]:
        sql, params = compiler.compile(self.column)
        return self.template.format(column=sql), [*params, self.term]


class GramsContain(_TermCondition):
    """`laowu_bigrams(col) @> ARRAY[grams]` (or laowu_trigrams): the index half of a substring match."""

    def __init__(self, column: Any, grams: list[str]) -> None:
        super().__init__(column, grams)  # type: ignore[arg-type]
        self.template = f"{GRAM_FUNCTIONS[len(grams[0])]}({{column}}) @> %s::text[]"


class Contains(_TermCondition):
    """`strpos(upper(col), upper(term)) > 0`: the substring test of a walk. Unlike LIKE, which the
    planner guesses matches 0.5% of rows (and then sorts the whole table instead of walking
    it), a comparison of a function's result is taken to hold for a third of them: a walk
    search is written only for a term estimated to be common (and `strpos` needs no escaping).
    A caseless term (Chinese, digits) is looked for in the column as it is: upper() of every
    walked row was two thirds of the walk's time."""

    def __init__(self, column: Any, term: str) -> None:
        super().__init__(column, term)
        self.template = (
            "strpos({column}::text, %s::text) > 0"
            if caseless(term)
            else "strpos(upper({column}::text), upper(%s::text)) > 0"
        )


def caseless(term: str) -> bool:
    """No letter of `term` has case (Chinese, digits, '-'): it is in a text exactly when it is in
    the text's upper-cased form, so neither needs upper-casing."""
    return term.upper() == term.lower()


def _substring(path: str, term: str) -> Q:
    """The exact substring test of a row (the recheck of an indexed search, a small list's match):
    LIKE without UPPER() on both sides for a caseless term on PostgreSQL."""
    lookup = "contains" if caseless(term) and is_postgresql() else "icontains"
    return Q(**{f"{path}__{lookup}": term})


class AnyOfSubquery(_ColumnCondition):
    """`col = ANY(ARRAY(subquery))`: unlike `IN (subquery)` it can be one arm of an indexed OR."""

    def __init__(self, column: Any, queryset: QuerySet[Any]) -> None:
        super().__init__(column)
        self.queryset = queryset

    def as_sql(self, compiler: SQLCompiler, connection: Any) -> tuple[str, list[Any]]:
        sql, params = compiler.compile(self.column)
        sub_sql, sub_params = self.queryset.query.get_compiler(connection=connection).as_sql()
        return f"{sql} = ANY(ARRAY({sub_sql}))", [*params, *sub_params]


def contains(column: str, term: str, model: type[Model] | None = None) -> Q:
    """Rows whose `column` contains `term` (case-insensitive), through the bigram index if any.

    A term of three or more characters is looked up by its rarest bigrams only (by `model`'s
    statistics, when given): GIN reads every looked-up bigram's whole list of rows, and a
    common one (公司, 花园) costs more to read than the few extra rows it would rule out,
    which the exact LIKE rechecks anyway."""
    if not is_postgresql() or len(term) < MIN_INDEXED_TERM:
        return Q(**{f"{column}__icontains": term})
    grams = _looked_up_grams(column, term, model)
    if len(term) == len(grams[0]):
        # A term as long as a gram is its own only gram: containing it is the substring match.
        return Q(GramsContain(column, grams))
    return Q(GramsContain(column, grams)) & _substring(column, term)


def _gram_size(model: type[Model] | None, column: str, term: str) -> int:
    """The grams `term` is looked up by in `column`: 3 where the column has an analyzed trigram index
    of text like the term (codes for an ASCII term, names for a Chinese one) and the term is long
    enough, else 2."""
    if model is None or len(term) < MIN_TRIGRAM_TERM:
        return 2
    stats = _stats(model._meta.db_table, model._meta.get_field(column).column, 3)
    return 3 if stats is not None and stats.ascii == term.isascii() else 2


def _estimated_gram_size(model: type[Model] | None, column: str, term: str) -> int:
    """The grams whose statistics estimate `term`'s matches and choose its plan. A Chinese term's are
    its bigrams even where its trigrams look it up: the plans and the walk's "约 N 条" were set on
    them, and a phrase matches about as often as its rarest bigram anyway (`_text_estimate`)."""
    return _gram_size(model, column, term) if term.isascii() else 2


def _looked_up_grams(column: str, term: str, model: type[Model] | None) -> list[str]:
    """The grams of `term` (at least two characters) that `contains` looks up in the index."""
    n = _gram_size(model, column, term)
    grams = sorted(grams_of(term, n))
    stats = _stats(model._meta.db_table, model._meta.get_field(column).column, n) if model is not None else None
    if stats is not None and len(grams) > 1:
        by_rarity = sorted(grams, key=lambda g: (stats.freqs.get(g, stats.missing), g))
        rarest = stats.freqs.get(by_rarity[0], stats.missing)
        grams = [g for g in by_rarity[:LOOKED_UP_GRAMS] if stats.freqs.get(g, stats.missing) <= 4 * rarest]
    return grams


def grams_of(term: str, n: int = 2) -> set[str]:
    low = term.lower()
    return {low[i : i + n] for i in range(len(low) - n + 1)}


def _is_code_term(term: str) -> bool:
    """Codes are ASCII letters and digits: a Chinese term cannot match one."""
    return term.isascii() and term.replace("-", "").isalnum()


@dataclass(frozen=True)
class _GramStats:
    freqs: dict[str, float]
    # The frequency assumed for a bigram not in `freqs`. When ANALYZE kept as many bigrams as it
    # may, a missing one can be almost as common as the least common kept; when it kept fewer,
    # every bigram seen often enough was kept, and a missing one is about one row of its sample.
    missing: float
    # Most of the listed grams are ASCII: the column holds codes (合同编号), not names.
    ascii: bool = False


# (database, what, table, column) -> (value, when read): statistics change only at ANALYZE.
_catalog_cache: dict[tuple[str, ...], tuple[Any, float]] = {}


def _cached(key: tuple[str, ...], load: Any) -> Any:
    full = (str(connection.settings_dict["NAME"]), *key)
    hit = _catalog_cache.get(full)
    if hit is not None and time.monotonic() - hit[1] < GRAM_STATS_SECONDS:
        return hit[0]
    value = load()
    _catalog_cache[full] = (value, time.monotonic())
    return value


def _stats(table: str, column: str, n: int = 2) -> _GramStats | None:
    """The `n`-gram index's element statistics from pg_stats (cached per process); None when the
    index does not exist or has not been analyzed yet."""

    def load() -> _GramStats | None:
        index = gram_index_name(table, column, n)
        with connection.cursor() as cur:
            cur.execute(
                "SELECT s.most_common_elems::text::text[], s.most_common_elem_freqs,"
                " coalesce(nullif(a.attstattarget, -1), current_setting('default_statistics_target')::int)"
                " FROM pg_stats s JOIN pg_attribute a ON a.attrelid = to_regclass(s.tablename) AND a.attnum = 1"
                " WHERE s.schemaname = current_schema() AND s.tablename = %s",
                [index],
            )
            row = cur.fetchone()
        if row is None or not row[0] or not row[1]:
            return None
        elems, freqs, target = row
        # most_common_elem_freqs ends with the least and greatest frequency and the null fraction.
        least = float(freqs[len(elems)])
        full = len(elems) >= 10 * target  # ANALYZE keeps at most 10 × the statistics target
        missing = least / 2 if full else min(least / 2, 1 / (300 * target))  # it samples 300 × target rows
        ascii = 2 * sum(e.isascii() for e in elems) > len(elems)
        return _GramStats(dict(zip(elems, freqs[: len(elems)], strict=True)), missing, ascii)

    return _cached((GRAM_INDEX_SUFFIX[n], table, column), load)  # type: ignore[no-any-return]


def _reltuples(model: type[Model]) -> float:
    """The table's row count as of its last ANALYZE (cached per process); 0 if never analyzed."""
    table = model._meta.db_table

    def load() -> float:
        with connection.cursor() as cur:
            cur.execute("SELECT reltuples FROM pg_class WHERE oid = to_regclass(%s)", [table])
            row = cur.fetchone()
        return max(float(row[0]), 0.0) if row and row[0] else 0.0

    return _cached(("rows", table), load)  # type: ignore[no-any-return]


def _text_estimate(model: type[Model], column: str, term: str) -> tuple[float, float] | None:
    """The rows of `model` whose `column` contains `term`, estimated, and the fewest the
    statistics suggest; None without statistics.

    Words are far from independent bigrams (湖花 is mostly followed by 园), so a Chinese term
    matches about as often as its rarest bigram. Codes are the opposite: every digit pair is
    common, and a run of them is much rarer than any one; for them the estimate is between the
    rarest bigram and all bigrams taken as independent (their geometric mean). A code's
    trigrams are not independent either (the year and the sequence's first digits go
    together: '2516' is in 8,800 of 1M numbers, the mean said 1,400), and a term read through
    trigrams is checked against the walk's first rows anyway (`search`): the rarest trigram's
    figure, the upper one, is used. Taken as independent, the grams give the low figure."""
    n = _estimated_gram_size(model, column, term)
    stats = _stats(model._meta.db_table, model._meta.get_field(column).column, n)
    if stats is None:
        return None
    freqs = [stats.freqs.get(gram, stats.missing) for gram in grams_of(term, n)]
    share, low = min(freqs), math.prod(freqs)
    if term.isascii() and len(freqs) > 1 and n == 2:
        share = math.sqrt(share * low)
    rows = _reltuples(model)
    return share * rows, low * rows


def _planner_rows(qs: QuerySet[Any]) -> float:
    """The planner's row estimate for `qs` (B-tree prefix ranges are estimated well from histograms)."""
    sql, params = qs.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cur:
        cur.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cur.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return float(plan[0]["Plan"]["Plan Rows"])


# A subquery a list is filtered by (a reviewer's districts) is replaced by its values, up to this
# many, for the estimate of the list's rows.
INLINED_VALUES = 100


def _inlined(qs: QuerySet[Any]) -> QuerySet[Any] | None:
    """The list `qs` with each `IN (subquery)` of its filters (a reviewer's districts:
    `enterprise.district_id IN (SELECT … WHERE user_id = …)`) replaced by the subquery's few values
    (the same rows), or None when it has no such subquery (one enterprise's list).

    The planner cannot see which values a subquery gives and guesses a fixed share: a district's
    17,000 filings were estimated at 3,300, under WALK_MIN_ROWS. Used only to choose a plan that
    counts exactly over testing those rows one by one: a walk of the list's order (its count an
    estimate, "约 N 条") would change the page."""
    estimated = qs.all()
    children = estimated.query.where.children
    inlined = False
    for i, child in enumerate(children):
        if not isinstance(child, In) or not isinstance(child.rhs, Query) or child.rhs.external_aliases:
            continue
        sql, params = child.rhs.sql_with_params()
        with connection.cursor() as cur:
            cur.execute(f"SELECT * FROM ({sql}) laowu_v LIMIT %s", [*params, INLINED_VALUES + 1])  # noqa: S608  # nosec B608
            values = [row[0] for row in cur.fetchall()]
        if not values:
            return None  # an empty list: testing its rows costs nothing
        if len(values) <= INLINED_VALUES:
            children[i], inlined = In(child.lhs, values), True
    return estimated if inlined else None


# A list limited to a reviewer's districts written as a subquery was estimated by the planner at
# about a fifth of its rows, so up to about this many rows it got the exact plans (its count line
# "共 N 条") of a small list. Written as values (laowu/accounts/scope.py in_user_district_ids) it is
# estimated right; up to this many rows it keeps those plans, and so the page it showed.
PARTITIONED_EXACT_ROWS = 50_000


def _partition_listed(qs: QuerySet[Any], ordered: OrderedGrams | None) -> bool:
    """Whether `qs` is limited by a filter of listed values (not a subquery) on the column the
    ordered gram table is partitioned by (a reviewer's district ids)."""
    if ordered is None or ordered.partition is None or qs.query.where.connector != "AND":
        return False
    return any(
        isinstance(child, In)
        and isinstance(child.lhs, Col)
        and child.lhs.target.column == ordered.partition
        and not isinstance(child.rhs, Query)
        and not hasattr(child.rhs, "resolve_expression")
        for child in qs.query.where.children
    )


def _page_reads_every_row(qs: QuerySet[Any]) -> bool:
    """Whether the planner reads every row of `qs` for its first page (a Sort of them all under
    the LIMIT) rather than walking an index of its order until the page is full."""
    sql, params = qs.values("pk")[:PAGE_ROWS].query.sql_with_params()
    with connection.cursor() as cur:
        cur.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cur.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    node = plan[0]["Plan"]
    while node["Node Type"] in ("Limit", "Gather Merge") and node.get("Plans"):
        node = node["Plans"][0]
    return bool(node["Node Type"] == "Sort")


def code_match(column: str, term: str) -> Q:
    """A code that starts or ends with `term`: lists show codes masked to their two ends
    (3205**********1234), so those are the parts a clerk has to search by."""
    term = term.upper()
    return Q(**{f"{column}__startswith": term}) | Q(StartsWith(Reverse(column), term[::-1]))


@dataclass(frozen=True)
class Related:
    """A column of a related model, e.g. Related("enterprise", Enterprise, "name")."""

    fk: str
    model: type[Model]
    column: str
    code: bool = False


def search(
    qs: QuerySet[Any],
    term: str,
    *,
    text: tuple[str, ...] = (),
    codes: tuple[str, ...] = (),
    related: tuple[Related, ...] = (),
    walk_cost: float = 1.0,
    short_terms_match_related: bool = False,
    ordered: OrderedGrams | None = None,
    partition_grams: OrderedGrams | None = None,
) -> QuerySet[Any]:
    """`qs` narrowed to rows where any of the columns matches `term`.

    `text` columns match anywhere (bigram-indexed on PostgreSQL), `codes` from their start or
    end, and `related` columns through their own model's index. On PostgreSQL the condition is
    written for the plan that suits the term (module docstring); `walk_cost` is what testing one
    row of `qs`'s order costs against reading one match through the indexes: COVERED_WALK_COST
    when a covering index of that order holds every searched column and `qs` filters on nothing
    else (any other column would fetch each walked row from the table).

    A one-character term has no bigram to look up: on PostgreSQL it matches the row's own
    columns only, unless `short_terms_match_related`, where the `related` columns are tested
    on each row through a join as on SQLite (for a list whose own columns are few or none).

    `partition_grams`, a bigram table of every `text` column partitioned like `ordered` (built
    without the whole list's index), answers a list limited to some of its partition's values
    (a reviewer's districts) whatever the term (`_text_walk`)."""
    term = term.strip()
    if not term or qs.query.is_empty():
        return qs  # an empty queryset (qs.none()) has no SQL to plan
    if not is_postgresql():
        return qs.filter(_row_condition(term, text, codes, related))
    if not _is_code_term(term):
        codes, related = (), tuple(r for r in related if not r.code)
    if len(term) < MIN_INDEXED_TERM:
        # A one-character term has no bigram: the related table would be read whole (all of a
        # province's enterprises) to match it. It matches the row's own columns.
        return qs.filter(_row_condition(term, text, codes, related if short_terms_match_related else ()))
    scope = _planner_rows(qs)  # e.g. one enterprise's people, or a province's
    partitioned = _partition_listed(qs, ordered) or _partition_listed(qs, partition_grams)
    if scope <= WALK_MIN_ROWS or (partitioned and scope <= PARTITIONED_EXACT_ROWS):
        # The planner's estimate of a list limited by a subquery (a reviewer's districts) can be far
        # too low (`_inlined`): testing each of its rows is then not cheap, and a piece of a code
        # the ordered gram table can filter reads its rarest gram's postings instead (each filtered
        # in the index) where those are fewer than the list's rows by the cost of testing a row.
        # These plans count exactly (up to COUNT_LIMIT), as the test of each row does: the page and
        # its count line stay the same.
        walk = _ordered_walk(qs, term, text, codes, related, ordered, math.sqrt(scope * PAGE_ROWS))
        # Only for a list with an ordered gram table (the committee's 项目信息): the other lists'
        # plans, and the queries their pages make, stay as they were. A list given its districts as
        # values is estimated right already.
        inlined = qs if partitioned else _inlined(qs) if ordered is not None else None
        rows = scope if partitioned else _planner_rows(inlined) if inlined is not None else 0.0
        if walk is not None and _postings(qs, walk, rows) * COVERED_WALK_COST < rows:
            return _ordered_search(qs, walk, _row_condition(term, text, codes, related, walk=True))
        # Any other term on a list of some districts: the postings of its rarest bigram in those
        # districts, each rechecked in the index entry, instead of testing each of their rows (a
        # name, or a piece as common as `25`, for the page and for the exact count alike).
        text_walk = _text_walk(qs, term, text, codes, related, partition_grams) if partitioned else None
        if text_walk is not None:
            return _ordered_search(qs, text_walk, _row_condition(term, text, codes, related, walk=True))
        if inlined is not None:
            # A rare term's matches through the indexes, the list written with the subquery's values
            # so that the planner, estimating it right, reads them rather than the district's rows.
            share = _match_share(qs.model, term, text, codes, related)
            if share is not None and share[0] * _reltuples(qs.model) * INDEXED_MATCH_COST < rows:
                found = inlined.filter(_indexed_condition(qs.model, term, text, codes, related))
                setattr(found.query, SEARCH_ATTR, "indexed")
                return found
        # Found through the scope's own index (the enterprise's rows) and tested one by one.
        tested = qs.filter(_row_condition(term, text, codes, related))
        if partitioned and (not term.isascii() or _page_reads_every_row(tested)):
            # Every row of the districts tested and the matches sorted for the page: pagination's
            # plan for a search through the indexes (`search_plan`) counts them in that same read
            # on page 1, ordering by the same keys, instead of testing every row again for the
            # count. So for a name (not ASCII): names are of places, which go with districts, so
            # a district can hold far fewer of its matches than the table's statistics say and a
            # walk of the list's order the planner chose for it could read most of the table
            # (昆山 in 相城区: 47,000 buffers for page 1, against 12,000 for the district's rows). A
            # code piece or Latin text does not go with a district: where the planner walks the
            # list's order for it (common among the newest rows), its page is cheap and kept so.
            setattr(tested.query, SEARCH_ATTR, "indexed")
        return tested
    # A walk tests 21 / share rows at `walk_cost` each, the indexes read share × scope matches:
    # the two cost the same at this many matches.
    threshold = math.sqrt(scope * PAGE_ROWS * walk_cost)
    # Without statistics (not analyzed yet) a term is taken as rare: read through the indexes.
    share, low = _match_share(qs.model, term, text, codes, related) or (0.0, 0.0)
    # Common by its rarest bigram. If its bigrams taken as independent say rare (花台区水: each
    # pair is common, the four together are not), the first rows of the walk decide. Not a code
    # read through bigrams (311L): its digit pairs' lists are each most of the table, so reading
    # its matches through the indexes is never cheap, and its estimate already blends both.
    # A piece of a number read through a trigram index is cheap when rare, and a common one may
    # be common only among old rows (a year, '024-': none in the newest 600,000 filings), which
    # no statistics show: for it the walk's first rows always decide.
    trigram = any(_estimated_gram_size(qs.model, column, term) == 3 for column in text)
    walk_condition = _row_condition(term, text, codes, related, walk=True)
    common = share * scope > threshold
    if common and (
        (not trigram and (low * scope > threshold or term.isascii()))
        or _walk_is_dense(qs, walk_condition, scope, walk_cost)
    ):
        walked = qs.filter(walk_condition)
        setattr(walked.query, SEARCH_ATTR, "walk")
        setattr(walked.query, ESTIMATE_ATTR, int(share * scope))
        return walked
    # Common, but not among the list's first rows (a year: only older rows have it). Both plans
    # would be slow; the ordered gram table's postings of the term's rarest gram, walked in the
    # list's order, find the page at the cost of the postings read (`OrderedGrams`).
    walk = _ordered_walk(qs, term, text, codes, related, ordered, threshold) if common and trigram else None
    if walk is not None:
        return _ordered_search(qs, walk, walk_condition)
    # Every match read through the indexes, then sorted. Pagination orders the page's ids by
    # expressions no index provides (`search_plan` "indexed"): otherwise the planner may walk the
    # ordering index testing each row, and a rare term would be tested against the whole table.
    found = qs.filter(_indexed_condition(qs.model, term, text, codes, related))
    setattr(found.query, SEARCH_ATTR, "indexed")
    return found


def _ordered_search(qs: QuerySet[Any], walk: _OrderedWalk, condition: Q) -> QuerySet[Any]:
    found = qs.filter(condition)
    setattr(found.query, SEARCH_ATTR, "ordered")
    setattr(found.query, ORDERED_ATTR, replace(walk, conditions=len(found.query.where.children)))
    return found


def _postings(qs: QuerySet[Any], walk: _OrderedWalk, rows: float) -> float:
    """The estimated postings the walk reads at most: its gram's (its trigram index's statistics),
    or only their share in the list's `rows` when the list is limited to some values of the table's
    partition (a reviewer's districts: one range of its index each)."""
    spec = walk.grams
    stats = _stats(spec.table, spec.column, 3)
    if stats is None:
        return math.inf
    postings = stats.freqs.get(walk.gram, stats.missing) * _reltuples(qs.model)
    filters = _posting_filters(qs.query, qs.query.where.children[: walk.filtered], spec) or []
    if _partition_values(spec, filters)[0] is not None:
        postings *= min(1.0, rows / max(_reltuples(qs.model), 1.0))
    return postings


def search_plan(qs: QuerySet[Any]) -> str | None:
    """ "indexed", "walk" or "ordered" for a queryset `search` narrowed on PostgreSQL over many rows, else None:
    pagination reads such a page's ids first, ordered so that the plan stays the chosen one."""
    plan = getattr(qs.query, SEARCH_ATTR, None)
    return plan if plan in ("indexed", "walk", "ordered") else None


def _walk_is_dense(qs: QuerySet[Any], condition: Q, scope: float, walk_cost: float = 1.0) -> bool:
    """Whether a walk of `qs`'s order finds matches of `condition` often enough to be the cheaper
    plan: among its first rows, at least the share where the two plans cost the same
    (√(21 × walk_cost / scope): a walk tests 21 / share rows for a page, the indexes read
    share × scope). Near that share either plan costs about as much, so the sample's noise there
    is harmless. A cheaper walk crosses over at a lower share, which takes more rows to see: it
    reads WALK_SAMPLE_ROWS / walk_cost of them (at most WALK_SAMPLE_MAX_ROWS) for the same cost."""
    if not qs.query.order_by and not qs.query.get_meta().ordering:
        return False  # no order to walk: the page reads its matches anyway
    rows = min(WALK_SAMPLE_MAX_ROWS, max(WALK_SAMPLE_ROWS, int(WALK_SAMPLE_ROWS / walk_cost)))
    sample = qs.annotate(_laowu_match=ExpressionWrapper(condition, output_field=BooleanField()))
    matches = list(sample[:rows].values_list("_laowu_match", flat=True))
    crossover = math.sqrt(PAGE_ROWS * walk_cost / max(scope, 1.0))
    return bool(matches) and sum(map(bool, matches)) / len(matches) >= crossover


def search_estimate(qs: QuerySet[Any]) -> int | None:
    """The estimated matches of a search answered by walking the list's order (None otherwise):
    counting them would read as many rows as the walk avoids."""
    return getattr(qs.query, ESTIMATE_ATTR, None)


def _row_condition(
    term: str, text: tuple[str, ...], codes: tuple[str, ...], related: tuple[Related, ...], *, walk: bool = False
) -> Q:
    """The match tested row by row: SQLite, one enterprise's rows, and PostgreSQL's walk of a
    common term (`walk`, written with `Contains`)."""

    def anywhere(path: str) -> Q:
        return Q(Contains(path, term)) if walk else _substring(path, term)

    condition = Q()
    for column in text:
        condition |= anywhere(column)
    for column in codes:
        condition |= code_match(column, term)
    for rel in related:
        path = f"{rel.fk}__{rel.column}"
        condition |= code_match(path, term) if rel.code else anywhere(path)
    return condition


def _indexed_condition(
    model: type[Model], term: str, text: tuple[str, ...], codes: tuple[str, ...], related: tuple[Related, ...]
) -> Q:
    """The match for a rare term: (an OR of indexed arms) AND (the same match tested on the row).

    The first half is what the indexes read, the second what each row they find is rechecked
    with. Written as one OR of (bigrams AND LIKE) per column, the recheck would call
    laowu_bigrams (plpgsql) on every candidate again, several times slower. A column containing
    the term contains its bigrams, so the rows are the same."""
    found, tested = Q(), Q()
    for column in text:
        found |= Q(GramsContain(column, _looked_up_grams(column, term, model)))
        tested |= _substring(column, term)
    for column in codes:
        found |= code_match(column, term)
        tested |= code_match(column, term)
    for rel in related:
        inner = code_match(rel.column, term) if rel.code else contains(rel.column, term, rel.model)
        ids = rel.model._default_manager.filter(inner).order_by().values("pk")
        found |= Q(AnyOfSubquery(f"{rel.fk}_id", ids))
        tested |= Q(AnyOfSubquery(f"{rel.fk}_id", ids))
    return found & tested


def _match_share(
    model: type[Model], term: str, text: tuple[str, ...], codes: tuple[str, ...], related: tuple[Related, ...]
) -> tuple[float, float] | None:
    """The estimated share of the table's rows matching any arm and the lowest share the
    statistics allow, or None without statistics."""
    rows = _reltuples(model)
    if rows <= 0:
        return None
    matches = low = 0.0
    for column in text:
        found = _text_estimate(model, column, term)
        if found is None:
            return None
        matches, low = matches + found[0], low + found[1]
    if codes:
        planned = _planner_rows(model._default_manager.filter(_row_condition(term, (), codes, ())))
        matches, low = matches + planned, low + planned
    for rel in related:
        if rel.code:
            planned = _planner_rows(rel.model._default_manager.filter(code_match(rel.column, term)))
            found = (planned, planned)
        elif (found := _text_estimate(rel.model, rel.column, term)) is None:
            return None
        # Each matching related row (an enterprise) brings its share of this table's rows.
        per_row = rows / max(_reltuples(rel.model), 1.0)
        matches, low = matches + found[0] * per_row, low + found[1] * per_row
    return min(matches / rows, 1.0), min(low / rows, 1.0)


def gram_index_name(table: str, column: str, n: int) -> str:
    return f"{table}_{column}_{GRAM_INDEX_SUFFIX[n]}"


def gram_index_sql(table: str, column: str, n: int) -> str:
    name, function = gram_index_name(table, column, n), GRAM_FUNCTIONS[n]
    return f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" USING gin ({function}("{column}"))'


def prefix_index_sql(table: str, column: str) -> str:
    # The default collation's B-tree cannot answer LIKE 'x%'; the pattern operator class can.
    return f'CREATE INDEX IF NOT EXISTS "{table}_{column}_prefix" ON "{table}" ("{column}" varchar_pattern_ops)'


def suffix_index_sql(table: str, column: str) -> str:
    return f'CREATE INDEX IF NOT EXISTS "{table}_{column}_suffix" ON "{table}" (reverse("{column}") text_pattern_ops)'


def postgresql_search_indexes(
    *,
    bigram: tuple[tuple[str, str], ...] = (),
    trigram: tuple[tuple[str, str], ...] = (),
    prefix: tuple[tuple[str, str], ...] = (),
    suffix: tuple[tuple[str, str], ...] = (),
) -> Any:
    """A migration operation creating the search indexes on PostgreSQL and nothing elsewhere.

    `bigram` columns are searched with `contains` (`trigram` ones too, by terms of three or more
    characters like the column's text: ASCII for codes, Chinese for names), `prefix` and `suffix`
    ones with `code_match` (a unique CharField already has Django's own pattern index for prefixes).
    They are not declared on the models because SQLite has neither GIN nor operator classes,
    and the function must exist before any index that uses it."""
    from django.db import migrations

    grams = [(t, c, 2) for t, c in bigram] + [(t, c, 3) for t, c in trigram]
    statements = [gram_index_sql(t, c, n) for t, c, n in grams]
    statements += [prefix_index_sql(t, c) for t, c in prefix]
    statements += [suffix_index_sql(t, c) for t, c in suffix]
    names = [gram_index_name(t, c, n) for t, c, n in grams] + [f"{t}_{c}_prefix" for t, c in prefix]
    names += [f"{t}_{c}_suffix" for t, c in suffix]

    def forwards(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute(BIGRAM_FUNCTION)
        schema_editor.execute(TRIGRAM_FUNCTION)
        for statement in statements:
            schema_editor.execute(statement)

    def backwards(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        for name in names:
            schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')

    return migrations.RunPython(forwards, backwards, elidable=False)


@dataclass(frozen=True)
class OrderedGrams:
    """The ordered gram table of a code column searched on a list with a fixed order.

    A piece of a code can be common only among old rows (a year: a third of all filings, none of
    the newest). Walking the list's order then reads every newer row before the first match, and
    reading the matches through the GIN index reads and sorts all of them. This table holds one
    row per (trigram, row) with the list's sort key beside it and the code itself, indexed on
    (gram, key DESC, id DESC) INCLUDE (code): the postings of the term's rarest trigram in the
    list's order, each rechecked against the whole term in the index entry, and only a match
    joined to its row for the list's other filters. A page costs the postings read until 21
    match, small both for a rare term (its rarest gram has few postings) and for a term common
    among old rows (the gram's old postings all match).

    `keys` are the list's sort columns before the primary key `id`, all descending. `carried` are
    more of the row's columns and `related` columns of a row it points at ((foreign key column,
    related table, column): the enterprise's district), copied into each posting under their own
    names and into the index entry, so that a list filtered on them (the 状态 tab, a reviewer's
    districts) tests its filters in the index too instead of fetching each posting's row. The table
    is kept by triggers on PostgreSQL, the related columns by a trigger on the related table
    (`ordered_grams_operation`); other databases have none and never use it (`search` answers
    them with icontains)."""

    table: str
    column: str
    keys: tuple[str, ...]
    carried: tuple[str, ...] = ()
    related: tuple[tuple[str, str, str], ...] = ()
    # A carried column a list is often limited to a few values of (a reviewer's districts), with an
    # index of its own: (gram, it, keys…): the postings of those values only, one ordered range each.
    partition: str | None = None
    # More columns searched together with `column`: a posting's `code` is all of them joined by a
    # newline (which no term holds, `_text_walk`), and its grams are those of the joined text, so
    # that one posting stands for a row whichever of them holds the term.
    also: tuple[str, ...] = ()
    # The grams' length: 3 (trigrams, for pieces of a code), or 2 (bigrams: every term of two or
    # more characters has one, names and short pieces included).
    n: int = 3
    # Whether the table has the index of the whole list's order (gram, keys…): not needed by a
    # table read only for lists limited to partition values.
    walked: bool = True

    @property
    def name(self) -> str:
        return f"{self.table}_{self.column}_grams"

    def text_sql(self, row: str) -> str:
        """The posting's searched text for the row `row` (t, or NEW in a trigger)."""
        if not self.also:
            return f'{row}."{self.column}"'
        joined = ", ".join(f'{row}."{c}"' for c in (self.column, *self.also))
        return f"concat_ws(chr(10), {joined})"

    def filter_columns(self) -> tuple[str, ...]:
        """The table's columns a list's filter can be tested on: the keys and the carried ones."""
        return (*self.keys, *self.carried)

    def ordering(self) -> list[str]:
        return [*(f"-{k}" for k in self.keys), "-id"]


@dataclass(frozen=True)
class _OrderedWalk:
    grams: OrderedGrams
    gram: str
    term: str
    # The other searched columns' matches (rare: `_ordered_walk`), as a condition on the model.
    others: Q | None
    # The top-level conditions of the search's queryset: the first `filtered` are the list's filters
    # from before `search`, each tested on the postings' own columns (`_posting_filters`); then the
    # search's own; any more (but a page's cursor) are filters added after `search`, tested on
    # each matching posting's row.
    filtered: int = 0
    conditions: int = 0
    # The term is its gram (`_text_walk`): each of the gram's postings is a match, unrechecked.
    exact: bool = False


def _ordered_walk(
    qs: QuerySet[Any],
    term: str,
    text: tuple[str, ...],
    codes: tuple[str, ...],
    related: tuple[Related, ...],
    ordered: OrderedGrams | None,
    threshold: float,
) -> _OrderedWalk | None:
    """The walk for `term` when `ordered` can answer it: the list is in the table's order, the
    term is looked up by trigrams, and the other columns match it rarely (their matches are read
    through their indexes and merged into the walk)."""
    model = qs.model
    if ordered is None or codes or related or model._meta.db_table != ordered.table:
        return None
    column = next((c for c in text if model._meta.get_field(c).column == ordered.column), None)
    if column is None or _estimated_gram_size(model, column, term) != 3:
        return None
    if [str(item) for item in qs.query.order_by] != ordered.ordering():
        return None
    # A list filtered by scope, state or dates tests its filters on the postings' own columns. A
    # filter the table does not carry would fetch each matching posting's row to test it, up to
    # COUNT_LIMIT + 1 for the count: slower than reading the matches through the indexes, which
    # such a list keeps.
    filtered = _posting_filters(qs.query, qs.query.where.children, ordered)
    if filtered is None:
        return None
    others = tuple(c for c in text if c != column)
    for other in others:
        estimate = _text_estimate(model, other, term)
        if estimate is None or estimate[0] > threshold:
            return None
    condition = _indexed_condition(model, term, others, (), ()) if others else None
    return _OrderedWalk(ordered, _looked_up_grams(column, term, model)[0], term, condition, len(filtered))


def _text_walk(
    qs: QuerySet[Any],
    term: str,
    text: tuple[str, ...],
    codes: tuple[str, ...],
    related: tuple[Related, ...],
    spec: OrderedGrams | None,
) -> _OrderedWalk | None:
    """The walk of `spec`'s postings (a bigram table of every searched column, joined) for `term`
    on a list limited to some of its partition's values, or None where the table cannot answer it.

    A row holds the term in one of its columns exactly when the joined text holds it (no term holds
    the newline joining them), and the joined text then holds each of the term's grams: the
    postings of one gram, each rechecked against the whole term in its entry, are the matches. The
    gram read is the term's rarest in the columns' own bigram statistics."""
    model = qs.model
    if spec is None or spec.partition is None or codes or related or model._meta.db_table != spec.table:
        return None
    if len(term) < spec.n or "\n" in term:
        return None
    columns = {model._meta.get_field(c).column for c in text}
    if columns != {spec.column, *spec.also}:
        return None
    if [str(item) for item in qs.query.order_by] != spec.ordering():
        return None
    filtered = _posting_filters(qs.query, qs.query.where.children, spec)
    if filtered is None or _partition_values(spec, filtered)[0] is None:
        return None

    def frequency(gram: str) -> float:
        total = 0.0
        for column in columns:
            stats = _stats(spec.table, column, spec.n)
            total += stats.freqs.get(gram, stats.missing) if stats is not None else 0.0
        return total

    gram = min(sorted(grams_of(term, spec.n)), key=frequency)
    # A term as long as a gram: a row's joined text holds it exactly when the row has that posting,
    # so the postings are counted without testing each one's text (most of a count's time). Exact
    # for a caseless term (nothing lower-cases into a digit or a Chinese character) and for ASCII
    # text; a Latin term may differ from the row's test only through the few non-ASCII letters whose
    # case maps onto ASCII ones (the Kelvin sign, dotless ı), as the bigram indexes' plans do.
    exact = len(term) == spec.n and (caseless(term) or term.isascii())
    return _OrderedWalk(spec, gram, term, None, len(filtered), exact=exact)


_POSTING = "laowu_g"


def _partition_values(spec: OrderedGrams, filters: list[Any]) -> tuple[list[Any] | None, list[Any]]:
    """The values a posting filter limits `spec.partition` to (a subquery's run now: a reviewer's
    few districts), and the other filters; (None, filters) if none does or the values are many."""
    for i, condition in enumerate(filters):
        if spec.partition is None or condition.lhs.target.column != spec.partition:
            continue
        if isinstance(condition, Exact) and not hasattr(condition.rhs, "resolve_expression"):
            values = [condition.rhs]
        elif isinstance(condition, In) and isinstance(condition.rhs, Query):
            sql, params = condition.rhs.sql_with_params()
            with connection.cursor() as cur:
                cur.execute(f"SELECT * FROM ({sql}) laowu_v LIMIT %s", [*params, INLINED_VALUES + 1])  # noqa: S608  # nosec B608
                values = [row[0] for row in cur.fetchall()]
        elif isinstance(condition, In):
            values = list(condition.rhs)
        else:
            continue
        if len(values) <= INLINED_VALUES:
            return values, filters[:i] + filters[i + 1 :]
    return None, filters


def _posting_filters(query: Query, children: list[Any], spec: OrderedGrams) -> list[Any] | None:
    """`children` of `query`'s filters, each a lookup on a column the gram table carries (its row's
    sort keys and `carried` columns, or a `related` column through its foreign key's join),
    relabeled to the posting; None if any is not (an OR, a negation, another column, an expression)."""
    where = query.where
    if where.negated or (where.connector != "AND" and len(where.children) > 1):
        return None
    base = query.get_initial_alias()
    found = []
    for child in children:
        if not isinstance(child, Lookup) or not isinstance(child.lhs, Col):
            return None
        col, rhs = child.lhs, child.rhs
        if isinstance(rhs, Query):
            if rhs.external_aliases:
                return None  # refers to the outer row: only a self-contained subquery is moved
        elif hasattr(rhs, "resolve_expression"):
            return None
        if col.alias == base:
            if col.target.column not in spec.filter_columns():
                return None
        else:
            join = query.alias_map.get(col.alias)
            if not isinstance(join, Join) or join.parent_alias != base or join.join_type != INNER:
                return None
            carried = {(fk, table, column) for fk, table, column in spec.related}
            if (join.join_cols[0][0], join.table_name, col.target.column) not in carried or len(join.join_cols) != 1:
                return None
        found.append(child.relabeled_clone({col.alias: _POSTING}))
    return found


def _ordered_arms(
    qs: QuerySet[Any], cursor: list[Any] | None, limit: int, *, counted: bool = False
) -> tuple[list[tuple[str, list[Any]]], list[str], str]:
    """The first `limit` matches of an "ordered" search after `cursor`, in `qs`'s order (which may be
    the list's reversed, for 末页): each arm's (SQL, params), the columns they give (keys…, row_id;
    or only `1` if `counted`), and the direction.

    Two arms, each ordered and limited so that the planner walks an index and stops: the postings
    of the term's rarest gram whose code holds the term, and the rows the other columns match
    whose code does not (few: `_ordered_walk`), so that no row is in both."""
    walk: _OrderedWalk = getattr(qs.query, ORDERED_ATTR)
    spec, model = walk.grams, qs.model
    descending = str(qs.query.order_by[0]).startswith("-")
    direction, op = ("DESC", "<") if descending else ("ASC", ">")
    keys = [*spec.keys, "row_id"]
    walked = ", ".join(f"laowu_g.{k}" for k in keys)
    code_test = "strpos(laowu_g.code, %s) > 0" if caseless(walk.term) else "strpos(upper(laowu_g.code), upper(%s)) > 0"
    arm = f'SELECT {"1" if counted else walked} FROM "{spec.name}" laowu_g'  # noqa: S608  # nosec B608
    params: list[Any] = []
    where = qs.query.where
    if where.connector != "AND" or len(where.children) > walk.conditions + (cursor is not None):
        # Filtered after `search`: each posting's row that holds the term is tested. OFFSET 0 keeps
        # the subquery apart, so that the walk stays driven by the postings' order.
        row = qs.filter(pk=RawSQL("laowu_g.row_id", ())).order_by().values("pk")
        row_sql, row_params = row.query.sql_with_params()
        arm += f" CROSS JOIN LATERAL ({row_sql} OFFSET 0) laowu_m"
        params += row_params
    if walk.exact:
        arm += " WHERE laowu_g.gram = %s"
        params.append(walk.gram)
    else:
        arm += f" WHERE laowu_g.gram = %s AND {code_test}"
        params += [walk.gram, walk.term]
    filters = _posting_filters(qs.query, where.children[: walk.filtered], spec)
    if filters is None:  # `search` checked them: the same children of a clone
        raise ValueError("an ordered search's filters are no longer the posting's")
    parts, filters = _partition_values(spec, filters)
    compiler = qs.query.get_compiler(connection=connection)
    for condition in filters:
        condition_sql, condition_params = compiler.compile(condition)
        arm += f" AND {condition_sql}"
        params += condition_params
    if cursor is not None:
        arm += f" AND ({walked}) {op} ({', '.join(['%s'] * len(keys))})"
        params += cursor
    if counted:
        # A count wants any COUNT_LIMIT + 1 matches: unordered, the postings are read in the index's
        # order without a sort of every match (a term with fewer matches than that reads them all),
        # and a partitioned list reads its values' ranges only.
        if parts is not None:
            arm += f' AND laowu_g."{spec.partition}" = ANY(%s)'
            params.append(parts)
        arms = [(f"{arm} LIMIT %s", [*params, limit])]
    else:
        order = f" ORDER BY {', '.join(f'laowu_g.{k} {direction}' for k in keys)} LIMIT %s"
        if not parts:
            if parts is not None:  # limited to no value: an empty list
                arm += f' AND laowu_g."{spec.partition}" = ANY(%s)'
                params.append(parts)
            arms = [(arm + order, [*params, limit])]
        else:
            # One ordered range of the partition's index per value, merged by `ordered_ids`.
            arms = [(f'{arm} AND laowu_g."{spec.partition}" = %s{order}', [*params, v, limit]) for v in parts]
    if walk.others is not None:
        # `qs` holds the page's cursor already, and its order.
        column = next(f.name for f in model._meta.concrete_fields if f.column == spec.column)
        other = qs.filter(walk.others).exclude(Contains(column, walk.term)).values_list(*spec.keys, "pk")[:limit]
        other_sql, other_params = other.query.sql_with_params()
        arms.append((other_sql, list(other_params)))
    return arms, keys, direction


def ordered_ids(qs: QuerySet[Any], start: int, stop: int, cursor: list[Any] | None = None) -> list[Any]:
    """The ids of `qs[start:stop]` for an "ordered" search, after `cursor` (the list's keys) if given."""
    arms, keys, direction = _ordered_arms(qs, cursor, stop)
    union = " UNION ALL ".join(f"({sql})" for sql, _ in arms)
    order = ", ".join(f"{k} {direction}" for k in keys)
    sql = f"SELECT row_id FROM ({union}) laowu_c({', '.join(keys)}) ORDER BY {order} LIMIT %s OFFSET %s"  # noqa: S608  # nosec B608
    with connection.cursor() as cur:
        cur.execute(sql, [*(p for _, params in arms for p in params), stop - start, start])
        return [row[0] for row in cur.fetchall()]


def ordered_list_filters(qs: QuerySet[Any]) -> int:
    """How many of an "ordered" search's top-level conditions are the list's own filters (scope,
    state, dates): the first ones, from before `search`."""
    walk: _OrderedWalk = getattr(qs.query, ORDERED_ATTR)
    return walk.filtered


def ordered_count(qs: QuerySet[Any], limit: int) -> int:
    """How many rows an "ordered" search matches: exact up to `limit`, at least `limit` beyond.
    Each arm counted by itself: no merge of the two for every counted row."""
    arms, _, _ = _ordered_arms(qs, None, limit, counted=True)
    sql = " + ".join(f"(SELECT count(*) FROM ({arm}) laowu_n)" for arm, _ in arms)  # noqa: S608  # nosec B608
    with connection.cursor() as cur:
        cur.execute(f"SELECT {sql}", [p for _, params in arms for p in params])
        return int(cur.fetchone()[0])


_ORDERED_SYNC = """
CREATE OR REPLACE FUNCTION "{name}_sync"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    TRUNCATE "{name}";
    RETURN NULL;
  END IF;
  IF TG_OP <> 'INSERT' THEN
    DELETE FROM "{name}" WHERE row_id = OLD.id;
  END IF;
  IF TG_OP <> 'DELETE' AND NEW."{column}" IS NOT NULL THEN
    INSERT INTO "{name}" SELECT DISTINCT g, {new_values}
      FROM unnest({function}({text})) g;
  END IF;
  RETURN NULL;
END
$$
"""

# A related row's carried column changed (an enterprise moved to another district): its rows' postings.
_RELATED_SYNC = """
CREATE OR REPLACE FUNCTION "{name}_rel{i}_sync"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "{name}" SET "{column}" = NEW."{column}"
    WHERE row_id IN (SELECT id FROM "{table}" WHERE "{fk}" = NEW.id);
  RETURN NULL;
END
$$
"""


def _ordered_grams_columns(spec: OrderedGrams, row: str, *, joined: bool = False) -> str:
    """A posting's columns after its gram, from the row `row` (t, or NEW in a trigger): the keys, the
    id, the code, the carried columns and the related rows' ones (a subquery of each, or the
    columns of the related tables `joined` as r0, r1, …)."""
    values = [f'{row}."{k}"' for k in spec.keys]
    values += [f"{row}.id", spec.text_sql(row), *(f'{row}."{c}"' for c in spec.carried)]
    for i, (fk, table, column) in enumerate(spec.related):
        subquery = f'(SELECT r."{column}" FROM "{table}" r WHERE r.id = {row}."{fk}")'  # noqa: S608  # nosec B608
        values.append(f'r{i}."{column}"' if joined else subquery)
    return ", ".join(values)


def _ordered_grams_fill(spec: OrderedGrams) -> list[str]:
    """Fill `spec`'s (empty) table from its column and index it: one statement over the whole table,
    each row's distinct grams from the set-returning unnest, then the indexes built once."""
    name, table, column, function = spec.name, spec.table, spec.column, GRAM_FUNCTIONS[spec.n]
    desc_keys = ", ".join(f'"{k}" DESC' for k in spec.keys)
    included = ", ".join(["code", *(f'"{c}"' for c in spec.carried), *(f'"{c}"' for _, _, c in spec.related)])
    fill = f'INSERT INTO "{name}" SELECT u.gram, {_ordered_grams_columns(spec, "t", joined=True)} FROM "{table}" t'  # noqa: S608  # nosec B608
    fill += "".join(f' LEFT JOIN "{t}" r{i} ON r{i}.id = t."{fk}"' for i, (fk, t, _) in enumerate(spec.related))
    grams = f"SELECT DISTINCT unnest({function}({spec.text_sql('t')})) AS gram"
    statements = [f'{fill} CROSS JOIN LATERAL ({grams}) u WHERE t."{column}" IS NOT NULL']
    if spec.walked:
        statements.append(
            f'CREATE INDEX "{name}_walk" ON "{name}" (gram, {desc_keys}, row_id DESC) INCLUDE ({included})'
        )
    statements.append(f'CREATE INDEX "{name}_row" ON "{name}" (row_id)')
    if spec.partition:
        statements.append(
            f'CREATE INDEX "{name}_part" ON "{name}" (gram, "{spec.partition}", {desc_keys}, row_id DESC)'
            f" INCLUDE ({included})"
        )
    return [*statements, f'ANALYZE "{name}"']


def ordered_grams_sql(spec: OrderedGrams) -> list[str]:
    """Create, fill and index `spec`'s table, and the triggers that keep it in sync."""
    name, table, column, function = spec.name, spec.table, spec.column, GRAM_FUNCTIONS[spec.n]
    copied = (column, *spec.also, *spec.keys, *spec.carried, *(fk for fk, _, _ in spec.related), "id")
    changed = " OR ".join(f'OLD."{c}" IS DISTINCT FROM NEW."{c}"' for c in copied)
    # Named as in the list's tables: a list's filters on them are relabeled to the posting.
    names = ["gram", *spec.keys, "row_id", "code", *spec.carried, *(c for _, _, c in spec.related)]
    quoted = ", ".join(f'"{n}"' for n in names)
    create = f'CREATE TABLE "{name}" ({quoted})'
    create += f" AS SELECT ''::text, {_ordered_grams_columns(spec, 't')}"
    trigger = f'CREATE TRIGGER "{name}_%s" AFTER %s ON "{table}" FOR EACH %s EXECUTE FUNCTION "{name}_sync"()'
    statements = [
        BIGRAM_FUNCTION if spec.n == 2 else TRIGRAM_FUNCTION,
        f'{create} FROM "{table}" t WITH NO DATA',
        f'ALTER TABLE "{name}" ALTER COLUMN code TYPE text',
        *_ordered_grams_fill(spec),
        _ORDERED_SYNC.format(
            name=name,
            column=column,
            text=spec.text_sql("NEW"),
            function=function,
            new_values=_ordered_grams_columns(spec, "NEW"),
        ),
        trigger % ("insert_delete", "INSERT OR DELETE", "ROW"),
        trigger % ("update", "UPDATE", f"ROW WHEN ({changed})"),
        trigger % ("truncate", "TRUNCATE", "STATEMENT"),
    ]
    for i, (fk, related_table, related_column) in enumerate(spec.related):
        statements += [
            _RELATED_SYNC.format(name=name, i=i, column=related_column, table=table, fk=fk),
            f'CREATE TRIGGER "{name}_rel{i}" AFTER UPDATE OF "{related_column}" ON "{related_table}" FOR EACH ROW'
            f' WHEN (OLD."{related_column}" IS DISTINCT FROM NEW."{related_column}")'
            f' EXECUTE FUNCTION "{name}_rel{i}_sync"()',
        ]
    return statements


def drop_ordered_grams_sql(spec: OrderedGrams) -> list[str]:
    """Drop `spec`'s table, its functions and (with them) their triggers."""
    statements = [f'DROP TABLE IF EXISTS "{spec.name}"', f'DROP FUNCTION IF EXISTS "{spec.name}_sync"() CASCADE']
    statements += [f'DROP FUNCTION IF EXISTS "{spec.name}_rel{i}_sync"() CASCADE' for i in range(len(spec.related))]
    return statements


def rebuild_ordered_grams(spec: OrderedGrams) -> None:
    """Refill `spec`'s table from scratch: after a bulk load that ran without triggers
    (session_replication_role = replica, as laowu/scaledata loads)."""
    with connection.cursor() as cur:
        cur.execute(f'TRUNCATE "{spec.name}"')
        cur.execute(f'DROP INDEX IF EXISTS "{spec.name}_walk", "{spec.name}_row", "{spec.name}_part"')
        for statement in _ordered_grams_fill(spec):
            cur.execute(statement)


def ordered_grams_operation(spec: OrderedGrams, replaces: OrderedGrams | None = None) -> Any:
    """A migration operation creating `spec`'s ordered gram table on PostgreSQL (in place of the
    table `replaces` described), nothing elsewhere.

    In a migration that is not atomic (`atomic = False`) the new table is also VACUUMed: its walks
    are index-only scans only once the visibility map says its pages are all visible, and until
    autovacuum visits it each posting read fetches its heap row too (a count of 25,000 postings then
    plans as a Bitmap Heap Scan and a Sort: 30 ms instead of 5).

    The table is filled and its triggers made in one transaction that first takes the source
    tables in SHARE mode: a write the running site makes meanwhile (migrations run before the
    restart, docs/deploy.md) waits for the build instead of landing between the fill and the
    triggers, where no posting would ever be written for it and searches would miss the row."""
    from django.db import migrations

    def build(schema_editor: Any, new: OrderedGrams, old: OrderedGrams | None) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        sources = dict.fromkeys([new.table, *(table for _, table, _ in new.related)])
        with transaction.atomic(using=schema_editor.connection.alias):
            tables = ", ".join(schema_editor.quote_name(table) for table in sources)
            schema_editor.execute(f"LOCK TABLE {tables} IN SHARE MODE")
            for statement in [*(drop_ordered_grams_sql(old) if old else []), *ordered_grams_sql(new)]:
                schema_editor.execute(statement)
        if not schema_editor.connection.in_atomic_block:
            schema_editor.execute(f'VACUUM ANALYZE "{new.name}"')

    def forwards(apps: Any, schema_editor: Any) -> None:
        build(schema_editor, spec, replaces)

    def backwards(apps: Any, schema_editor: Any) -> None:
        if replaces is not None:
            build(schema_editor, replaces, spec)
        elif schema_editor.connection.vendor == "postgresql":
            for statement in drop_ordered_grams_sql(spec):
                schema_editor.execute(statement)

    return migrations.RunPython(forwards, backwards, elidable=False)
