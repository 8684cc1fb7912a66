"""现场检查 actions racing on PostgreSQL, each thread on its own connection: notice numbers
stay unique and sequential, and of two clerks (or two clicks) exactly one wins."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine

from laowu.supervision import inspections as svc
from laowu.supervision.models import Inspection, InspectionStatus, Rectification, RectificationStatus
from tests.concurrency import race
from tests.factories import approved_project
from tests.supervision.test_inspections import NOON, inspection_data, photo, upload

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def travel() -> Any:
    # inspection_data() inspects on a fixed day; the clock (every thread's) stands there.
    with time_machine.travel(NOON, tick=False) as traveller:
        yield traveller


@pytest.fixture
def project(enterprise_a: Any, reviewer: Any) -> Any:
    return approved_project(enterprise_a, reviewer)


def test_issuing_at_once_gives_distinct_sequential_numbers(project: Any, reviewer: Any) -> None:
    drafts = [svc.create_inspection(project=project, data=inspection_data(), actor=reviewer) for _ in range(4)]
    results = race(*(lambda d=d: svc.issue_inspection(inspection=d, actor=reviewer) for d in drafts))
    assert not [r for r in results if isinstance(r, Exception)], results
    year = drafts[0].inspected_on.year
    numbers = sorted(Inspection.objects.values_list("notice_no", flat=True))
    assert numbers == [f"XCZG-{year}-{n:04d}" for n in range(1, 5)]


def test_double_issue_at_once_issues_once(project: Any, enterprise_a: Any, reviewer: Any) -> None:
    draft = svc.create_inspection(project=project, data=inspection_data(), actor=reviewer)
    results = race(*(lambda: svc.issue_inspection(inspection=draft, actor=reviewer) for _ in range(2)))
    assert sum(isinstance(r, svc.InspectionError) for r in results) == 1, results
    # One 整改通知 (the approvals that filed the project told the enterprise too).
    assert enterprise_a.enterprise.messages.filter(title__startswith="整改通知").count() == 1
    assert Inspection.objects.get(pk=draft.pk).status == InspectionStatus.RECTIFYING


def test_pass_racing_return_exactly_one_wins(project: Any, enterprise_a: Any, reviewer: Any) -> None:
    inspection = svc.issue_inspection(
        inspection=svc.create_inspection(project=project, data=inspection_data(), actor=reviewer), actor=reviewer
    )
    reply = svc.save_reply(inspection=inspection, content="已整改", actor=enterprise_a)
    upload(reply, "整改.jpg", photo(), enterprise_a)
    results = race(
        lambda: svc.submit_reply(rectification=reply, actor=enterprise_a),
        lambda: svc.submit_reply(rectification=reply, actor=enterprise_a),
    )
    assert sum(isinstance(r, svc.InspectionError) for r in results) == 1, results
    results = race(
        lambda: svc.review_reply(rectification=reply, passed=True, actor=reviewer),
        lambda: svc.review_reply(rectification=reply, passed=False, note="仍有问题", actor=reviewer),
    )
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1 and isinstance(errors[0], svc.InspectionError), results
    final = Inspection.objects.get(pk=inspection.pk)
    status = Rectification.objects.get(pk=reply.pk).status
    if isinstance(results[0], Exception):  # 退回 won
        assert final.status == InspectionStatus.RECTIFYING and status == RectificationStatus.RETURNED
    else:
        assert final.status == InspectionStatus.CLOSED and status == RectificationStatus.PASSED
