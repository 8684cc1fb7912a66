from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from laowu.audit.models import AuditEvent
from laowu.core.fields import index_value
from laowu.core.validators import validate_safety_cert_no
from laowu.documents.services import add_attachment
from laowu.personnel.models import ID_INDEX_CONTEXT, PersonClaim, SafetyOfficer, WageManager
from laowu.personnel.services import update_person
from laowu.review import services
from laowu.review.models import State
from laowu.review.selectors import history
from tests.factories import approved_person, complete_basic_info, make_id_number, make_pdf_bytes

pytestmark = pytest.mark.django_db

ID_A = "11010519491231002X"
ID_B = "110101199003074477"


def id_index(value: str) -> str:
    """How PersonClaim and the persons' tables key a 身份证号 (its blind index; the number is sealed)."""
    return index_value(value, context=ID_INDEX_CONTEXT)


def safety_data(**over: Any) -> dict[str, str]:
    data = {
        "name": "王建军",
        "gender": "男",
        "id_number": ID_A,
        "mobile": "13912345678",
        "cert_no": "苏建安C3(2023)0000001",
        "cert_category": "C3",
        "issue_date": "2023-03-01",
        "valid_until": (dt.date.today() + dt.timedelta(days=400)).isoformat(),
        "issuer": "江苏省住房和城乡建设厅",
        "education": "大专",
        "consent": "on",
    }
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


def create(client: Any, kind: str = "safety", **over: Any) -> Any:
    return client.post(reverse("personnel:new", args=[kind]), safety_data(**over))


def attach_required(person: Any, actor: Any) -> None:
    for kind in person.ATTACHMENT_KINDS:
        if kind.required:
            upload = SimpleUploadedFile(
                f"{kind.label}.pdf", make_pdf_bytes(f"{person.pk}{kind.code}"), "application/pdf"
            )
            add_attachment(filing=person, kind=kind.code, upload=upload, actor=actor)


@pytest.fixture
def approved_basic_info(filing_in_state: Any) -> Any:
    return filing_in_state(State.APPROVED)


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("苏建安C3(2023)0000001", True),
        ("苏建安C1(2019)1234567", True),
        ("苏建安C4(2023)0000001", False),
        ("苏建安C3(2023)000001", False),
        ("苏建安C3(1980)0000001", False),
        ("建安C3(2023)0000001", False),
    ],
)
def test_safety_cert_numbers(value: str, ok: bool) -> None:
    from django.core.exceptions import ValidationError

    if ok:
        validate_safety_cert_no(value)
    else:
        with pytest.raises(ValidationError):
            validate_safety_cert_no(value)


def test_create_edit_list_masks(as_user: Any, enterprise_a: Any) -> None:
    c = as_user(enterprise_a)
    resp = create(c)
    person = SafetyOfficer.objects.get()
    assert resp.status_code == 302 and resp["Location"] == person.get_absolute_url()
    listing = c.get(reverse("personnel:list", args=["safety"])).content.decode()
    assert "1101**********002X" in listing and ID_A not in listing and "139****5678" in listing
    assert "苏建安C3(2023)0000001" in listing and "草稿" in listing
    # The detail page shows the full number to the owner, and that view is audited.
    detail = c.get(person.get_absolute_url()).content.decode()
    assert ID_A in detail
    assert AuditEvent.objects.filter(action="personal_data.view", object_id=str(person.pk)).exists()
    # Search by name, the whole 身份证号 (sealed: found through its blind index, typed in any
    # width or case), certificate number and status; a piece of the number finds nothing.
    for q in ("王建军", ID_A, ID_A.lower(), "0000001"):
        assert "王建军" in c.get(reverse("personnel:list", args=["safety"]), {"q": q}).content.decode()
    assert "王建军" not in c.get(reverse("personnel:list", args=["safety"]), {"q": ID_A[-6:]}).content.decode()
    assert "王建军" not in c.get(reverse("personnel:list", args=["safety"]), {"state": "approved"}).content.decode()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("id_number", "110105194912310021", "校验位"),
        ("id_number", "110105194902300021", "出生日期"),
        ("mobile", "1391234567", "11位手机号码"),
        ("cert_no", "苏建安C3-2023-1", "格式应如"),
        ("cert_category", "C1", "不一致"),
        ("valid_until", "2023-01-01", "必须晚于发证日期"),
        ("consent", None, "请勾选确认"),
    ],
)
def test_field_errors(field: str, value: Any, message: str, as_user: Any, enterprise_a: Any) -> None:
    over = {field: value}
    resp = create(as_user(enterprise_a), **over)
    assert resp.status_code == 200 and message in resp.content.decode()
    assert not SafetyOfficer.objects.exists()
    assert "王建军" in resp.content.decode()  # input kept


