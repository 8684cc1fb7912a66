from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from laowu.audit.models import AppendOnlyError, AuditEvent
from laowu.audit.services import Action, record

pytestmark = pytest.mark.django_db


def test_orm_refuses_update_and_delete(enterprise_a: Any) -> None:
    ev = record(action=Action.LOGIN, user=enterprise_a)
    ev.action = "tampered"
    with pytest.raises(AppendOnlyError):
        ev.save()
    with pytest.raises(AppendOnlyError):
        ev.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=ev.pk).update(action="x")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()


@pytest.mark.postgres_only
def test_database_refuses_raw_update_on_postgres(enterprise_a: Any) -> None:
    ev = record(action=Action.LOGIN, user=enterprise_a)
    for sql in ("UPDATE audit_auditevent SET action='x' WHERE id=%s", "DELETE FROM audit_auditevent WHERE id=%s"):
        with pytest.raises(DatabaseError, match="只能追加"), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql, [ev.pk])


def test_database_refuses_raw_update_and_delete(enterprise_a: Any) -> None:
    # SQLite (migration 0003) as well as PostgreSQL (0002): not even raw SQL rewrites history.
    ev = record(action=Action.LOGIN, user=enterprise_a)
    for sql in ("UPDATE audit_auditevent SET action='x' WHERE id=%s", "DELETE FROM audit_auditevent WHERE id=%s"):
        with pytest.raises(DatabaseError, match="只能追加"), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql, [ev.pk])
    assert AuditEvent.objects.get(pk=ev.pk).action == Action.LOGIN


@pytest.mark.django_db(transaction=True)
def test_flush_empties_the_log_and_keeps_the_guard(enterprise_a: Any) -> None:
    # Emptying the whole database (test teardown, `manage.py flush`) is the owner's act:
    # allowed, and afterwards the table refuses row deletes again.
    record(action=Action.LOGIN, user=enterprise_a)
    call_command("flush", interactive=False, verbosity=0)
    assert not AuditEvent.objects.exists()
    ev = record(action=Action.LOGIN_FAILED, username="x", result="failure")
    with pytest.raises(DatabaseError, match="只能追加"), transaction.atomic(), connection.cursor() as cur:
        cur.execute("DELETE FROM audit_auditevent WHERE id=%s", [ev.pk])


def test_only_audit_admin_searches_and_filters(
    as_user: Any, auditadmin: Any, sysadmin: Any, enterprise_a: Any, enterprise_b: Any
) -> None:
    record(action=Action.LOGIN, user=enterprise_a)
    record(action=Action.LOGIN_FAILED, username=enterprise_b.username, result="failure")
    url = reverse("audit:event_list")
    assert as_user(sysadmin).get(url).status_code == 403
    c = as_user(auditadmin)
    page = c.get(url).content.decode()
    assert enterprise_a.username in page and enterprise_b.username in page and "登录失败" in page
    page = c.get(url, {"result": "failure"}).content.decode()
    assert enterprise_b.username in page and enterprise_a.username not in page
    page = c.get(url, {"username": enterprise_a.username[:10], "action": "account.login"}).content.decode()
    assert enterprise_a.username in page
    page = c.get(url, {"date_from": "2030-01-02", "date_to": "2030-01-01"}).content.decode()
    assert "截止日期不能早于起始日期" in page


def test_audit_paginates(as_user: Any, auditadmin: Any) -> None:
    for i in range(45):
        record(action=Action.LOGIN_FAILED, username=f"u{i}", result="failure")
    page = as_user(auditadmin).get(reverse("audit:event_list"), {"page": 3, "result": "failure"}).content.decode()
    assert "共 45 条，第 3 / 3 页" in page


def test_audit_admin_searches_are_themselves_logged(as_user: Any, auditadmin: Any, enterprise_a: Any) -> None:
    c = as_user(auditadmin)
    c.get(reverse("audit:event_list"))
    c.get(reverse("audit:event_list"), {"username": enterprise_a.username, "result": "failure"})
    searches = list(AuditEvent.objects.filter(action=Action.AUDIT_VIEW).order_by("id"))
    assert [e.user for e in searches] == [auditadmin, auditadmin]
    assert searches[0].role == "auditadmin" and searches[0].detail == {"filters": {}, "page": 1}
    assert searches[1].detail["filters"] == {"username": enterprise_a.username, "result": "failure"}
    # And they show up in the log like any other action.
    page = c.get(reverse("audit:event_list"), {"action": Action.AUDIT_VIEW}).content.decode()
    assert "查询审计日志" in page and "auditadmin" in page


def test_audit_search_by_role_and_by_object(
    as_user: Any, auditadmin: Any, reviewer: Any, enterprise_a: Any, enterprise_b: Any
) -> None:
    record(action=Action.PASSWORD_CHANGE, user=enterprise_a, obj=enterprise_a)
    record(action=Action.PASSWORD_CHANGE, user=enterprise_b, obj=enterprise_b)
    record(action=Action.ACCOUNT_ACTIVE, user=reviewer, obj=enterprise_a.enterprise)
    c = as_user(auditadmin)
    url = reverse("audit:event_list")
    page = c.get(url).content.decode()
    assert '<option value="accounts.user">用户（accounts.user）</option>' in page
    # The object cell links to that object's history.
    assert f"?object_type=accounts.user&amp;object_id={enterprise_a.pk}" in page

    page = c.get(url, {"role": "reviewer"}).content.decode()
    assert reviewer.username in page and enterprise_a.username not in page

    page = c.get(url, {"object_type": "accounts.user", "object_id": str(enterprise_a.pk)}).content.decode()
    assert "共 1 条" in page and enterprise_a.username in page and enterprise_b.username not in page

    page = c.get(url, {"object_type": "enterprises.enterprise"}).content.decode()
    assert "共 1 条" in page and reviewer.username in page
