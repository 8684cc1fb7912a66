"""打印: the A4 sheet from the approved snapshot, its QR code, and the public verification page."""

from __future__ import annotations

import io
from typing import Any

import lxml.html
import pikepdf
import pytest
import zxingcpp
from django.test import Client
from django.urls import reverse
from PIL import Image
from pypdf import PdfReader

from laowu.audit import verify
from laowu.audit.models import AuditEvent
from laowu.audit.services import Action
from laowu.core.crypto import seal_bytes
from laowu.documents.models import RenderedPdf, VerificationScan
from laowu.documents.storage import open_blob, store_blob
from laowu.personnel.models import SafetyOfficer
from laowu.review import services, sheets
from laowu.review.models import State
from laowu.review.sheets import TEMPLATE_VERSION
from tests.factories import approved_person, approved_project, make_pdf_bytes

pytestmark = pytest.mark.django_db


def qr_urls(pdf_bytes: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(pdf_bytes))
    found = []
    for image in reader.pages[0].images:
        img = Image.open(io.BytesIO(image.data)).convert("L")
        img = img.resize((img.width * 4, img.height * 4), Image.NEAREST)
        found += [b.text for b in zxingcpp.read_barcodes(img)]
    return found


def fonts_embedded(pdf_bytes: bytes) -> bool:
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        for page in pdf.pages:
            for font in page.Resources.Font.values():
                fonts = font.DescendantFonts if "/DescendantFonts" in font else [font]
                for f in fonts:
                    desc = f.FontDescriptor
                    if not any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                        return False
    return True


def verify_status(page: str) -> str:
    """The verification page's status word, as the person scanning reads it."""
    [status] = lxml.html.fromstring(page).xpath("//div[contains(concat(' ', @class, ' '), ' verify-status ')]")
    return status.text_content().strip()


@pytest.fixture
def approved(filing_in_state: Any) -> Any:
    return filing_in_state(State.APPROVED)


@pytest.mark.prints
def test_print_pdf_text_fonts_qr_and_verify(approved: Any, as_user: Any, enterprise_a: Any) -> None:
    sub = approved.approved_submission
    owner = as_user(enterprise_a)
    page = owner.get(reverse("enterprises:basic_info")).content.decode()
    assert reverse("printing:print", args=[sub.pk]) in page and ">打印<" in page
    resp = owner.get(reverse("printing:print", args=[sub.pk]))
    assert resp.status_code == 200 and resp["Content-Type"] == "application/pdf"
    pdf = resp.content
    # Who printed which sheet is in the audit log.
    (printed,) = AuditEvent.objects.filter(action=Action.SHEET_PRINT)
    assert (printed.user_id, printed.object_type, printed.object_id) == (
        enterprise_a.pk,
        "review.submission",
        str(sub.pk),
    )
    # The title is letter-spaced on the sheet; compare without white space.
    text = "".join("".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages)
    ent = enterprise_a.enterprise
    assert "企业基本情况表" in text and ent.name in text and ent.credit_code in text
    assert fonts_embedded(pdf)
    urls = qr_urls(pdf)
    verify = "http://testserver" + reverse("printing:verify", args=[sub.verify_token])
    assert urls == [verify]
    # The same address printed under the code, for whoever types it in.
    assert f"核验网址：{verify}" in PdfReader(io.BytesIO(pdf)).pages[-1].extract_text()
    # Rendered once, then served from the cache.
    assert RenderedPdf.objects.filter(submission=sub).count() == 1
    assert owner.get(reverse("printing:print", args=[sub.pk])).content == pdf
    assert RenderedPdf.objects.filter(submission=sub).count() == 1
    # The QR's URL, opened by anyone, says 已通过（有效） and masks the legal representative.
    public = Client().get(reverse("printing:verify", args=[sub.verify_token])).content.decode()
    assert (
        verify_status(public) == "已通过（有效）"
        and ent.name in public
        and "张*国" in public
        and "张建国" not in public
    )
    assert VerificationScan.objects.filter(submission=sub, found=True).count() == 1