def test_submit_needs_approved_basic_info_and_valid_cert(as_user: Any, enterprise_a: Any) -> None:
    create(as_user(enterprise_a))
    person = SafetyOfficer.objects.get()
    attach_required(person, enterprise_a)
    with pytest.raises(services.DeclareBlocked, match="企业基本信息审核通过后"):
        services.declare(filing=person, actor=enterprise_a)


def test_expired_certificate_refused_at_submit(approved_basic_info: Any, as_user: Any, enterprise_a: Any) -> None:
    create(as_user(enterprise_a), issue_date="2020-01-01", valid_until="2021-01-01")
    person = SafetyOfficer.objects.get()
    attach_required(person, enterprise_a)
    with pytest.raises(services.DeclareBlocked, match="已过有效期"):
        services.declare(filing=person, actor=enterprise_a)


def test_submit_withdraw_approve_deregister(
    approved_basic_info: Any, as_user: Any, enterprise_a: Any, reviewer: Any
) -> None:
    c = as_user(enterprise_a)
    create(c)
    person = SafetyOfficer.objects.get()
    attach_required(person, enterprise_a)
    c.post(reverse("review:owner_action", args=["safety_officer", person.pk, "declare"]))
    person.refresh_from_db()
    assert person.state == State.DECLARED and PersonClaim.objects.filter(id_index=id_index(ID_A)).exists()
    c.post(reverse("review:owner_action", args=["safety_officer", person.pk, "withdraw"]))
    person.refresh_from_db()
    assert person.state == State.DRAFT and not PersonClaim.objects.exists()
    c.post(reverse("review:owner_action", args=["safety_officer", person.pk, "declare"]))
    person.refresh_from_db()
    # It appears in the reviewer's queue; the reviewer sees the full ID, a supervisor not.
    queue = as_user(reviewer).get(reverse("review:queue"), {"type": "safety_officer"}).content.decode()
    assert "王建军" in queue
    sub_url = reverse("review:submission", args=[person.pending_submission_id])
    assert ID_A in as_user(reviewer).get(sub_url).content.decode()
    services.approve(submission=person.pending_submission, actor=reviewer)
    # An approved person cannot be deleted, only deregistered, and keeps their history.
    resp = c.post(reverse("personnel:delete", args=["safety", person.pk]))
    assert SafetyOfficer.objects.filter(pk=person.pk).exists()
    c.post(reverse("personnel:deregister", args=["safety", person.pk]))
    person.refresh_from_db()
    assert person.state == State.DEREGISTERED and not PersonClaim.objects.exists()
    assert resp.status_code == 302


def test_supervisor_sees_masked_id(approved_basic_info: Any, as_user: Any, enterprise_a: Any, supervisor: Any) -> None:
    create(as_user(enterprise_a))
    person = SafetyOfficer.objects.get()
    attach_required(person, enterprise_a)
    sub = services.declare(filing=person, actor=enterprise_a)
    page = as_user(supervisor).get(reverse("review:submission", args=[sub.pk])).content.decode()
    assert ID_A not in page and "1101**********002X" in page


def test_delete_never_approved_person(as_user: Any, enterprise_a: Any) -> None:
    c = as_user(enterprise_a)
    create(c)
    person = SafetyOfficer.objects.get()
    c.post(reverse("personnel:delete", args=["safety", person.pk]))
    assert not SafetyOfficer.objects.exists()
    assert AuditEvent.objects.filter(action="filing.delete").exists()


