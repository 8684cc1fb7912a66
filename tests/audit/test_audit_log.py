from __future__ import annotations

from typing import Any

import pytest
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
