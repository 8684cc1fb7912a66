from __future__ import annotations

from django.db import models
from django.urls import reverse
from django.utils import timezone

from laowu.core.fields import SealedCharField
from laowu.core.validators import (
    validate_credit_code,
    validate_phone,
    validate_qualification_no,
    validate_safety_license_no,
)
from laowu.documents.kinds import AttachmentKind
from laowu.review.models import ON_FILE, ExpiringDate, Filing


class Enterprise(models.Model):
    """A labour enterprise's identity. Its filings (基本信息 etc.) hang off it."""

    name = models.CharField("企业名称", max_length=200)
    credit_code = models.CharField("统一社会信用代码", max_length=18, unique=True, validators=[validate_credit_code])
    district = models.ForeignKey("accounts.District", verbose_name="行政区划", on_delete=models.PROTECT)
    # Whether 企业名称 etc. came from the company-information provider; the reviewer
    # must see when the enterprise typed them itself.
    provider_confirmed = models.BooleanField("已经天眼查核验", default=False)
    provider_data = models.JSONField("天眼查登记信息", default=dict, blank=True)
    provider_checked_at = models.DateTimeField("核验时间", null=True, blank=True)
    contact_name = models.CharField("联系人", max_length=50)
    contact_phone = SealedCharField("联系人手机号码", plain_max_length=11)  # sealed at rest (docs/security.md)
    created_at = models.DateTimeField("注册时间", auto_now_add=True)

    class Meta:
        verbose_name = "企业"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["created_at", "id"], name="enterprise_created_idx"),
            # Lists by name (信用评分, 评优, 不良行为's enterprise choice) walk it instead of sorting all.
            models.Index(fields=["name", "id"], name="enterprise_name_idx"),
        ]

    def __str__(self) -> str:
        return self.name


REGISTRATION_PLACES = [("in_district", "相城区内"), ("out_of_district", "相城区外")]

# Fields that come from the company-information provider; shown read-only when it gave them.
PROVIDER_FIELDS = (
    "name",
    "credit_code",
    "legal_representative",
    "registered_capital",
    "established_date",
    "company_type",
    "registration_authority",
    "business_status",
    "registered_address",
    "business_scope",
    "business_term_from",
    "business_term_to",
)
SUPPLEMENT_FIELDS = (
    "registration_place",
    "office_address",
    "contact_name",
    "contact_phone",
    "principal",
    "employee_count",
    "qualification_no",
    "qualification_issuer",
    "qualification_valid_until",
    "safety_license_no",
    "safety_license_valid_until",
)
# 营业期限至 may be empty: 无固定期限.
OPTIONAL_AT_DECLARE = frozenset({"business_term_to"})