def test_one_enterprise_at_a_time(
    approved_basic_info: Any, as_user: Any, enterprise_a: Any, enterprise_b: Any, reviewer: Any
) -> None:
    create(as_user(enterprise_a))
    person = SafetyOfficer.objects.get()
    attach_required(person, enterprise_a)
    services.declare(filing=person, actor=enterprise_a)
    person.refresh_from_db()
    # B registers the same person like anyone else: nothing tells B the person is on file at A.
    b = as_user(enterprise_b)
    resp = create(b)
    assert resp.status_code == 302
    theirs = SafetyOfficer.objects.get(enterprise=enterprise_b.enterprise)
    info_b = complete_basic_info(enterprise_b.enterprise, actor=enterprise_b)
    services.approve(submission=services.declare(filing=info_b, actor=enterprise_b), actor=reviewer)
    attach_required(theirs, enterprise_b)
    resp = owner_action(b, theirs, "declare")
    theirs.refresh_from_db()
    assert theirs.state == State.DECLARED
    for page in (b.get(resp["Location"]).content.decode(), b.get(theirs.get_absolute_url()).content.decode()):
        assert "登记在岗" not in page and enterprise_a.enterprise.name not in page
    assert list(PersonClaim.objects.values_list("enterprise_id", flat=True)) == [enterprise_a.enterprise_id]
    # The reviewer sees the conflict on B's submission page and cannot approve it yet.
    committee = as_user(reviewer)
    submission_url = reverse("review:submission", args=[theirs.pending_submission_id])
    page = committee.get(submission_url).content.decode()
    assert "目前已在“" + enterprise_a.enterprise.name + "”登记在岗" in page and "1101**********002X" in page
    a_page = committee.get(reverse("review:submission", args=[person.pending_submission_id])).content.decode()
    assert "登记在岗" not in a_page
    resp = committee.post(reverse("review:decide", args=[theirs.pending_submission_id, "approve"]), follow=True)
    assert "仍在其他企业登记在岗，不能审核通过" in resp.content.decode()
    theirs.refresh_from_db()
    assert theirs.state == State.DECLARED
    # Once A lets the person go, B's declaration can be approved and takes the claim.
    services.approve(submission=person.pending_submission, actor=reviewer)
    person.refresh_from_db()
    services.deregister(filing=person, actor=enterprise_a)
    assert "登记在岗" not in committee.get(submission_url).content.decode()
    services.approve(submission=theirs.pending_submission, actor=reviewer)
    assert list(PersonClaim.objects.values_list("enterprise_id", flat=True)) == [enterprise_b.enterprise_id]
    # A may also file them as its wage manager (same enterprise).
    resp = as_user(enterprise_a).post(
        reverse("personnel:new", args=["wage"]),
        {"name": "王建军", "id_number": ID_A, "consent": "on", "cert_no": "LZ2023001"},
    )
    assert resp.status_code == 302 and WageManager.objects.filter(id_index=id_index(ID_A)).exists()


def test_exports_masked_for_enterprise_and_supervisor_full_for_reviewer(
    as_user: Any, enterprise_a: Any, reviewer: Any, supervisor: Any
) -> None:
    create(as_user(enterprise_a))

    def cells(resp: Any) -> list[list[Any]]:
        wb = openpyxl.load_workbook(io.BytesIO(resp.content))
        return [list(r) for r in wb.active.iter_rows(values_only=True)]

    own = cells(as_user(enterprise_a).get(reverse("personnel:export", args=["safety"])))
    assert own[0][:3] == ["姓名", "性别", "身份证号"] and own[1][2] == "1101**********002X"
    # 有效期至 is a date cell, not text.
    until = dt.date.today() + dt.timedelta(days=400)
    assert own[0][6] == "有效期至" and own[1][6] == dt.datetime(until.year, until.month, until.day)
    sup = cells(as_user(supervisor).get(reverse("personnel:committee_export", args=["safety"])))
    assert sup[1][2] == "1101**********002X" and sup[1][-2] == enterprise_a.enterprise.name
    rev = cells(as_user(reviewer).get(reverse("personnel:committee_export", args=["safety"])))
    assert rev[1][2] == ID_A
    assert AuditEvent.objects.filter(action="export").count() == 3


