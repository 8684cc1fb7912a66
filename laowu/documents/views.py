from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from laowu.accounts.models import Role
from laowu.accounts.permissions import role_required
from laowu.core.forms import error_text
from laowu.core.http import redirect_target
from laowu.core.placed_messages import beside, with_fragment

from .permissions import access_attachable_for_edit, access_attachment
from .responses import file_response
from .services import Attachable, UploadOutcome, add_attachments, remove_attachment, slot_anchor
from .storage import open_blob

ALL_ROLES = (Role.ENTERPRISE, Role.REVIEWER, Role.SUPERVISOR)
# Enterprises attach to their filings and replies; reviewers to supervision records.
UPLOAD_ROLES = (Role.ENTERPRISE, Role.REVIEWER)

MSG_NO_FILE = "请先点击“选择”选择要上传的文件。"


def _back(request: HttpRequest, default: str) -> str:
    return redirect_target(request, default)


def _outcome_text(outcome: UploadOutcome) -> str:
    if outcome.stored:
        return f"“{outcome.name}”上传成功。"
    return f"“{outcome.name}”上传失败：{outcome.error}"


def _shown_slot(filing: Attachable, kind: str) -> str:
    """The slot's anchor if the page shows that slot, else "" (messages then go to the top)."""
    return slot_anchor(filing, kind) if kind in {k.code for k in filing.ATTACHMENT_KINDS} else ""


def _tell(request: HttpRequest, level: int, text: str, anchor: str) -> None:
    messages.add_message(request, level, text, extra_tags=beside(anchor) if anchor else "")


def _wants_json(request: HttpRequest) -> bool:
    # laowu/static/laowu/upload.js sends each file on its own and reports beside the slot
    # itself; the plain form post (JavaScript off) is answered with a redirect.
    return "application/json" in request.headers.get("Accept", "")


@require_POST
@role_required(*UPLOAD_ROLES)
def upload(request: HttpRequest, filing_type: str, pk: int) -> HttpResponse:
    """上传: the files chosen for one kind's slot of a record the user may change.

    Each file is stored or refused on its own, and the user is told which, file by file,
    beside the slot the page returns to.
    """
    filing = access_attachable_for_edit(request.user, filing_type, pk)
    kind = request.POST.get("kind", "")
    files = request.FILES.getlist("file")
    outcomes = (
        add_attachments(filing=filing, kind=kind, uploads=files, actor=request.user, request=request) if files else []
    )
    if _wants_json(request):
        results = [{"name": o.name, "stored": o.stored, "message": _outcome_text(o)} for o in outcomes]
        return JsonResponse({"results": results, "error": "" if files else MSG_NO_FILE})
    back = _back(request, filing.get_absolute_url())
    anchor = _shown_slot(filing, kind)
    if not files:
        _tell(request, messages.ERROR, MSG_NO_FILE, anchor)
    for outcome in outcomes:
        _tell(request, messages.SUCCESS if outcome.stored else messages.ERROR, _outcome_text(outcome), anchor)
    return redirect(with_fragment(back, anchor) if anchor else back)


@require_POST
@role_required(*UPLOAD_ROLES)
def attachment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """删除: one attachment; the page returns to its slot and says so there."""
    attachment = access_attachment(request.user, pk, for_edit=True)
    filing = attachment.filing
    anchor = _shown_slot(filing, attachment.kind)
    try:
        remove_attachment(attachment=attachment, actor=request.user, request=request)
    except ValidationError as exc:
        _tell(request, messages.ERROR, error_text(exc), anchor)
    else:
        _tell(request, messages.SUCCESS, f"已删除附件“{attachment.original_name}”。", anchor)
    back = _back(request, filing.get_absolute_url())
    return redirect(with_fragment(back, anchor) if anchor else back)


@role_required(*ALL_ROLES)
def attachment(request: HttpRequest, pk: int) -> HttpResponse:
    item = access_attachment(request.user, pk)
    return file_response(open_blob(item.blob), item.original_name, item.blob.content_type)
