"""Django's `flush`, able to empty the audit log on SQLite.

The audit table refuses DELETE through triggers (migrations 0002 for PostgreSQL, 0003 for
SQLite). PostgreSQL's flush is TRUNCATE, which row triggers do not see; SQLite's is
`DELETE FROM`, which they refuse. Emptying the whole database is the owner's act (and what
every transactional test's teardown does), so on SQLite this command drops the audit
triggers, flushes, and puts them back — all in one transaction, so no other connection ever
sees the table unguarded.
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands import flush
from django.db import connections, transaction

AUDIT_TABLE = "audit_auditevent"


class Command(flush.Command):
    def handle(self, **options: Any) -> None:
        connection = connections[options["database"]]
        if connection.vendor != "sqlite":
            super().handle(**options)
            return
        with transaction.atomic(using=options["database"]):
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [AUDIT_TABLE]
                )
                triggers = cursor.fetchall()
                for name, _ in triggers:
                    cursor.execute(f'DROP TRIGGER "{name}"')
            super().handle(**options)
            with connection.cursor() as cursor:
                for _, sql in triggers:
                    cursor.execute(sql)
