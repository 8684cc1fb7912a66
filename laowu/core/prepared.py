"""Queries whose SQL the ORM writes once per process, run many times with one value bound.

For a small UNION of aggregates that answers in a fraction of a millisecond (the enterprise
home's counts, laowu/workspace/steps.py), building and compiling the queryset costs several
times what the database takes. `run` builds the query once with a placeholder in place of
the value (an enterprise's id, a credit code), keeps the SQL and its parameters, and binds the
value where the ORM put the placeholder. `related_instances` also binds several named values
(an owner's code and a search term, which may sit in a `contains` lookup's pattern).

The rule for ``build``: the query depends on nothing but its argument and the ``key`` (no
date, no setting, no user) — anything else it depends on belongs in the key. `run`'s rows come
as the database driver gives them, without the ORM's field converters: read numbers, text and
booleans only (SQLite gives a boolean as 0/1), or sort by a timestamp of one database.
`instances` reads model instances through the converters, as the ORM does;
`related_instances` those of a query with `select_related` too, or the named tuples of a
`values_list(named=True)` one.
`value_rows` reads the `values_list` rows of such a query (a UNION ALL of several short lists
too) through the ORM's converters.
`rows_of_ids` reads the `values_list` rows of a query of many ids (``pk__in``,
``x_id__in``; a UNION ALL of several tables' too) through the ORM's converters, written once
per key and per size bucket (the ids padded to a power of two with the last id repeated, which
changes no ``IN``): a page's rows of several tables by their owner in one statement.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any, TypeVar

from django.db import connection
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators
from django.db.models.sql.compiler import SQLCompiler
from django.db.models.utils import create_namedtuple_class

# No row has these: they mark where the value goes.
INT_PLACEHOLDER = -1_987_654_321
STR_PLACEHOLDER = "\x1fprepared-placeholder\x1f"

# A key per shape of query (a handful) and per day where a date is in the key: bounded anyway.
MAX_KEPT = 256
_written: dict[tuple[Hashable, ...], tuple[str, tuple[Any, ...], type[Model]]] = {}

M = TypeVar("M", bound=Model)

# Positive: a lookup on a positive integer field (a generic relation's object id) refuses a
# negative value before writing any SQL (EmptyResultSet). Within a 32-bit key, and no row has it.
POSITIVE_INT_PLACEHOLDER = 2_087_654_321


def _placeholder(value: int | str) -> int | str:
    return POSITIVE_INT_PLACEHOLDER if isinstance(value, int) else STR_PLACEHOLDER


def _bind(params: Any, placeholder: int | str, value: int | str) -> list[Any]:
    """`params` with `value` where the ORM put `placeholder`. A field may hand its value to the
    driver typed (psycopg's Int8 for a big integer): the value is bound with that type."""
    return [type(p)(value) if isinstance(p, type(placeholder)) and p == placeholder else p for p in params]


def _sql(
    key: tuple[Hashable, ...], build: Callable[[Any], QuerySet[Any]], value: int | str
) -> tuple[str, list[Any], type[Model]]:
    """The SQL of ``build(value)``, written once per key, its parameters with the value bound,
    and the queryset's model."""
    placeholder = _placeholder(value)
    full_key = (connection.vendor, type(value).__name__, *key)
    written = _written.get(full_key)
    if written is None:
        qs = build(placeholder)
        sql, params = qs.query.sql_with_params()
        if placeholder not in params:
            raise ValueError(f"the query of {key!r} does not take its value as a parameter")
        if len(_written) >= MAX_KEPT:
            _written.clear()
        written = _written[full_key] = (sql, params, qs.model)
    sql, params, model = written
    return sql, _bind(params, placeholder, value), model


def run(key: tuple[Hashable, ...], build: Callable[[Any], QuerySet[Any]], value: int | str) -> list[tuple[Any, ...]]:
    """The rows of ``build(value)``; see the module's docstring for what ``build`` may depend on."""
    sql, params, _ = _sql(key, build, value)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def instances(key: tuple[Hashable, ...], build: Callable[[Any], QuerySet[M]], value: int | str) -> list[M]:
    """The model instances of ``build(value)``, each field read through its converters as the
    ORM reads it (`Manager.raw`). The query selects the model's own columns: no
    `select_related` (a joined table's columns would clash by name), no `values`."""
    sql, params, model = _sql(key, build, value)
    return list(model._default_manager.raw(sql, params))


# ---------------------------------------------------------------- with related rows (select_related)

_compiled: dict[tuple[Hashable, ...], tuple[str, tuple[Any, ...], SQLCompiler]] = {}
_named: dict[tuple[Hashable, ...], tuple[str, tuple[Any, ...], SQLCompiler, tuple[tuple[int, str, str, str], ...]]] = {}

# Where a named value goes in the parameters (`_slots`): the placeholder itself, or the pattern of
# a `contains`/`startswith`/`endswith` lookup (and their case-folding forms) around it.
_LIKE_FORMS = (("%", "%"), ("", "%"), ("%", ""))


def _named_placeholders(values: Mapping[str, int | str]) -> dict[str, int | str]:
    """A placeholder per name, none equal to another; a text one holds no LIKE special (% _ \\),
    so that a pattern made of it is the placeholder with the pattern's % around it."""
    return {
        name: POSITIVE_INT_PLACEHOLDER - i if isinstance(value, int) else f"\x1fprepared-placeholder-{i}\x1f"
        for i, (name, value) in enumerate(sorted(values.items()))
    }


def _slots(
    key: tuple[Hashable, ...], params: Sequence[Any], placeholders: Mapping[str, int | str]
) -> tuple[tuple[int, str, str, str], ...]:
    """(position, name, before, after) for each parameter made of a placeholder: "exact" for the
    placeholder itself, else the LIKE pattern's text around it. Every name must have a place."""
    found: list[tuple[int, str, str, str]] = []
    for position, param in enumerate(params):
        for name, placeholder in placeholders.items():
            if isinstance(placeholder, int):
                if isinstance(param, int) and param == placeholder:
                    found.append((position, name, "exact", ""))
            elif isinstance(param, str) and placeholder in param:
                before, _, after = param.partition(placeholder)
                if not before and not after:
                    found.append((position, name, "exact", ""))
                elif (before, after) in _LIKE_FORMS:
                    found.append((position, name, before, after))
                else:
                    raise ValueError(f"the query of {key!r} takes {name!r} in a form it cannot bind: {param!r}")
    if {name for _, name, _, _ in found} != set(placeholders):
        raise ValueError(f"the query of {key!r} does not take each of its values as a parameter")
    return tuple(found)


def _bind_named(
    params: Sequence[Any], slots: tuple[tuple[int, str, str, str], ...], values: Mapping[str, int | str]
) -> list[Any]:
    """`params` with each named value in its slot: as the field typed it, or escaped for LIKE
    within its pattern as the ORM escapes a lookup's value (`prep_for_like_query`)."""
    bound = list(params)
    for position, name, before, after in slots:
        value = values[name]
        if before == "exact":
            bound[position] = type(bound[position])(value)
        else:
            bound[position] = f"{before}{connection.ops.prep_for_like_query(value)}{after}"
    return bound


def related_instances(
    key: tuple[Hashable, ...], build: Callable[[Any], QuerySet[M]], value: int | str | Mapping[str, int | str]
) -> list[M]:
    """The model instances of ``build(value)`` with the related ones it reads through
    `select_related` (and its annotations), made as the ORM's own `ModelIterable` makes them,
    from the compiler kept with the SQL (its columns, the related models' places, their
    converters); a `values_list(named=True)` query's named tuples (`_named_rows`). The same
    rule for ``build`` as `run`'s.

    ``value`` may be several named values (a mapping): ``build`` then gets a mapping of the same
    names to placeholders. A text value may also be a `contains`-like lookup's (the pattern is
    kept, the value escaped for LIKE): a list filtered by an owner and searched by a term."""
    rows, here = _rows_and_compiler(key, build, value)
    select, klass_info, annotations = here.select, here.klass_info, here.annotation_col_map
    if not here.query.default_cols:  # the columns asked for (`values_list`), not the model's
        return _named_rows(here, rows)  # type: ignore[return-value]
    model = klass_info["model"]
    start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
    init_list = [column[0].target.attname for column in select[start:end]]
    populators = get_related_populators(klass_info, select, connection.alias)
    found = []
    for row in here.results_iter(results=[rows]):
        obj = model.from_db(connection.alias, init_list, row[start:end])
        for populator in populators:
            populator.populate(row, obj)
        for name, position in (annotations or {}).items():
            setattr(obj, name, row[position])
        found.append(obj)
    return found


def _named_rows(compiler: SQLCompiler, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """The rows of a `values_list(named=True)` query as the ORM's `NamedValuesListIterable` gives
    them: through the converters, as named tuples of the columns in the order the query selects
    them (its own fields, then its annotations), so each is read by name as the ORM's is."""
    query = compiler.query
    names = [*query.extra_select, *query.values_select, *query.annotation_select]
    row_class = create_namedtuple_class(*names)
    new = tuple.__new__
    return [new(row_class, row) for row in compiler.results_iter(results=[rows])]


def value_rows(
    key: tuple[Hashable, ...], build: Callable[[Any], QuerySet[Any]], value: int | str | Mapping[str, int | str]
) -> list[Sequence[Any]]:
    """The rows of ``build(value)``, a `values_list` query or a `union` of such queries, each
    value read through the converters of its column in the first query as the ORM reads them
    (a time is an aware datetime on every database, where `run` gives SQLite's text): several
    short lists of one owner, each ordered and limited in its own arm, in one statement.
    ``value`` as `related_instances`' (one value, or several named ones); the same rule for
    ``build`` as `run`'s."""
    rows, here = _rows_and_compiler(key, build, value)
    return list(here.results_iter(results=[rows]))


def _rows_and_compiler(
    key: tuple[Hashable, ...], build: Callable[[Any], QuerySet[Any]], value: int | str | Mapping[str, int | str]
) -> tuple[list[tuple[Any, ...]], SQLCompiler]:
    """The driver's rows of ``build(value)`` and a copy of its kept compiler to read them with."""
    if isinstance(value, Mapping):
        sql, params, compiler = _named_sql(key, build, value)
    else:
        sql, params, compiler = _single_sql(key, build, value)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    # The kept compiler is shared by every thread: this request's copy converts with this
    # thread's connection (`results_iter` only reads the rest).
    here = copy.copy(compiler)
    here.connection = connection
    return rows, here


def _single_sql(
    key: tuple[Hashable, ...], build: Callable[[Any], QuerySet[Any]], value: int | str
) -> tuple[str, list[Any], SQLCompiler]:
    placeholder = _placeholder(value)
    full_key = (connection.vendor, type(value).__name__, *key)
    kept = _compiled.get(full_key)
    if kept is None:
        qs = build(placeholder)
        compiler = qs.query.get_compiler(using=qs.db)
        sql, params = compiler.as_sql()  # also sets the compiler's select and klass_info
        if placeholder not in params:
            raise ValueError(f"the query of {key!r} does not take its value as a parameter")
        if len(_compiled) >= MAX_KEPT:
            _compiled.clear()
        kept = _compiled[full_key] = (sql, tuple(params), compiler)
    sql, params, compiler = kept
    return sql, _bind(params, placeholder, value), compiler


def _named_sql(
    key: tuple[Hashable, ...], build: Callable[[Any], QuerySet[Any]], values: Mapping[str, int | str]
) -> tuple[str, list[Any], SQLCompiler]:
    full_key = (connection.vendor, "named", *sorted((name, type(v).__name__) for name, v in values.items()), *key)
    kept = _named.get(full_key)
    if kept is None:
        placeholders = _named_placeholders(values)
        qs = build(placeholders)
        compiler = qs.query.get_compiler(using=qs.db)
        sql, params = compiler.as_sql()  # also sets the compiler's select and klass_info
        slots = _slots(key, params, placeholders)
        if len(_named) >= MAX_KEPT:
            _named.clear()
        kept = _named[full_key] = (sql, tuple(params), compiler, slots)
    sql, params, compiler, slots = kept
    return sql, _bind_named(params, slots, values), compiler


# ---------------------------------------------------------------- many ids (pk__in)


def _bucket(n: int) -> int:
    """The next power of two: a handful of sizes whatever the lengths asked for."""
    return 1 << max(0, n - 1).bit_length()


def _ids_compiled(
    kind: str, key: tuple[Hashable, ...], build: Callable[[list[int]], QuerySet[Any]], ids: Sequence[int]
) -> tuple[str, list[Any], SQLCompiler]:
    """The SQL of ``build(ids)``, written once per ``kind`` (how its rows are read), key and size
    bucket, its parameters with the ids bound (the last repeated to fill the bucket), and the
    compiler that wrote it (whose select converts the rows)."""
    if not ids:
        raise ValueError("no ids")
    size = _bucket(len(ids))
    # One placeholder per id, none equal to another parameter (they are far below any id).
    placeholders = [INT_PLACEHOLDER - i for i in range(size)]
    full_key = (connection.vendor, kind, size, *key)
    kept = _compiled.get(full_key)
    if kept is None:
        qs = build(placeholders)
        compiler = qs.query.get_compiler(using=qs.db)
        sql, params = compiler.as_sql()  # also sets the compiler's select, whose converters read the rows
        if not set(placeholders) <= {p for p in params if type(p) is int}:
            raise ValueError(f"the query of {key!r} does not take its ids as parameters")
        if len(_compiled) >= MAX_KEPT:
            _compiled.clear()
        kept = _compiled[full_key] = (sql, tuple(params), compiler)
    sql, params, compiler = kept
    by_placeholder = dict(zip(placeholders, [*ids, *[ids[-1]] * (size - len(ids))], strict=True))
    return sql, [by_placeholder.get(p, p) if type(p) is int else p for p in params], compiler


def rows_of_ids(
    key: tuple[Hashable, ...], build: Callable[[list[int]], QuerySet[Any]], ids: Sequence[int]
) -> list[Sequence[Any]]:
    """The rows of ``build(ids)``, a `values_list` query taking a list of ids (at least one),
    or a `union` of such queries: each value read through the converters of its column in the
    first query, as the ORM reads them (a date is a date, a boolean a boolean, on every
    database). Written once per key and size bucket."""
    sql, params, compiler = _ids_compiled("id rows", key, build, ids)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    # As `related_instances`: this request's copy of the shared compiler converts with this
    # thread's connection.
    here = copy.copy(compiler)
    here.connection = connection
    return list(here.results_iter(results=[rows]))
