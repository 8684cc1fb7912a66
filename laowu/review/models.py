"""The one workflow shared by every filing type (docs/workflow.md).

A filing (基本信息, 安全员, 劳资专管员, 项目信息) is a live, editable record that subclasses
`Filing`. Each 申报 freezes it into a `Submission`: the fields and the attachments'
hashes as they were. Reviewers decide on the submission, never on the live record, and
the approved submission is what prints and verifies, so a 变更 in progress never
changes a sheet already issued.
"""

from __future__ import annotations

import dataclasses
import secrets
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django_fsm import FSMField, FSMModelMixin, transition

from .fields import SnapshotField


class State(models.TextChoices):
    DRAFT = "draft", "草稿"
    DECLARED = "declared", "已申报"
    APPROVED = "approved", "已通过"
    REJECTED = "rejected", "已退回"
    DEREGISTERED = "deregistered", "已注销"


EDITABLE_STATES = (State.DRAFT, State.REJECTED)
# On file: a filing with an approved revision (possibly now in a 变更), not deregistered. The
# expiry reminders filter on it, and partial indexes over the approved expiry dates carry it
# as their condition, so that their counts are index-only.
ON_FILE = models.Q(approved_submission__isnull=False) & ~models.Q(state=State.DEREGISTERED)


class SubmissionStatus(models.TextChoices):
    PENDING = "pending", "待审核"
    WITHDRAWN = "withdrawn", "已撤回"
    APPROVED = "approved", "已通过"
    REJECTED = "rejected", "已退回"
    SUPERSEDED = "superseded", "已变更"  # an approved revision replaced by a later approved one
    REVOKED = "revoked", "已注销"


def new_verify_token() -> str:
    # 24 random bytes = 192 bits, URL-safe: unguessable, and short enough for a QR code.
    return secrets.token_urlsafe(24)


