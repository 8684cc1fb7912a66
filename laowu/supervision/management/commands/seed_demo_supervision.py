"""Demo data for the committee's supervision: a second demo enterprise whose filings are
all approved (基本信息, one 安全员, one 劳资专管员, one project), so the demo reviewer can
inspect a filed project and that enterprise can reply, plus a published notice.

Everything goes through the real services, as a clerk would have done it; running the
command again changes nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from laowu.accounts.models import User
from laowu.accounts.services import register_enterprise
from laowu.contracts.models import ProjectFiling, available_catalogue
from laowu.contracts.services import select_contract
from laowu.core.fields import index_value
from laowu.documents.services import add_attachment
from laowu.enterprises.services import ensure_basic_info
from laowu.integrations.company_info.offline import offline_companies
from laowu.personnel.models import ID_INDEX_CONTEXT, SafetyOfficer, WageManager
from laowu.personnel.services import create_person
from laowu.review import services as workflow
from laowu.review.models import Filing, State
from laowu.supervision import notices
from laowu.supervision.models import Notice

SECOND_ENTERPRISE_PHONE = "13800000011"
BASIC_INFO = {
    "registration_place": "in_district",
    "office_address": "苏州市相城区黄埭镇春申湖西路8号",
    "principal": "周海峰",
    "employee_count": 88,
    "qualification_no": "D332098765",
    "qualification_issuer": "苏州市住房和城乡建设局",
    "safety_license_no": "（苏）JZ安许证字〔2021〕004512",
}
PEOPLE = (
    (
        SafetyOfficer,
        {
            "name": "陆建明",
            "gender": "男",
            "id_number": "320507198204150012",
            "mobile": "13962001234",
            "cert_no": "苏建安C3(2022)0004512",
            "cert_category": "C3",
            "issue_date": dt.date(2022, 5, 10),
            "issuer": "江苏省住房和城乡建设厅",
            "education": "大专",
        },
    ),
    (
        WageManager,
        {
            "name": "沈秀英",
            "gender": "女",
            "id_number": "320507198811230022",
            "mobile": "13962005678",
            "cert_no": "LZ2023-0456",
            "issue_date": dt.date(2023, 3, 1),
            "issuer": "苏州市相城区人力资源和社会保障局",
            "education": "本科",
        },
    ),
)
NOTICE_TITLE = "关于开展2026年度建筑劳务企业信息归集复核工作的通知"
NOTICE_BODY = (
    "各建筑劳务企业：\n"
    "为做好本年度建筑劳务企业信息归集工作，请各企业于12月31日前登录本平台，核对并完善基本信息、"
    "安全员、劳资专管员及项目信息，确保所报信息真实、准确、完整。\n"
    "相城区建筑业协会建筑劳务专业委员会"
)


def demo_pdf(title: str) -> bytes:
    """A one-page A4 scan stand-in with the document's name on it."""
    import weasyprint

    style = "font-family: Noto Sans CJK SC, sans-serif"
    html = f'<html><body style="{style}"><h1>{title}</h1><p>演示文件</p></body></html>'
    return weasyprint.HTML(string=html).write_pdf()


class Command(BaseCommand):
    help = "创建行业监管演示数据：一家各项信息均已审核通过的演示企业（可供现场检查）及一条通知公告。"

    def handle(self, *args: Any, **opts: Any) -> None:
        if not getattr(settings, "LAOWU_DEMO_DATA_ALLOWED", False):
            raise CommandError("生产环境不允许创建演示数据。")
        reviewer = User.objects.filter(username="shenhe").first()
        if reviewer is None:
            raise CommandError("请先运行 seed_demo 创建演示审核员。")
        company = offline_companies()[1]
        owner = User.objects.filter(username=company.credit_code).first()
        if owner is None:
            owner = register_enterprise(
                name=company.name,
                credit_code=company.credit_code,
                contact_name="周海峰",
                phone=SECOND_ENTERPRISE_PHONE,
                password=_demo_password(),
            )
        enterprise = owner.enterprise
        info = ensure_basic_info(enterprise=enterprise)
        if info.state == State.DRAFT:
            data = dict(BASIC_INFO)
            data.update(
                qualification_valid_until=dt.date(2030, 12, 31),
                # Expires soon on purpose, so the expiry reminders have something to show.
                safety_license_valid_until=timezone.localdate() + dt.timedelta(days=45),
            )
            info = workflow.save_fields(filing=info, data=data, actor=owner)
            self._attach_required(info, owner)
            self._approve(info, owner, reviewer)
        people = {}
        for model, fields in PEOPLE:
            person = model.objects.filter(
                enterprise=enterprise, id_index=index_value(fields["id_number"], context=ID_INDEX_CONTEXT)
            ).first()
            if person is None:
                data = dict(fields)
                if model is SafetyOfficer:
                    data["valid_until"] = dt.date(2028, 5, 9)
                person = create_person(model=model, enterprise=enterprise, data=data, actor=owner)
            if person.state == State.DRAFT:
                self._attach_required(person, owner)
                self._approve(person, owner, reviewer)
            people[model] = person
        if not ProjectFiling.objects.filter(enterprise=enterprise).exists():
            contract = available_catalogue(enterprise.credit_code).order_by("signed_date", "pk").first()
            if contract is None:
                raise CommandError("演示合同归集数据中没有该企业的合同，请先运行 seed_demo_catalogue。")
            project = select_contract(enterprise=enterprise, catalogue_id=contract.pk, actor=owner)
            data = {
                "site_manager": "周海峰",
                "site_manager_phone": "13962009876",
                "safety_officer": people[SafetyOfficer],
                "wage_manager": people[WageManager],
                "planned_workers": 120,
            }
            project = workflow.save_fields(filing=project, data=data, actor=owner)
            self._attach_required(project, owner)
            self._approve(project, owner, reviewer)
        if not Notice.objects.filter(title=NOTICE_TITLE).exists():
            notice = notices.create_notice(
                data={"title": NOTICE_TITLE, "body": NOTICE_BODY, "pinned": True}, actor=reviewer
            )
            notices.publish_notice(notice=notice, actor=reviewer)
        self.stdout.write(f"行业监管演示数据：{enterprise.name}（账号 {owner.username}，各项信息均已审核通过）。")

    def _attach_required(self, filing: Filing, owner: User) -> None:
        present = set(filing.attachments.values_list("kind", flat=True))
        for kind in filing.ATTACHMENT_KINDS:
            if kind.required and kind.code not in present:
                upload = SimpleUploadedFile(f"{kind.label}.pdf", demo_pdf(kind.label), "application/pdf")
                add_attachment(filing=filing, kind=kind.code, upload=upload, actor=owner)

    def _approve(self, filing: Filing, owner: User, reviewer: User) -> None:
        workflow.approve(submission=workflow.declare(filing=filing, actor=owner), actor=reviewer)


def _demo_password() -> str:
    from laowu.accounts.management.commands.seed_demo import DEMO_PASSWORD

    return DEMO_PASSWORD
