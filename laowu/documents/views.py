from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from laowu.accounts.models import Role
from laowu.accounts.permissions import role_required
from laowu.accounts.scope import is_enterprise_user
from laowu.audit.services import Action, record
from laowu.core.http import redirect_target
from laowu.core.placed_messages import with_fragment

from .feedback import MSG_NO_FILE, outcome_text, remove_and_tell, shown_slot, tell, upload_and_tell
from .permissions import access_attachable_for_edit, access_attachment, is_personal
from .responses import file_response
from .services import add_attachments
from .storage import open_blob

ALL_ROLES = (Role.ENTERPRISE, Role.REVIEWER, Role.SUPERVISOR)
# Enterprises attach to their filings and replies; reviewers to supervision records.
UPLOAD_ROLES = (Role.ENTERPRISE, Role.REVIEWER)


def _back(request: HttpRequest, default: str) -> str:
    return redirect_target(request, default)


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
    if _wants_json(request):
        outcomes = (
            add_attachments(filing=filing, kind=kind, uploads=files, actor=request.user, request=request)
            if files
            else []
        )
        results = [{"name": o.name, "stored": o.stored, "message": outcome_text(o)} for o in outcomes]
        return JsonResponse({"results": results, "error": "" if files else MSG_NO_FILE})
    back = _back(request, filing.get_absolute_url())
    anchor = shown_slot(filing, kind)
    if files:
        upload_and_tell(request, filing, kind, files)
    else:
        tell(request, messages.ERROR, MSG_NO_FILE, anchor)
    return redirect(with_fragment(back, anchor) if anchor else back)


@require_POST
@role_required(*UPLOAD_ROLES)
def attachment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """删除: one attachment; the page returns to its slot and says so there."""
    attachment = access_attachment(request.user, pk, for_edit=True)
    filing = attachment.filing
    anchor = remove_and_tell(request, attachment)
    back = _back(request, filing.get_absolute_url())
    return redirect(with_fragment(back, anchor) if anchor else back)


@role_required(*ALL_ROLES)
def attachment(request: HttpRequest, pk: int) -> HttpResponse:
    item = access_attachment(request.user, pk)
    model = item.filing_type.model_class()
    if is_personal(model, item.kind) and not is_enterprise_user(request.user):
        # A reviewer opening an ID card scan: on record, as any full view of personal data.
        record(action=Action.PERSONAL_DATA_VIEW, request=request, obj=item.filing, detail={"attachment_id": item.pk})
    return file_response(open_blob(item.blob), item.original_name, item.blob.content_type)