def test_other_enterprise_gets_404(as_user: Any, enterprise_a: Any, enterprise_b: Any) -> None:
    create(as_user(enterprise_a))
    person = SafetyOfficer.objects.get()
    attach_required(person, enterprise_a)
    att = person.attachments.first()
    b = as_user(enterprise_b)
    assert b.get(reverse("personnel:edit", args=["safety", person.pk])).status_code == 404
    assert b.post(reverse("personnel:delete", args=["safety", person.pk])).status_code == 404
    assert b.post(reverse("personnel:deregister", args=["safety", person.pk])).status_code == 404
    assert b.get(reverse("documents:attachment", args=[att.pk])).status_code == 404
    # Nor can B add to or take from A's person's attachments while A may still edit them.
    upload = SimpleUploadedFile("b.pdf", make_pdf_bytes("from-b"), "application/pdf")
    url = reverse("documents:upload", args=["safety_officer", person.pk])
    assert b.post(url, {"kind": "labour_contract", "file": upload}).status_code == 404
    assert b.post(reverse("documents:attachment_delete", args=[att.pk])).status_code == 404
    assert person.attachments.count() == 2 and person.attachments.filter(pk=att.pk).exists()
    assert b.post(reverse("review:owner_action", args=["safety_officer", person.pk, "declare"])).status_code == 404
    export = b.get(reverse("personnel:export", args=["safety"]))
    wb = openpyxl.load_workbook(io.BytesIO(export.content))
    assert [r for r in wb.active.iter_rows(values_only=True)][1:] == []
    assert SafetyOfficer.objects.filter(pk=person.pk).exists()


def test_committee_list_search(as_user: Any, enterprise_a: Any, reviewer: Any) -> None:
    create(as_user(enterprise_a))
    c = as_user(reviewer)
    page = c.get(
        reverse("personnel:committee_list", args=["safety"]), {"q": enterprise_a.enterprise.name[:6]}
    ).content.decode()
    assert "王建军" in page and "1101**********002X" in page


# ---------------------------------------------------------------- 变更, 注销, 删除, lists


def person_form(person: Any, **over: str) -> dict[str, str]:
    """The edit form as the browser posts it, from the stored record."""
    data = {}
    for name in person.SNAPSHOT_FIELDS:
        value = getattr(person, name)
        data[name] = value.isoformat() if isinstance(value, dt.date) else ("" if value is None else str(value))
    data["consent"] = "on"
    data.update(over)
    return data


def owner_action(client: Any, person: Any, action: str) -> Any:
    return client.post(reverse("review:owner_action", args=[person.FILING_TYPE, person.pk, action]))


def change_rows(page: str) -> dict[str, tuple[str, str]]:
    """The 变更 table on a submission page: label → (old, new)."""
    import lxml.html

    doc = lxml.html.fromstring(page)
    [table] = doc.xpath("//table[contains(concat(' ', @class, ' '), ' diff ')]")
    return {
        tr.xpath("./td")[0].text_content(): (tr.xpath("./td")[1].text_content(), tr.xpath("./td")[2].text_content())
        for tr in table.xpath("./tbody/tr")
    }


def test_supervisor_sees_masked_change(
    approved_basic_info: Any, as_user: Any, enterprise_a: Any, reviewer: Any, supervisor: Any
) -> None:
    person = approved_person(SafetyOfficer, enterprise_a, reviewer, id_number=ID_A, name="孙安")
    c = as_user(enterprise_a)
    owner_action(c, person, "change")
    person.refresh_from_db()
    assert c.post(person.get_absolute_url(), person_form(person, mobile="13700001111")).status_code == 302
    owner_action(c, person, "declare")
    person.refresh_from_db()
    url = reverse("review:submission", args=[person.pending_submission_id])
    supervised = as_user(supervisor).get(url).content.decode()
    assert change_rows(supervised) == {"手机号": ("139****5678", "137****1111")}
    assert "13912345678" not in supervised and "13700001111" not in supervised and ID_A not in supervised
    views = AuditEvent.objects.filter(action="personal_data.view").count()
    reviewed = as_user(reviewer).get(url).content.decode()
    assert change_rows(reviewed) == {"手机号": ("13912345678", "13700001111")}
    # The reviewer's full view is on record (once per page).
    assert AuditEvent.objects.filter(action="personal_data.view").count() == views + 1


