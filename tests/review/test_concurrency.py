"""Two people acting at once on PostgreSQL, each on its own database connection."""

from __future__ import annotations

from typing import Any

import pytest

from laowu.enterprises.models import BasicInfo
from laowu.review import services
from laowu.review.models import State, Submission, SubmissionStatus
from tests.concurrency import race

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("repeat", range(5))
def test_approve_racing_withdraw_exactly_one_wins(
    repeat: int, filing_in_state: Any, enterprise_a: Any, reviewer: Any
) -> None:
    info = filing_in_state(State.DECLARED)
    sub = Submission.objects.get(pk=info.pending_submission_id)
    results = race(
        lambda: services.approve(submission=sub, actor=reviewer),
        lambda: services.withdraw(filing=info, actor=enterprise_a),
    )
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1, results
    assert isinstance(errors[0], services.WorkflowError)
    final = BasicInfo.objects.get(pk=info.pk)
    sub.refresh_from_db()
    if isinstance(results[0], Exception):  # withdraw won
        assert final.state == State.DRAFT and sub.status == SubmissionStatus.WITHDRAWN
        assert "撤回" in errors[0].message or "刷新" in errors[0].message
    else:
        assert final.state == State.APPROVED and sub.status == SubmissionStatus.APPROVED
        assert "撤回" in errors[0].message


def test_double_declare_race_makes_one_submission(filing_in_state: Any, enterprise_a: Any) -> None:
    info = filing_in_state(State.DRAFT)
    results = race(
        lambda: services.declare(filing=info, actor=enterprise_a),
        lambda: services.declare(filing=info, actor=enterprise_a),
    )
    assert sum(isinstance(r, services.WorkflowError) for r in results) == 1
    assert Submission.objects.filter(filing_id=info.pk).count() == 1
