"""Committee supervision: bad-behaviour records and their publicity,
on-site inspections with rectification, award nominations, the credit-score rules,
notices, on-site messages and certificate-expiry reminders.

States change only through `services`; each record carries the one attachment
mechanism (documents.Attachment) through a GenericRelation, like the filings do.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from laowu.core.dates import add_months, add_years
from laowu.core.fields import BlindIndexField, SealedCharField
from laowu.documents.kinds import AttachmentKind
from laowu.personnel.models import ID_INDEX_CONTEXT

USER = settings.AUTH_USER_MODEL


def _attachments() -> GenericRelation:
    return GenericRelation("documents.Attachment", content_type_field="filing_type", object_id_field="filing_id")


# ---------------------------------------------------------------- 不良行为记录


class Grade(models.TextChoices):
    A = "A", "A类（严重）"
    B = "B", "B类（一般）"
    C = "C", "C类（轻微）"


BAD_BEHAVIOUR_CATEGORIES = (
    ("wage_arrears", "拖欠农民工工资"),
    ("safety_accident", "安全生产事故"),
    ("illegal_subcontract", "违法分包、转包"),
    ("real_name", "未落实实名制管理"),
    ("contract", "未依法签订劳动合同"),
    ("fraud", "提供虚假材料"),
    ("certificate", "人员无证上岗或证书挂靠"),
    ("other", "其他"),
)

PUBLICITY_MIN_MONTHS = 6
PUBLICITY_MAX_YEARS = 3
EARLY_REMOVAL_MIN_MONTHS = 3


class BadBehaviourStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    PUBLISHED = "published", "公示中"
    EXPIRED = "expired", "已到期"  # never stored: a published record past its end date
    REVOKED = "revoked", "已撤销"


class BadBehaviourQuerySet(models.QuerySet["BadBehaviour"]):
    def in_publicity(self, on: dt.date | None = None) -> BadBehaviourQuerySet:
        """In publicity on that day (today by default): what the public list shows and the score counts.

        A record revoked since was still in publicity before the day it was revoked, so a
        score for a past date stays what it was. (An early removal needs no such clause: it
        moves the end date to the day before the removal.)
        """
        on = on or timezone.localdate()
        live = Q(status=BadBehaviourStatus.PUBLISHED) | Q(status=BadBehaviourStatus.REVOKED, revoked_at__date__gt=on)
        return self.filter(live, publicity_start__lte=on, publicity_end__gte=on)


def earliest_removal(publicity_start: dt.date) -> dt.date:
    """The first day a record published from `publicity_start` may be removed early. Also for the
    提前移出申请 list's rows (laowu/supervision/views/bad_behaviour.py `_removal_rows`)."""
    return add_months(publicity_start, EARLY_REMOVAL_MIN_MONTHS)


def shown_status(status: str, publicity_end: dt.date, today: dt.date) -> str:
    """A record's state as shown on `today`: a published one past its end date is 已到期. Also
    for the committee list's rows, which are not model instances
    (laowu/supervision/views/bad_behaviour.py `_record_rows`)."""
    if status == BadBehaviourStatus.PUBLISHED and publicity_end < today:
        return BadBehaviourStatus.EXPIRED
    return status


