"""The key lookups every request makes run as statements PostgreSQL keeps prepared on the
connection (laowu/core/plans.py): the session, the account, the audit chain's head and row.
Nothing else is prepared, the queries still show in Django's query log, a rolled-back
transaction in between changes no answer, and the switch turns it all off."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from laowu.audit.models import AuditEvent
from laowu.audit.services import record
from tests.pagebytes import unmarked

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db]

URL = reverse("supervision:messages")


def prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_a_signed_in_request_prepares_its_session_and_account_lookups_only(as_user: Any, enterprise_a: Any) -> None:
    client = as_user(enterprise_a)
    assert client.get(URL).status_code == 200
    prepared = prepared_statements()
    assert any('FROM "django_session"' in p for p in prepared), prepared
    assert any('FROM "accounts_user"' in p for p in prepared), prepared
    # The page's own queries, whose best plan may depend on the value, are not prepared.
    assert not any("supervision_message" in p for p in prepared), prepared
    # Again on the same connection: the kept statements answer as the first time.
    first = unmarked(client.get(URL).content)
    assert unmarked(client.get(URL).content) == first
    assert len(prepared_statements()) == len(prepared)
    # While Django logs queries (a test counting them), the lookups run as Django's and are logged.
    with CaptureQueriesContext(connection) as queries:
        assert unmarked(client.get(URL).content) == first
    logged = [q["sql"] for q in queries.captured_queries]
    assert any("django_session" in sql for sql in logged) and any("accounts_user" in sql for sql in logged)


def test_the_audit_chain_statements_are_prepared_and_survive_a_rollback(enterprise_a: Any) -> None:
    record(action="login", user=enterprise_a)
    prepared = prepared_statements()
    assert any("audit_auditchainhead" in p and "FOR UPDATE" in p for p in prepared), prepared
    assert any(p.startswith('INSERT INTO "audit_auditevent"') for p in prepared), prepared
    with pytest.raises(RuntimeError), transaction.atomic():
        record(action="login", user=enterprise_a)
        raise RuntimeError("rolled back")
    second = record(action="logout", user=enterprise_a)
    events = list(AuditEvent.objects.order_by("seq").values_list("action", "seq"))
    assert events[-2:] == [("login", events[-2][1]), ("logout", events[-2][1] + 1)]
    assert second.seq == events[-1][1]


def test_the_switch_turns_it_off(as_user: Any, enterprise_a: Any, settings: Any) -> None:
    settings.LAOWU_PG_PREPARE_LOOKUPS = False
    client = as_user(enterprise_a)
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    connection.connection._prepared.clear()  # psycopg's own record of what it prepared
    assert client.get(URL).status_code == 200
    record(action="login", user=enterprise_a)
    assert prepared_statements() == []