@pytest.mark.prints
def test_a_sheet_cached_by_an_older_template_prints_again(approved: Any, as_user: Any, enterprise_a: Any) -> None:
    # Sheets printed before the address was added under the QR code are rendered anew, not
    # served from the cache; the old rendering stays (a blob is never removed).
    sub = approved.approved_submission
    old = store_blob(make_pdf_bytes("an older sheet"))
    RenderedPdf.objects.create(submission=sub, template_version="1", blob=old)
    pdf = as_user(enterprise_a).get(reverse("printing:print", args=[sub.pk])).content
    assert pdf != open_blob(old) and sub.verify_token in PdfReader(io.BytesIO(pdf)).pages[-1].extract_text()
    versions = set(RenderedPdf.objects.filter(submission=sub).values_list("template_version", flat=True))
    assert versions == {"1", TEMPLATE_VERSION} and TEMPLATE_VERSION != "1"


def test_print_only_after_approval(filing_in_state: Any, as_user: Any, enterprise_a: Any) -> None:
    info = filing_in_state(State.DECLARED)
    assert as_user(enterprise_a).get(reverse("printing:print", args=[info.pending_submission_id])).status_code == 404


def test_print_of_an_id_no_row_can_have_is_404(approved: Any, as_user: Any, enterprise_a: Any) -> None:
    # The owner's submission is read by its id alone (laowu/review/permissions.py): an id
    # beyond a big integer, or zero, names nothing rather than reaching the database.
    owner = as_user(enterprise_a)
    for pk in (0, 2**63, 10**30):
        assert owner.get(reverse("printing:print", args=[pk])).status_code == 404


@pytest.mark.prints
def test_a_reviewer_of_the_district_prints_an_enterprise_sheet(
    approved: Any, as_user: Any, enterprise_a: Any, reviewer: Any, enterprise_b: Any
) -> None:
    # Committee users keep the district-scoped query; another enterprise's account does not
    # reach the sheet by its id, even though its row is read by id alone.
    url = reverse("printing:print", args=[approved.approved_submission_id])
    resp = as_user(reviewer).get(url)
    assert resp.status_code == 200 and resp["Content-Type"] == "application/pdf"
    assert as_user(enterprise_b).get(url).status_code == 404
    assert as_user(enterprise_a).get(url).content == resp.content  # reviewers see in full, like the owner


def test_verify_reports_change_in_progress_then_superseded(approved: Any, enterprise_a: Any, reviewer: Any) -> None:
    first = approved.approved_submission
    url = reverse("printing:verify", args=[first.verify_token])
    services.start_change(filing=approved, actor=enterprise_a)
    page = Client().get(url).content.decode()
    assert verify_status(page) == "已通过（有效）" and "正在办理信息变更" in page
    second = services.declare(filing=approved, actor=enterprise_a)
    services.approve(submission=second, actor=reviewer)
    page = Client().get(url).content.decode()
    assert verify_status(page) == "已变更" and "已被更新的版本取代" in page


def test_unknown_token_is_404_and_logged(db: Any) -> None:
    resp = Client().get(reverse("printing:verify", args=["x" * 32]))
    assert resp.status_code == 404 and "未找到" in resp.content.decode()
    assert VerificationScan.objects.filter(found=False).count() == 1


def test_verify_is_rate_limited(settings: Any, approved: Any) -> None:
    from django.core.cache import cache

    cache.clear()
    settings.LAOWU_VERIFY_RATE_PER_MINUTE = 3
    url = reverse("printing:verify", args=[approved.approved_submission.verify_token])
    client = Client(REMOTE_ADDR="10.3.3.3")
    assert [client.get(url).status_code for _ in range(4)] == [200, 200, 200, 429]
    assert Client(REMOTE_ADDR="10.3.3.4").get(url).status_code == 200
    cache.clear()


