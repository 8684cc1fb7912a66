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

from laowu.audit.models import AuditEvent
from laowu.audit.services import Action
from laowu.documents.models import RenderedPdf, VerificationScan
from laowu.documents.storage import open_blob, store_blob
from laowu.personnel.models import SafetyOfficer
from laowu.review import services
from laowu.review.models import State
from laowu.review.sheets import TEMPLATE_VERSION
from tests.factories import approved_person, make_pdf_bytes

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