def test_reviewer_full_view_is_audited_supervisor_view_is_not(
    approved_basic_info: Any, as_user: Any, enterprise_a: Any, reviewer: Any, supervisor: Any
) -> None:
    person = approved_person(WageManager, enterprise_a, reviewer, id_number=ID_A, name="孙安")
    url = reverse("review:submission", args=[person.approved_submission_id])
    views = AuditEvent.objects.filter(action="personal_data.view")
    assert ID_A not in as_user(supervisor).get(url).content.decode()
    assert views.count() == 0
    assert ID_A in as_user(reviewer).get(url).content.decode()
    [event] = views
    assert event.user == reviewer and event.object_id == str(person.approved_submission_id)


def test_id_number_is_fixed_once_approved(
    approved_basic_info: Any, as_user: Any, enterprise_a: Any, enterprise_b: Any, reviewer: Any
) -> None:
    person = approved_person(SafetyOfficer, enterprise_a, reviewer, id_number=ID_A, name="孙安")
    c = as_user(enterprise_a)
    owner_action(c, person, "change")
    person.refresh_from_db()
    page = c.get(person.get_absolute_url()).content.decode()
    assert re.search(r'<input[^>]*name="id_number"[^>]*disabled', page)
    assert "已审核通过的人员不能修改身份证号" in page
    # A forged POST changing the number is ignored; the other fields are saved.
    resp = c.post(person.get_absolute_url(), person_form(person, id_number=ID_B, mobile="13700001111"))
    assert resp.status_code == 302
    person.refresh_from_db()
    assert person.id_number == ID_A and person.mobile == "13700001111"
    # So is a direct call of the service.
    update_person(person=person, data={"id_number": ID_B}, actor=enterprise_a)
    person.refresh_from_db()
    assert person.id_number == ID_A
    owner_action(c, person, "declare")
    person.refresh_from_db()
    services.approve(submission=person.pending_submission, actor=reviewer)
    person.refresh_from_db()
    fields = {r["name"]: r["value"] for r in person.approved_submission.snapshot["fields"]}
    assert fields["id_number"] == ID_A
    assert list(PersonClaim.objects.values_list("id_index", "enterprise_id")) == [
        (id_index(ID_A), enterprise_a.enterprise_id)
    ]
    # After 注销 the person is free: another enterprise registers and declares them.
    c.post(reverse("personnel:deregister", args=["safety", person.pk]))
    assert not PersonClaim.objects.exists()
    info_b = complete_basic_info(enterprise_b.enterprise, actor=enterprise_b)
    services.approve(submission=services.declare(filing=info_b, actor=enterprise_b), actor=reviewer)
    assert create(as_user(enterprise_b)).status_code == 302
    theirs = SafetyOfficer.objects.get(enterprise=enterprise_b.enterprise)
    attach_required(theirs, enterprise_b)
    services.declare(filing=theirs, actor=enterprise_b)
    assert list(PersonClaim.objects.values_list("id_index", "enterprise_id")) == [
        (id_index(ID_A), enterprise_b.enterprise_id)
    ]


def test_id_number_editable_while_never_approved(as_user: Any, enterprise_a: Any) -> None:
    c = as_user(enterprise_a)
    create(c)
    person = SafetyOfficer.objects.get()
    page = c.get(person.get_absolute_url()).content.decode()
    assert not re.search(r'<input[^>]*name="id_number"[^>]*disabled', page)
    c.post(person.get_absolute_url(), person_form(person, id_number=ID_B))
    person.refresh_from_db()
    assert person.id_number == ID_B


