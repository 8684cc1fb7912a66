"""An approved submission on paper and back: its printed sheet, the public page its QR code
opens, and the files frozen in a submission."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from laowu.accounts.models import Role
from laowu.accounts.permissions import role_required
from laowu.accounts.scope import is_enterprise_user, sees_personal_data_of
from laowu.audit.services import Action, record, record_print
from laowu.core.http import client_ip
from laowu.core.ratelimit import allow
from laowu.documents.responses import pdf_response
from laowu.documents.scans import record_scan
from laowu.documents.storage import open_blob

from .models import Submission
from .permissions import access_printable, access_submission_file
from .sheets import sheet_pdf, stored_sheets, verification

ALL_ROLES = (Role.ENTERPRISE, Role.REVIEWER, Role.SUPERVISOR)


@role_required(*ALL_ROLES)
def submission_file(request: HttpRequest, submission_pk: int, sha256: str) -> HttpResponse:
    submission, blob, item = access_submission_file(request.user, submission_pk, sha256)
    if item.get("personal") and not is_enterprise_user(request.user):
        record(action=Action.PERSONAL_DATA_VIEW, request=request, obj=submission, detail={"sha256": sha256})
    return pdf_response(open_blob(blob), item["name"], frameable=True)


@role_required(*ALL_ROLES)
def print_sheet(request: HttpRequest, submission_pk: int) -> HttpResponse:
    """打印 / 打印PDF: the approved revision's A4 sheet with its QR code."""
    submission = access_printable(request.user, submission_pk, **stored_sheets())
    masked = not sees_personal_data_of(request.user, submission.enterprise_id)
    data = sheet_pdf(submission, base_url=request.build_absolute_uri("/"), masked=masked)
    # Every print is on record; one with personal data in full says so.
    record_print(
        request=request, obj=submission, detail={"sheet": submission.snapshot.get("label", ""), "masked": masked}
    )
    return pdf_response(data, f"{submission.snapshot.get('label', '')}-{submission.title}.pdf")


def verify(request: HttpRequest, token: str) -> HttpResponse:
    """Public QR verification page: key fields (personal data masked) and the live status."""
    ip = client_ip(request)
    if not allow(f"verify:{ip}", limit=settings.LAOWU_VERIFY_RATE_PER_MINUTE, window_seconds=60, fail_open=True):
        return render(request, "review/verify.html", {"limited": True}, status=429)
    submission = Submission.objects.select_related("enterprise").filter(verify_token=token).first() if token else None
    record_scan(
        request,
        token=token,
        found=submission is not None,
        submission=submission,
        sheet_type="submission" if submission else "",
        sheet_id=submission.pk if submission else None,
    )
    if submission is None:
        return render(request, "review/verify.html", {"result": None}, status=404)
    return render(request, "review/verify.html", {"result": verification(submission)})
