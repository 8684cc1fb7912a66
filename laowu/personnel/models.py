"""安全员 and 劳资专管员: two filing types on the one workflow (docs/workflow.md)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import IntegrityError, models, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from laowu.core import prepared
from laowu.core.fields import BlindIndexField, SealedCharField, index_value
from laowu.core.validators import mask_id_number, validate_id_number, validate_mobile
from laowu.documents.kinds import AttachmentKind
from laowu.review.models import ON_FILE, ExpiringDate, Filing, State
from laowu.review.services import WorkflowError, delete_refusal

GENDERS = [("男", "男"), ("女", "女")]
EDUCATIONS = [
    ("初中及以下", "初中及以下"),
    ("高中/中专", "高中/中专"),
    ("大专", "大专"),
    ("本科", "本科"),
    ("研究生", "研究生"),
]
SAFETY_CATEGORIES = [("C1", "C1（机械类）"), ("C2", "C2（土建类）"), ("C3", "C3（综合类）")]

PERSON_ATTACHMENTS_OPTIONAL = (
    AttachmentKind("labour_contract", "劳动合同"),
    AttachmentKind("social_insurance", "社保缴纳证明"),
)


# One context for every blind index of a person's 身份证号 (both roles' tables and PersonClaim).
ID_INDEX_CONTEXT = "person.id_number"


def _approved_basic_info_query(enterprise_id: int) -> QuerySet[Any]:
    from laowu.enterprises.models import BasicInfo

    approved = BasicInfo.objects.filter(enterprise_id=enterprise_id, approved_submission__isnull=False)
    return approved.values_list("pk")[:1]


def basic_info_approved(enterprise_id: int) -> bool:
    """Whether the enterprise's 基本信息 holds an approved revision, which 提交 of a person
    needs (`Person.declare_problems`). Asked on every render of an editable person's page (its
    checklist) and at 提交: the query's SQL is written once per process
    (laowu/core/prepared.py), its answer read from the table each time."""
    return bool(prepared.run(("personnel.basic_info_approved",), _approved_basic_info_query, enterprise_id))


class PersonClaim(models.Model):
    """Which enterprise a person (身份证号) is currently on file with.

    The unique key is what makes "one enterprise at a time" hold when two enterprises
    declare the same person at the same moment: the second insert fails.
    """

    # The person's 身份证号 by its blind index only (laowu/core/fields.py): a claim needs to
    # compare numbers, never to show one.
    id_index = models.CharField(max_length=64, unique=True)
    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.CASCADE, related_name="+")
    claimed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "人员在岗登记"

    def __str__(self) -> str:
        return f"{self.id_index[:8]}…@{self.enterprise_id}"


class PersonClaimedElsewhere(WorkflowError):
    def __init__(self) -> None:
        # Told to the reviewer at 通过, never to the declaring enterprise (see Person.on_declare).
        super().__init__(
            "该人员仍在其他企业登记在岗，不能审核通过。请核实其实际所在企业：如已离职，请原企业办理注销后再审核；"
            "否则请退回并说明原因。"
        )


class Person(Filing):
    """Fields shared by both personnel roles."""

    ROLE_URL: ClassVar[str]  # URL segment of this role's pages
    SENSITIVE_FIELDS = {"id_number": "id", "mobile": "mobile"}
    # The public verification page names the person only as far as needed to match the sheet.
    VERIFY_MASKS = {"name": "name", "id_number": "id"}

    name = models.CharField("姓名", max_length=30)
    gender = models.CharField("性别", max_length=2, choices=GENDERS, blank=True)
    # Sealed at rest (laowu/core/fields.py, docs/security.md); compared through id_index, whose
    # context is shared by both roles and by PersonClaim, so one person's number matches across them.
    id_number = SealedCharField("身份证号", plain_max_length=18, validators=[validate_id_number])
    id_index = BlindIndexField(source="id_number", context=ID_INDEX_CONTEXT, db_index=True)
    mobile = SealedCharField("手机号", plain_max_length=11, blank=True, validators=[validate_mobile])
    cert_no = models.CharField("证书编号", max_length=40, blank=True)
    issue_date = models.DateField("发证日期", null=True, blank=True)
    education = models.CharField("学历", max_length=10, choices=EDUCATIONS, blank=True)
    # 个人信息保护法 art. 17: the enterprise confirms the person was told and agreed.
    consent_confirmed_at = models.DateTimeField("告知同意确认时间", null=True, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.title()

    def title(self) -> str:
        return self.name

    def id_index_now(self) -> str:
        """The blind index of the 身份证号 as it is now (the column is filled on save)."""
        return index_value(self.id_number or "", context=ID_INDEX_CONTEXT)

    def get_absolute_url(self) -> str:
        return reverse("personnel:edit", args=[self.ROLE_URL, self.pk])

    def readonly_fields(self) -> frozenset[str]:
        # Once approved, the 身份证号 is who this record is: its PersonClaim is keyed by it and
        # released by it at 注销. Changing it in a 变更 would leave the old number's claim locked
        # forever; a wrong number is corrected by 注销 and a new registration instead.
        if self.approved_submission_id is not None:
            return super().readonly_fields() | {"id_number"}
        return super().readonly_fields()

    @property
    def deletable(self) -> bool:
        """删除 is offered (list, confirmation page) exactly when the workflow would do it."""
        return not delete_refusal(self)

    def declare_problems(self) -> list[str]:
        problems = []
        if not self.consent_confirmed_at:
            problems.append("请确认已告知该人员并取得其同意")
        if self.issue_date and self.issue_date > timezone.localdate():
            problems.append("发证日期不能晚于今天。")
        if not basic_info_approved(self.enterprise_id):
            problems.append("企业基本信息审核通过后才能提交人员信息，请先完成“基本信息归集”。")
        return problems

    def on_declare(self) -> None:
        """Claim the person for this enterprise if nobody holds them. If another enterprise
        does, the declaration still goes through, exactly as any other: refusing it (or a
        save) would tell this enterprise that the person is on file elsewhere, which is the
        other enterprise's business. The reviewer sees the conflict on the submission page
        (`review_notes`) and decides; 通过 waits until the claim is free (`on_approve`)."""
        if PersonClaim.objects.select_for_update().filter(id_index=self.id_index_now()).exists():
            return
        try:
            with transaction.atomic():
                PersonClaim.objects.create(id_index=self.id_index_now(), enterprise_id=self.enterprise_id)
        except IntegrityError:
            # Another enterprise claimed the person between our read and insert: the same
            # conflict as above, left to the reviewer.
            pass

    def on_approve(self) -> None:
        claim = PersonClaim.objects.select_for_update().filter(id_index=self.id_index_now()).first()
        if claim is not None:
            if claim.enterprise_id != self.enterprise_id:
                raise PersonClaimedElsewhere
            return
        # Declared while another enterprise held the person, who has since been released.
        try:
            with transaction.atomic():
                PersonClaim.objects.create(id_index=self.id_index_now(), enterprise_id=self.enterprise_id)
        except IntegrityError:
            raise PersonClaimedElsewhere from None

    def review_notes(self) -> list[str]:
        # Of the claim's enterprise its name only: not its provider data nor its sealed phone.
        claim = (
            PersonClaim.objects.filter(id_index=self.id_index_now())
            .select_related("enterprise")
            .only("enterprise__name")
            .first()
        )
        if claim is None or claim.enterprise_id == self.enterprise_id:
            return []
        return [
            f"该人员（身份证号 {mask_id_number(self.id_number)}）目前已在“{claim.enterprise.name}”登记在岗。"
            "同一人员同一时间只能在一家企业登记：请核实其实际所在企业，如已从原企业离职，请原企业办理注销后再审核通过；"
            "否则请退回并说明原因。申报企业未被告知此情况。"
        ]

    def on_inactive(self) -> None:
        still_active = any(
            model.objects.filter(enterprise_id=self.enterprise_id, id_index=self.id_index_now())
            .exclude(pk=self.pk if isinstance(self, model) else None)
            .filter(Q(state=State.DECLARED) | (Q(approved_submission__isnull=False) & ~Q(state=State.DEREGISTERED)))
            .exists()
            for model in (SafetyOfficer, WageManager)
        )
        if not still_active:
            PersonClaim.objects.filter(id_index=self.id_index_now(), enterprise_id=self.enterprise_id).delete()


class SafetyOfficer(Person):
    FILING_TYPE = "safety_officer"
    FILING_LABEL = "安全员"
    ROLE_URL = "safety"
    SHEET_CODE = "AQY"
    APPROVED_COPIES = {"valid_until": "approved_valid_until"}
    EXPIRING_DATES = (
        ExpiringDate(
            kind="safety_cert",
            label="安全员证书",
            field="valid_until",
            number_field="cert_no",
            holder_field="name",
            fix_where="安全员归集",
        ),
    )
    ATTACHMENT_KINDS = (
        AttachmentKind("id_card", "身份证", required=True, personal=True),
        AttachmentKind("safety_cert", "安全生产考核合格证书", required=True),
        *PERSON_ATTACHMENTS_OPTIONAL,
    )
    SNAPSHOT_FIELDS = (
        "name",
        "gender",
        "id_number",
        "mobile",
        "cert_no",
        "cert_category",
        "issue_date",
        "valid_until",
        "issuer",
        "education",
    )
    VERIFY_FIELDS = ("name", "id_number", "cert_no", "cert_category", "valid_until", "issuer")

    cert_no = models.CharField("安全生产考核合格证书编号", max_length=40, blank=True)
    cert_category = models.CharField("证书类别", max_length=2, choices=SAFETY_CATEGORIES, blank=True)
    valid_until = models.DateField("有效期至", null=True, blank=True)
    approved_valid_until = models.DateField("已通过的有效期至", null=True, blank=True, editable=False)
    issuer = models.CharField("发证机关", max_length=100, blank=True)

    class Meta:
        verbose_name = "安全员"
        indexes = [
            # The home's standing (laowu/workspace/steps.py) counts each state's rows, those with
            # an approved submission, and their latest revision: with these included (PostgreSQL;
            # SQLite builds it without the INCLUDE) it reads this index, not the rows.
            models.Index(
                fields=["enterprise", "state"],
                include=["id", "approved_submission", "revision"],
                name="safety_enterprise_state_idx",
            ),
            models.Index(fields=["updated_at", "id"], name="safety_updated_idx"),
            # The enterprise's own list, walked in its order: safety_updated_idx would pass over
            # every other enterprise's rows first. Covering the searched columns (PostgreSQL), a
            # count of a one-character search (no bigram to look up) reads the index, not the rows.
            models.Index(
                fields=["enterprise", "updated_at", "id"],
                include=["name", "cert_no"],
                name="safety_enterprise_updated_idx",
            ),
            models.Index(fields=["approved_valid_until", "id"], name="safety_expiry_idx", condition=ON_FILE),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "id_index"],
                condition=~Q(state="deregistered"),
                name="safety_officer_once_per_enterprise",
            )
        ]

    def declare_problems(self) -> list[str]:
        from laowu.core.validators import safety_cert_category

        problems = super().declare_problems()
        # A number from before the C1/C2/C3 split names no class; then the chosen one stands.
        carried = safety_cert_category(self.cert_no) if self.cert_no else None
        if carried and self.cert_category and carried != self.cert_category:
            problems.append("证书编号中的类别与所选证书类别不一致。")
        if self.issue_date and self.valid_until and self.valid_until <= self.issue_date:
            problems.append("有效期至必须晚于发证日期。")
        if self.valid_until and self.valid_until < timezone.localdate():
            problems.append("安全生产考核合格证书已过有效期，不能提交。")
        return problems


class WageManager(Person):
    FILING_TYPE = "wage_manager"
    FILING_LABEL = "劳资专管员"
    ROLE_URL = "wage"
    SHEET_CODE = "LZZG"
    ATTACHMENT_KINDS = (
        AttachmentKind("id_card", "身份证", required=True, personal=True),
        AttachmentKind("training_cert", "培训合格证书", required=True),
        *PERSON_ATTACHMENTS_OPTIONAL,
    )
    SNAPSHOT_FIELDS = ("name", "gender", "id_number", "mobile", "cert_no", "issue_date", "issuer", "education")
    VERIFY_FIELDS = ("name", "id_number", "cert_no", "issue_date", "issuer")

    cert_no = models.CharField("培训合格证书编号", max_length=40, blank=True)
    issuer = models.CharField("发证单位", max_length=100, blank=True)

    class Meta:
        verbose_name = "劳资专管员"
        indexes = [
            # As SafetyOfficer's safety_enterprise_state_idx.
            models.Index(
                fields=["enterprise", "state"],
                include=["id", "approved_submission", "revision"],
                name="wage_enterprise_state_idx",
            ),
            models.Index(fields=["updated_at", "id"], name="wage_updated_idx"),
            # As SafetyOfficer's safety_enterprise_updated_idx.
            models.Index(
                fields=["enterprise", "updated_at", "id"],
                include=["name", "cert_no"],
                name="wage_enterprise_updated_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "id_index"],
                condition=~Q(state="deregistered"),
                name="wage_manager_once_per_enterprise",
            )
        ]


PERSON_MODELS: dict[str, type[Person]] = {"safety": SafetyOfficer, "wage": WageManager}
