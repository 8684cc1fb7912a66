"""项目信息归集: the provincial contract catalogue and the enterprise's project filings."""

from __future__ import annotations

from django.db import models
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from laowu.core.fields import SealedCharField
from laowu.core.search import OrderedGrams
from laowu.core.validators import validate_credit_code, validate_phone
from laowu.documents.kinds import AttachmentKind
from laowu.review.models import Filing, State

# The catalogue's columns, in the province's export order: (field, Chinese header).
CATALOGUE_COLUMNS = (
    ("project_code", "项目编号"),
    ("project_name", "项目名称"),
    ("project_location", "项目地点"),
    ("builder", "建设单位"),
    ("general_contractor", "施工总承包单位"),
    ("contract_no", "合同编号"),
    ("subcontractor", "劳务分包单位"),
    ("subcontractor_credit_code", "劳务分包单位统一社会信用代码"),
    ("amount", "合同金额（万元）"),
    ("signed_date", "签订日期"),
    ("planned_start", "计划开工日期"),
    ("planned_end", "计划竣工日期"),
)
CATALOGUE_FIELDS = tuple(f for f, _ in CATALOGUE_COLUMNS)


class CatalogueSource(models.TextChoices):
    IMPORT = "import", "文件导入"
    PULL = "pull", "接口同步"
    DEMO = "demo", "演示数据"


class CatalogueContract(models.Model):
    """A labour-subcontract as the 省合同归集系统 holds it (copied here; never edited by hand)."""

    project_code = models.CharField("项目编号", max_length=50)
    project_name = models.CharField("项目名称", max_length=200)
    project_location = models.CharField("项目地点", max_length=200)
    builder = models.CharField("建设单位", max_length=200)
    general_contractor = models.CharField("施工总承包单位", max_length=200)
    contract_no = models.CharField("合同编号", max_length=60, unique=True)
    subcontractor = models.CharField("劳务分包单位", max_length=200)
    # Looked up by equality only, through catalogue_credit_signed_idx's first column.
    subcontractor_credit_code = models.CharField(
        "劳务分包单位统一社会信用代码", max_length=18, validators=[validate_credit_code]
    )
    amount = models.DecimalField("合同金额（万元）", max_digits=14, decimal_places=4)
    signed_date = models.DateField("签订日期")
    planned_start = models.DateField("计划开工日期")
    planned_end = models.DateField("计划竣工日期")
    source = models.CharField("来源", max_length=10, choices=CatalogueSource.choices, default=CatalogueSource.IMPORT)
    imported_at = models.DateTimeField("导入时间", default=timezone.now)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "省合同归集合同"
        ordering = ["-signed_date", "-id"]
        indexes = [
            # The enterprise's contracts in the picker's order (newest signed first, then id),
            # walked rather than sorted; with the id in it, whether each is filed is answered
            # from the index alone (`available_catalogue`).
            models.Index(fields=["subcontractor_credit_code", "signed_date", "id"], name="catalogue_credit_signed_idx")
        ]

    def __str__(self) -> str:
        return f"{self.project_name}（{self.contract_no}）"


# 合同编号's ordered gram table (migrations 0006, 0007), in the lists' order (newest signed first),
# carrying what the committee list filters on: the 状态 tab and the reviewer's districts (the
# enterprise's, kept by a trigger on the enterprises' table); 签订日期 is the order's key.
CONTRACT_NO_GRAMS = OrderedGrams(
    "contracts_projectfiling",
    "contract_no",
    ("signed_date",),
    carried=("state",),
    related=(("enterprise_id", "enterprises_enterprise", "district_id"),),
    partition="district_id",
)
# 项目名称 and 合同编号's bigram table (migration 0011), joined per filing, for the committee list
# limited to a reviewer's districts: any term's matches there are its rarest bigram's postings in
# those districts, read in the list's order and counted from the index, instead of each of the
# districts' filings tested. Read only for such lists: no index of the whole list's order.
PROJECT_TEXT_GRAMS = OrderedGrams(
    "contracts_projectfiling",
    "project_name",
    ("signed_date",),
    carried=("state",),
    related=(("enterprise_id", "enterprises_enterprise", "district_id"),),
    partition="district_id",
    also=("contract_no",),
    n=2,
    walked=False,
)


