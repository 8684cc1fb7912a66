from __future__ import annotations

from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from laowu.accounts.models import Role
from laowu.accounts.permissions import role_required
from laowu.core.forms import error_text
from laowu.core.http import client_ip
from laowu.core.ratelimit import allow
from laowu.review.models import Submission

from .models import VerificationScan
from .permissions import access_attachable_for_edit, access_attachment, access_printable, access_submission_file
from .services import add_attachment, remove_attachment
from .sheets import sheet_pdf, verification
from .storage import open_blob

ALL_ROLES = (Role.ENTERPRISE, Role.REVIEWER, Role.SUPERVISOR)
# Enterprises attach to their filings and replies; reviewers to supervision records.
UPLOAD_ROLES = (Role.ENTERPRISE, Role.REVIEWER)


def _back(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def pdf_response(data: bytes, filename: str, *, frameable: bool = False) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(filename)}"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    if frameable:
        # The reviewer's page embeds attachments; still no framing by other sites.
        response["X-Frame-Options"] = "SAMEORIGIN"
        response["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'self'"
    return response


def file_response(data: bytes, filename: str, content_type: str) -> HttpResponse:
    """An attachment inline: PDFs as above, photos as images (nosniff, no framing by others)."""
    if content_type == "application/pdf":
        return pdf_response(data, filename, frameable=True)
    if content_type not in ("image/jpeg", "image/png"):
        raise Http404
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(filename)}"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'self'"
    return response


@require_POST
@role_required(*UPLOAD_ROLES)
def upload(request: HttpRequest, filing_type: str, pk: int) -> HttpResponse:
    """上传: one attachment into one kind's slot of a record the user may change."""
    filing = access_attachable_for_edit(request.user, filing_type, pk)
    back = _back(request, filing.get_absolute_url())
    upload_file = request.FILES.get("file")
    if upload_file is None:
        messages.error(request, "请先点击“选择”选择要上传的文件。")
        return redirect(back)
    try:
        attachment = add_attachment(
            filing=filing, kind=request.POST.get("kind", ""), upload=upload_file, actor=request.user, request=request
        )
    except ValidationError as exc:
        text = error_text(exc)
        messages.error(request, f"“{upload_file.name}”上传失败：{text}")
    else:
        messages.success(request, f"“{attachment.original_name}”上传成功。")
    return redirect(back)


@require_POST
@role_required(*UPLOAD_ROLES)
def attachment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    attachment = access_attachment(request.user, pk, for_edit=True)
    filing = attachment.filing
    try:
        remove_attachment(attachment=attachment, actor=request.user, request=request)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, f"已删除附件“{attachment.original_name}”。")
    return redirect(_back(request, filing.get_absolute_url()))


@role_required(*ALL_ROLES)
def attachment(request: HttpRequest, pk: int) -> HttpResponse:
    item = access_attachment(request.user, pk)
    return file_response(open_blob(item.blob), item.original_name, item.blob.content_type)


@role_required(*ALL_ROLES)
def submission_file(request: HttpRequest, submission_pk: int, sha256: str) -> HttpResponse:
    _, blob, item = access_submission_file(request.user, submission_pk, sha256)
    return pdf_response(open_blob(blob), item["name"], frameable=True)


@role_required(*ALL_ROLES)
def print_sheet(request: HttpRequest, submission_pk: int) -> HttpResponse:
    """打印 / 打印PDF: the approved revision's A4 sheet with its QR code."""
    submission = access_printable(request.user, submission_pk)
    data = sheet_pdf(submission, base_url=request.build_absolute_uri("/"))
    return pdf_response(data, f"{submission.snapshot.get('label', '')}-{submission.title}.pdf")


def verify(request: HttpRequest, token: str) -> HttpResponse:
    """Public QR verification page: key fields (personal data masked) and the live status."""
    ip = client_ip(request)
    from django.conf import settings

    if not allow(f"verify:{ip}", limit=settings.LAOWU_VERIFY_RATE_PER_MINUTE, window_seconds=60):
        return render(request, "documents/verify.html", {"limited": True}, status=429)
    submission = Submission.objects.select_related("enterprise").filter(verify_token=token).first() if token else None
    VerificationScan.objects.create(
        submission=submission,
        token_prefix=token[:8],
        found=submission is not None,
        ip=ip,
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
    )
    if submission is None:
        return render(request, "documents/verify.html", {"result": None}, status=404)
    return render(request, "documents/verify.html", {"result": verification(submission)})