def test_verify_says_deregistered_after_a_person_is_deregistered(
    approved: Any, enterprise_a: Any, reviewer: Any, as_user: Any
) -> None:
    person = approved_person(SafetyOfficer, enterprise_a, reviewer, id_number="11010519491231002X", name="孙安")
    url = reverse("printing:verify", args=[person.approved_submission.verify_token])
    page = Client().get(url).content.decode()
    assert verify_status(page) == "已通过（有效）"
    # Personal data on the public page is masked.
    assert "1101**********002X" in page and "11010519491231002X" not in page and "13912345678" not in page
    assert "孙*" in page and "孙安" not in page and "苏建安C3(2023)0000001" in page
    resp = as_user(enterprise_a).post(reverse("personnel:deregister", args=["safety", person.pk]))
    assert resp.status_code == 302
    page = Client().get(url).content.decode()
    assert verify_status(page) == "已注销" and "本表所载信息已注销" in page and "verify-bad" in page


# ---------------------------------------------------------------- a stored sheet printed again


def _printable(kind: str, approved: Any, enterprise_a: Any, reviewer: Any) -> int:
    if kind == "project":
        return approved_project(enterprise_a, reviewer).approved_submission_id
    return approved.approved_submission_id


@pytest.mark.prints
@pytest.mark.parametrize("kind", ["basic_info", "project"])
def test_a_stored_sheet_prints_again_in_few_queries_without_opening_the_store(
    kind: str,
    approved: Any,
    as_user: Any,
    enterprise_a: Any,
    reviewer: Any,
    monkeypatch: pytest.MonkeyPatch,
    django_assert_max_num_queries: Any,
) -> None:
    pk = _printable(kind, approved, enterprise_a, reviewer)
    owner = as_user(enterprise_a)
    url = reverse("printing:print", args=[pk])
    first = owner.get(url).content  # rendered and stored
    assert owner.get(url).content == first  # read back from the store, checked, unsealed
    # From now on this process serves it as it opened it: no read of the store, no unsealing.
    monkeypatch.setattr(sheets, "open_blob", _refuse)
    monkeypatch.setattr(sheets, "unseal_bytes", _refuse)
    printed_before = AuditEvent.objects.filter(action=Action.SHEET_PRINT).count()
    # The session, its user and second factor; the submission in scope with the blob of its
    # stored sheet; the audit row (lock and read the chain head, insert, move the head; in a
    # test a savepoint stands for the transaction).
    with django_assert_max_num_queries(9):
        resp = owner.get(url)
    assert resp.status_code == 200 and resp.content == first
    assert AuditEvent.objects.filter(action=Action.SHEET_PRINT).count() == printed_before + 1
    assert verify.verify_table().ok


@pytest.mark.prints
def test_a_stored_sheet_opened_once_follows_its_row(approved: Any, as_user: Any, enterprise_a: Any) -> None:
    # What this process opened is keyed by the stored file's hash: once the row points at
    # another file (printed again after a loss, a new template, keys rotated), that is served.
    sub = approved.approved_submission
    owner = as_user(enterprise_a)
    url = reverse("printing:print", args=[sub.pk])
    owner.get(url)
    first = owner.get(url).content  # now held by this process
    other = make_pdf_bytes("another stored sheet")
    sealed = seal_bytes(other, context=sheets.sheet_context(sub.pk, False))
    RenderedPdf.objects.filter(submission=sub).update(blob=store_blob(sealed, content_type="application/octet-stream"))
    assert owner.get(url).content == other != first
    # And once the row is gone, the sheet is made again, whatever this process still holds.
    RenderedPdf.objects.filter(submission=sub).delete()
    assert owner.get(url).content == first


def test_opened_sheets_keep_to_their_budget() -> None:
    held = sheets.OpenedSheets(budget=10)
    held.put("a", "c", b"1234")
    held.put("b", "c", b"5678")
    assert held.get("a", "c") == b"1234"  # now the most recently used
    held.put("c", "c", b"90ab")  # over budget: the least recently used goes
    assert held.get("b", "c") is None and held.get("a", "c") == b"1234" and held.get("c", "c") == b"90ab"
    assert held.get("a", "other context") is None
    held.put("big", "c", b"x" * 11)  # larger than the whole budget: not held
    assert held.get("big", "c") is None and held.get("a", "c") == b"1234"


def _refuse(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("the stored sheet was read again")