class Submission(models.Model):
    filing_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    filing_id = models.PositiveBigIntegerField()
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name="企业", on_delete=models.PROTECT, related_name="submissions"
    )
    revision = models.PositiveIntegerField("版本")
    title = models.CharField("名称", max_length=200)
    snapshot = SnapshotField("申报内容")
    status = models.CharField(
        "状态", max_length=12, choices=SubmissionStatus.choices, default=SubmissionStatus.PENDING, db_index=True
    )
    declared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    declared_at = models.DateTimeField("申报时间")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField("审核时间", null=True, blank=True)
    reason = models.TextField("退回原因", blank=True)
    verify_token = models.CharField(max_length=64, unique=True, null=True, blank=True)
    status_changed_at = models.DateTimeField("状态变更时间", null=True, blank=True)

    class Meta:
        verbose_name = "申报记录"
        ordering = ["-declared_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["filing_type", "filing_id", "revision"], name="submission_revision_unique"),
        ]
        indexes = [
            models.Index(fields=["filing_type", "filing_id"]),
            # The queue's orders, (declared_at, id) both ways, with and without a type tab: each
            # page is a walk of one of these, at any depth, instead of a sort of the whole status.
            models.Index(fields=["status", "filing_type", "declared_at", "id"], name="submission_queue_type_idx"),
            models.Index(fields=["status", "declared_at", "id"], name="submission_queue_idx"),
            # 全部 (every status), with and without a type.
            models.Index(fields=["filing_type", "declared_at", "id"], name="submission_type_declared_idx"),
            models.Index(fields=["declared_at", "id"], name="submission_declared_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.title}（第{self.revision}版）"

    @property
    def filing(self) -> Filing:
        return self.filing_type.get_object_for_this_type(pk=self.filing_id)


@dataclasses.dataclass(frozen=True, kw_only=True)
class ExpiringDate:
    """A date on which something a filing holds runs out (a certificate, a licence): the
    enterprise is reminded of it as it nears (laowu/supervision/reminders.py)."""

    kind: str  # a code for this kind of certificate, unique over every filing type
    label: str  # its name in the reminders, e.g. 安全员证书
    field: str  # the date field; 通过 copies it (APPROVED_COPIES), the reminders read the copy
    number_field: str  # the certificate's number, shown beside it
    # The snapshot field naming the holder (a person); "" when the holder is the enterprise.
    holder_field: str = ""
    fix_where: str  # the owner's page where it is renewed, as the reminder names it


class Filing(FSMModelMixin, models.Model):
    """Abstract base of every filing type. Subclasses declare what differs:

    - FILING_TYPE / FILING_LABEL: a code and a Chinese name;
    - ATTACHMENT_KINDS: the attachment kinds, with which are required;
    - SNAPSHOT_FIELDS: the fields frozen at 申报, in display order;
    - `title()`, `declare_problems()`: the record's name and what blocks 申报.

    `manage.py check` refuses a type whose settings disagree (laowu/review/checks.py).
    """

    FILING_TYPE: ClassVar[str]
    FILING_LABEL: ClassVar[str]
    ATTACHMENT_KINDS: ClassVar[tuple[Any, ...]] = ()
    SNAPSHOT_FIELDS: ClassVar[tuple[str, ...]] = ()
    OPTIONAL_AT_DECLARE: ClassVar[frozenset[str]] = frozenset()
    # Printing: the sheet's title and its sections as (heading, field names).
    SHEET_TITLE: ClassVar[str] = ""
    SHEET_CODE: ClassVar[str] = "XX"  # prefix of the sheet's serial number
    SHEET_SECTIONS: ClassVar[tuple[tuple[str, tuple[str, ...]], ...]] = ()
    # Verification page: the key fields shown to anyone who scans, and which are masked how.
    VERIFY_FIELDS: ClassVar[tuple[str, ...]] = ()
    VERIFY_MASKS: ClassVar[dict[str, str]] = {}
    # Personal data: field → mask kind ("id", "mobile", "name"), masked for whoever may not
    # see it in full, and audited when shown in full.
    SENSITIVE_FIELDS: ClassVar[dict[str, str]] = {}
    # Date fields copied at 通过 into `approved_<name>` columns: during a 变更 the approved
    # value otherwise lives only in the approved snapshot, which no index can reach, and the
    # expiry list and reminders must filter and sort on it at province scale.
    APPROVED_COPIES: ClassVar[dict[str, str]] = {}
    # What the expiry reminders watch: each date, its label and its holder.
    EXPIRING_DATES: ClassVar[tuple[ExpiringDate, ...]] = ()

    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name="企业", on_delete=models.PROTECT, related_name="+"
    )
    # protected: only the workflow's transitions change the state, never a form or a save().
    state = FSMField("状态", max_length=12, choices=State.choices, default=State.DRAFT, protected=True, db_index=True)
    revision = models.PositiveIntegerField("申报次数", default=0)
    pending_submission = models.ForeignKey(
        Submission, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_submission = models.ForeignKey(
        Submission, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_reject_reason = models.TextField("退回原因", blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    attachments = GenericRelation("documents.Attachment", content_type_field="filing_type", object_id_field="filing_id")

    class Meta:
        abstract = True

    def get_absolute_url(self) -> str:
        """The owner's edit page."""
        raise NotImplementedError

    # ------------------------------------------------------------ transitions
    @transition(field=state, source=list(EDITABLE_STATES), target=State.DECLARED)
    def declare(self) -> None:
        pass

    @transition(field=state, source=State.DECLARED, target=State.DRAFT)
    def withdraw(self) -> None:
        pass

    @transition(field=state, source=State.DECLARED, target=State.APPROVED)
    def approve(self) -> None:
        pass

    @transition(field=state, source=State.DECLARED, target=State.REJECTED)
    def reject(self) -> None:
        pass

    @transition(field=state, source=State.APPROVED, target=State.DRAFT)
    def start_change(self) -> None:
        pass

    @transition(field=state, source=State.APPROVED, target=State.DEREGISTERED)
    def deregister(self) -> None:
        pass

    # ------------------------------------------------------------ hooks
    # Called inside the action's transaction, on the locked row.
    def on_declare(self) -> None:
        """Claim what a declared filing holds (e.g. the person's one enterprise)."""

    def on_inactive(self) -> None:
        """Release it when the filing stops being declared or valid."""

    def on_approve(self) -> None:
        """Take what an approved filing holds, or refuse 通过 by raising a WorkflowError
        (laowu/review/services.py) whose message the reviewer reads."""

    def review_notes(self) -> list[str]:
        """What the committee should weigh before deciding, shown on the submission page
        (e.g. the same person on file with another enterprise). Never shown to the owner."""
        return []

    # ------------------------------------------------------------ per type
    def title(self) -> str:
        raise NotImplementedError

    @property
    def is_active(self) -> bool:
        """Declared, or with a valid approved revision: what counts as 'on file'."""
        return self.state == State.DECLARED or (
            self.approved_submission_id is not None and self.state != State.DEREGISTERED
        )

    def provider_fields(self) -> frozenset[str]:
        """Fields confirmed by an outside source, shown read-only and marked for the reviewer."""
        return frozenset()

    def readonly_fields(self) -> frozenset[str]:
        """Fields the owner cannot edit: the confirmed ones, and any identity fields."""
        return self.provider_fields()

    def declare_problems(self) -> list[str]:
        """Reasons 申报 is refused besides missing required fields and attachments."""
        return []

    @property
    def is_editable(self) -> bool:
        return self.state in EDITABLE_STATES

    @property
    def state_label(self) -> str:
        return State(self.state).label

    def not_editable_hint(self) -> str:
        """What the owner does to edit again, told when a change (e.g. to an attachment) is refused."""
        return {State.DECLARED: "如需修改，请先撤回。", State.APPROVED: "如需修改，请点击“变更”。"}.get(self.state, "")

    @property
    def changing(self) -> bool:
        """A 变更 is under way: an approved revision exists while a newer one is edited."""
        return self.approved_submission_id is not None and self.state != State.APPROVED