def test_delete_asks_for_confirmation_then_deletes(as_user: Any, enterprise_a: Any) -> None:
    import lxml.html

    c = as_user(enterprise_a)
    create(c)
    person = SafetyOfficer.objects.get()
    url = reverse("personnel:delete", args=["safety", person.pk])
    listing = lxml.html.fromstring(c.get(reverse("personnel:list", args=["safety"])).content.decode())
    # The list's 删除 is a link: a page without JavaScript, a dialog (data-dialog) with it.
    [link] = [a for a in listing.xpath("//table//a") if a.text_content() == "删除"]
    assert link.get("href") == url and link.get("data-dialog")
    # GET asks and deletes nothing.
    resp = c.get(url)
    assert resp.status_code == 200
    doc = lxml.html.fromstring(resp.content.decode())
    assert "确认删除安全员“王建军”（身份证号 1101**********002X）吗？" in doc.text_content()
    [form] = doc.xpath("//form[@action=$url]", url=url)
    assert form.get("method") == "post" and form.xpath(".//button")[0].text_content() == "删除"
    [cancel] = [a for a in form.xpath(".//a") if a.text_content() == "取消"]
    assert cancel.get("href") == reverse("personnel:list", args=["safety"])
    assert SafetyOfficer.objects.filter(pk=person.pk).exists()
    assert not AuditEvent.objects.filter(action="filing.delete").exists()
    # The dialog's fragment: the question alone, without the page around it.
    fragment = c.get(url, {"partial": "1"}).content.decode()
    assert "确认删除安全员“王建军”" in fragment and "sidebar" not in fragment and "<html" not in fragment
    # POST deletes.
    resp = c.post(url)
    assert resp.status_code == 302 and resp["Location"] == reverse("personnel:list", args=["safety"])
    assert not SafetyOfficer.objects.filter(pk=person.pk).exists()
    assert AuditEvent.objects.filter(action="filing.delete", object_id=str(person.pk)).count() == 1


def test_delete_page_refuses_declared_and_approved(
    approved_basic_info: Any, as_user: Any, enterprise_a: Any, reviewer: Any
) -> None:
    c = as_user(enterprise_a)
    create(c)
    person = SafetyOfficer.objects.get()
    attach_required(person, enterprise_a)
    owner_action(c, person, "declare")
    url = reverse("personnel:delete", args=["safety", person.pk])
    page = c.get(url).content.decode()
    assert "不能删除。如需删除，请先撤回。" in page and f'action="{url}"' not in page
    assert c.post(url).status_code == 302 and SafetyOfficer.objects.filter(pk=person.pk).exists()
    person.refresh_from_db()
    services.approve(submission=person.pending_submission, actor=reviewer)
    page = c.get(url).content.decode()
    assert "已审核通过的信息不能删除，请使用“注销”。" in page and f'action="{url}"' not in page
    listing = c.get(reverse("personnel:list", args=["safety"])).content.decode()
    assert f'href="{url}"' not in listing
    c.post(url)
    assert SafetyOfficer.objects.filter(pk=person.pk).exists()


def test_history_kept_after_deregistration(
    approved_basic_info: Any, as_user: Any, enterprise_a: Any, reviewer: Any
) -> None:
    person = approved_person(SafetyOfficer, enterprise_a, reviewer, id_number=ID_A, name="孙安")
    c = as_user(enterprise_a)
    owner_action(c, person, "change")
    person.refresh_from_db()
    c.post(person.get_absolute_url(), person_form(person, education="本科"))
    owner_action(c, person, "declare")
    person.refresh_from_db()
    services.approve(submission=person.pending_submission, actor=reviewer)
    resp = c.post(reverse("personnel:deregister", args=["safety", person.pk]))
    assert resp.status_code == 302
    person.refresh_from_db()
    assert person.state == State.DEREGISTERED
    assert list(history(person).values_list("revision", "status")) == [(2, "revoked"), (1, "superseded")]
    page = c.get(person.get_absolute_url()).content.decode()
    records = page.split("提交记录", 1)[1]
    assert "第2版" in records and "第1版" in records and "已注销" in records and "已变更" in records
    listing = c.get(reverse("personnel:list", args=["safety"]), {"state": "deregistered"}).content.decode()
    assert "孙安" in listing and "已注销" in listing


