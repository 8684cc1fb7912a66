"""现场检查 with rectification: the loop through services and through the
pages, notice numbers, evidence (PDF and photos), overdue and late, lists and export."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from openpyxl import load_workbook
from PIL import Image

from laowu.audit.models import AuditEvent
from laowu.documents.models import Attachment
from laowu.documents.services import add_attachment
from laowu.supervision import inspections as svc
from laowu.supervision.models import (
    INSPECTION_ITEMS,
    Inspection,
    InspectionStatus,
    Message,
    Rectification,
    RectificationStatus,
)
from tests.factories import approved_project, make_pdf_bytes

pytestmark = pytest.mark.django_db

FULL_SCORES = {code: full for code, _, full in INSPECTION_ITEMS}
TODAY = dt.date(2026, 5, 11)
NOON = dt.datetime(2026, 5, 11, 10, 0, tzinfo=dt.UTC)


def photo(fmt: str = "JPEG", colour: tuple[int, int, int] = (200, 120, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, format=fmt)
    return out.getvalue()


def scores(**lost: int) -> dict[str, int]:
    """Full marks except the items named, which lose the given points."""
    return {code: full - lost.get(code, 0) for code, full in FULL_SCORES.items()}


def inspection_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "inspected_on": TODAY,
        "inspectors": "张明、李华",
        "scores": scores(real_name=8, wages=5),
        "problems": "1. 考勤记录不全；\n2. 4月工资未按时发放。",
        "needs_rectification": True,
        "deadline": TODAY + dt.timedelta(days=15),
    }
    data.update(overrides)
    return data


def form_post(**overrides: Any) -> dict[str, Any]:
    """The inspection form as a browser posts it."""
    data = inspection_data()
    post = {
        "inspected_on": data["inspected_on"].isoformat(),
        "inspectors": data["inspectors"],
        "problems": data["problems"],
        "needs_rectification": "on",
        "deadline": data["deadline"].isoformat(),
        **{f"score_{code}": str(score) for code, score in data["scores"].items()},
    }
    post.update(overrides)
    return {k: v for k, v in post.items() if v is not None}


def upload(record: Any, name: str, data: bytes, actor: Any) -> Attachment:
    return add_attachment(filing=record, kind="evidence", upload=SimpleUploadedFile(name, data), actor=actor)


@pytest.fixture
def project(enterprise_a: Any, reviewer: Any) -> Any:
    return approved_project(enterprise_a, reviewer, project_name="阳澄湖半岛安置房项目", contract_no="LWFB-YCH-0001")


@pytest.fixture
def travel() -> Any:
    with time_machine.travel(NOON, tick=False) as traveller:
        yield traveller


def issued(project: Any, reviewer: Any, **overrides: Any) -> Inspection:
    draft = svc.create_inspection(project=project, data=inspection_data(**overrides), actor=reviewer)
    return svc.issue_inspection(inspection=draft, actor=reviewer)


def reply(inspection: Inspection, owner: Any, *, evidence: bytes | None = None, name: str = "整改照片.jpg") -> Any:
    draft = svc.save_reply(inspection=inspection, content="已补齐考勤记录，4月工资已足额发放。", actor=owner)
    upload(draft, name, evidence or photo(), owner)
    return svc.submit_reply(rectification=draft, actor=owner)


# ---------------------------------------------------------------- the loop through the services


def test_whole_loop_through_services(travel: Any, project: Any, enterprise_a: Any, reviewer: Any) -> None:
    draft = svc.create_inspection(project=project, data=inspection_data(), actor=reviewer)
    assert draft.status == InspectionStatus.DRAFT and draft.enterprise == enterprise_a.enterprise
    assert draft.total_score == 100 - 8 - 5 and draft.notice_no == ""
    upload(draft, "现场照片.jpg", photo(), reviewer)
    upload(draft, "检查记录表.pdf", make_pdf_bytes("record"), reviewer)
    assert Message.objects.count() == 0

    inspection = svc.issue_inspection(inspection=draft, actor=reviewer)
    assert inspection.status == InspectionStatus.RECTIFYING
    assert inspection.notice_no == "XCZG-2026-0001" and inspection.issued_at is not None
    message = Message.objects.get(enterprise=enterprise_a.enterprise)
    assert "XCZG-2026-0001" in message.body and "2026年05月26日" in message.body
    assert message.link == inspection.get_absolute_url()

    # Round 1: no evidence yet → refused; with a PDF → 待复查.
    first = svc.save_reply(inspection=inspection, content="已整改。", actor=enterprise_a)
    assert first.round == 1 and first.status == RectificationStatus.DRAFT
    with pytest.raises(ValidationError, match="请上传整改证明材料及照片"):
        svc.submit_reply(rectification=first, actor=enterprise_a)
    upload(first, "整改报告.pdf", make_pdf_bytes("fix-1"), enterprise_a)
    first = svc.submit_reply(rectification=first, actor=enterprise_a)
    inspection.refresh_from_db()
    assert first.status == RectificationStatus.SUBMITTED and not first.late
    assert inspection.status == InspectionStatus.REPLIED and inspection.rounds == 1

    # 退回整改 needs a note; with one (and a new deadline) → 整改中 again, the enterprise told.
    with pytest.raises(ValidationError) as exc:
        svc.review_reply(rectification=first, passed=False, note=" ", actor=reviewer)
    assert "note" in exc.value.message_dict
    new_deadline = TODAY + dt.timedelta(days=30)
    svc.review_reply(
        rectification=first, passed=False, note="工资台账仍缺签字。", new_deadline=new_deadline, actor=reviewer
    )
    inspection.refresh_from_db()
    first.refresh_from_db()
    assert first.status == RectificationStatus.RETURNED and first.review_note == "工资台账仍缺签字。"
    assert inspection.status == InspectionStatus.RECTIFYING and inspection.deadline == new_deadline
    returned = Message.objects.filter(enterprise=enterprise_a.enterprise).first()
    assert "未通过复查" in returned.body and "工资台账仍缺签字" in returned.body

    # Round 2 with a photo → 复查通过 → 已闭环.
    second = reply(inspection, enterprise_a)
    assert second.round == 2
    svc.review_reply(rectification=second, passed=True, actor=reviewer)
    inspection.refresh_from_db()
    assert inspection.status == InspectionStatus.CLOSED and inspection.closed_at is not None
    assert inspection.rounds == 2 and not inspection.replied_late
    assert Message.objects.filter(enterprise=enterprise_a.enterprise).first().title.startswith("整改复查通过")

    actions = list(AuditEvent.objects.filter(object_type__startswith="supervision.").values_list("action", flat=True))
    for action in (
        "inspection.save",
        "inspection.issue",
        "rectification.save",
        "rectification.submit",
        "rectification.review",
    ):
        assert action in actions
    assert actions.count("rectification.review") == 2


def test_no_rectification_closes_at_once(travel: Any, project: Any, enterprise_a: Any, reviewer: Any) -> None:
    inspection = issued(project, reviewer, needs_rectification=False, problems="", scores=scores())
    assert inspection.status == InspectionStatus.CLOSED and inspection.total_score == 100
    assert inspection.notice_no == "" and inspection.deadline is None and inspection.closed_at is not None
    assert Message.objects.get(enterprise=enterprise_a.enterprise).title.startswith("现场检查结果")
    with pytest.raises(svc.InspectionError):
        svc.save_reply(inspection=inspection, content="无", actor=enterprise_a)


def test_notice_numbers_sequential_per_year_and_unique(project: Any, reviewer: Any) -> None:
    with time_machine.travel(NOON, tick=False):
        numbers = [issued(project, reviewer).notice_no for _ in range(3)]
        issued(project, reviewer, needs_rectification=False, problems="", scores=scores())
    assert numbers == ["XCZG-2026-0001", "XCZG-2026-0002", "XCZG-2026-0003"]
    with time_machine.travel(dt.datetime(2027, 1, 4, 9, tzinfo=dt.UTC), tick=False):
        later = issued(project, reviewer, inspected_on=dt.date(2027, 1, 4), deadline=dt.date(2027, 1, 20))
    assert later.notice_no == "XCZG-2027-0001"
    # The database refuses a number twice, whatever the code computes.
    other = Inspection.objects.exclude(notice_no="XCZG-2026-0001").filter(notice_no__startswith="XCZG").first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Inspection.objects.filter(pk=other.pk).update(notice_no="XCZG-2026-0001")


def test_notice_number_retries_after_a_collision(
    travel: Any, project: Any, reviewer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two clerks issuing at once compute the same number: the loser takes the next one."""
    issued(project, reviewer)
    calls = []
    real = svc._next_notice_no

    def stale_first(year: int) -> str:
        calls.append(year)
        return "XCZG-2026-0001" if len(calls) == 1 else real(year)

    monkeypatch.setattr(svc, "_next_notice_no", stale_first)
    assert issued(project, reviewer).notice_no == "XCZG-2026-0002"
    assert len(calls) == 2