class BasicInfo(Filing):
    """基本信息归集: the enterprise's registered data confirmed, plus the committee's fields."""

    FILING_TYPE = "basic_info"
    # The contact person's phone is personal data: masked for those who may not see it in full,
    # sealed in the snapshot (laowu/review/fields.py).
    SENSITIVE_FIELDS = {"contact_phone": "mobile"}
    FILING_LABEL = "企业基本信息"
    APPROVED_COPIES = {
        "qualification_valid_until": "approved_qualification_valid_until",
        "safety_license_valid_until": "approved_safety_license_valid_until",
    }
    EXPIRING_DATES = (
        ExpiringDate(
            kind="qualification",
            label="资质证书",
            field="qualification_valid_until",
            number_field="qualification_no",
            fix_where="基本信息归集",
        ),
        ExpiringDate(
            kind="safety_license",
            label="安全生产许可证",
            field="safety_license_valid_until",
            number_field="safety_license_no",
            fix_where="基本信息归集",
        ),
    )
    ATTACHMENT_KINDS = (
        AttachmentKind("business_license", "营业执照", required=True),
        AttachmentKind("qualification", "施工劳务资质证书", required=True),
        AttachmentKind("safety_license", "安全生产许可证", required=True),
        AttachmentKind("other", "其他"),
    )
    SNAPSHOT_FIELDS = PROVIDER_FIELDS + SUPPLEMENT_FIELDS
    OPTIONAL_AT_DECLARE = OPTIONAL_AT_DECLARE
    SHEET_TITLE = "企业基本情况表"
    SHEET_CODE = "QYJB"
    SHEET_SECTIONS = (("企业登记信息", PROVIDER_FIELDS), ("资质与联系信息", SUPPLEMENT_FIELDS))
    VERIFY_FIELDS = (
        "name",
        "credit_code",
        "legal_representative",
        "registration_place",
        "qualification_no",
        "qualification_valid_until",
        "safety_license_no",
        "safety_license_valid_until",
    )
    VERIFY_MASKS = {"legal_representative": "name"}

    name = models.CharField("企业名称", max_length=200, blank=True)
    credit_code = models.CharField("统一社会信用代码", max_length=18, blank=True)
    legal_representative = models.CharField("法定代表人", max_length=50, blank=True)
    registered_capital = models.CharField("注册资本", max_length=50, blank=True)
    established_date = models.DateField("成立日期", null=True, blank=True)
    company_type = models.CharField("企业类型", max_length=100, blank=True)
    registration_authority = models.CharField("登记机关", max_length=100, blank=True)
    business_status = models.CharField("经营状态", max_length=30, blank=True)
    registered_address = models.CharField("注册地址", max_length=200, blank=True)
    business_scope = models.TextField("经营范围", blank=True)
    business_term_from = models.DateField("营业期限自", null=True, blank=True)
    business_term_to = models.DateField("营业期限至", null=True, blank=True, help_text="无固定期限请留空")

    registration_place = models.CharField("注册地", max_length=20, choices=REGISTRATION_PLACES, blank=True)
    office_address = models.CharField("办公地址", max_length=200, blank=True)
    contact_name = models.CharField("联系人", max_length=50, blank=True)
    contact_phone = SealedCharField("联系电话", plain_max_length=20, blank=True, validators=[validate_phone])
    principal = models.CharField("主要负责人", max_length=50, blank=True)
    employee_count = models.PositiveIntegerField("职工人数", null=True, blank=True)
    qualification_no = models.CharField(
        "施工劳务资质证书编号", max_length=10, blank=True, validators=[validate_qualification_no]
    )
    qualification_issuer = models.CharField("资质发证机关", max_length=100, blank=True)
    qualification_valid_until = models.DateField("资质有效期至", null=True, blank=True)
    safety_license_no = models.CharField(
        "安全生产许可证编号", max_length=40, blank=True, validators=[validate_safety_license_no]
    )
    safety_license_valid_until = models.DateField("安全生产许可证有效期至", null=True, blank=True)
    approved_qualification_valid_until = models.DateField("已通过的资质有效期至", null=True, blank=True, editable=False)
    approved_safety_license_valid_until = models.DateField(
        "已通过的安全生产许可证有效期至", null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = "企业基本信息"
        constraints = [models.UniqueConstraint(fields=["enterprise"], name="basic_info_one_per_enterprise")]
        indexes = [
            models.Index(
                fields=["approved_qualification_valid_until", "id"],
                name="basic_qualification_expiry_idx",
                condition=ON_FILE,
            ),
            models.Index(
                fields=["approved_safety_license_valid_until", "id"], name="basic_license_expiry_idx", condition=ON_FILE
            ),
        ]

    def __str__(self) -> str:
        return self.title()

    def title(self) -> str:
        return self.name or self.enterprise.name

    def get_absolute_url(self) -> str:
        return reverse("enterprises:basic_info")

    def provider_fields(self) -> frozenset[str]:
        """The fields the provider confirmed (non-empty in its data): read-only for the enterprise."""
        data = self.enterprise.provider_data or {}
        if not self.enterprise.provider_confirmed:
            return frozenset()
        return frozenset(f for f in PROVIDER_FIELDS if data.get(f) not in (None, ""))

    def readonly_fields(self) -> frozenset[str]:
        # The credit code is the account's identity: fixed at registration.
        return self.provider_fields() | {"credit_code"}

    def declare_problems(self) -> list[str]:
        problems = []
        if self.business_term_from and self.business_term_to and self.business_term_to < self.business_term_from:
            problems.append("营业期限至不能早于营业期限自。")
        today = timezone.localdate()
        if self.qualification_valid_until and self.qualification_valid_until < today:
            problems.append("施工劳务资质证书已过有效期，请更新后再申报。")
        if self.safety_license_valid_until and self.safety_license_valid_until < today:
            problems.append("安全生产许可证已过有效期，请更新后再申报。")
        return problems
