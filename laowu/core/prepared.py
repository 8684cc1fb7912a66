"""Queries whose SQL the ORM writes once per process, run many times with one value bound.

For a small UNION of aggregates that answers in a fraction of a millisecond (the enterprise
home's counts, laowu/workspace/steps.py), building and compiling the queryset costs several
times what the database takes. `run` builds the query once with a placeholder in place of
the value (an enterprise's id, a credit code), keeps the SQL and its parameters, and binds the
value where the ORM put the placeholder.

The rule for ``build``: the query depends on nothing but its argument and the ``key`` (no
date, no setting, no user) — anything else it depends on belongs in the key. The rows come as
the database driver gives them, without the ORM's field converters: read numbers, text and
booleans only (SQLite gives a boolean as 0/1), or sort by a timestamp of one database.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from django.db import connection
from django.db.models import QuerySet

# No row has these: they mark where the value goes.
INT_PLACEHOLDER = -1_987_654_321
STR_PLACEHOLDER = "\x1fprepared-placeholder\x1f"

# A key per shape of query (a handful) and per day where a date is in the key: bounded anyway.
MAX_KEPT = 256
_written: dict[tuple[Hashable, ...], tuple[str, tuple[Any, ...]]] = {}


def run(key: tuple[Hashable, ...], build: Callable[[Any], QuerySet[Any]], value: int | str) -> list[tuple[Any, ...]]:
    """The rows of ``build(value)``; see the module's docstring for what ``build`` may depend on."""
    placeholder: int | str = INT_PLACEHOLDER if isinstance(value, int) else STR_PLACEHOLDER
    full_key = (connection.vendor, type(value).__name__, *key)
    written = _written.get(full_key)
    if written is None:
        written = build(placeholder).query.sql_with_params()
        if placeholder not in written[1]:
            raise ValueError(f"the query of {key!r} does not take its value as a parameter")
        if len(_written) >= MAX_KEPT:
            _written.clear()
        _written[full_key] = written
    sql, params = written
    with connection.cursor() as cursor:
        # `==` against a placeholder of the value's type: no other parameter equals it.
        cursor.execute(sql, [value if type(p) is type(placeholder) and p == placeholder else p for p in params])
        return cursor.fetchall()
