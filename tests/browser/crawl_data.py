"""The data the accessibility crawl walks through: enterprise A with filings approved, declared
and rejected, and a supervision record of each kind, all made through the real services so
every page shows what a clerk would see."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from typing import Any

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from laowu.documents.services import add_attachment
from laowu.personnel.models import SafetyOfficer, WageManager
from laowu.review import services as workflow
from laowu.review.models import Submission
from laowu.supervision import awards, inspections, messaging, notices
from laowu.supervision import bad_behaviour as bb
from laowu.supervision.models import INSPECTION_ITEMS
from tests.factories import CatalogueFactory, approved_project, make_id_number, make_pdf_bytes


@dataclasses.dataclass(frozen=True)
class World:
    """What the crawl seeds beyond the menus: one record in each state a test must look at."""

    approved_submission: Submission
    declared_submission: Submission
    rejected_submission: Submission
    declared_person: SafetyOfficer
    rejected_person: WageManager
    project: Any
    bad_behaviour: Any
    inspection: Any
    award: Any
    notice: Any


def _person(model: Any, user: Any, *, name: str) -> Any:
    """A complete 安全员 or 劳资专管员 draft, every required attachment uploaded."""
    fields: dict[str, Any] = {
        "enterprise": user.enterprise,
        "name": name,
        "gender": "女",
        "id_number": make_id_number(),
        "mobile": "13912340000",
        "issue_date": dt.date(2023, 1, 1),
        "issuer": "江苏省住房和城乡建设厅",
        "education": "本科",
        "consent_confirmed_at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    }
    if model is SafetyOfficer:
        fields.update(
            cert_no="苏建安C3(2024)0000002", cert_category="C3", valid_until=dt.date.today() + dt.timedelta(days=200)
        )
    else:
        fields.update(cert_no="LZ2024-0002")
    person = model.objects.create(**fields)
    for kind in person.ATTACHMENT_KINDS:
        if kind.required:
            upload = SimpleUploadedFile(f"{kind.label}.pdf", make_pdf_bytes(f"{name}{kind.code}"), "application/pdf")
            add_attachment(filing=person, kind=kind.code, upload=upload, actor=user)
    return person


def _photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 40)).save(out, format="JPEG")
    return out.getvalue()


def build_world(enterprise_user: Any, reviewer: Any) -> World:
    today = timezone.localdate()
    project = approved_project(enterprise_user, reviewer, project_name="阳澄湖半岛安置房项目")
    approved = Submission.objects.filter(status="approved").order_by("pk").first()
    assert approved is not None

    declared_person = _person(SafetyOfficer, enterprise_user, name="周待审")
    declared = workflow.declare(filing=declared_person, actor=enterprise_user)
    rejected_person = _person(WageManager, enterprise_user, name="吴退回")
    rejected = workflow.declare(filing=rejected_person, actor=enterprise_user)
    workflow.reject(submission=rejected, actor=reviewer, reason="身份证复印件不清晰，请重新上传。")

    enterprise = enterprise_user.enterprise
    # Published four months ago, so it may leave publicity early: a 提前移出 application waits.
    start = today - dt.timedelta(days=120)
    with time_machine.travel(dt.datetime.combine(start, dt.time(10), tzinfo=dt.UTC), tick=False):
        record = bb.create_record(
            enterprise=enterprise,
            data={
                "person_name": "",
                "person_id_number": "",
                "grade": "B",
                "category": "wage_arrears",
                "facts": "在相城区某项目拖欠农民工工资共计12万元。",
                "legal_basis": "《保障农民工工资支付条例》第五十五条",
                "decision_no": "相劳专〔2026〕7号",
                "decision_date": start,
                "points": 3,
                "issuer": bb.DEFAULT_ISSUER,
                "publicity_start": start,
                "publicity_end": start + dt.timedelta(days=365),
            },
            actor=reviewer,
        )
        record = bb.publish(rec=record, actor=reviewer)
    removal = bb.create_removal(rec=record, rectification="已足额支付拖欠工资，并建立工资专户。", actor=enterprise_user)
    evidence = SimpleUploadedFile("整改证明.pdf", make_pdf_bytes("evidence"), "application/pdf")
    add_attachment(filing=removal, kind="evidence", upload=evidence, actor=enterprise_user)
    bb.submit_removal(application=removal, actor=enterprise_user)

    scores = {code: full for code, _, full in INSPECTION_ITEMS}
    scores["wages"] -= 5
    draft = inspections.create_inspection(
        project=project,
        data={
            "inspected_on": today,
            "inspectors": "张明、李华",
            "scores": scores,
            "problems": "1. 考勤记录不全；\n2. 4月工资未按时发放。",
            "needs_rectification": True,
            "deadline": today + dt.timedelta(days=15),
        },
        actor=reviewer,
    )
    inspection = inspections.issue_inspection(inspection=draft, actor=reviewer)
    reply = inspections.save_reply(
        inspection=inspection, content="已补齐考勤记录，工资已足额发放。", actor=enterprise_user
    )
    add_attachment(
        filing=reply, kind="evidence", upload=SimpleUploadedFile("整改照片.jpg", _photo()), actor=enterprise_user
    )
    inspections.submit_reply(rectification=reply, actor=enterprise_user)

    award = awards.nominate(
        enterprise=enterprise,
        year=today.year,
        title="excellent_enterprise",
        reasons="实名制管理规范，全年无欠薪投诉。",
        actor=reviewer,
        # The crawl's enterprise also has a record in publicity: the committee confirms.
        publicity_confirmed=True,
    )
    award = awards.decide(award=award, granted=True, decided_on=today, actor=reviewer)

    notice = notices.create_notice(
        data={
            "title": "关于开展2026年度劳务企业信息核查的通知",
            "body": "各劳务企业：\n请于5月底前完成核查。",
            "pinned": True,
        },
        actor=reviewer,
    )
    notice = notices.publish_notice(notice=notice, actor=reviewer)
    messaging.send_message(enterprise=enterprise, title="请核对项目信息", body="请于本月底前核对在建项目信息。")
    # Contracts still to be filed, for the 选择项目 picker.
    for _ in range(2):
        CatalogueFactory(subcontractor=enterprise.name, subcontractor_credit_code=enterprise.credit_code)

    return World(
        approved_submission=approved,
        declared_submission=declared,
        rejected_submission=rejected,
        declared_person=declared_person,
        rejected_person=rejected_person,
        project=project,
        bad_behaviour=record,
        inspection=inspection,
        award=award,
        notice=notice,
    )
