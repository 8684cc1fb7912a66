"""Who may open which file or sheet. Missing and forbidden both answer 404."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from laowu.review.models import Submission, SubmissionStatus
from laowu.review.permissions import access_submission, filings_in_scope, is_enterprise_user

from .models import Attachment, Blob


def access_attachment(user: Any, pk: Any) -> Attachment:
    """A live record's attachment: the owner's, or one a committee user's district covers."""
    try:
        attachment = Attachment.objects.select_related("blob", "filing_type").get(pk=pk)
    except (Attachment.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    model = attachment.filing_type.model_class()
    if model is None or not filings_in_scope(user, model).filter(pk=attachment.filing_id).exists():
        raise Http404
    return attachment


def access_own_attachment(user: Any, pk: Any) -> Attachment:
    attachment = access_attachment(user, pk)
    if not is_enterprise_user(user):
        raise Http404
    return attachment


def access_submission_file(user: Any, submission_pk: Any, sha256: str) -> tuple[Submission, Blob, dict[str, Any]]:
    """A file frozen in a submission, named by its hash in the snapshot."""
    submission = access_submission(user, submission_pk)
    for item in submission.snapshot.get("attachments", []):
        if item["sha256"] == sha256:
            try:
                return submission, Blob.objects.get(pk=sha256), item
            except Blob.DoesNotExist:
                break
    raise Http404


def access_printable(user: Any, submission_pk: Any) -> Submission:
    """Only the currently valid approved revision prints."""
    submission = access_submission(user, submission_pk)
    if submission.status != SubmissionStatus.APPROVED:
        raise Http404
    return submission
