"""The workflow's actions (docs/workflow.md) for every filing type.

Each action is one durable transaction: lock the filing row, check the transition is
allowed from the state the database holds *now*, mutate, write the audit row. Two people
acting at once are therefore serialised by the row lock, and the loser is told plainly
what happened instead of silently overwriting the winner.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_fsm import can_proceed

from laowu.audit.services import Action, record

from .models import EDITABLE_STATES, Filing, State, Submission, SubmissionStatus, new_verify_token
from .signals import Decision, DecisionKind, publish_decision
from .snapshots import build_snapshot, missing_fields

F = TypeVar("F", bound=Filing)


class WorkflowError(Exception):
    """An action refused because of the record's state; the message is shown as is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class DeclareBlocked(WorkflowError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("暂不能申报：" + "；".join(problems))
        self.problems = problems


_STATE_MESSAGES = {
    State.DECLARED: "该信息已申报，正在等待审核。",
    State.APPROVED: "该信息已审核通过。",
    State.REJECTED: "该信息已被退回。",
    State.DRAFT: "该信息为草稿（未申报或已撤回）。",
    State.DEREGISTERED: "该信息已注销，记录仅供查阅。",
}


def _lock(filing: F) -> F:
    return type(filing).objects.select_for_update().select_related("enterprise").get(pk=filing.pk)


def _refuse(filing: Filing, action: str) -> WorkflowError:
    return WorkflowError(f"{_STATE_MESSAGES[State(filing.state)]}当前状态不能{action}，请刷新页面后查看。")


def ensure_editable(filing: Filing) -> None:
    if not filing.is_editable:
        raise WorkflowError(
            f"当前状态为“{filing.state_label}”，不能修改。"
            + ("如需修改，请先撤回。" if filing.state == State.DECLARED else "")
            + ("如需修改，请点击“变更”。" if filing.state == State.APPROVED else "")
        )


def declare_problems(filing: Filing, *, present_kinds: Collection[str] | None = None) -> list[str]:
    """What blocks 申报 of `filing`. ``present_kinds``: the codes of the attachment kinds it
    has, when the caller read its attachments already (the owner's page, for its checklist);
    otherwise they are read here."""
    from laowu.documents.services import missing_required_kinds

    problems = []
    missing = missing_fields(filing)
    if missing:
        problems.append("请填写" + "、".join(missing))
    kinds = missing_required_kinds(filing, present_kinds)
    if kinds:
        problems.append("请上传" + "、".join(k.label for k in kinds))
    problems.extend(filing.declare_problems())
    return problems


def save_fields(*, filing: F, data: dict[str, Any], actor: Any, request: HttpRequest | None = None) -> F:
    """保存: write the given fields of an editable filing (partial drafts are fine)."""
    with transaction.atomic(durable=True):
        locked = _lock(filing)
        ensure_editable(locked)
        readonly = locked.readonly_fields()
        changed = []
        for name, value in data.items():
            if name in readonly or name not in locked.SNAPSHOT_FIELDS:
                continue
            if getattr(locked, name) != value:
                setattr(locked, name, value)
                changed.append(name)
        locked.full_clean(exclude=["enterprise", "state", "pending_submission", "approved_submission"])
        locked.save()
        record(action=Action.FILING_SAVE, request=request, user=actor, obj=locked, detail={"changed": changed})
    return locked


def declare(*, filing: Filing, actor: Any, request: HttpRequest | None = None) -> Submission:
    """申报/提交: freeze the record and its attachments' hashes for review."""
    with transaction.atomic(durable=True):
        locked = _lock(filing)
        if not can_proceed(locked.declare):
            raise _refuse(locked, "申报")
        problems = declare_problems(locked)
        if problems:
            raise DeclareBlocked(problems)
        now = timezone.now()
        locked.revision += 1
        snapshot = build_snapshot(locked)
        submission = Submission.objects.create(
            filing_type=_content_type(locked),
            filing_id=locked.pk,
            enterprise=locked.enterprise,
            revision=locked.revision,
            title=snapshot["title"][:200],
            snapshot=snapshot,
            declared_by=actor,
            declared_at=now,
            status_changed_at=now,
        )
        locked.declare()
        locked.on_declare()
        locked.pending_submission = submission
        locked.last_reject_reason = ""
        locked.save()
        record(
            action=Action.FILING_DECLARE,
            request=request,
            user=actor,
            obj=locked,
            detail={"submission": submission.pk, "revision": submission.revision},
        )
    return submission


def withdraw(*, filing: Filing, actor: Any, request: HttpRequest | None = None) -> Filing:
    """撤回: only while the declared revision has not been reviewed."""
    with transaction.atomic(durable=True):
        locked = _lock(filing)
        if not can_proceed(locked.withdraw):
            raise _refuse(locked, "撤回")
        submission = Submission.objects.select_for_update().get(pk=locked.pending_submission_id)
        submission.status = SubmissionStatus.WITHDRAWN
        submission.status_changed_at = timezone.now()
        submission.save(update_fields=["status", "status_changed_at"])
        locked.withdraw()
        locked.pending_submission = None
        locked.save()
        if not locked.is_active:
            locked.on_inactive()
        record(
            action=Action.FILING_WITHDRAW, request=request, user=actor, obj=locked, detail={"submission": submission.pk}
        )
    return locked


