"""Substring search that stays indexed at province scale (issue 7).

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

Codes (统一社会信用代码, 身份证号) are matched by their start or their end (`LIKE 'term%'`
on the column and on its reverse), which pattern B-tree indexes answer; their digits would
make bigram lists too long to be useful.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import BooleanField, Expression, F, Model, Q, QuerySet
from django.db.models.functions import Reverse
from django.db.models.lookups import StartsWith
from django.db.models.sql.compiler import SQLCompiler

# plpgsql rather than SQL: building the GIN index calls it once per row, and the loop is
# about 3x faster than generate_series + array_agg (duplicates are harmless: GIN drops them).
BIGRAM_FUNCTION = """
CREATE OR REPLACE FUNCTION laowu_bigrams(t text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
  l text := lower(t);
  r text[] := '{}';
BEGIN
  FOR i IN 1 .. char_length(l) - 1 LOOP
    r := r || substr(l, i, 2);
  END LOOP;
  RETURN r;
END
$$
"""
MIN_INDEXED_TERM = 2


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


class BigramsContain(_ColumnCondition):
    """`laowu_bigrams(col) @> laowu_bigrams(term)`: the index half of a substring match."""

    def __init__(self, column: Any, term: str) -> None:
        super().__init__(column)
        self.term = term

    def as_sql(self, compiler: SQLCompiler, connection: Any) -> tuple[str, list[Any]]:
        sql, params = compiler.compile(self.column)
        return f"laowu_bigrams({sql}) @> laowu_bigrams(%s::text)", [*params, self.term]


class AnyOfSubquery(_ColumnCondition):
    """`col = ANY(ARRAY(subquery))`: unlike `IN (subquery)` it can be one arm of an indexed OR."""

    def __init__(self, column: Any, queryset: QuerySet[Any]) -> None:
        super().__init__(column)
        self.queryset = queryset

    def as_sql(self, compiler: SQLCompiler, connection: Any) -> tuple[str, list[Any]]:
        sql, params = compiler.compile(self.column)
        sub_sql, sub_params = self.queryset.query.get_compiler(connection=connection).as_sql()
        return f"{sql} = ANY(ARRAY({sub_sql}))", [*params, *sub_params]


def contains(column: str, term: str) -> Q:
    """Rows whose `column` contains `term` (case-insensitive), through the bigram index if any."""
    if not is_postgresql() or len(term) < MIN_INDEXED_TERM:
        return Q(**{f"{column}__icontains": term})
    if len(term) == MIN_INDEXED_TERM:
        # A two-character term is its own only bigram: containing it is the substring match.
        # Without the LIKE the planner estimates from the bigram statistics alone, and for a
        # common term walks the ordering index to the first page instead of sorting every match.
        return Q(BigramsContain(column, term))
    return Q(BigramsContain(column, term)) & Q(**{f"{column}__icontains": term})


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
) -> QuerySet[Any]:
    """`qs` narrowed to rows where any of the columns matches `term`.

    `text` columns match anywhere (bigram-indexed on PostgreSQL), `codes` from their start,
    and `related` columns through their own model's index."""
    term = term.strip()
    if not term:
        return qs
    condition = Q()
    for column in text:
        condition |= contains(column, term)
    for column in codes:
        condition |= code_match(column, term)
    for rel in related:
        if is_postgresql() and len(term) < MIN_INDEXED_TERM:
            # A one-character term has no bigram: the related table would be read whole
            # (all of a province's enterprises) to match it. It matches the row's own columns.
            continue
        inner = code_match(rel.column, term) if rel.code else contains(rel.column, term)
        if is_postgresql():
            ids = rel.model._default_manager.filter(inner).order_by().values("pk")
            condition |= Q(AnyOfSubquery(f"{rel.fk}_id", ids))
        else:
            condition |= Q(**{f"{rel.fk}__in": rel.model._default_manager.filter(inner).values("pk")})
    return qs.filter(condition)


def bigram_index_sql(table: str, column: str) -> str:
    return f'CREATE INDEX IF NOT EXISTS "{table}_{column}_bigram" ON "{table}" USING gin (laowu_bigrams("{column}"))'


def prefix_index_sql(table: str, column: str) -> str:
    # The default collation's B-tree cannot answer LIKE 'x%'; the pattern operator class can.
    return f'CREATE INDEX IF NOT EXISTS "{table}_{column}_prefix" ON "{table}" ("{column}" varchar_pattern_ops)'


def suffix_index_sql(table: str, column: str) -> str:
    return f'CREATE INDEX IF NOT EXISTS "{table}_{column}_suffix" ON "{table}" (reverse("{column}") text_pattern_ops)'


def postgresql_search_indexes(
    *,
    bigram: tuple[tuple[str, str], ...] = (),
    prefix: tuple[tuple[str, str], ...] = (),
    suffix: tuple[tuple[str, str], ...] = (),
) -> Any:
    """A migration operation creating the search indexes on PostgreSQL and nothing elsewhere.

    `bigram` columns are searched with `contains`, `prefix` and `suffix` ones with
    `code_match` (a unique CharField already has Django's own pattern index for prefixes).
    They are not declared on the models because SQLite has neither GIN nor operator classes,
    and the function must exist before any index that uses it."""
    from django.db import migrations

    statements = [bigram_index_sql(t, c) for t, c in bigram]
    statements += [prefix_index_sql(t, c) for t, c in prefix]
    statements += [suffix_index_sql(t, c) for t, c in suffix]
    names = [f"{t}_{c}_bigram" for t, c in bigram] + [f"{t}_{c}_prefix" for t, c in prefix]
    names += [f"{t}_{c}_suffix" for t, c in suffix]

    def forwards(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute(BIGRAM_FUNCTION)
        for statement in statements:
            schema_editor.execute(statement)

    def backwards(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        for name in names:
            schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')

    return migrations.RunPython(forwards, backwards, elidable=False)