def test_rejected_person_shows_the_reason(
    approved_basic_info: Any, as_user: Any, enterprise_a: Any, reviewer: Any
) -> None:
    c = as_user(enterprise_a)
    create(c)
    person = SafetyOfficer.objects.get()
    attach_required(person, enterprise_a)
    owner_action(c, person, "declare")
    person.refresh_from_db()
    c_rev = as_user(reviewer)
    c_rev.post(
        reverse("review:decide", args=[person.pending_submission_id, "reject"]),
        {"reason": "证书扫描件不清晰，请重新上传"},
    )
    import lxml.html

    doc = lxml.html.fromstring(c.get(person.get_absolute_url()).content.decode())
    [reason] = doc.xpath("//*[contains(concat(' ', @class, ' '), ' reject-reason ')]")
    assert "证书扫描件不清晰，请重新上传" in reason.text_content()
    assert "已退回" in doc.text_content()


def test_list_paginates_twenty_per_page(as_user: Any, enterprise_a: Any) -> None:
    for i in range(25):
        SafetyOfficer.objects.create(
            enterprise=enterprise_a.enterprise, name=f"人员{i:02d}", id_number=make_id_number()
        )
    c = as_user(enterprise_a)
    first = c.get(reverse("personnel:list", args=["safety"])).context["page"]
    second = c.get(reverse("personnel:list", args=["safety"]), {"page": 2}).context["page"]
    assert (len(first.object_list), first.number, first.count, first.has_next) == (20, 1, 25, True)
    assert (len(second.object_list), second.number, second.count, second.has_next) == (5, 2, 25, False)
    shown = {p.pk for p in first.object_list} | {p.pk for p in second.object_list}
    assert shown == set(SafetyOfficer.objects.values_list("pk", flat=True))


def test_status_filter_lists_exactly_that_status(
    approved_basic_info: Any, as_user: Any, enterprise_a: Any, reviewer: Any
) -> None:
    approved_person(SafetyOfficer, enterprise_a, reviewer, id_number=ID_A, name="孙安")
    create(as_user(enterprise_a), id_number=ID_B, name="李草")
    c = as_user(enterprise_a)

    def names(state: str) -> list[str]:
        page = c.get(reverse("personnel:list", args=["safety"]), {"state": state}).context["page"]
        return [p.name for p in page.object_list]

    assert names("approved") == ["孙安"]
    assert names("draft") == ["李草"]
    assert names("declared") == []
    assert sorted(names("")) == ["孙安", "李草"]


def test_wage_manager_declare_and_export(approved_basic_info: Any, as_user: Any, enterprise_a: Any) -> None:
    c = as_user(enterprise_a)
    resp = c.post(
        reverse("personnel:new", args=["wage"]),
        {
            "name": "钱劳",
            "gender": "女",
            "id_number": ID_B,
            "mobile": "13912345678",
            "cert_no": "LZ2023-0001",
            "issue_date": "2023-03-01",
            "issuer": "苏州市相城区人力资源和社会保障局",
            "education": "本科",
            "consent": "on",
        },
    )
    assert resp.status_code == 302
    person = WageManager.objects.get()
    attach_required(person, enterprise_a)
    resp = owner_action(c, person, "declare")
    person.refresh_from_db()
    assert person.state == State.DECLARED and person.pending_submission.snapshot["label"] == "劳资专管员"
    assert PersonClaim.objects.filter(id_index=id_index(ID_B), enterprise=enterprise_a.enterprise).exists()
    export = c.get(reverse("personnel:export", args=["wage"]))
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = [list(r) for r in openpyxl.load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True)]
    assert rows[0] == ["姓名", "性别", "身份证号", "手机号", "培训合格证书编号", "学历", "状态"]
    assert rows[1] == ["钱劳", "女", "1101**********4477", "139****5678", "LZ2023-0001", "本科", "已申报"]
