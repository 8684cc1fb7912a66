"""Personal data follows one need-to-know rule on paper and in scans as on pages
(laowu/accounts/scope.py sees_personal_data_of): the enterprise's own accounts and reviewers print
a person's sheet with the full 身份证号 and 手机号 and open the ID card scan; a 监管人员 prints it
masked and cannot open the scan. Every print is audited, and so is every opening of a scan by the
committee."""

from __future__ import annotations

import io
from typing import Any

import lxml.html
import pytest
from django.urls import reverse
from pypdf import PdfReader

from laowu.audit.models import AuditEvent
from laowu.audit.services import Action
from laowu.documents.models import RenderedPdf
from laowu.personnel.models import SafetyOfficer
from laowu.review import services
from laowu.review.models import State
from tests.factories import approved_person, complete_basic_info

pytestmark = pytest.mark.django_db

ID = "320507198501010075"


@pytest.fixture
def person(enterprise_a: Any, reviewer: Any) -> Any:
    info = complete_basic_info(enterprise_a.enterprise, actor=enterprise_a)
    services.approve(submission=services.declare(filing=info, actor=enterprise_a), actor=reviewer)
    person = approved_person(SafetyOfficer, enterprise_a, reviewer, id_number=ID, name="周安")
    assert person.state == State.APPROVED
    return person


def text_of(pdf: bytes) -> str:
    return "".join("".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages)


def printed(client: Any, person: Any) -> str:
    resp = client.get(reverse("printing:print", args=[person.approved_submission_id]))
    assert resp.status_code == 200
    return text_of(resp.content)


def prints(person: Any) -> list[dict[str, Any]]:
    rows = AuditEvent.objects.filter(action=Action.SHEET_PRINT, object_id=str(person.approved_submission_id))
    return [{"masked": r.detail["masked"]} for r in rows.order_by("id")]


@pytest.mark.prints
def test_sheets_this_process_opened_keep_each_reader_to_their_variant(
    person: Any, as_user: Any, reviewer: Any, supervisor: Any
) -> None:
    # Printed often enough that both variants are held in memory (laowu/review/sheets.py): the
    # full one is never handed to the supervisor, nor the masked one to the reviewer.
    for _ in range(3):
        full, masked = printed(as_user(reviewer), person), printed(as_user(supervisor), person)
        assert ID in full and "13912345678" in full
        assert ID not in masked and "3205**********0075" in masked and "139****5678" in masked
    assert [p["masked"] for p in prints(person)] == [False, True] * 3


@pytest.mark.prints
def test_the_sheet_is_masked_for_a_supervisor_only(
    person: Any, as_user: Any, enterprise_a: Any, reviewer: Any, supervisor: Any
) -> None:
    for user in (enterprise_a, reviewer):
        text = printed(as_user(user), person)
        assert ID in text and "13912345678" in text
    text = printed(as_user(supervisor), person)
    assert ID not in text and "13912345678" not in text
    assert "3205**********0075" in text and "139****5678" in text
    # Two variants cached, each rendered once.
    assert RenderedPdf.objects.filter(submission_id=person.approved_submission_id).count() == 2
    printed(as_user(supervisor), person)
    assert RenderedPdf.objects.filter(submission_id=person.approved_submission_id).count() == 2
    assert prints(person) == [{"masked": False}, {"masked": False}, {"masked": True}, {"masked": True}]


def test_the_id_card_scan_is_not_opened_by_a_supervisor(
    person: Any, as_user: Any, reviewer: Any, supervisor: Any, enterprise_a: Any
) -> None:
    sub = person.approved_submission
    files = {a["kind"]: a["sha256"] for a in sub.snapshot["attachments"]}
    id_card = reverse("printing:submission_file", args=[sub.pk, files["id_card"]])
    cert = reverse("printing:submission_file", args=[sub.pk, files["safety_cert"]])
    assert as_user(supervisor).get(id_card).status_code == 404
    assert as_user(supervisor).get(cert).status_code == 200
    # The submission page names the scan without a link for the supervisor.
    page = as_user(supervisor).get(reverse("review:submission", args=[sub.pk])).content.decode()
    assert id_card not in page and cert in page and "含个人身份信息，仅审核员可查看" in page
    # The live attachment too.
    live = person.attachments.get(kind="id_card")
    assert as_user(supervisor).get(reverse("documents:attachment", args=[live.pk])).status_code == 404
    # The reviewer and the owner open it; the reviewer's opening is on record.
    before = AuditEvent.objects.filter(action=Action.PERSONAL_DATA_VIEW).count()
    assert as_user(reviewer).get(id_card).status_code == 200
    assert as_user(reviewer).get(reverse("documents:attachment", args=[live.pk])).status_code == 200
    assert AuditEvent.objects.filter(action=Action.PERSONAL_DATA_VIEW).count() == before + 2
    assert as_user(enterprise_a).get(id_card).status_code == 200
    page = as_user(reviewer).get(reverse("review:submission", args=[sub.pk])).content.decode()
    assert id_card in page and "仅审核员可查看" not in lxml.html.fromstring(page).text_content()


@pytest.mark.prints
def test_the_cached_sheet_is_sealed_at_rest(person: Any, as_user: Any, reviewer: Any) -> None:
    from laowu.core.crypto import is_sealed_bytes
    from laowu.documents.storage import open_blob

    served = as_user(reviewer).get(reverse("printing:print", args=[person.approved_submission_id])).content
    [cached] = RenderedPdf.objects.filter(submission_id=person.approved_submission_id)
    stored = open_blob(cached.blob)
    assert served.startswith(b"%PDF") and is_sealed_bytes(stored) and b"%PDF" not in stored
    # The same sheet again, from the cache.
    assert as_user(reviewer).get(reverse("printing:print", args=[person.approved_submission_id])).content == served
