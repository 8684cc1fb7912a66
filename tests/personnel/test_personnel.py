from __future__ import annotations

import datetime as dt
import io
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from laowu.audit.models import AuditEvent
from laowu.core.validators import validate_safety_cert_no
from laowu.documents.services import add_attachment
from laowu.personnel.models import PersonClaim, SafetyOfficer, WageManager
from laowu.review import services
from laowu.review.models import State
from tests.factories import make_pdf_bytes

pytestmark = pytest.mark.django_db

ID_A = "11010519491231002X"
ID_B = "110101199003074477"


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
    # Search by name, id, certificate number and status.
    for q in ("王建军", ID_A[-6:], "0000001"):
        assert "王建军" in c.get(reverse("personnel:list", args=["safety"]), {"q": q}).content.decode()
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
    assert person.state == State.DECLARED and PersonClaim.objects.filter(id_number=ID_A).exists()
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
    # B cannot register the same person, and the message does not name A.
    resp = create(as_user(enterprise_b))
    page = resp.content.decode()
    assert "已在其他企业登记在岗" in page and enterprise_a.enterprise.name not in page
    # A may also file them as its wage manager (same enterprise).
    resp = as_user(enterprise_a).post(
        reverse("personnel:new", args=["wage"]),
        {"name": "王建军", "id_number": ID_A, "consent": "on", "cert_no": "LZ2023001"},
    )
    assert resp.status_code == 302 and WageManager.objects.filter(id_number=ID_A).exists()


def test_exports_masked_for_enterprise_and_supervisor_full_for_reviewer(
    as_user: Any, enterprise_a: Any, reviewer: Any, supervisor: Any
) -> None:
    create(as_user(enterprise_a))

    def cells(resp: Any) -> list[list[Any]]:
        wb = openpyxl.load_workbook(io.BytesIO(resp.content))
        return [list(r) for r in wb.active.iter_rows(values_only=True)]

    own = cells(as_user(enterprise_a).get(reverse("personnel:export", args=["safety"])))
    assert own[0][:3] == ["姓名", "性别", "身份证号"] and own[1][2] == "1101**********002X"
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
