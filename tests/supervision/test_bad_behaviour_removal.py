"""提前移出: the enterprise applies with evidence, the committee decides; never before 3 months."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from openpyxl import load_workbook

from laowu.audit.models import AuditEvent
from laowu.audit.services import Action
from laowu.supervision import bad_behaviour as bb
from laowu.supervision.models import BadBehaviour, Message, RemovalApplication, RemovalStatus
from tests.factories import make_pdf_bytes

from .test_bad_behaviour import START, at, make_record, public_detail, public_page

pytestmark = pytest.mark.django_db

EARLIEST = dt.date(2026, 6, 2)  # START + 3 months
END = dt.date(2027, 3, 1)


def publish_record(reviewer: Any, user: Any, **overrides: Any) -> BadBehaviour:
    with at(START):
        return make_record(reviewer, user, publish=True, publicity_end=END, **overrides)


def upload_evidence(client: Any, application: RemovalApplication, name: str = "整改证明.pdf") -> Any:
    upload = SimpleUploadedFile(name, make_pdf_bytes(f"evidence-{application.pk}-{name}"), "application/pdf")
    return client.post(
        reverse("documents:upload", args=["removal", application.pk]), {"kind": "evidence", "file": upload}
    )


def apply(client: Any, rec: BadBehaviour, text: str = "已足额支付拖欠工资，并建立工资专户。") -> Any:
    return client.post(reverse("supervision:removal_new", args=[rec.pk]), {"rectification": text}, follow=True)


def test_early_removal_before_three_months_is_refused_then_works(
    reviewer: Any, enterprise_a: Any, as_user: Any
) -> None:
    rec = publish_record(reviewer, enterprise_a)
    assert rec.earliest_removal == EARLIEST
    with at(EARLIEST - dt.timedelta(days=1)):
        c = as_user(enterprise_a)
        detail = c.get(rec.get_absolute_url()).content.decode()
        assert "2026年6月2日" in detail and reverse("supervision:removal_new", args=[rec.pk]) not in detail
        resp = apply(c, rec)
        assert "最早可于2026年6月2日提前移出" in resp.content.decode()
        assert not RemovalApplication.objects.exists()
        with pytest.raises(ValidationError, match="2026年6月2日"):
            bb.create_removal(rec=rec, rectification="已整改", actor=enterprise_a)
    with at(EARLIEST):
        c = as_user(enterprise_a)
        apply(c, rec)
        application = RemovalApplication.objects.get()
        assert application.status == RemovalStatus.DRAFT and application.enterprise == enterprise_a.enterprise
        # 提交 needs the evidence.
        submit = reverse("supervision:removal_submit", args=[application.pk])
        resp = c.post(submit, follow=True)
        assert "请先上传整改证明材料" in resp.content.decode()
        application.refresh_from_db()
        assert application.status == RemovalStatus.DRAFT
        c.post(reverse("supervision:removal_save", args=[application.pk]), {"rectification": "补充：已处理责任人。"})
        application.refresh_from_db()
        assert application.rectification == "补充：已处理责任人。"
        upload_evidence(c, application)
        assert application.attachments.count() == 1
        c.post(submit)
        resp = c.post(submit, follow=True)  # the second click
        assert "不能提交" in resp.content.decode()
        application.refresh_from_db()
        assert application.status == RemovalStatus.PENDING and application.submitted_at is not None
        assert AuditEvent.objects.filter(action=Action.REMOVAL_SUBMIT).count() == 1
        # The evidence is frozen once submitted.
        upload_evidence(c, application, "补充.pdf")
        assert application.attachments.count() == 1
        # Still in publicity until the committee agrees.
        assert rec.enterprise.name in public_page()
    with at(dt.date(2026, 6, 10)):
        r = as_user(reviewer)
        pending = r.get(reverse("supervision:removal_list")).content.decode()
        assert rec.decision_no in pending and "审核" in pending
        detail = r.get(rec.get_absolute_url()).content.decode()
        assert "补充：已处理责任人。" in detail and "整改证明.pdf" in detail
        resp = r.post(
            reverse("supervision:removal_decide", args=[application.pk]), {"decision": "approve", "note": "整改到位"}
        )
        assert resp.status_code == 302
        rec.refresh_from_db()
        application.refresh_from_db()
        assert application.status == RemovalStatus.APPROVED and application.decided_by == reviewer
        assert rec.ended_early_on == dt.date(2026, 6, 10) and rec.publicity_end == dt.date(2026, 6, 9)
        # It leaves the public list today.
        assert rec.enterprise.name not in public_page()
        assert public_detail(rec).status_code == 404
        message = Message.objects.filter(enterprise=enterprise_a.enterprise).first()
        assert message is not None and "已同意" in message.title and "2026年6月10日" in message.body
        assert AuditEvent.objects.filter(action=Action.REMOVAL_DECIDE, object_id=str(application.pk)).exists()
        # A second decision (another clerk, a second click) is refused.
        resp = r.post(
            reverse("supervision:removal_decide", args=[application.pk]),
            {"decision": "reject", "note": "x"},
            follow=True,
        )
        assert "不能审核" in resp.content.decode()
        application.refresh_from_db()
        assert application.status == RemovalStatus.APPROVED
        assert "已提前移出" in as_user(enterprise_a).get(rec.get_absolute_url()).content.decode()


def test_approval_before_three_months_is_refused(reviewer: Any, enterprise_a: Any, as_user: Any) -> None:
    rec = publish_record(reviewer, enterprise_a)
    # An application already waiting (e.g. entered before a rules change): approval still checks the date.
    application = RemovalApplication.objects.create(
        record=rec,
        enterprise=rec.enterprise,
        rectification="已整改",
        status=RemovalStatus.PENDING,
        created_by=enterprise_a,
    )
    with at(dt.date(2026, 5, 20)):
        resp = as_user(reviewer).post(
            reverse("supervision:removal_decide", args=[application.pk]), {"decision": "approve"}, follow=True
        )
        assert "不能同意" in resp.content.decode() and "2026年6月2日" in resp.content.decode()
        rec.refresh_from_db()
        application.refresh_from_db()
        assert application.status == RemovalStatus.PENDING
        assert rec.ended_early_on is None and rec.publicity_end == END
        assert rec.enterprise.name in public_page()
    with at(EARLIEST):
        bb.decide_removal(application=application, approve=True, note="", actor=reviewer)
        rec.refresh_from_db()
        assert rec.publicity_end == EARLIEST - dt.timedelta(days=1)
        assert rec.enterprise.name not in public_page()


def test_reject_needs_a_note_and_a_new_application_may_follow(reviewer: Any, enterprise_a: Any, as_user: Any) -> None:
    rec = publish_record(reviewer, enterprise_a)
    with at(EARLIEST):
        c = as_user(enterprise_a)
        apply(c, rec)
        application = RemovalApplication.objects.get()
        upload_evidence(c, application)
        c.post(reverse("supervision:removal_submit", args=[application.pk]))
        r = as_user(reviewer)
        decide = reverse("supervision:removal_decide", args=[application.pk])
        resp = r.post(decide, {"decision": "reject", "note": " "})
        assert resp.status_code == 200 and "请填写不同意的理由" in resp.content.decode()
        application.refresh_from_db()
        assert application.status == RemovalStatus.PENDING
        r.post(decide, {"decision": "reject", "note": "工资专户未按月足额支付"})
        application.refresh_from_db()
        rec.refresh_from_db()
        assert application.status == RemovalStatus.REJECTED and rec.ended_early_on is None
        message = Message.objects.filter(enterprise=enterprise_a.enterprise).first()
        assert message is not None and "工资专户未按月足额支付" in message.body
        assert rec.enterprise.name in public_page()
        # The enterprise sees the decision and may apply again.
        detail = c.get(rec.get_absolute_url()).content.decode()
        assert "工资专户未按月足额支付" in detail and "不同意" in detail
        apply(c, rec, "再次整改")
        assert RemovalApplication.objects.filter(record=rec, status=RemovalStatus.DRAFT).count() == 1


def test_one_open_application_per_record(reviewer: Any, enterprise_a: Any, as_user: Any) -> None:
    rec = publish_record(reviewer, enterprise_a)
    with at(EARLIEST):
        c = as_user(enterprise_a)
        apply(c, rec)
        resp = apply(c, rec, "第二份")
        assert "已有未办结的提前移出申请" in resp.content.decode()
        assert RemovalApplication.objects.count() == 1
        with pytest.raises(IntegrityError), transaction.atomic():
            RemovalApplication.objects.create(
                record=rec, enterprise=rec.enterprise, rectification="x", created_by=enterprise_a
            )


def test_removal_permissions(
    reviewer: Any, supervisor: Any, enterprise_a: Any, enterprise_b: Any, as_user: Any
) -> None:
    rec = publish_record(reviewer, enterprise_a)
    with at(EARLIEST):
        a, b = as_user(enterprise_a), as_user(enterprise_b)
        apply(a, rec)
        application = RemovalApplication.objects.get()
        upload_evidence(a, application)
        attachment = application.attachments.get()
        # The committee does not see an enterprise's unsent draft.
        assert "已足额支付拖欠工资" not in as_user(reviewer).get(rec.get_absolute_url()).content.decode()
        # Enterprise B: every door to A's application answers 404.
        assert b.get(reverse("documents:attachment", args=[attachment.pk])).status_code == 404
        assert b.post(reverse("documents:attachment_delete", args=[attachment.pk])).status_code == 404
        assert upload_evidence(b, application).status_code == 404
        assert (
            b.post(reverse("supervision:removal_save", args=[application.pk]), {"rectification": "x"}).status_code
            == 404
        )
        assert b.post(reverse("supervision:removal_submit", args=[application.pk])).status_code == 404
        assert b.post(reverse("supervision:removal_new", args=[rec.pk]), {"rectification": "x"}).status_code == 404
        application.refresh_from_db()
        assert application.status == RemovalStatus.DRAFT and application.attachments.count() == 1
        a.post(reverse("supervision:removal_submit", args=[application.pk]))
        application.refresh_from_db()
        assert application.status == RemovalStatus.PENDING
        # The committee reads the evidence; a supervisor cannot decide; nobody on the committee uploads to it.
        assert as_user(reviewer).get(reverse("documents:attachment", args=[attachment.pk])).status_code == 200
        assert as_user(supervisor).get(reverse("documents:attachment", args=[attachment.pk])).status_code == 200
        decide = reverse("supervision:removal_decide", args=[application.pk])
        assert as_user(supervisor).post(decide, {"decision": "approve"}).status_code == 403
        assert upload_evidence(as_user(reviewer), application).status_code == 404
        # An enterprise cannot decide its own application.
        assert a.post(decide, {"decision": "approve"}).status_code == 403
        application.refresh_from_db()
        assert application.status == RemovalStatus.PENDING


def test_revoking_a_record_closes_its_open_application(reviewer: Any, enterprise_a: Any, as_user: Any) -> None:
    """A submitted application is closed on record; an unsent draft (the enterprise's own) goes away."""
    rec = publish_record(reviewer, enterprise_a)
    other = publish_record(reviewer, enterprise_a, decision_no="相劳专〔2026〕9号")
    with at(EARLIEST):
        apply(as_user(enterprise_a), rec)
        submitted = RemovalApplication.objects.get(record=rec)
        upload_evidence(as_user(enterprise_a), submitted)
        bb.submit_removal(application=submitted, actor=enterprise_a)
        apply(as_user(enterprise_a), other)
        draft = RemovalApplication.objects.get(record=other)
        bb.revoke(rec=rec, reason="处理决定被撤销", actor=reviewer)
        bb.revoke(rec=other, reason="登记有误", actor=reviewer)
        submitted.refresh_from_db()
        assert submitted.status == RemovalStatus.REJECTED and "已撤销" in submitted.decision_note
        assert not RemovalApplication.objects.filter(pk=draft.pk).exists()
        assert "提前移出申请随之终止" in Message.objects.filter(title__contains="相劳专〔2026〕9号").first().body
        resp = apply(as_user(enterprise_a), rec)
        assert "不在公示期内" in resp.content.decode()


def test_expired_record_cannot_be_removed(reviewer: Any, enterprise_a: Any) -> None:
    rec = publish_record(reviewer, enterprise_a)
    with at(END + dt.timedelta(days=1)), pytest.raises(ValidationError, match="不在公示期内"):
        bb.create_removal(rec=rec, rectification="已整改", actor=enterprise_a)


def test_committee_removal_list_and_export(reviewer: Any, enterprise_a: Any, enterprise_b: Any, as_user: Any) -> None:
    first = publish_record(reviewer, enterprise_a)
    second = publish_record(reviewer, enterprise_b, decision_no="相劳专〔2026〕2号")
    with at(EARLIEST):
        for user, rec in ((enterprise_a, first), (enterprise_b, second)):
            c = as_user(user)
            apply(c, rec)
            application = RemovalApplication.objects.get(record=rec)
            upload_evidence(c, application)
            c.post(reverse("supervision:removal_submit", args=[application.pk]))
        done = RemovalApplication.objects.get(record=second)
        bb.decide_removal(application=done, approve=False, note="材料不全", actor=reviewer)
        r = as_user(reviewer)
        url = reverse("supervision:removal_list")

        def listed(params: dict[str, str]) -> set[str]:
            return {a.record__decision_no for a in r.get(url, params).context["page"].object_list}

        assert listed({}) == {first.decision_no}  # pending by default
        assert listed({"status": ""}) == {first.decision_no, second.decision_no}
        assert listed({"status": "rejected"}) == {second.decision_no}
        assert listed({"status": "", "q": enterprise_b.enterprise.credit_code}) == {second.decision_no}
        # The records list flags the record waiting for a decision.
        page = r.get(reverse("supervision:bad_behaviour_list")).content.decode()
        assert "移出待审核" in page
        resp = r.get(reverse("supervision:removal_export"), {"status": ""})
        rows = list(load_workbook(io.BytesIO(resp.content)).active.iter_rows(values_only=True))
        assert rows[0][0] == "企业名称" and len(rows) == 3
        by_no = {row[2]: row for row in rows[1:]}
        assert by_no[second.decision_no][7] == "不同意" and by_no[second.decision_no][10] == "材料不全"
        # 最早可移出日期 is a date cell.
        assert by_no[first.decision_no][4] == dt.datetime.combine(EARLIEST, dt.time())
        assert AuditEvent.objects.filter(action=Action.EXPORT, detail__list="removal").exists()
