"""What the workflow tells the rest of the platform: each 通过 and 退回, once it is final.

`review` must not know who listens (站内消息 and SMS live in `laowu.supervision`, above it),
so a decision is published as a `Decision` on `filing_decided` and the listeners connect
from their AppConfig.ready(). It is sent from `transaction.on_commit`: a decision that rolls
back tells nobody, and a listener's slow work (an SMS provider) runs after the filing's row
lock is released. The decision has committed by then, so a listener that fails is logged
and never fails the request or undoes the decision.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import logging

from django.db import transaction
from django.dispatch import Signal

from .models import Filing, Submission

logger = logging.getLogger("laowu.review.signals")

# Sent with sender=the filing's model and decision=a `Decision`.
filing_decided = Signal()


class DecisionKind(enum.StrEnum):
    APPROVED = "approved"  # the first approved revision
    CHANGE_APPROVED = "change_approved"  # a 变更: a later revision replaces the approved one
    REJECTED = "rejected"


@dataclasses.dataclass(frozen=True)
class Decision:
    """A decision as plain values: listeners run after the commit and need no locked rows."""

    kind: DecisionKind
    enterprise_id: int
    filing_type: str
    filing_label: str
    subject: str  # the record's name: the enterprise, the person, the project
    link: str  # the owner's page of the filing
    submission_id: int
    revision: int
    reason: str = ""  # 退回原因, as the reviewer wrote it

    @classmethod
    def of(cls, kind: DecisionKind, filing: Filing, submission: Submission) -> Decision:
        return cls(
            kind=kind,
            enterprise_id=filing.enterprise_id,
            filing_type=filing.FILING_TYPE,
            filing_label=filing.FILING_LABEL,
            subject=filing.title(),
            link=filing.get_absolute_url(),
            submission_id=submission.pk,
            revision=submission.revision,
            reason=submission.reason,
        )


def publish_decision(decision: Decision, *, sender: type[Filing]) -> None:
    """Tell the listeners once the current transaction commits; called inside the action's transaction."""
    transaction.on_commit(functools.partial(_send, decision, sender))


def _send(decision: Decision, sender: type[Filing]) -> None:
    for receiver, result in filing_decided.send_robust(sender=sender, decision=decision):
        if isinstance(result, Exception):
            logger.error(
                "审核结果通知失败：申报记录 %s（%s）：%s",
                decision.submission_id,
                decision.kind,
                getattr(receiver, "__qualname__", receiver),
                exc_info=result,
            )
