"""The workflow publishes each 通过 and 退回 on `filing_decided`, once committed, as plain values."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from laowu.enterprises.models import BasicInfo
from laowu.review import services as workflow
from laowu.review.signals import Decision, DecisionKind, filing_decided
from tests.factories import complete_basic_info

pytestmark = pytest.mark.django_db


@pytest.fixture
def heard() -> Iterator[list[tuple[Any, Decision]]]:
    decisions: list[tuple[Any, Decision]] = []

    def listener(sender: Any, *, decision: Decision, **kwargs: Any) -> None:
        decisions.append((sender, decision))

    filing_decided.connect(listener, dispatch_uid="test-listener")
    yield decisions
    filing_decided.disconnect(dispatch_uid="test-listener")


def test_each_decision_is_published_after_the_commit(
    heard: list[tuple[Any, Decision]], enterprise_a: Any, reviewer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    info = complete_basic_info(enterprise_a.enterprise, actor=enterprise_a)
    with django_capture_on_commit_callbacks() as callbacks:
        sub = workflow.reject(
            submission=workflow.declare(filing=info, actor=enterprise_a), actor=reviewer, reason="照片不清晰"
        )
        assert heard == []  # still inside the transaction: nobody is told yet
    assert len(callbacks) == 1
    callbacks[0]()
    [(sender, decision)] = heard
    assert sender is BasicInfo
    assert decision == Decision(
        kind=DecisionKind.REJECTED,
        enterprise_id=enterprise_a.enterprise_id,
        filing_type="basic_info",
        filing_label="企业基本信息",
        subject=BasicInfo.objects.get(pk=info.pk).title(),
        link="/enterprise/basic-info/",
        submission_id=sub.pk,
        revision=1,
        reason="照片不清晰",
    )

    with django_capture_on_commit_callbacks(execute=True):
        workflow.approve(
            submission=workflow.declare(filing=BasicInfo.objects.get(pk=info.pk), actor=enterprise_a), actor=reviewer
        )
    info = BasicInfo.objects.get(pk=info.pk)
    workflow.start_change(filing=info, actor=enterprise_a)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.approve(
            submission=workflow.declare(filing=BasicInfo.objects.get(pk=info.pk), actor=enterprise_a), actor=reviewer
        )
    assert [(d.kind, d.revision, d.reason) for _, d in heard] == [
        (DecisionKind.REJECTED, 1, "照片不清晰"),
        (DecisionKind.APPROVED, 2, ""),
        (DecisionKind.CHANGE_APPROVED, 3, ""),
    ]


def test_a_failing_listener_does_not_fail_the_decision(
    enterprise_a: Any, reviewer: Any, django_capture_on_commit_callbacks: Any, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(sender: Any, **kwargs: Any) -> None:
        raise RuntimeError("listener broke")

    filing_decided.connect(broken, dispatch_uid="test-broken")
    try:
        info = complete_basic_info(enterprise_a.enterprise, actor=enterprise_a)
        with django_capture_on_commit_callbacks(execute=True):
            sub = workflow.approve(submission=workflow.declare(filing=info, actor=enterprise_a), actor=reviewer)
    finally:
        filing_decided.disconnect(dispatch_uid="test-broken")
    assert sub.status == "approved"
    assert any("审核结果通知失败" in r.getMessage() for r in caplog.records)
