"""The printable 整改通知书 of an issued inspection, and the public page its QR code opens.

The notice prints through the one sheet renderer (documents/printing.py), like the filings'
sheets: the same A4 layout, serial (the notice number), issuer and QR code. The QR code
carries the inspection's unguessable `verify_token`; the page it opens shows the notice's
key facts and its live status (整改中 / 待复查 / 已闭环), personal names masked, so a
printed or forwarded notice can be checked against the platform at any time.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from laowu.core.validators import mask_name
from laowu.documents.printing import Section, render_sheet_pdf

from .models import Inspection, InspectionStatus

TITLE = "整改通知书"
NOTES = (
    "请于整改期限前完成整改，并登录平台提交整改情况及证明材料；逾期未提交的，按信用评分规则扣分。",
    "扫描右下角二维码可核验本通知书的真实性及当前整改状态。",
)


# How a scan of this sheet is recorded (laowu/documents/scans.py).
SHEET_TYPE = "rectification_notice"


def printable(inspection: Inspection) -> bool:
    """Only an issued notice (a number and a token) prints: a draft or a closed-without-notice one has none."""
    return bool(inspection.notice_no and inspection.verify_token and inspection.issued_at)


def verify_url(inspection: Inspection, base_url: str) -> str:
    base = (settings.LAOWU_PUBLIC_BASE_URL or base_url).rstrip("/")
    return base + reverse("supervision:rectification_verify", args=[inspection.verify_token])


def _date(value: dt.date | None) -> str:
    return f"{value:%Y年%m月%d日}" if value else "/"


def notice_sections(inspection: Inspection, *, full_marks: int) -> list[Section]:
    project = inspection.project
    return [
        (
            "检查情况",
            [
                ("被检查企业", inspection.enterprise.name),
                ("统一社会信用代码", inspection.enterprise.credit_code),
                ("项目名称", project.project_name),
                ("合同编号", project.contract_no),
                ("检查日期", _date(inspection.inspected_on)),
                ("检查人员", inspection.inspectors),
                ("检查得分", f"{inspection.total_score}分（满分{full_marks}分）"),
                ("整改期限", _date(inspection.deadline)),
            ],
        ),
        ("发现的问题及整改要求", [("问题", inspection.problems or "/")]),
    ]


def notice_pdf(inspection: Inspection, *, base_url: str, full_marks: int) -> bytes:
    """The A4 notice as PDF; dated when it was issued, so every print of it is the same."""
    assert inspection.issued_at is not None
    return render_sheet_pdf(
        title=TITLE,
        subtitle=inspection.enterprise.name,
        serial=inspection.notice_no,
        sections=notice_sections(inspection, full_marks=full_marks),
        verify_url=verify_url(inspection, base_url),
        issued_at=inspection.issued_at,
        notes=NOTES,
        issued_label="发出时间",
    )


@dataclasses.dataclass(frozen=True)
class NoticeVerification:
    status: str
    settled: bool  # the rectification is over (closed): shown in green, the others in amber
    detail: str
    fields: list[tuple[str, str]]


def _masked_people(names: str) -> str:
    parts = [p.strip() for p in names.replace(",", "、").replace("，", "、").split("、") if p.strip()]
    return "、".join(mask_name(p) for p in parts) or "/"


def verification(inspection: Inspection, *, today: dt.date | None = None) -> NoticeVerification:
    """What the public page shows: the live status and the key facts, names masked."""
    today = today or timezone.localdate()
    status = InspectionStatus(inspection.status)
    if status == InspectionStatus.CLOSED:
        detail = "该整改通知书真实有效，整改已完成并经区劳务专委会复查，已闭环。"
    elif status == InspectionStatus.REPLIED:
        detail = "该整改通知书真实有效，企业已提交整改回复，正在等待区劳务专委会复查。"
    elif inspection.deadline is not None and inspection.deadline < today:
        detail = f"该整改通知书真实有效，已超过整改期限（{inspection.deadline:%Y-%m-%d}），企业尚未提交整改回复。"
    else:
        detail = "该整改通知书真实有效，企业正在整改。"
    fields = [
        ("整改通知书编号", inspection.notice_no),
        ("被检查企业", inspection.enterprise.name),
        ("项目名称", inspection.project.project_name),
        ("检查日期", f"{inspection.inspected_on:%Y-%m-%d}"),
        ("检查人员", _masked_people(inspection.inspectors)),
        ("检查得分", f"{inspection.total_score}分"),
        ("整改期限", f"{inspection.deadline:%Y-%m-%d}" if inspection.deadline else "/"),
        ("发出时间", f"{timezone.localtime(inspection.issued_at):%Y-%m-%d %H:%M}" if inspection.issued_at else "/"),
    ]
    if inspection.closed_at:
        fields.append(("闭环时间", f"{timezone.localtime(inspection.closed_at):%Y-%m-%d %H:%M}"))
    return NoticeVerification(
        status=status.label, settled=status == InspectionStatus.CLOSED, detail=detail, fields=fields
    )


def by_token(token: str) -> Inspection | None:
    if not token:
        return None
    return (
        Inspection.objects.select_related("enterprise", "project")
        .exclude(status=InspectionStatus.DRAFT)
        .filter(verify_token=token)
        .first()
    )
