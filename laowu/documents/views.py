from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from laowu.accounts.models import Role
from laowu.accounts.permissions import role_required
from laowu.core.forms import error_text

from .permissions import access_attachable_for_edit, access_attachment
from .responses import file_response
from .services import add_attachment, remove_attachment
from .storage import open_blob

ALL_ROLES = (Role.ENTERPRISE, Role.REVIEWER, Role.SUPERVISOR)
# Enterprises attach to their filings and replies; reviewers to supervision records.
UPLOAD_ROLES = (Role.ENTERPRISE, Role.REVIEWER)


def _back(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


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
