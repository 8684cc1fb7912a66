"""Key lookups whose plan PostgreSQL keeps on the connection (a server-side prepared statement).

Every signed-in request reads its session by key and its account by primary key (with the
account's enterprise and second-factor state, laowu/accounts/otp.py); an audited one also
locks and moves the audit chain's head (laowu/audit/chain.py). Each such statement answers in
a few hundredths of a millisecond, while PostgreSQL spends most of its CPU on it parsing and
planning the text again: Django's cursors bind parameters on the client, so the server sees
a new statement every time and never keeps a plan (docs/benchmarks/README.md, "Measurements
behind design choices").

`plan_keeping_cursor` is a cursor of Django's (the connection's health check, its execute
wrappers, its error wrapping) whose statements psycopg prepares on the server at their first run and
runs by name afterwards. It is for lookups by a unique key only: PostgreSQL may then use one
plan for every value, which is the right plan whatever the value. A query whose best plan
depends on the value (a district or an enterprise with most of the rows) stays on Django's
cursors, as the setting `LAOWU_PG_SERVER_SIDE_BINDING` explains (laowu/settings/base.py).

`LAOWU_PG_PREPARE_LOOKUPS=0` turns this off, for a pooler in transaction mode in front of
PostgreSQL, which hands a prepared statement's name to another server connection (docs/deploy.md,
"数据库连接"). On other databases the cursor is Django's own.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db.backends.base.base import BaseDatabaseWrapper

# psycopg prepares a statement a server-binding cursor has run this many times; Django leaves
# the threshold unset (never), which would also refuse an explicit `prepare=True`. So high a
# threshold means only statements run through `plan_keeping_cursor` are prepared.
_ONLY_WHEN_ASKED = 2**31 - 1


@functools.cache
def _cursor_class() -> type[Any]:
    # Imported on first use: the PostgreSQL backend imports psycopg, which a SQLite-only
    # process never needs.
    from django.db.backends.postgresql.base import ServerBindingCursor

    class PlanKeepingCursor(ServerBindingCursor):  # type: ignore[misc, valid-type]
        def execute(self, query: Any, params: Any = None, *, prepare: bool | None = None, **kwargs: Any) -> Any:
            return super().execute(query, params, prepare=True if prepare is None else prepare, **kwargs)

    return PlanKeepingCursor


def keeps_plans(connection: BaseDatabaseWrapper) -> bool:
    # Django's query log (DEBUG, a test counting queries) records the text psycopg sent, which a
    # statement run by its name does not carry: while the log is on, the lookups run as before.
    return (
        connection.vendor == "postgresql"
        and bool(getattr(settings, "LAOWU_PG_PREPARE_LOOKUPS", False))
        and not connection.queries_logged
    )


@contextlib.contextmanager
def plan_keeping_cursor(connection: BaseDatabaseWrapper) -> Iterator[Any]:
    """A cursor for lookups by a unique key (see the module's docstring); Django's own cursor
    where plans are not kept."""
    if not keeps_plans(connection):
        with connection.cursor() as cursor:
            yield cursor
        return
    # What `connection.cursor()` does before handing out a cursor, with ours in place of the
    # one the connection would make.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    raw = connection.connection
    if raw.prepare_threshold is None:
        raw.prepare_threshold = _ONLY_WHEN_ASKED
    with connection.wrap_database_errors:
        inner = _cursor_class()(raw)
    with connection.make_cursor(inner) as cursor:
        yield cursor