class ProjectFiling(Filing):
    """One filed labour contract. The catalogue's fields are copied at 选择 and read-only."""

    FILING_TYPE = "project"
    # The site manager's phone is personal data: masked for those who may not see it in full,
    # sealed in the snapshot (laowu/review/fields.py).
    SENSITIVE_FIELDS = {"site_manager_phone": "mobile"}
    FILING_LABEL = "项目信息"
    ATTACHMENT_KINDS = (
        AttachmentKind("subcontract", "劳务分包合同", required=True),
        AttachmentKind("other", "其他"),
    )
    SNAPSHOT_FIELDS = (
        *CATALOGUE_FIELDS,
        "site_manager",
        "site_manager_phone",
        "safety_officer",
        "wage_manager",
        "planned_workers",
    )
    SHEET_TITLE = "项目信息表"
    SHEET_CODE = "XMXX"
    SHEET_SECTIONS = (
        ("合同信息（来源：省合同归集系统）", CATALOGUE_FIELDS),
        ("现场管理", ("site_manager", "site_manager_phone", "safety_officer", "wage_manager", "planned_workers")),
    )
    VERIFY_FIELDS = ("project_code", "project_name", "contract_no", "subcontractor", "signed_date", "site_manager")
    VERIFY_MASKS = {"site_manager": "name"}

    catalogue = models.ForeignKey(CatalogueContract, verbose_name="合同", on_delete=models.PROTECT, related_name="+")
    project_code = models.CharField("项目编号", max_length=50)
    project_name = models.CharField("项目名称", max_length=200)
    project_location = models.CharField("项目地点", max_length=200)
    builder = models.CharField("建设单位", max_length=200)
    general_contractor = models.CharField("施工总承包单位", max_length=200)
    contract_no = models.CharField("合同编号", max_length=60)
    subcontractor = models.CharField("劳务分包单位", max_length=200)
    subcontractor_credit_code = models.CharField("劳务分包单位统一社会信用代码", max_length=18)
    amount = models.DecimalField("合同金额（万元）", max_digits=14, decimal_places=4)
    signed_date = models.DateField("签订日期")
    planned_start = models.DateField("计划开工日期")
    planned_end = models.DateField("计划竣工日期")

    site_manager = models.CharField("现场负责人", max_length=30, blank=True)
    site_manager_phone = SealedCharField("现场负责人电话", plain_max_length=20, blank=True, validators=[validate_phone])
    safety_officer = models.ForeignKey(
        "personnel.SafetyOfficer",
        verbose_name="安全员",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    wage_manager = models.ForeignKey(
        "personnel.WageManager",
        verbose_name="劳资专管员",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    planned_workers = models.PositiveIntegerField("计划用工人数", null=True, blank=True)

    class Meta:
        verbose_name = "项目信息"
        ordering = ["-signed_date", "-id"]
        indexes = [
            # The home's standing (laowu/workspace/steps.py) counts each state's rows, those with
            # an approved submission, and their latest revision: with these included (PostgreSQL;
            # SQLite builds it without the INCLUDE) it reads this index, not the rows.
            models.Index(
                fields=["enterprise", "state"],
                include=["id", "approved_submission", "revision"],
                name="project_enterprise_state_idx",
            ),
            # The enterprise's list in its order, the id included: walked 21 rows at a time. Covering
            # (PostgreSQL) what a committee list limited to some districts' enterprises filters on —
            # name and number searched, the 状态 tab — so that its exact count of a common term
            # tests each of the districts' filings in the index, without a heap read per row.
            models.Index(
                fields=["enterprise", "signed_date", "id"],
                include=["project_name", "contract_no", "state"],
                name="project_enterprise_signed_idx",
            ),
            # Covering (PostgreSQL): a search walking the committee list's order for a common term
            # or a contract number tests each row's name and number in the index itself, without
            # a heap read per row (about 3x faster per row; SQLite builds it without the INCLUDE).
            models.Index(
                fields=["signed_date", "id"], include=["project_name", "contract_no"], name="project_signed_cover"
            ),
        ]
        constraints = [
            # A contract is filed once (a deleted, never-approved filing frees it again).
            models.UniqueConstraint(fields=["catalogue"], name="project_filing_catalogue_once"),
        ]

    def __str__(self) -> str:
        return self.title()

    def title(self) -> str:
        return self.project_name

    def get_absolute_url(self) -> str:
        return reverse("contracts:edit", args=[self.pk])

    def readonly_fields(self) -> frozenset[str]:
        return frozenset(CATALOGUE_FIELDS)

    def provider_fields(self) -> frozenset[str]:
        return frozenset(CATALOGUE_FIELDS)

    def declare_problems(self) -> list[str]:
        problems = []
        from laowu.enterprises.models import BasicInfo

        if not BasicInfo.objects.filter(enterprise_id=self.enterprise_id, approved_submission__isnull=False).exists():
            problems.append("企业基本信息审核通过后才能提交项目信息，请先完成“基本信息归集”。")
        for person, label in ((self.safety_officer, "安全员"), (self.wage_manager, "劳资专管员")):
            if person is not None and (person.approved_submission_id is None or person.state == State.DEREGISTERED):
                problems.append(f"所选{label}“{person.name}”不是本企业审核通过的在岗人员，请重新选择。")
        return problems


def available_catalogue(enterprise_credit_code: str) -> models.QuerySet[CatalogueContract]:
    """What the 选择项目 picker offers: the enterprise's own contracts, not yet filed."""
    # NOT EXISTS, not NOT IN: PostgreSQL answers NOT IN (subquery) by materializing every filed
    # catalogue id (a province's million) for each request, NOT EXISTS by one index probe per contract.
    filed = ProjectFiling.objects.filter(catalogue_id=OuterRef("pk"))
    return CatalogueContract.objects.filter(subcontractor_credit_code=enterprise_credit_code).exclude(Exists(filed))
