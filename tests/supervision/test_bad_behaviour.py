"""不良行为记录: recording, publishing, the public 不良行为公示 page, revoking, lists and export."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from laowu.audit.models import AuditEvent
from laowu.audit.services import Action
from laowu.core.validators import mask_id_number
from laowu.documents.services import add_attachment
from laowu.supervision import bad_behaviour as bb
from laowu.supervision.models import BadBehaviour, BadBehaviourStatus, Message
from tests.factories import DistrictFactory, EnterpriseUserFactory, StaffFactory, make_id_number, make_pdf_bytes

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
START = dt.date(2026, 3, 2)


def at(day: dt.date) -> Any:
    """Travel to 10:00 of a day in Suzhou."""
    return time_machine.travel(dt.datetime(day.year, day.month, day.day, 10, 0, tzinfo=TZ), tick=False)


def record_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "person_name": "",
        "person_id_number": "",
        "grade": "A",
        "category": "wage_arrears",
        "facts": "2026年1月在相城区某项目拖欠农民工工资共计35万元。",
        "legal_basis": "《保障农民工工资支付条例》第五十五条",
        "decision_no": "相劳专〔2026〕1号",
        "decision_date": START,
        "points": 10,
        "issuer": bb.DEFAULT_ISSUER,
        "publicity_start": START,
        "publicity_end": dt.date(2026, 9, 1),
    }
    data.update(overrides)
    return data


def form_data(**overrides: Any) -> dict[str, str]:
    return {k: (v.isoformat() if isinstance(v, dt.date) else str(v)) for k, v in record_data(**overrides).items()}


def make_record(reviewer: Any, user: Any, *, publish: bool = False, **overrides: Any) -> BadBehaviour:
    rec = bb.create_record(enterprise=user.enterprise, data=record_data(**overrides), actor=reviewer)
    if publish:
        rec = bb.publish(rec=rec, actor=reviewer)
    return rec


def public_page(q: str = "") -> str:
    return Client().get(reverse("supervision:public_bad_behaviour"), {"q": q} if q else {}).content.decode()


def public_detail(rec: BadBehaviour) -> Any:
    return Client().get(reverse("supervision:public_bad_behaviour_detail", args=[rec.pk]))


# ---------------------------------------------------------------- the public page over time


def test_record_is_public_only_while_in_publicity(reviewer: Any, enterprise_a: Any, as_user: Any) -> None:
    name = enterprise_a.enterprise.name
    id_number = make_id_number()
    with at(START):
        rec = make_record(reviewer, enterprise_a, person_name="张建国", person_id_number=id_number)
        # A draft is the committee's alone.
        assert name not in public_page()
        assert public_detail(rec).status_code == 404
        as_user(reviewer).post(reverse("supervision:bad_behaviour_publish", args=[rec.pk]))
        rec.refresh_from_db()
        assert rec.status == BadBehaviourStatus.PUBLISHED and rec.published_at is not None
        page = public_page()
        assert name in page and rec.decision_no in page
        # The person's name is masked and the ID number never shown, not even masked.
        assert "张*国" in page and "张建国" not in page
        assert id_number not in page and mask_id_number(id_number) not in page
        detail = public_detail(rec)
        assert detail.status_code == 200
        body = detail.content.decode()
        assert rec.facts in body and "张*国" in body and id_number[-4:] not in body
        # Found by name, by credit code; not by another's.
        assert name in public_page(q=name[-8:])
        assert name in public_page(q=enterprise_a.enterprise.credit_code)
        assert name not in public_page(q="不存在的企业")
    with at(dt.date(2026, 9, 1)):  # the last day of the period
        assert name in public_page()
        assert public_detail(rec).status_code == 200
    with at(dt.date(2026, 9, 2)):  # the day after: gone by itself, nothing changed in the database
        assert name not in public_page()
        assert public_detail(rec).status_code == 404
        rec.refresh_from_db()
        assert rec.status == BadBehaviourStatus.PUBLISHED and rec.display_status == BadBehaviourStatus.EXPIRED
        committee = as_user(reviewer).get(reverse("supervision:bad_behaviour_list"), {"status": "expired"})
        assert rec.decision_no in committee.content.decode() and "已到期" in committee.content.decode()
        assert (
            rec.decision_no
            not in as_user(reviewer)
            .get(reverse("supervision:bad_behaviour_list"), {"status": "published"})
            .content.decode()
        )


def test_record_with_future_start_waits_for_its_day(reviewer: Any, enterprise_a: Any) -> None:
    with at(START):
        rec = make_record(
            reviewer,
            enterprise_a,
            publish=True,
            publicity_start=dt.date(2026, 3, 10),
            publicity_end=dt.date(2026, 9, 9),
        )
        assert public_detail(rec).status_code == 404
    with at(dt.date(2026, 3, 10)):
        assert public_detail(rec).status_code == 200


def test_public_page_filters_and_hides_revoked(reviewer: Any, enterprise_a: Any, enterprise_b: Any) -> None:
    with at(START):
        a = make_record(reviewer, enterprise_a, publish=True, grade="A", category="wage_arrears")
        b = make_record(reviewer, enterprise_b, publish=True, grade="C", category="real_name")
        c = Client()
        url = reverse("supervision:public_bad_behaviour")
        page = c.get(url, {"grade": "C"}).content.decode()
        assert b.enterprise.name in page and a.enterprise.name not in page
        page = c.get(url, {"category": "wage_arrears"}).content.decode()
        assert a.enterprise.name in page and b.enterprise.name not in page
        bb.revoke(rec=a, reason="处理决定经行政复议被撤销", actor=reviewer)
        assert a.enterprise.name not in public_page()
        assert public_detail(a).status_code == 404
        assert public_detail(b).status_code == 200
        # The public page is its own: no workspace menu, no login needed.
        assert "side-group" not in public_page()


def test_public_list_paginates(reviewer: Any, enterprise_a: Any) -> None:
    with at(START):
        for n in range(18):
            make_record(reviewer, enterprise_a, publish=True, decision_no=f"相劳专〔2026〕{n + 1}号")
        c = Client()
        first = c.get(reverse("supervision:public_bad_behaviour")).content.decode()
        assert "共 18 条" in first and "下一页" in first
        second = c.get(reverse("supervision:public_bad_behaviour"), {"page": 2}).content.decode()
        assert second.count("相劳专〔2026〕") == 3


# ---------------------------------------------------------------- recording and validation


def test_publicity_bounds_and_dates_are_checked_beside_the_fields(
    reviewer: Any, enterprise_a: Any, as_user: Any
) -> None:
    pk = enterprise_a.enterprise.pk
    url = reverse("supervision:bad_behaviour_new") + f"?enterprise={pk}"
    with at(START):
        c = as_user(reviewer)
        low, high = BadBehaviour(publicity_start=START).publicity_bounds
        assert (low, high) == (dt.date(2026, 9, 1), dt.date(2029, 3, 1))
        for end in (low - dt.timedelta(days=1), high + dt.timedelta(days=1)):
            resp = c.post(url, form_data(publicity_end=end))
            assert resp.status_code == 200
            errors = resp.context["form"].errors
            assert "公示截止日期应在2026年9月1日至2029年3月1日之间" in errors["publicity_end"][0]
            assert 'id="id_publicity_end_error"' in resp.content.decode()
        assert not BadBehaviour.objects.exists()
        resp = c.post(url, form_data(decision_date=dt.date(2026, 3, 3), publicity_end=low))
        assert "决定日期不能晚于" in resp.context["form"].errors["decision_date"][0]
        resp = c.post(url, form_data(person_name="张建国", person_id_number="320507198501010000"))
        assert "person_id_number" in resp.context["form"].errors
        # Input is kept after an error.
        assert "张建国" in resp.content.decode()
        # Both ends of the range are allowed.
        for n, end in enumerate((low, high)):
            resp = c.post(url, form_data(publicity_end=end, decision_no=f"相劳专〔2026〕{n + 50}号"))
            assert resp.status_code == 302
        assert BadBehaviour.objects.filter(status=BadBehaviourStatus.DRAFT).count() == 2
        # The service keeps the same rules for callers other than the form.
        with pytest.raises(ValidationError) as exc:
            bb.create_record(enterprise=enterprise_a.enterprise, data=record_data(publicity_end=START), actor=reviewer)
        assert "publicity_end" in exc.value.error_dict


def test_create_through_the_enterprise_search_step(reviewer: Any, enterprise_a: Any, as_user: Any) -> None:
    other_district = EnterpriseUserFactory(enterprise__district=DistrictFactory(code="320506", name="吴中区"))
    c = as_user(reviewer)
    url = reverse("supervision:bad_behaviour_new")
    page = c.get(url, {"q": enterprise_a.enterprise.credit_code}).content.decode()
    assert enterprise_a.enterprise.name in page and f"?enterprise={enterprise_a.enterprise.pk}" in page
    page = c.get(url).content.decode()
    assert other_district.enterprise.name not in page
    assert c.get(url, {"enterprise": other_district.enterprise.pk}).status_code == 404
    assert c.get(url, {"enterprise": "x"}).status_code == 404
    form_page = c.get(url, {"enterprise": enterprise_a.enterprise.pk}).content.decode()
    assert enterprise_a.enterprise.name in form_page and bb.DEFAULT_ISSUER in form_page
    id_number = make_id_number()
    resp = c.post(
        f"{url}?enterprise={enterprise_a.enterprise.pk}",
        form_data(
            person_name="李四",
            person_id_number=id_number.lower(),
            decision_date=dt.date.today(),
            publicity_start=dt.date.today(),
            publicity_end=bb.publicity_bounds(dt.date.today())[0],
        ),
    )
    rec = BadBehaviour.objects.get()
    assert resp["Location"] == rec.get_absolute_url()
    assert rec.enterprise == enterprise_a.enterprise and rec.status == BadBehaviourStatus.DRAFT
    assert rec.person_id_number == id_number.upper() and rec.created_by == reviewer
    assert AuditEvent.objects.filter(action=Action.BAD_BEHAVIOUR_SAVE, object_id=str(rec.pk)).exists()
    # The committee's detail page is the one place showing the full ID number (for a reviewer).
    detail = c.get(rec.get_absolute_url()).content.decode()
    assert id_number.upper() in detail
    assert AuditEvent.objects.filter(action=Action.PERSONAL_DATA_VIEW, object_id=str(rec.pk)).exists()


def test_draft_edit_delete_and_double_submits(reviewer: Any, enterprise_a: Any, as_user: Any) -> None:
    c = as_user(reviewer)
    with at(START):
        rec = make_record(reviewer, enterprise_a)
        # Recording the same decision twice (a double click on 保存) is refused.
        resp = c.post(
            reverse("supervision:bad_behaviour_new") + f"?enterprise={enterprise_a.enterprise.pk}", form_data()
        )
        assert "请勿重复登记" in resp.context["form"].errors["decision_no"][0]
        assert BadBehaviour.objects.count() == 1
        resp = c.post(reverse("supervision:bad_behaviour_edit", args=[rec.pk]), form_data(points=20, grade="B"))
        assert resp.status_code == 302
        rec.refresh_from_db()
        assert rec.points == 20 and rec.grade == "B"
        publish_url = reverse("supervision:bad_behaviour_publish", args=[rec.pk])
        c.post(publish_url)
        resp = c.post(publish_url, follow=True)  # the second click
        assert "不能发布" in resp.content.decode()
        assert Message.objects.filter(enterprise=enterprise_a.enterprise).count() == 1
        assert AuditEvent.objects.filter(action=Action.BAD_BEHAVIOUR_PUBLISH).count() == 1
        # Published: no more edits, no delete, no attachment changes.
        resp = c.post(reverse("supervision:bad_behaviour_edit", args=[rec.pk]), form_data(points=1))
        rec.refresh_from_db()
        assert resp.status_code == 302 and rec.points == 20
        c.post(reverse("supervision:bad_behaviour_delete", args=[rec.pk]))
        assert BadBehaviour.objects.filter(pk=rec.pk).exists()
        upload = SimpleUploadedFile("决定书.pdf", make_pdf_bytes("late"), "application/pdf")
        c.post(reverse("documents:upload", args=["bad_behaviour", rec.pk]), {"kind": "decision", "file": upload})
        assert not rec.attachments.exists()
        # A draft with attachments deletes, attachments and all.
        draft = make_record(reviewer, enterprise_a, decision_no="相劳专〔2026〕9号")
        upload = SimpleUploadedFile("决定书.pdf", make_pdf_bytes("draft"), "application/pdf")
        resp = c.post(
            reverse("documents:upload", args=["bad_behaviour", draft.pk]), {"kind": "decision", "file": upload}
        )
        assert draft.attachments.count() == 1
        resp = c.post(reverse("supervision:bad_behaviour_delete", args=[draft.pk]))
        assert resp["Location"] == reverse("supervision:bad_behaviour_list")
        assert not BadBehaviour.objects.filter(pk=draft.pk).exists()
        assert AuditEvent.objects.filter(action=Action.BAD_BEHAVIOUR_DELETE, object_id=str(draft.pk)).exists()
        assert c.post(reverse("supervision:bad_behaviour_delete", args=[draft.pk])).status_code == 404


def test_publishing_with_a_start_already_past_is_refused(reviewer: Any, enterprise_a: Any) -> None:
    """A backdated start would shorten the publicity served and bring early removal forward."""
    with at(START):
        rec = make_record(reviewer, enterprise_a)
    with at(START + dt.timedelta(days=1)):
        with pytest.raises(ValidationError) as exc:
            bb.publish(rec=rec, actor=reviewer)
        assert "公示开始日期已过" in str(exc.value)
    with at(dt.date(2026, 9, 2)), pytest.raises(ValidationError):
        bb.publish(rec=rec, actor=reviewer)
    rec.refresh_from_db()
    assert rec.status == BadBehaviourStatus.DRAFT


def test_revoke_needs_a_reason_and_tells_the_enterprise(reviewer: Any, enterprise_a: Any, as_user: Any) -> None:
    c = as_user(reviewer)
    with at(START):
        rec = make_record(reviewer, enterprise_a, publish=True)
        url = reverse("supervision:bad_behaviour_revoke", args=[rec.pk])
        resp = c.post(url, {"reason": "  "})
        assert resp.status_code == 200 and "请填写撤销原因" in resp.content.decode()
        rec.refresh_from_db()
        assert rec.status == BadBehaviourStatus.PUBLISHED
        c.post(url, {"reason": "登记有误"})
        rec.refresh_from_db()
        assert rec.status == BadBehaviourStatus.REVOKED and rec.revoke_reason == "登记有误" and rec.revoked_at
        message = Message.objects.filter(enterprise=enterprise_a.enterprise).first()
        assert message is not None and "已撤销" in message.title and "登记有误" in message.body
        assert AuditEvent.objects.filter(action=Action.BAD_BEHAVIOUR_REVOKE, object_id=str(rec.pk)).exists()
        resp = c.post(url, {"reason": "再次撤销"}, follow=True)
        assert "不能撤销" in resp.content.decode()
        assert AuditEvent.objects.filter(action=Action.BAD_BEHAVIOUR_REVOKE).count() == 1
        # The enterprise still sees it, as 已撤销, with the reason.
        page = as_user(enterprise_a).get(rec.get_absolute_url()).content.decode()
        assert "已撤销" in page and "登记有误" in page


def test_publish_tells_the_enterprise(reviewer: Any, enterprise_a: Any, as_user: Any) -> None:
    with at(START):
        rec = make_record(reviewer, enterprise_a, publish=True)
        message = Message.objects.get(enterprise=enterprise_a.enterprise)
        assert rec.decision_no in message.title and "2026年6月2日" in message.body
        assert message.link == rec.get_absolute_url()


# ---------------------------------------------------------------- lists and export


def test_committee_list_search_and_status(reviewer: Any, supervisor: Any, enterprise_a: Any, as_user: Any) -> None:
    with at(START):
        draft = make_record(reviewer, enterprise_a, decision_no="相劳专〔2026〕11号", grade="C", category="real_name")
        live = make_record(reviewer, enterprise_a, publish=True, decision_no="相劳专〔2026〕12号")
        gone = make_record(reviewer, enterprise_a, publish=True, decision_no="相劳专〔2026〕13号")
        bb.revoke(rec=gone, reason="登记有误", actor=reviewer)
        url = reverse("supervision:bad_behaviour_list")
        for user in (reviewer, supervisor):
            c = as_user(user)

            def found(params: dict[str, str], c: Client = c) -> set[str]:
                page = c.get(url, params).context["page"]
                return {r.decision_no for r in page.object_list}

            assert found({}) == {draft.decision_no, live.decision_no, gone.decision_no}
            assert found({"status": "draft"}) == {draft.decision_no}
            assert found({"status": "published"}) == {live.decision_no}
            assert found({"status": "revoked"}) == {gone.decision_no}
            assert found({"grade": "C"}) == {draft.decision_no}
            assert found({"category": "real_name"}) == {draft.decision_no}
            assert found({"q": "〕12号"}) == {live.decision_no}
            assert found({"q": enterprise_a.enterprise.name}) == {draft.decision_no, live.decision_no, gone.decision_no}
            assert found({"date_from": "2026-09-02"}) == set()
            assert found({"date_from": "2026-09-01", "date_to": "2026-09-30"}) == {
                draft.decision_no,
                live.decision_no,
                gone.decision_no,
            }
            resp = c.get(url, {"date_from": "2026-05-01", "date_to": "2026-04-01"})
            assert "截止日期不能早于起始日期" in resp.content.decode()
        # Supervisors read but get no 新增 button.
        assert reverse("supervision:bad_behaviour_new") not in as_user(supervisor).get(url).content.decode()
        assert reverse("supervision:bad_behaviour_new") in as_user(reviewer).get(url).content.decode()


def test_export_masks_id_numbers(reviewer: Any, supervisor: Any, enterprise_a: Any, as_user: Any) -> None:
    id_number = make_id_number()
    with at(START):
        make_record(reviewer, enterprise_a, publish=True, person_name="张建国", person_id_number=id_number)
        make_record(reviewer, enterprise_a, decision_no="相劳专〔2026〕2号", grade="B")
        for user in (reviewer, supervisor):
            resp = as_user(user).get(reverse("supervision:bad_behaviour_export"), {"grade": "A"})
            assert resp.status_code == 200
            ws = load_workbook(io.BytesIO(resp.content)).active
            rows = list(ws.iter_rows(values_only=True))
            assert rows[0][:4] == ("企业名称", "统一社会信用代码", "当事人员", "身份证号")
            assert len(rows) == 2  # the grade filter applies to the export
            row = dict(zip(rows[0], rows[1], strict=True))
            assert row["企业名称"] == enterprise_a.enterprise.name and row["当事人员"] == "张建国"
            assert row["身份证号"] == mask_id_number(id_number) != id_number
            assert row["状态"] == "公示中" and row["决定书文号"] == "相劳专〔2026〕1号"
            assert isinstance(row["决定日期"], dt.datetime) and isinstance(row["扣分"], int)
            assert row["提前移出日期"] is None and row["撤销原因"] is None
            assert id_number not in str(rows)
        assert AuditEvent.objects.filter(action=Action.EXPORT, detail__list="bad_behaviour").count() == 2


def test_enterprise_list_shows_own_published_records_only(
    reviewer: Any, enterprise_a: Any, enterprise_b: Any, as_user: Any
) -> None:
    id_number = make_id_number()
    with at(START):
        mine = make_record(reviewer, enterprise_a, publish=True, person_name="张建国", person_id_number=id_number)
        draft = make_record(reviewer, enterprise_a, decision_no="相劳专〔2026〕7号")
        theirs = make_record(reviewer, enterprise_b, publish=True, decision_no="相劳专〔2026〕8号")
        c = as_user(enterprise_a)
        page = c.get(reverse("supervision:bad_behaviour_list")).content.decode()
        assert mine.decision_no in page and draft.decision_no not in page and theirs.decision_no not in page
        assert "新增" not in page
        # Even asking for drafts by status shows none.
        resp = c.get(reverse("supervision:bad_behaviour_list"), {"status": "draft"})
        assert draft.decision_no not in resp.content.decode()
        # Its own detail shows the person's ID number masked only.
        detail = c.get(mine.get_absolute_url()).content.decode()
        assert mask_id_number(id_number) in detail and id_number not in detail
        # 导出 is its own list too: published records only, the ID number masked, on record.
        assert reverse("supervision:bad_behaviour_export") in page
        resp = c.get(reverse("supervision:bad_behaviour_export"), {"status": "draft"})
        rows = list(load_workbook(io.BytesIO(resp.content)).active.iter_rows(values_only=True))
        assert draft.decision_no not in {r[rows[0].index("决定书文号")] for r in rows[1:]}
        rows = list(
            load_workbook(io.BytesIO(c.get(reverse("supervision:bad_behaviour_export")).content)).active.iter_rows(
                values_only=True
            )
        )
        assert [r[rows[0].index("决定书文号")] for r in rows[1:]] == [mine.decision_no]
        assert rows[1][rows[0].index("身份证号")] == mask_id_number(id_number)
        assert AuditEvent.objects.filter(action="export", user=enterprise_a, detail__list="bad_behaviour").exists()


# ---------------------------------------------------------------- permissions


def test_enterprises_never_see_others_records_or_drafts(
    reviewer: Any, enterprise_a: Any, enterprise_b: Any, as_user: Any
) -> None:
    with at(START):
        published = make_record(reviewer, enterprise_a)
        draft = make_record(reviewer, enterprise_a, decision_no="相劳专〔2026〕3号")
        attachments = {}
        for rec in (published, draft):  # attachments go on while a draft
            upload = SimpleUploadedFile("决定书.pdf", make_pdf_bytes(f"d{rec.pk}"), "application/pdf")
            attachments[rec.pk] = add_attachment(filing=rec, kind="decision", upload=upload, actor=reviewer)
        published = bb.publish(rec=published, actor=reviewer)
        a, b = as_user(enterprise_a), as_user(enterprise_b)
        assert a.get(published.get_absolute_url()).status_code == 200
        assert a.get(reverse("documents:attachment", args=[attachments[published.pk].pk])).status_code == 200
        # Drafts answer as if missing, even to the enterprise they are about.
        assert a.get(draft.get_absolute_url()).status_code == 404
        assert a.get(reverse("documents:attachment", args=[attachments[draft.pk].pk])).status_code == 404
        for url in (
            published.get_absolute_url(),
            reverse("documents:attachment", args=[attachments[published.pk].pk]),
        ):
            assert b.get(url).status_code == 404
        assert (
            b.post(reverse("supervision:removal_new", args=[published.pk]), {"rectification": "x"}).status_code == 404
        )
        # Committee pages are the committee's.
        for name in ("bad_behaviour_new", "removal_list"):
            assert a.get(reverse(f"supervision:{name}")).status_code == 403
        assert a.post(reverse("supervision:bad_behaviour_publish", args=[draft.pk])).status_code == 403
        assert (
            a.post(reverse("supervision:bad_behaviour_revoke", args=[published.pk]), {"reason": "x"}).status_code == 403
        )


def test_supervisor_reads_but_changes_nothing(reviewer: Any, supervisor: Any, enterprise_a: Any, as_user: Any) -> None:
    id_number = make_id_number()
    with at(START):
        draft = make_record(reviewer, enterprise_a, person_name="张建国", person_id_number=id_number)
        published = make_record(reviewer, enterprise_a, publish=True, decision_no="相劳专〔2026〕5号")
        s = as_user(supervisor)
        page = s.get(draft.get_absolute_url()).content.decode()
        assert "张建国" in page and mask_id_number(id_number) in page and id_number not in page
        assert reverse("supervision:bad_behaviour_publish", args=[draft.pk]) not in page
        assert s.get(reverse("supervision:removal_list")).status_code == 200
        changes = [
            ("get", reverse("supervision:bad_behaviour_new"), {}),
            (
                "post",
                reverse("supervision:bad_behaviour_new") + f"?enterprise={enterprise_a.enterprise.pk}",
                form_data(),
            ),
            ("post", reverse("supervision:bad_behaviour_edit", args=[draft.pk]), form_data(points=1)),
            ("post", reverse("supervision:bad_behaviour_delete", args=[draft.pk]), {}),
            ("post", reverse("supervision:bad_behaviour_publish", args=[draft.pk]), {}),
            ("post", reverse("supervision:bad_behaviour_revoke", args=[published.pk]), {"reason": "x"}),
            ("post", reverse("supervision:removal_decide", args=[1]), {"decision": "approve"}),
            ("post", reverse("documents:upload", args=["bad_behaviour", draft.pk]), {"kind": "decision"}),
        ]
        for method, url, data in changes:
            assert getattr(s, method)(url, data).status_code in (403, 404), url
        draft.refresh_from_db()
        published.refresh_from_db()
        assert draft.status == BadBehaviourStatus.DRAFT and draft.points == 10
        assert published.status == BadBehaviourStatus.PUBLISHED
        assert BadBehaviour.objects.count() == 2


def test_reviewer_of_another_district_sees_nothing(reviewer: Any, enterprise_a: Any, as_user: Any) -> None:
    other = StaffFactory(role="reviewer", username="wz", districts=[DistrictFactory(code="320506", name="吴中区")])
    with at(START):
        rec = make_record(reviewer, enterprise_a, publish=True)
        c = as_user(other)
        assert c.get(rec.get_absolute_url()).status_code == 404
        assert c.post(reverse("supervision:bad_behaviour_revoke", args=[rec.pk]), {"reason": "x"}).status_code == 404
        assert rec.decision_no not in c.get(reverse("supervision:bad_behaviour_list")).content.decode()
        assert (
            c.get(reverse("supervision:bad_behaviour_new"), {"enterprise": enterprise_a.enterprise.pk}).status_code
            == 404
        )


def test_login_page_links_to_the_public_list(client: Any) -> None:
    page = client.get(reverse("accounts:login")).content.decode()
    assert reverse("supervision:public_bad_behaviour") in page and "不良行为公示" in page
