"""Refused requests reach the audit log (laowu/audit/middleware.py, services.record_refusal),
at most LAOWU_AUDIT_REFUSALS_PER_MINUTE per caller IP and kind, the rest counted."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from laowu.audit import services, verify
from laowu.audit.models import AuditEvent
from laowu.audit.services import Action
from laowu.documents.services import add_attachment
from tests.conftest import client_for
from tests.factories import complete_basic_info

pytestmark = pytest.mark.django_db


def rows(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def test_forbidden_page_is_logged_with_who_and_where(enterprise_a: Any) -> None:
    resp = client_for(enterprise_a).get(reverse("audit:event_list"))
    assert resp.status_code == 403
    (row,) = rows(Action.ACCESS_DENIED)
    assert (row.user_id, row.username, row.result, row.ip) == (
        enterprise_a.pk,
        enterprise_a.username,
        "failure",
        "127.0.0.1",
    )
    assert row.detail == {
        "path": reverse("audit:event_list"),
        "method": "GET",
        "status": 403,
        "view": "audit:event_list",
    }


def test_a_record_not_ones_own_is_logged_as_not_found(enterprise_a: Any) -> None:
    url = reverse("personnel:edit", args=["safety", 999_999])
    assert client_for(enterprise_a).get(url).status_code == 404
    (row,) = rows(Action.NOT_FOUND)
    assert row.user_id == enterprise_a.pk and row.detail["path"] == url and row.detail["view"]
    assert verify.verify_table().ok


def test_static_files_and_browser_probes_are_not_logged() -> None:
    client = Client()
    for path in ("/static/nothing-here.css", "/favicon.ico"):
        assert client.get(path).status_code == 404
    assert not AuditEvent.objects.exists()


def test_csrf_failure_is_logged_once() -> None:
    client = Client(enforce_csrf_checks=True)
    resp = client.post(reverse("accounts:login"), {"username": "x", "password": "y"})
    assert resp.status_code == 403
    (row,) = rows(Action.CSRF_FAILURE)
    assert row.detail["path"] == reverse("accounts:login") and "CSRF" in row.detail["reason"]
    # Not a second time by the middleware as a plain 403.
    assert not rows(Action.ACCESS_DENIED)


def test_refused_upload_is_logged_after_its_rollback(enterprise_a: Any) -> None:
    info = complete_basic_info(enterprise_a.enterprise, actor=enterprise_a)
    upload = SimpleUploadedFile("营业执照.pdf", b"not a pdf at all", content_type="application/pdf")
    with pytest.raises(ValidationError):
        add_attachment(filing=info, kind="business_license", upload=upload, actor=enterprise_a)
    (row,) = rows(Action.ATTACHMENT_REFUSED)
    assert (row.user_id, row.object_type, row.object_id) == (enterprise_a.pk, "enterprises.basicinfo", str(info.pk))
    assert row.detail["name"] == "营业执照.pdf" and row.detail["size"] == 16 and row.detail["reason"]


def test_refusals_over_the_limit_are_counted_in_one_row(settings: Any, monkeypatch: Any) -> None:
    settings.LAOWU_AUDIT_REFUSALS_PER_MINUTE = 3
    cache.clear()
    scanner = Client(REMOTE_ADDR="203.0.113.9")
    minute = [1_000_000.0]
    monkeypatch.setattr(services.time, "time", lambda: minute[0])
    for i in range(8):
        assert scanner.get(f"/wp-admin-{i}.php").status_code == 404
    assert len(rows(Action.NOT_FOUND)) == 3
    # Another IP has its own allowance.
    assert Client(REMOTE_ADDR="198.51.100.7").get("/.env").status_code == 404
    assert len(rows(Action.NOT_FOUND)) == 4
    # The next minute: first the count of what was held back, then the refusal itself.
    minute[0] += 60
    scanner.get("/phpmyadmin/")
    (summary,) = rows(Action.REFUSALS_SUPPRESSED)
    assert summary.ip == "203.0.113.9"
    assert summary.detail == {"action": Action.NOT_FOUND.value, "suppressed": 5, "limit_per_minute": 3}
    assert rows(Action.NOT_FOUND)[-1].detail["path"] == "/phpmyadmin/"
    assert summary.pk < rows(Action.NOT_FOUND)[-1].pk
    # Counted once: the minute after has nothing left to report.
    minute[0] += 60
    scanner.get("/admin/")
    assert len(rows(Action.REFUSALS_SUPPRESSED)) == 1
    assert verify.verify_table().ok


def test_failed_logins_are_limited_too(settings: Any) -> None:
    settings.LAOWU_AUDIT_REFUSALS_PER_MINUTE = 2
    cache.clear()
    client = Client(REMOTE_ADDR="192.0.2.44")
    for _ in range(4):
        client.post(
            reverse("accounts:login"), {"username": "nobody", "password": "x", "captcha_0": "x", "captcha_1": "PASSED"}
        )
    assert len(rows(Action.LOGIN_FAILED)) == 2