class BadBehaviour(models.Model):
    ATTACHABLE_CODE: ClassVar[str] = "bad_behaviour"
    ATTACHMENT_KINDS: ClassVar[tuple[AttachmentKind, ...]] = (
        AttachmentKind("decision", "处理决定书"),
        AttachmentKind("evidence", "证据材料"),
    )

    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name="企业", on_delete=models.PROTECT, related_name="bad_behaviours"
    )
    person_name = models.CharField("当事人员", max_length=30, blank=True, help_text="针对企业人员的记录填写，否则留空")
    # Sealed at rest like a person's (laowu/core/fields.py); compared through the index.
    person_id_number = SealedCharField("当事人员身份证号", plain_max_length=18, blank=True)
    person_id_index = BlindIndexField(source="person_id_number", context=ID_INDEX_CONTEXT)
    grade = models.CharField("等级", max_length=1, choices=Grade.choices)
    category = models.CharField("类别", max_length=30, choices=BAD_BEHAVIOUR_CATEGORIES)
    facts = models.TextField("不良行为事实")
    legal_basis = models.TextField("处理依据")
    decision_no = models.CharField("决定书文号", max_length=60)
    decision_date = models.DateField("决定日期")
    points = models.PositiveSmallIntegerField("扣分", default=0)
    issuer = models.CharField("发布单位", max_length=100)
    publicity_start = models.DateField("公示开始日期")
    publicity_end = models.DateField("公示截止日期")
    status = models.CharField(
        "状态", max_length=10, choices=BadBehaviourStatus.choices, default=BadBehaviourStatus.DRAFT, db_index=True
    )
    ended_early_on = models.DateField("提前移出日期", null=True, blank=True)
    revoke_reason = models.TextField("撤销原因", blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    attachments = _attachments()

    objects = BadBehaviourQuerySet.as_manager()

    class Meta:
        verbose_name = "不良行为记录"
        ordering = ["-publicity_start", "-id"]
        indexes = [models.Index(fields=["status", "publicity_start", "publicity_end"])]

    def __str__(self) -> str:
        return f"{self.decision_no} {self.enterprise}"

    def get_absolute_url(self) -> str:
        return reverse("supervision:bad_behaviour_detail", args=[self.pk])

    @property
    def display_status(self) -> str:
        """公示中 / 已到期 as of today; 已到期 is the date, not a stored state."""
        return shown_status(self.status, self.publicity_end, timezone.localdate())

    @property
    def display_status_label(self) -> str:
        return BadBehaviourStatus(self.display_status).label

    @property
    def earliest_removal(self) -> dt.date:
        return earliest_removal(self.publicity_start)

    @property
    def publicity_bounds(self) -> tuple[dt.date, dt.date]:
        """The allowed range of the end date: 6 months to 3 years from the start, inclusive."""
        return (
            add_months(self.publicity_start, PUBLICITY_MIN_MONTHS) - dt.timedelta(days=1),
            add_years(self.publicity_start, PUBLICITY_MAX_YEARS) - dt.timedelta(days=1),
        )

    @property
    def is_editable(self) -> bool:
        return self.status == BadBehaviourStatus.DRAFT

    @property
    def state_label(self) -> str:
        return self.display_status_label


class RemovalStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    PENDING = "pending", "待审核"
    APPROVED = "approved", "已同意"
    REJECTED = "rejected", "不同意"


class RemovalApplication(models.Model):
    """提前移出申请: the enterprise shows its rectification; the committee decides."""

    ATTACHABLE_CODE: ClassVar[str] = "removal"
    ATTACHMENT_KINDS: ClassVar[tuple[AttachmentKind, ...]] = (
        AttachmentKind("evidence", "整改证明材料", required=True),
    )

    record = models.ForeignKey(
        BadBehaviour, verbose_name="不良行为记录", on_delete=models.PROTECT, related_name="removals"
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name="企业", on_delete=models.PROTECT, related_name="+"
    )
    rectification = models.TextField("整改情况")
    status = models.CharField("状态", max_length=10, choices=RemovalStatus.choices, default=RemovalStatus.DRAFT)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    decided_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField("审核时间", null=True, blank=True)
    decision_note = models.TextField("审核意见", blank=True)
    attachments = _attachments()

    class Meta:
        verbose_name = "提前移出申请"
        ordering = ["-created_at", "-id"]
        constraints = [
            # One open application per record at a time.
            models.UniqueConstraint(
                fields=["record"],
                condition=Q(status__in=["draft", "pending"]),
                name="removal_one_open_per_record",
            )
        ]

    def __str__(self) -> str:
        return f"{self.record.decision_no} 提前移出申请"

    def get_absolute_url(self) -> str:
        return reverse("supervision:bad_behaviour_detail", args=[self.record_id])

    @property
    def is_editable(self) -> bool:
        return self.status == RemovalStatus.DRAFT

    @property
    def state_label(self) -> str:
        return RemovalStatus(self.status).label


# ---------------------------------------------------------------- 现场检查


# The checklist of an inspection: (code, item, full marks). The total is out of 100.
INSPECTION_ITEMS = (
    ("real_name", "实名制管理（花名册、考勤、门禁）", 20),
    ("contract", "劳动合同签订", 15),
    ("wages", "工资专户与按月足额支付", 20),
    ("wage_manager", "劳资专管员在岗履职", 10),
    ("safety_officer", "安全员在岗与持证", 15),
    ("safety_training", "安全教育与技术交底", 10),
    ("site", "现场文明施工与防护", 10),
)
INSPECTION_PASS_MARK_DEFAULT = 60


class InspectionStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    RECTIFYING = "rectifying", "整改中"
    REPLIED = "replied", "待复查"
    CLOSED = "closed", "已闭环"


class Inspection(models.Model):
    ATTACHABLE_CODE: ClassVar[str] = "inspection"
    ATTACHMENT_KINDS: ClassVar[tuple[AttachmentKind, ...]] = (
        AttachmentKind("evidence", "检查记录及现场照片", images=True),
    )

    project = models.ForeignKey(
        "contracts.ProjectFiling", verbose_name="项目", on_delete=models.PROTECT, related_name="inspections"
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name="企业", on_delete=models.PROTECT, related_name="inspections"
    )
    inspected_on = models.DateField("检查日期")
    inspectors = models.CharField("检查人员", max_length=100)
    scores = models.JSONField("检查项目得分", default=dict, help_text="{item code: score}")
    total_score = models.PositiveSmallIntegerField("总分", default=0)
    problems = models.TextField("发现的问题", blank=True)
    needs_rectification = models.BooleanField("需要整改", default=False)
    notice_no = models.CharField("整改通知书编号", max_length=30, blank=True)
    deadline = models.DateField("整改期限", null=True, blank=True)
    status = models.CharField(
        "状态", max_length=12, choices=InspectionStatus.choices, default=InspectionStatus.DRAFT, db_index=True
    )
    rounds = models.PositiveSmallIntegerField("整改轮次", default=0)
    replied_late = models.BooleanField("逾期整改", default=False)
    # The printed 整改通知书's QR code opens /zg/<token>/: unguessable, set when the notice is issued.
    verify_token = models.CharField(max_length=64, unique=True, null=True, blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    issued_at = models.DateTimeField("发出时间", null=True, blank=True)
    closed_at = models.DateTimeField("闭环时间", null=True, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    attachments = _attachments()

    class Meta:
        verbose_name = "现场检查"
        ordering = ["-inspected_on", "-id"]
        constraints = [
            # 整改通知书编号 are handed out in sequence; the database refuses a number twice.
            models.UniqueConstraint(
                fields=["notice_no"], condition=~Q(notice_no=""), name="inspection_notice_no_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.inspected_on} {self.project}"

    def get_absolute_url(self) -> str:
        return reverse("supervision:inspection_detail", args=[self.pk])

    @property
    def item_rows(self) -> list[dict[str, object]]:
        return [
            {"code": code, "label": label, "full": full, "score": self.scores.get(code)}
            for code, label, full in INSPECTION_ITEMS
        ]

    @property
    def is_overdue(self) -> bool:
        """A 整改通知 past its deadline with no rectification accepted or waiting."""
        return (
            self.status == InspectionStatus.RECTIFYING
            and self.deadline is not None
            and self.deadline < timezone.localdate()
        )

    @property
    def is_editable(self) -> bool:
        return self.status == InspectionStatus.DRAFT

    @property
    def state_label(self) -> str:
        return InspectionStatus(self.status).label


class RectificationStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "待复查"
    PASSED = "passed", "复查通过"
    RETURNED = "returned", "复查退回"


class Rectification(models.Model):
    """One round of the enterprise's reply to a 整改通知 and the committee's re-inspection."""

    ATTACHABLE_CODE: ClassVar[str] = "rectification"
    ATTACHMENT_KINDS: ClassVar[tuple[AttachmentKind, ...]] = (
        AttachmentKind("evidence", "整改证明材料及照片", required=True, images=True),
    )

    inspection = models.ForeignKey(
        Inspection, verbose_name="现场检查", on_delete=models.PROTECT, related_name="replies"
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name="企业", on_delete=models.PROTECT, related_name="+"
    )
    round = models.PositiveSmallIntegerField("轮次")
    content = models.TextField("整改情况")
    status = models.CharField(
        "状态", max_length=10, choices=RectificationStatus.choices, default=RectificationStatus.DRAFT
    )
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    late = models.BooleanField("逾期提交", default=False)
    reviewed_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField("复查时间", null=True, blank=True)
    review_note = models.TextField("复查意见", blank=True)
    attachments = _attachments()

    class Meta:
        verbose_name = "整改回复"
        ordering = ["round"]
        constraints = [models.UniqueConstraint(fields=["inspection", "round"], name="rectification_round_unique")]

    def __str__(self) -> str:
        return f"{self.inspection} 第{self.round}轮整改"

    def get_absolute_url(self) -> str:
        return reverse("supervision:inspection_detail", args=[self.inspection_id])

    @property
    def is_editable(self) -> bool:
        return self.status == RectificationStatus.DRAFT

    @property
    def state_label(self) -> str:
        return RectificationStatus(self.status).label


# ---------------------------------------------------------------- 评优创先


AWARD_TITLES = (
    ("excellent_enterprise", "优秀劳务企业"),
    ("credit_enterprise", "诚信劳务企业"),
    ("excellent_project", "劳务管理优秀项目"),
    ("safe_project", "安全文明标准化项目"),
)


class AwardStatus(models.TextChoices):
    NOMINATED = "nominated", "已推荐"
    GRANTED = "granted", "已获评"
    NOT_GRANTED = "not_granted", "未获评"
    WITHDRAWN = "withdrawn", "已撤回"


class Award(models.Model):
    ATTACHABLE_CODE: ClassVar[str] = "award"
    ATTACHMENT_KINDS: ClassVar[tuple[AttachmentKind, ...]] = (AttachmentKind("support", "推荐材料"),)

    year = models.PositiveSmallIntegerField("年度", db_index=True)
    title = models.CharField("奖项", max_length=30, choices=AWARD_TITLES)
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name="企业", on_delete=models.PROTECT, related_name="awards"
    )
    project = models.ForeignKey(
        "contracts.ProjectFiling",
        verbose_name="项目",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reasons = models.TextField("推荐理由")
    status = models.CharField("状态", max_length=12, choices=AwardStatus.choices, default=AwardStatus.NOMINATED)
    decided_on = models.DateField("评定日期", null=True, blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("推荐时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    attachments = _attachments()

    class Meta:
        verbose_name = "评优创先推荐"
        ordering = ["-year", "-created_at", "-id"]
        constraints = [
            # One nomination per award and year for an enterprise, and for each of its projects.
            models.UniqueConstraint(
                fields=["year", "title", "enterprise"],
                condition=Q(project__isnull=True),
                name="award_unique_enterprise_nomination",
            ),
            models.UniqueConstraint(
                fields=["year", "title", "project"],
                condition=Q(project__isnull=False),
                name="award_unique_project_nomination",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year}年{self.get_title_display()} {self.enterprise}"

    def get_absolute_url(self) -> str:
        return reverse("supervision:award_detail", args=[self.pk])

    @property
    def is_editable(self) -> bool:
        return self.status == AwardStatus.NOMINATED

    @property
    def state_label(self) -> str:
        return AwardStatus(self.status).label


# ---------------------------------------------------------------- 信用评分规则


class CreditRules(models.Model):
    """The one set of scoring rules the committee edits (a single row, pk=1)."""

    base_score = models.PositiveSmallIntegerField("基础分", default=100)
    grade_a_deduction = models.PositiveSmallIntegerField("A类不良行为扣分", default=20)
    grade_b_deduction = models.PositiveSmallIntegerField("B类不良行为扣分", default=10)
    grade_c_deduction = models.PositiveSmallIntegerField("C类不良行为扣分", default=5)
    per_point = models.PositiveSmallIntegerField("记录扣分每分折算", default=1)
    inspection_pass_mark = models.PositiveSmallIntegerField("现场检查合格分", default=INSPECTION_PASS_MARK_DEFAULT)
    inspection_fail_deduction = models.PositiveSmallIntegerField("检查不合格扣分", default=5)
    overdue_deduction = models.PositiveSmallIntegerField("整改逾期扣分", default=5)
    inspection_window_days = models.PositiveSmallIntegerField("检查结果计分期限（天）", default=365)
    award_addition = models.PositiveSmallIntegerField("获评加分", default=5)
    award_window_years = models.PositiveSmallIntegerField("获评加分年限（年）", default=2)
    grade_a_min = models.PositiveSmallIntegerField("A级（优秀）最低分", default=90)
    grade_b_min = models.PositiveSmallIntegerField("B级（良好）最低分", default=75)
    grade_c_min = models.PositiveSmallIntegerField("C级（合格）最低分", default=60)
    updated_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "信用评分规则"
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="credit_rules_single_row")]

    def __str__(self) -> str:
        return "信用评分规则"

    @classmethod
    def current(cls) -> CreditRules:
        rules, _ = cls.objects.get_or_create(pk=1)
        return rules


# ---------------------------------------------------------------- 通知公告 and 站内消息


class Notice(models.Model):
    ATTACHABLE_CODE: ClassVar[str] = "notice"
    ATTACHMENT_KINDS: ClassVar[tuple[AttachmentKind, ...]] = (AttachmentKind("file", "附件", images=True),)

    title = models.CharField("标题", max_length=100)
    body = models.TextField("正文")
    # Whose notice it is: a district's committee manages its own; empty is province-wide,
    # managed only by an account over every district (supervision/permissions.py).
    district = models.ForeignKey(
        "accounts.District",
        verbose_name="发布范围",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    pinned = models.BooleanField("置顶", default=False)
    is_published = models.BooleanField("已发布", default=False, db_index=True)
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    attachments = _attachments()

    class Meta:
        verbose_name = "通知公告"
        ordering = ["-pinned", "-published_at", "-id"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("supervision:notice_detail", args=[self.pk])

    @property
    def is_editable(self) -> bool:
        # A published notice may be corrected (notices.update_notice), its attachments too.
        return True

    @property
    def state_label(self) -> str:
        return "已发布" if self.is_published else "未发布"

    @property
    def scope_label(self) -> str:
        return self.district.name if self.district_id else "全部区划"


class Message(models.Model):
    """站内消息 to an enterprise (every account of it sees it)."""

    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name="企业", on_delete=models.CASCADE, related_name="messages"
    )
    title = models.CharField("标题", max_length=100)
    body = models.TextField("内容")
    link = models.CharField("链接", max_length=200, blank=True)
    created_at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    read_at = models.DateTimeField("阅读时间", null=True, blank=True)

    class Meta:
        verbose_name = "站内消息"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["enterprise", "read_at"])]

    def __str__(self) -> str:
        return self.title


# ---------------------------------------------------------------- 证照到期提醒

REMINDER_THRESHOLDS = (30, 60, 90)


class ExpiryReminder(models.Model):
    """That the enterprise was told of one certificate's expiry at one threshold: once only."""

    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.CASCADE, related_name="+")
    subject_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    subject_id = models.PositiveBigIntegerField()
    field = models.CharField(max_length=40)
    label = models.CharField("证照", max_length=60)
    holder = models.CharField("持有人", max_length=200)
    expires_on = models.DateField("有效期至")
    threshold = models.PositiveSmallIntegerField("提前天数")
    sms_sent = models.BooleanField("短信已发送", default=False)
    sms_error = models.CharField("短信发送失败原因", max_length=200, blank=True)
    created_at = models.DateTimeField("提醒时间", auto_now_add=True)

    class Meta:
        verbose_name = "证照到期提醒"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subject_type", "subject_id", "field", "expires_on", "threshold"],
                name="expiry_reminder_once_per_threshold",
            )
        ]

    def __str__(self) -> str:
        return f"{self.label} {self.holder} {self.expires_on}（{self.threshold}天）"


ATTACHABLE_MODELS = (BadBehaviour, RemovalApplication, Inspection, Rectification, Award)
