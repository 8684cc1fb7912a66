"""Shared fixtures: personas (enterprise A, enterprise B, reviewer, supervisor, the three
admins) and helpers. Factories live in tests/factories.py."""

from __future__ import annotations

import os
from typing import Any

import pytest
from django.test import Client

from laowu.review import services as workflow
from laowu.review.models import State
from tests.factories import EnterpriseUserFactory, StaffFactory, complete_basic_info

PASSWORD = "Laowu@2026"

collect_ignore_glob: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    # In CI (LAOWU_REQUIRE_ALL=1) a skipped test is a failure: nothing may be skipped.
    if os.environ.get("LAOWU_REQUIRE_ALL") == "1" and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, which is not allowed: {report.longrepr}"


@pytest.fixture(scope="session", autouse=True)
def sheet_fonts() -> None:
    """Sheets print from the GB 2312 font cuts, as in production: `make` builds them; a bare
    `pytest` in a fresh clone builds them here once (about 25 s)."""
    from laowu.documents.fonts import build_sheet_fonts

    build_sheet_fonts(log=lambda line: None)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # PostgreSQL-only tests (triggers, row locks) run in the PostgreSQL pass of `make test`
    # and are deselected, not skipped, in the SQLite pass.
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    keep, drop = [], []
    for item in items:
        (drop if item.get_closest_marker("postgres_only") else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(autouse=True)
def _sms_outbox(settings: Any, tmp_path: Any) -> Any:
    settings.LAOWU_SMS_OUTBOX = tmp_path / "sms-outbox.jsonl"
    settings.LAOWU_SMS_BACKEND = "file"
    settings.LAOWU_COMPANY_INFO_PROVIDER = "offline"
    return settings.LAOWU_SMS_OUTBOX


@pytest.fixture
def enterprise_a(db: Any) -> Any:
    return EnterpriseUserFactory(password=PASSWORD)


@pytest.fixture
def enterprise_b(db: Any) -> Any:
    return EnterpriseUserFactory(password=PASSWORD)


@pytest.fixture
def reviewer(db: Any) -> Any:
    return StaffFactory(role="reviewer", username="reviewer", password=PASSWORD)


@pytest.fixture
def supervisor(db: Any) -> Any:
    return StaffFactory(role="supervisor", username="supervisor", password=PASSWORD)


@pytest.fixture
def sysadmin(db: Any) -> Any:
    return StaffFactory(role="sysadmin", username="sysadmin", password=PASSWORD)


@pytest.fixture
def secadmin(db: Any) -> Any:
    return StaffFactory(role="secadmin", username="secadmin", password=PASSWORD)


@pytest.fixture
def auditadmin(db: Any) -> Any:
    return StaffFactory(role="auditadmin", username="auditadmin", password=PASSWORD)


def client_for(user: Any) -> Client:
    c = Client()
    c.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return c


@pytest.fixture
def as_user() -> Any:
    return client_for


@pytest.fixture
def filing_in_state(enterprise_a: Any, reviewer: Any) -> Any:
    """Enterprise A's 基本信息, brought to a state through the real workflow."""

    def make(state: str) -> Any:
        info = complete_basic_info(enterprise_a.enterprise, actor=enterprise_a)
        if state == State.DRAFT:
            return info
        sub = workflow.declare(filing=info, actor=enterprise_a)
        if state == State.APPROVED:
            workflow.approve(submission=sub, actor=reviewer)
        elif state == State.REJECTED:
            workflow.reject(submission=sub, actor=reviewer, reason="营业执照不清晰")
        return type(info).objects.get(pk=info.pk)

    return make