def test_double_actions_refused(travel: Any, project: Any, enterprise_a: Any, reviewer: Any) -> None:
    draft = svc.create_inspection(project=project, data=inspection_data(), actor=reviewer)
    svc.issue_inspection(inspection=draft, actor=reviewer)
    for action in (svc.issue_inspection, svc.delete_inspection):
        with pytest.raises(svc.InspectionError, match="整改中"):
            action(inspection=draft, actor=reviewer)
    with pytest.raises(svc.InspectionError):
        svc.update_inspection(inspection=draft, data=inspection_data(inspectors="王"), actor=reviewer)
    sent = reply(Inspection.objects.get(pk=draft.pk), enterprise_a)
    with pytest.raises(svc.InspectionError, match="不能重复提交"):
        svc.submit_reply(rectification=sent, actor=enterprise_a)
    svc.review_reply(rectification=sent, passed=True, actor=reviewer)
    with pytest.raises(svc.InspectionError, match="不能复查"):
        svc.review_reply(rectification=sent, passed=False, note="再看看", actor=reviewer)
    assert Inspection.objects.get(pk=draft.pk).status == InspectionStatus.CLOSED


def test_content_rules(travel: Any, project: Any, reviewer: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        svc.create_inspection(
            project=project,
            data=inspection_data(scores={**scores(), "wages": 21}, deadline=TODAY, problems=""),
            actor=reviewer,
        )
    errors = exc.value.message_dict
    assert errors["score_wages"] == ["得分应在 0 至 20 分之间。"]
    assert errors["deadline"] == ["整改期限应晚于检查日期。"]
    assert "problems" in errors
    with pytest.raises(ValidationError) as exc:
        svc.create_inspection(project=project, data=inspection_data(deadline=None), actor=reviewer)
    assert "deadline" in exc.value.message_dict
    # Without rectification the deadline is dropped rather than kept to mislead.
    clean = svc.create_inspection(project=project, data=inspection_data(needs_rectification=False), actor=reviewer)
    assert clean.deadline is None
    # A draft whose deadline has passed by the time it is issued is refused.
    late_draft = svc.create_inspection(project=project, data=inspection_data(), actor=reviewer)
    travel.move_to(dt.datetime(2026, 6, 1, 9, tzinfo=dt.UTC))
    with pytest.raises(ValidationError, match="整改期限已过"):
        svc.issue_inspection(inspection=late_draft, actor=reviewer)


def test_only_filed_projects_in_scope_can_be_inspected(
    project: Any, enterprise_a: Any, reviewer: Any, supervisor: Any
) -> None:
    from laowu.contracts.models import ProjectFiling
    from laowu.review import services as workflow
    from laowu.review.models import State
    from tests.factories import DistrictFactory, StaffFactory

    assert list(svc.inspectable_projects(user=reviewer, q="阳澄湖")) == [project]
    assert list(svc.inspectable_projects(user=reviewer, q=enterprise_a.enterprise.name)) == [project]
    assert list(svc.inspectable_projects(user=reviewer, q="LWFB-YCH")) == [project]
    assert not svc.inspectable_projects(user=reviewer, q="没有这个项目").exists()
    elsewhere = StaffFactory(role="reviewer", username="wz", districts=[DistrictFactory(code="320506", name="吴中区")])
    assert not svc.inspectable_projects(user=elsewhere).exists()
    workflow.deregister(filing=project, actor=enterprise_a)
    assert not svc.inspectable_projects(user=reviewer).exists()
    project = ProjectFiling.objects.get(pk=project.pk)
    assert project.state == State.DEREGISTERED
    with pytest.raises(svc.InspectionError, match="已审核通过且未注销"):
        svc.create_inspection(project=project, data=inspection_data(), actor=reviewer)


# ---------------------------------------------------------------- evidence


def test_photo_evidence_accepted_and_fake_photo_refused(
    travel: Any, project: Any, enterprise_a: Any, reviewer: Any, as_user: Any
) -> None:
    inspection = issued(project, reviewer)
    draft = svc.save_reply(inspection=inspection, content="已整改。", actor=enterprise_a)
    client = as_user(enterprise_a)
    url = reverse("documents:upload", args=["rectification", draft.pk])
    detail = inspection.get_absolute_url()
    fake = SimpleUploadedFile("整改照片.jpg", b"\xff\xd8\xff\xe0 this is not a photo at all", content_type="image/jpeg")
    response = client.post(url, {"kind": "evidence", "file": fake, "next": detail}, follow=True)
    assert "上传失败" in response.content.decode()
    assert not draft.attachments.exists()
    with pytest.raises(ValidationError, match="提交"):
        svc.submit_reply(rectification=draft, actor=enterprise_a)

    for name, data in (("整改后.jpg", photo("JPEG")), ("整改后.png", photo("PNG", (10, 200, 10)))):
        response = client.post(url, {"kind": "evidence", "file": SimpleUploadedFile(name, data), "next": detail})
        # Back to the slot the files went into, on the page they came from.
        assert response.status_code == 302 and response.url == f"{detail}#att-rectification-{draft.pk}-evidence"
    kinds = set(draft.attachments.values_list("blob__content_type", flat=True))
    assert kinds == {"image/jpeg", "image/png"}
    page = client.get(detail).content.decode()
    for a in draft.attachments.all():
        assert f'src="{reverse("documents:attachment", args=[a.pk])}"' in page
    shown = client.get(reverse("documents:attachment", args=[draft.attachments.first().pk]))
    assert shown["Content-Type"].startswith("image/")
    assert svc.submit_reply(rectification=draft, actor=enterprise_a).status == RectificationStatus.SUBMITTED


def test_inspection_evidence_takes_photos_only_while_draft(
    travel: Any, project: Any, reviewer: Any, as_user: Any
) -> None:
    draft = svc.create_inspection(project=project, data=inspection_data(), actor=reviewer)
    client = as_user(reviewer)
    url = reverse("documents:upload", args=["inspection", draft.pk])
    response = client.post(url, {"kind": "evidence", "file": SimpleUploadedFile("现场.jpg", photo())})
    assert response.status_code == 302 and draft.attachments.count() == 1
    svc.issue_inspection(inspection=draft, actor=reviewer)
    response = client.post(url, {"kind": "evidence", "file": SimpleUploadedFile("补拍.png", photo("PNG"))}, follow=True)
    assert "上传失败" in response.content.decode() and draft.attachments.count() == 1


# ---------------------------------------------------------------- overdue and late


def test_overdue_notice_flagged_on_both_sides(
    project: Any, enterprise_a: Any, reviewer: Any, supervisor: Any, as_user: Any
) -> None:
    with time_machine.travel(NOON, tick=False):
        inspection = issued(project, reviewer)
        on_time = issued(project, reviewer, deadline=dt.date(2026, 7, 1))
        assert not inspection.is_overdue
        for user in (reviewer, enterprise_a):
            page = as_user(user).get(reverse("supervision:inspection_list")).content.decode()
            assert "已逾期" not in page
    # The deadline is 2026-05-26; on 2026-05-30 the notice is 4 days overdue.
    with time_machine.travel(dt.datetime(2026, 5, 30, 9, tzinfo=dt.UTC), tick=False):
        inspection.refresh_from_db()
        assert inspection.is_overdue and svc.days_overdue(inspection) == 4
        for user in (reviewer, supervisor, enterprise_a):
            client = as_user(user)
            listing = client.get(reverse("supervision:inspection_list"))
            assert "已逾期 4 天" in listing.content.decode()
            overdue_only = client.get(reverse("supervision:inspection_list"), {"overdue": "on"})
            assert [i.pk for i in overdue_only.context["page"].object_list] == [inspection.pk]
            assert on_time.pk not in [i.pk for i in overdue_only.context["page"].object_list]
            detail = client.get(inspection.get_absolute_url()).content.decode()
            assert "已逾期 4 天" in detail and "已超过 4 天仍未提交整改回复" in detail
        # A reply, even late, takes it off the overdue list and marks it late.
        sent = reply(inspection, enterprise_a)
        assert sent.late
        inspection.refresh_from_db()
        assert inspection.replied_late and not inspection.is_overdue
        assert not svc.inspection_list(user=reviewer, overdue=True).exists()
        page = as_user(reviewer).get(inspection.get_absolute_url()).content.decode()
        assert "逾期提交" in page and "逾期整改" in page


def test_late_reply_recorded_only_after_the_deadline(project: Any, enterprise_a: Any, reviewer: Any) -> None:
    with time_machine.travel(NOON, tick=False):
        inspection = issued(project, reviewer)
    # On the deadline day itself a reply is on time.
    with time_machine.travel(dt.datetime(2026, 5, 26, 15, tzinfo=dt.UTC), tick=False):
        first = reply(inspection, enterprise_a)
        assert not first.late
        svc.review_reply(rectification=first, passed=False, note="未整改到位", actor=reviewer)
    with time_machine.travel(dt.datetime(2026, 5, 28, 9, tzinfo=dt.UTC), tick=False):
        second = reply(Inspection.objects.get(pk=inspection.pk), enterprise_a, name="第二轮.jpg")
    assert second.late and Rectification.objects.get(pk=first.pk).late is False
    inspection.refresh_from_db()
    assert inspection.replied_late
    # Passing later does not forget the lateness.
    svc.review_reply(rectification=second, passed=True, actor=reviewer)
    inspection.refresh_from_db()
    assert inspection.status == InspectionStatus.CLOSED and inspection.replied_late


# ---------------------------------------------------------------- lists and export


def test_committee_search_and_export(travel: Any, project: Any, enterprise_a: Any, reviewer: Any, as_user: Any) -> None:
    from tests.factories import EnterpriseUserFactory

    other_owner = EnterpriseUserFactory()
    other = approved_project(other_owner, reviewer, project_name="黄埭镇厂房项目")
    first = issued(project, reviewer)
    second = issued(other, reviewer, needs_rectification=False, problems="", inspected_on=TODAY - dt.timedelta(days=20))
    draft = svc.create_inspection(project=project, data=inspection_data(), actor=reviewer)
    client = as_user(reviewer)
    url = reverse("supervision:inspection_list")

    def found(**params: str) -> list[int]:
        response = client.get(url, params)
        assert response.status_code == 200
        return [i.pk for i in response.context["page"].object_list]

    assert set(found()) == {first.pk, second.pk, draft.pk}
    assert set(found(q="阳澄湖")) == {first.pk, draft.pk}
    assert found(q="XCZG-2026-0001") == [first.pk]
    assert found(enterprise=other_owner.enterprise.name) == [second.pk]
    assert set(found(enterprise=enterprise_a.enterprise.credit_code)) == {draft.pk, first.pk}
    assert found(status="closed") == [second.pk]
    assert found(status="draft") == [draft.pk]
    assert set(found(date_from="2026-05-01")) == {first.pk, draft.pk}
    assert found(date_to="2026-04-30") == [second.pk]
    bad = client.get(url, {"date_from": "2026-05-20", "date_to": "2026-05-01"})
    assert "截止日期不能早于起始日期" in bad.content.decode()

    response = client.get(reverse("supervision:inspection_export"), {"q": "阳澄湖", "status": "rectifying"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "整改通知书编号" and "总分" in rows[0]
    assert len(rows) == 2 and rows[1][0] == "XCZG-2026-0001" and rows[1][2] == "阳澄湖半岛安置房项目"
    assert rows[1][rows[0].index("总分")] == 87
    # The inspection date a date cell, the closing time empty until it closes.
    assert isinstance(rows[1][1], dt.datetime) and sheet.cell(2, 2).number_format == "yyyy-mm-dd"
    assert rows[1][rows[0].index("闭环时间")] is None
    assert AuditEvent.objects.filter(action="export", detail__list="inspection").exists()


def test_list_pagination(travel: Any, project: Any, reviewer: Any, enterprise_a: Any, as_user: Any) -> None:
    for _ in range(23):
        issued(project, reviewer)
    for user in (reviewer, enterprise_a):
        response = as_user(user).get(reverse("supervision:inspection_list"), {"page": "2", "q": "阳澄湖"})
        assert response.context["page"].number == 2 and len(response.context["page"].object_list) == 3
        assert "q=%E9%98%B3%E6%BE%84%E6%B9%96&amp;page=1" in response.content.decode()


def test_enterprise_list_is_its_own_without_drafts(
    travel: Any, project: Any, enterprise_a: Any, enterprise_b: Any, reviewer: Any, as_user: Any
) -> None:
    mine = issued(project, reviewer)
    svc.create_inspection(project=project, data=inspection_data(), actor=reviewer)
    theirs = issued(approved_project(enterprise_b, reviewer), reviewer)
    response = as_user(enterprise_a).get(reverse("supervision:inspection_list"))
    assert [i.pk for i in response.context["page"].object_list] == [mine.pk]
    assert "status" in response.context["form"].fields and "enterprise" not in response.context["form"].fields
    assert "draft" not in dict(response.context["form"].fields["status"].choices)
    page = response.content.decode()
    assert "新增检查" not in page and reverse("supervision:inspection_export") in page
    response = as_user(enterprise_b).get(reverse("supervision:inspection_list"), {"status": "rectifying"})
    assert [i.pk for i in response.context["page"].object_list] == [theirs.pk]
    # Its 导出 is its own list as filtered on screen: no drafts, no other enterprise's.
    sheet = load_workbook(io.BytesIO(as_user(enterprise_a).get(reverse("supervision:inspection_export")).content))
    rows = list(sheet.active.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == [mine.notice_no]
    response = as_user(enterprise_b).get(reverse("supervision:inspection_export"), {"status": "closed"})
    assert list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))[1:] == []
    assert AuditEvent.objects.filter(action="export", user=enterprise_a, detail__list="inspection").exists()


def test_unsent_reply_is_the_enterprises_own(
    travel: Any, project: Any, enterprise_a: Any, reviewer: Any, supervisor: Any, as_user: Any
) -> None:
    """A reply draft and its evidence stay private to the enterprise until 提交."""
    inspection = issued(project, reviewer)
    draft = svc.save_reply(inspection=inspection, content="正在整改。", actor=enterprise_a)
    evidence = upload(draft, "整改照片.jpg", photo(), enterprise_a)
    url = reverse("documents:attachment", args=[evidence.pk])
    assert as_user(enterprise_a).get(url).status_code == 200
    assert as_user(reviewer).get(url).status_code == 404
    assert as_user(supervisor).get(url).status_code == 404
    svc.submit_reply(rectification=draft, actor=enterprise_a)
    assert as_user(reviewer).get(url).status_code == 200
