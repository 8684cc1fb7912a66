"""The printable 整改通知书: an issued notice prints through the one sheet renderer with a QR
code whose unguessable token opens a public page with the notice's key facts and live
status (整改中 / 待复查 / 已闭环), names masked; drafts and others' notices are not found."""

from __future__ import annotations

import io
import re
from typing import Any

import pikepdf
import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from laowu.audit.models import AuditEvent
from laowu.audit.services import Action
from laowu.documents.models import VerificationScan
from laowu.supervision import inspections as svc
from laowu.supervision import rectification_notice
from laowu.supervision.models import Inspection
from tests.factories import approved_project
from tests.supervision.test_inspections import NOON, inspection_data, photo, upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def travel() -> Any:
    with time_machine.travel(NOON, tick=False) as traveller:
        yield traveller


@pytest.fixture
def issued(enterprise_a: Any, reviewer: Any) -> Inspection:
    project = approved_project(enterprise_a, reviewer, project_name="阳澄湖半岛安置房项目", contract_no="LWFB-YCH-0001")
    inspection = svc.create_inspection(project=project, data=inspection_data(), actor=reviewer)
    return svc.issue_inspection(inspection=inspection, actor=reviewer)


def print_url(inspection: Inspection) -> str:
    return reverse("supervision:inspection_notice_print", args=[inspection.pk])


def test_issuing_gives_the_notice_an_unguessable_token(issued: Inspection) -> None:
    assert issued.notice_no and issued.verify_token and len(issued.verify_token) >= 32
    assert rectification_notice.printable(issued)


@pytest.mark.prints
def test_the_notice_prints_as_a_pdf_for_its_enterprise_and_the_committee(
    issued: Inspection, enterprise_a: Any, reviewer: Any, supervisor: Any, as_user: Any
) -> None:
    for user in (enterprise_a, reviewer, supervisor):
        resp = as_user(user).get(print_url(issued))
        assert resp.status_code == 200 and resp["Content-Type"] == "application/pdf"
        assert "整改通知书" in resp["Content-Disposition"] or "%E6%95%B4%E6%94%B9" in resp["Content-Disposition"]
    pdf = pikepdf.open(io.BytesIO(resp.content))
    assert len(pdf.pages) == 1
    # Each of the three prints is in the audit log, against the inspection.
    printed = AuditEvent.objects.filter(action=Action.SHEET_PRINT, object_id=str(issued.pk))
    assert sorted(printed.values_list("user_id", flat=True)) == sorted([enterprise_a.pk, reviewer.pk, supervisor.pk])
    assert {e.detail["notice_no"] for e in printed} == {issued.notice_no}
    detail = as_user(enterprise_a).get(issued.get_absolute_url()).content.decode()
    assert print_url(issued) in detail and "打印整改通知书" in detail


@pytest.mark.prints
def test_the_sheet_carries_the_facts_and_the_verify_url(issued: Inspection) -> None:
    from laowu.documents.printing import render_sheet_html

    url = rectification_notice.verify_url(issued, "https://laowu.example/")
    assert url == f"https://laowu.example/zg/{issued.verify_token}/"
    html = render_sheet_html(
        title=rectification_notice.TITLE,
        subtitle=issued.enterprise.name,
        serial=issued.notice_no,
        sections=rectification_notice.notice_sections(issued, full_marks=svc.full_marks()),
        verify_url=url,
        issued_at=issued.issued_at,
        notes=rectification_notice.NOTES,
        issued_label="发出时间",
    )
    assert "发出时间：" in html and "审核通过时间" not in html
    for fact in (issued.notice_no, "阳澄湖半岛安置房项目", "LWFB-YCH-0001", "考勤记录不全", "整改期限"):
        assert fact in html


def test_no_notice_to_print_for_a_draft_or_one_without_rectification(
    enterprise_a: Any, reviewer: Any, as_user: Any
) -> None:
    project = approved_project(enterprise_a, reviewer)
    draft = svc.create_inspection(project=project, data=inspection_data(), actor=reviewer)
    assert as_user(reviewer).get(print_url(draft)).status_code == 404
    fine = svc.issue_inspection(
        inspection=svc.create_inspection(
            project=project, data=inspection_data(needs_rectification=False, deadline=None, problems=""), actor=reviewer
        ),
        actor=reviewer,
    )
    assert not fine.verify_token and as_user(reviewer).get(print_url(fine)).status_code == 404


def test_another_enterprise_cannot_print_it(issued: Inspection, enterprise_b: Any, as_user: Any) -> None:
    assert as_user(enterprise_b).get(print_url(issued)).status_code == 404


def test_public_page_shows_the_live_status_masked(issued: Inspection, enterprise_a: Any, reviewer: Any) -> None:
    page = reverse("supervision:rectification_verify", args=[issued.verify_token])
    html = Client().get(page).content.decode()
    assert "整改中" in html and issued.notice_no in html and "阳澄湖半岛安置房项目" in html
    assert "张*" in html and "张明" not in html and "李华" not in html  # inspectors masked
    assert "考勤记录不全" not in html  # the problems stay on the paper and in the platform

    reply = svc.save_reply(inspection=issued, content="已整改", actor=enterprise_a)
    upload(reply, "整改.jpg", photo(), enterprise_a)
    svc.submit_reply(rectification=reply, actor=enterprise_a)
    assert "待复查" in Client().get(page).content.decode()

    svc.review_reply(rectification=reply, passed=True, actor=reviewer)
    html = Client().get(page).content.decode()
    assert "已闭环" in html and "闭环时间" in html
    # Each visit is on record against the notice, as a submission's sheet's are.
    scans = VerificationScan.objects.filter(sheet_type=rectification_notice.SHEET_TYPE, sheet_id=issued.pk)
    assert scans.count() == 3 and all(s.found and s.token_prefix == issued.verify_token[:8] for s in scans)


def test_a_wrong_token_is_not_found(issued: Inspection) -> None:
    token = issued.verify_token
    # Another first character than the token's own: a random token may itself begin with "x".
    wrong = ("y" if token[0] == "x" else "x") + token[1:]
    resp = Client().get(reverse("supervision:rectification_verify", args=[wrong]))
    assert resp.status_code == 404 and "未找到" in resp.content.decode()
    assert not re.search(issued.notice_no, resp.content.decode())
    [scan] = VerificationScan.objects.all()
    assert not scan.found and scan.sheet_type == "" and scan.sheet_id is None