def _locked_pending(submission: Submission, action: str) -> tuple[Filing, Submission]:
    model = submission.filing_type.model_class()
    assert model is not None
    filing = model.objects.select_for_update().select_related("enterprise").get(pk=submission.filing_id)
    sub = Submission.objects.select_for_update().get(pk=submission.pk)
    if sub.status != SubmissionStatus.PENDING or filing.pending_submission_id != sub.pk:
        status = SubmissionStatus(sub.status).label
        raise WorkflowError(f"该申报当前为“{status}”，不能{action}（可能企业已撤回或他人已审核），请刷新页面。")
    return filing, sub


def approve(*, submission: Submission, actor: Any, request: HttpRequest | None = None) -> Submission:
    """通过: the submission becomes the valid revision that prints and verifies.

    The enterprise is told (`laowu/review/signals.py`) once the decision has committed."""
    with transaction.atomic(durable=True):
        filing, sub = _locked_pending(submission, "审核通过")
        filing.on_approve()
        now = timezone.now()
        kind = DecisionKind.CHANGE_APPROVED if filing.approved_submission_id else DecisionKind.APPROVED
        if filing.approved_submission_id:
            Submission.objects.filter(pk=filing.approved_submission_id).update(
                status=SubmissionStatus.SUPERSEDED, status_changed_at=now
            )
        sub.status = SubmissionStatus.APPROVED
        sub.decided_by = actor
        sub.decided_at = now
        sub.status_changed_at = now
        sub.verify_token = new_verify_token()
        sub.save()
        filing.approve()
        filing.approved_submission = sub
        for field, copy in filing.APPROVED_COPIES.items():
            setattr(filing, copy, getattr(filing, field))
        filing.pending_submission = None
        filing.save()
        record(action=Action.FILING_APPROVE, request=request, user=actor, obj=filing, detail={"submission": sub.pk})
        publish_decision(Decision.of(kind, filing, sub), sender=type(filing))
    return sub


def reject(*, submission: Submission, actor: Any, reason: str, request: HttpRequest | None = None) -> Submission:
    """退回: with a reason the enterprise sees, and is told once the decision has committed."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请填写退回原因。"})
    with transaction.atomic(durable=True):
        filing, sub = _locked_pending(submission, "退回")
        now = timezone.now()
        sub.status = SubmissionStatus.REJECTED
        sub.decided_by = actor
        sub.decided_at = now
        sub.status_changed_at = now
        sub.reason = reason
        sub.save()
        filing.reject()
        filing.pending_submission = None
        filing.last_reject_reason = reason
        filing.save()
        if not filing.is_active:
            filing.on_inactive()
        record(
            action=Action.FILING_REJECT,
            request=request,
            user=actor,
            obj=filing,
            detail={"submission": sub.pk, "reason": reason[:500]},
        )
        publish_decision(Decision.of(DecisionKind.REJECTED, filing, sub), sender=type(filing))
    return sub


def start_change(*, filing: Filing, actor: Any, request: HttpRequest | None = None) -> Filing:
    """变更: a new draft revision; the approved one stays valid until the change is approved."""
    with transaction.atomic(durable=True):
        locked = _lock(filing)
        if not can_proceed(locked.start_change):
            raise _refuse(locked, "变更")
        locked.start_change()
        locked.save()
        record(action=Action.FILING_CHANGE, request=request, user=actor, obj=locked)
    return locked


def deregister(*, filing: Filing, actor: Any, request: HttpRequest | None = None) -> Filing:
    """注销: an approved record leaves active service; its history is kept."""
    with transaction.atomic(durable=True):
        locked = _lock(filing)
        if not can_proceed(locked.deregister):
            raise WorkflowError(f"当前状态为“{locked.state_label}”，只有已通过的信息可以注销。")
        now = timezone.now()
        Submission.objects.filter(pk=locked.approved_submission_id).update(
            status=SubmissionStatus.REVOKED, status_changed_at=now
        )
        locked.deregister()
        locked.save()
        locked.on_inactive()
        record(action=Action.FILING_DEREGISTER, request=request, user=actor, obj=locked)
    return locked


def delete_refusal(filing: Filing) -> str:
    """Why 删除 is refused for the filing in its state, or "" when it may be deleted.

    The same rule decides whether pages offer 删除 and whether `delete_filing` does it.
    """
    if deletable(filing.state, filing.approved_submission_id):
        return ""
    if filing.approved_submission_id is not None:
        return "已审核通过的信息不能删除，请使用“注销”。"
    return f"当前状态为“{filing.state_label}”，不能删除。如需删除，请先撤回。"


def deletable(state: str, approved_submission_id: int | None) -> bool:
    """The rule itself, from the filing's two columns: never approved, and in a state its owner
    may change. `delete_refusal` says why not; a list whose rows are tuples rather than model
    instances (laowu/personnel/views.py `_own_rows`) asks this directly."""
    return approved_submission_id is None and state in EDITABLE_STATES


def delete_filing(*, filing: Filing, actor: Any, request: HttpRequest | None = None) -> None:
    """删除: only a record never approved, and not under review. Its submissions stay as history."""
    with transaction.atomic(durable=True):
        locked = _lock(filing)
        refusal = delete_refusal(locked)
        if refusal:
            raise WorkflowError(refusal)
        record(action=Action.FILING_DELETE, request=request, user=actor, obj=locked)
        locked.attachments.all().delete()
        locked.on_inactive()
        locked.delete()


def _content_type(filing: Filing) -> Any:
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(filing)
