"""现场检查 through its pages: the loop as the committee and the enterprise click it, the
form's errors beside the fields, and who may see and do what (404 for others' records)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from laowu.documents.models import Attachment
from laowu.supervision import inspections as svc
from laowu.supervision.models import Inspection, InspectionStatus, Message, Rectification, RectificationStatus
from tests.factories import DistrictFactory, StaffFactory, approved_project, make_pdf_bytes
from tests.supervision.test_inspections import NOON, form_post, inspection_data, photo, upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def travel() -> Any:
    with time_machine.travel(NOON, tick=False) as traveller:
        yield traveller


@pytest.fixture
def project(enterprise_a: Any, reviewer: Any) -> Any:
    return approved_project(enterprise_a, reviewer, project_name="阳澄湖半岛安置房项目", contract_no="LWFB-YCH-0001")


def text(response: Any) -> str:
    return response.content.decode()


def test_whole_loop_through_the_pages(project: Any, enterprise_a: Any, reviewer: Any, as_user: Any) -> None:
    committee = as_user(reviewer)
    owner = as_user(enterprise_a)

    # 新增检查 → search → 选择 (a plain link) → the form.
    picker = committee.get(reverse("supervision:inspection_new"), {"q": "LWFB-YCH"})
    create_url = reverse("supervision:inspection_create", args=[project.pk])
    assert f'href="{create_url}"' in text(picker)
    assert "阳澄湖半岛安置房项目" in text(committee.get(create_url))
    response = committee.post(create_url, form_post())
    inspection = Inspection.objects.get()
    assert response.status_code == 302 and response.url == inspection.get_absolute_url()
    assert inspection.status == InspectionStatus.DRAFT and inspection.total_score == 87

    # The draft: 编辑 and 保存, a photo, then 发出.
    edit_url = reverse("supervision:inspection_edit", args=[inspection.pk])
    assert 'value="张明、李华"' in text(committee.get(edit_url))
    committee.post(edit_url, form_post(inspectors="张明、李华、王强", score_site="6"))
    inspection.refresh_from_db()
    assert inspection.inspectors == "张明、李华、王强" and inspection.total_score == 83
    upload_url = reverse("documents:upload", args=["inspection", inspection.pk])
    committee.post(upload_url, {"kind": "evidence", "file": SimpleUploadedFile("现场.jpg", photo())})
    detail = text(committee.get(inspection.get_absolute_url()))
    assert "发出" in detail and "现场.jpg" in detail
    response = committee.post(reverse("supervision:inspection_issue", args=[inspection.pk]), follow=True)
    assert "已发出整改通知书 XCZG-2026-0001" in text(response)
    inspection.refresh_from_db()
    assert inspection.status == InspectionStatus.RECTIFYING

    # The enterprise: its list, the notice (items, scores, problems, deadline, evidence), a reply.
    assert "XCZG-2026-0001" in text(owner.get(reverse("supervision:inspection_list")))
    page = text(owner.get(inspection.get_absolute_url()))
    for expected in ("整改通知书 XCZG-2026-0001", "工资专户与按月足额支付", "考勤记录不全", "2026-05-26", "现场.jpg"):
        assert expected in page
    assert "发出" not in page.replace("发出时间", "")
    reply_url = reverse("supervision:inspection_reply_save", args=[inspection.pk])
    response = owner.post(reply_url, {"content": ""})
    assert response.status_code == 200 and "请填写整改情况" in text(response)
    owner.post(reply_url, {"content": "已补齐考勤记录。"})
    first = Rectification.objects.get()
    assert first.round == 1 and first.status == RectificationStatus.DRAFT
    # Not yet sent: the committee does not see the draft.
    assert "已补齐考勤记录" not in text(committee.get(inspection.get_absolute_url()))
    submit_url = reverse("supervision:rectification_submit", args=[first.pk])
    response = owner.post(submit_url, follow=True)
    assert "请上传整改证明材料及照片" in text(response)
    owner.post(
        reverse("documents:upload", args=["rectification", first.pk]),
        {"kind": "evidence", "file": SimpleUploadedFile("整改报告.pdf", make_pdf_bytes("r1"))},
    )
    response = owner.post(submit_url, follow=True)
    assert "已提交第1轮整改回复" in text(response)

    # 退回整改: a note is required; with one and a new deadline, back to 整改中.
    review_url = reverse("supervision:rectification_review", args=[first.pk])
    assert "复查通过" in text(committee.get(inspection.get_absolute_url()))
    response = committee.post(review_url, {"decision": "return", "note": ""})
    assert response.status_code == 200 and "请填写复查意见" in text(response)
    committee.post(review_url, {"decision": "return", "note": "考勤机未联网。", "new_deadline": "2026-06-10"})
    inspection.refresh_from_db()
    assert inspection.status == InspectionStatus.RECTIFYING and inspection.deadline == dt.date(2026, 6, 10)
    page = text(owner.get(inspection.get_absolute_url()))
    assert "考勤机未联网" in page and "复查退回" in page and "填写整改回复" in page

    # Round 2 with photos → 复查通过 → 已闭环.
    owner.post(reply_url, {"content": "考勤机已联网，附照片。"})
    second = Rectification.objects.get(round=2)
    owner.post(
        reverse("documents:upload", args=["rectification", second.pk]),
        {"kind": "evidence", "file": SimpleUploadedFile("考勤机.png", photo("PNG"))},
    )
    owner.post(reverse("supervision:rectification_submit", args=[second.pk]))
    response = committee.post(
        reverse("supervision:rectification_review", args=[second.pk]), {"decision": "pass", "note": ""}, follow=True
    )
    assert "复查通过，该整改通知已闭环" in text(response)
    inspection.refresh_from_db()
    assert inspection.status == InspectionStatus.CLOSED and inspection.closed_at is not None
    titles = list(Message.objects.filter(enterprise=enterprise_a.enterprise).values_list("title", flat=True))
    assert [t.split("：")[0] for t in titles] == ["整改复查通过", "整改复查退回", "整改通知"]
    page = text(owner.get(inspection.get_absolute_url()))
    assert "已闭环" in page and "填写整改回复" not in page


def test_form_errors_beside_the_fields_input_kept(project: Any, reviewer: Any, as_user: Any) -> None:
    client = as_user(reviewer)
    url = reverse("supervision:inspection_create", args=[project.pk])
    response = client.post(
        url,
        form_post(score_wages="25", score_site="", deadline="2026-05-01", inspectors="张明", problems=""),
    )
    page = text(response)
    assert response.status_code == 200 and not Inspection.objects.exists()
    form = response.context["form"]
    assert form.errors["score_wages"] == ["得分不能超过满分 20 分。"]
    assert form.errors["score_site"] == ["请填写“现场文明施工与防护”的得分。"]
    assert form.errors["deadline"] == ["整改期限应晚于检查日期。"]
    assert "problems" in form.errors
    assert 'id="id_score_wages_error"' in page and 'value="25"' in page and 'value="张明"' in page
    response = client.post(url, form_post(inspected_on="2026-05-12"))
    assert response.context["form"].errors["inspected_on"] == ["检查日期不能晚于今天。"]
    response = client.post(url, form_post(needs_rectification=None, deadline="", problems=""))
    assert response.status_code == 302
    assert Inspection.objects.get().needs_rectification is False


def test_draft_delete_with_confirmation(project: Any, reviewer: Any, as_user: Any) -> None:
    draft = svc.create_inspection(project=project, data=inspection_data(), actor=reviewer)
    evidence = upload(draft, "现场.jpg", photo(), reviewer)
    client = as_user(reviewer)
    assert 'data-confirm="确定删除该检查记录草稿吗' in text(client.get(draft.get_absolute_url()))
    url = reverse("supervision:inspection_delete", args=[draft.pk])
    assert client.get(url).status_code == 405
    response = client.post(url)
    assert response.status_code == 302 and not Inspection.objects.exists()
    assert not Attachment.objects.filter(pk=evidence.pk).exists()


# ---------------------------------------------------------------- permissions


@pytest.fixture
def loop(project: Any, enterprise_a: Any, reviewer: Any) -> dict[str, Any]:
    """Enterprise A: an issued inspection with a submitted reply, another with an open draft reply, and a draft."""
    submitted = svc.issue_inspection(
        inspection=svc.create_inspection(project=project, data=inspection_data(), actor=reviewer), actor=reviewer
    )
    reply = svc.save_reply(inspection=submitted, content="已整改", actor=enterprise_a)
    evidence = upload(reply, "整改.jpg", photo(), enterprise_a)
    svc.submit_reply(rectification=reply, actor=enterprise_a)
    open_one = svc.issue_inspection(
        inspection=svc.create_inspection(project=project, data=inspection_data(), actor=reviewer), actor=reviewer
    )
    draft_reply = svc.save_reply(inspection=open_one, content="整改中", actor=enterprise_a)
    draft_evidence = upload(draft_reply, "草稿.jpg", photo("PNG"), enterprise_a)
    draft = svc.create_inspection(project=project, data=inspection_data(), actor=reviewer)
    draft_photo = upload(draft, "草稿现场.jpg", photo(colour=(1, 2, 3)), reviewer)
    return {
        "submitted": Inspection.objects.get(pk=submitted.pk),
        "reply": reply,
        "evidence": evidence,
        "open": open_one,
        "draft_reply": draft_reply,
        "draft_evidence": draft_evidence,
        "draft": draft,
        "draft_photo": draft_photo,
    }


def test_other_enterprise_gets_404_everywhere(loop: dict[str, Any], enterprise_b: Any, as_user: Any) -> None:
    client = as_user(enterprise_b)
    for name in ("submitted", "open", "draft"):
        assert client.get(loop[name].get_absolute_url()).status_code == 404
    assert (
        client.post(reverse("supervision:inspection_reply_save", args=[loop["open"].pk]), {"content": "x"}).status_code
        == 404
    )
    for name in ("rectification_submit", "rectification_delete"):
        assert client.post(reverse(f"supervision:{name}", args=[loop["draft_reply"].pk])).status_code == 404
    for key in ("evidence", "draft_evidence", "draft_photo"):
        assert client.get(reverse("documents:attachment", args=[loop[key].pk])).status_code == 404
    upload_url = reverse("documents:upload", args=["rectification", loop["draft_reply"].pk])
    response = client.post(upload_url, {"kind": "evidence", "file": SimpleUploadedFile("x.jpg", photo())})
    assert response.status_code == 404
    delete_url = reverse("documents:attachment_delete", args=[loop["draft_evidence"].pk])
    assert client.post(delete_url).status_code == 404
    assert client.get(reverse("supervision:inspection_list")).context["page"].count == 0
    assert Rectification.objects.filter(pk=loop["draft_reply"].pk, status="draft").exists()
    assert Attachment.objects.filter(pk=loop["draft_evidence"].pk).exists()


def test_enterprise_never_sees_drafts_and_cannot_act_as_committee(
    loop: dict[str, Any], enterprise_a: Any, as_user: Any
) -> None:
    client = as_user(enterprise_a)
    listed = [i.pk for i in client.get(reverse("supervision:inspection_list")).context["page"].object_list]
    assert loop["draft"].pk not in listed and set(listed) == {loop["submitted"].pk, loop["open"].pk}
    assert client.get(loop["draft"].get_absolute_url()).status_code == 404
    assert client.get(reverse("documents:attachment", args=[loop["draft_photo"].pk])).status_code == 404
    for name in ("inspection_edit", "inspection_issue", "inspection_delete"):
        assert client.post(reverse(f"supervision:{name}", args=[loop["draft"].pk])).status_code == 403
    response = client.post(reverse("supervision:rectification_review", args=[loop["reply"].pk]), {"decision": "pass"})
    assert response.status_code == 403
    assert client.get(reverse("supervision:inspection_new")).status_code == 403
    # Its own replies and files it may open.
    assert client.get(reverse("documents:attachment", args=[loop["evidence"].pk])).status_code == 200
    assert Inspection.objects.get(pk=loop["draft"].pk).status == InspectionStatus.DRAFT


def test_supervisor_reads_but_changes_nothing(
    loop: dict[str, Any], project: Any, supervisor: Any, as_user: Any
) -> None:
    client = as_user(supervisor)
    response = client.get(reverse("supervision:inspection_list"))
    assert response.status_code == 200 and response.context["page"].count == 3
    assert "新增检查" not in text(response)
    assert client.get(reverse("supervision:inspection_export")).status_code == 200
    page = text(client.get(loop["submitted"].get_absolute_url()))
    assert "整改.jpg" in page and "复查通过" not in page
    draft_page = text(client.get(loop["draft"].get_absolute_url()))
    assert "/issue/" not in draft_page and "/delete/" not in draft_page and "/files/upload/" not in draft_page
    forbidden = [
        ("get", reverse("supervision:inspection_new")),
        ("post", reverse("supervision:inspection_create", args=[project.pk])),
        ("post", reverse("supervision:inspection_edit", args=[loop["draft"].pk])),
        ("post", reverse("supervision:inspection_issue", args=[loop["draft"].pk])),
        ("post", reverse("supervision:inspection_delete", args=[loop["draft"].pk])),
        ("post", reverse("supervision:rectification_review", args=[loop["reply"].pk])),
        ("post", reverse("supervision:inspection_reply_save", args=[loop["open"].pk])),
        ("post", reverse("documents:upload", args=["inspection", loop["draft"].pk])),
        ("post", reverse("documents:attachment_delete", args=[loop["draft_photo"].pk])),
    ]
    for method, url in forbidden:
        assert getattr(client, method)(url, {"decision": "pass"}).status_code == 403, url
    assert Inspection.objects.get(pk=loop["draft"].pk).status == InspectionStatus.DRAFT
    assert Inspection.objects.get(pk=loop["submitted"].pk).status == InspectionStatus.REPLIED
    assert Attachment.objects.filter(pk=loop["draft_photo"].pk).exists()


def test_reviewer_of_another_district_gets_404(loop: dict[str, Any], project: Any, as_user: Any) -> None:
    elsewhere = StaffFactory(role="reviewer", username="wz", districts=[DistrictFactory(code="320506", name="吴中区")])
    client = as_user(elsewhere)
    assert client.get(reverse("supervision:inspection_list")).context["page"].count == 0
    assert "阳澄湖" not in text(client.get(reverse("supervision:inspection_new")))
    urls = [
        ("get", loop["submitted"].get_absolute_url()),
        ("get", loop["draft"].get_absolute_url()),
        ("get", reverse("supervision:inspection_create", args=[project.pk])),
        ("get", reverse("supervision:inspection_edit", args=[loop["draft"].pk])),
        ("post", reverse("supervision:inspection_issue", args=[loop["draft"].pk])),
        ("post", reverse("supervision:inspection_delete", args=[loop["draft"].pk])),
        ("post", reverse("supervision:rectification_review", args=[loop["reply"].pk])),
        ("get", reverse("documents:attachment", args=[loop["evidence"].pk])),
        ("post", reverse("documents:upload", args=["inspection", loop["draft"].pk])),
    ]
    for method, url in urls:
        assert getattr(client, method)(url, {"decision": "pass"}).status_code == 404, url
    assert Inspection.objects.get(pk=loop["draft"].pk).status == InspectionStatus.DRAFT


def test_committee_never_sees_unsent_replies(loop: dict[str, Any], reviewer: Any, as_user: Any) -> None:
    page = text(as_user(reviewer).get(loop["open"].get_absolute_url()))
    assert "整改中" in page and "草稿.jpg" not in page and "第1轮整改回复" not in page
