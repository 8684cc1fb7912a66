"""Who may open or change which attachment. Missing and forbidden both answer 404."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from laowu.accounts.scope import sees_personal_data_of

from .models import Attachment
from .registry import attachable, attachable_for_model


def access_attachment(user: Any, pk: Any, *, for_edit: bool = False) -> Attachment:
    """A live record's attachment that the user may open (or, for_edit, delete)."""
    try:
        attachment = Attachment.objects.select_related("blob", "filing_type").get(pk=pk)
    except (Attachment.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    model = attachment.filing_type.model_class()
    kind = attachable_for_model(model) if model is not None else None
    if kind is None:
        raise Http404
    scope = kind.editable if for_edit else kind.viewable
    if not scope(user).filter(pk=attachment.filing_id).exists():
        raise Http404
    if is_personal(model, attachment.kind) and not sees_personal_data_of(
        user, getattr(attachment.filing, "enterprise_id", None)
    ):
        raise Http404
    return attachment


def is_personal(model: Any, kind: str) -> bool:
    """Whether `model`'s attachments of `kind` hold personal data (an ID card scan)."""
    return any(k.code == kind and k.personal for k in getattr(model, "ATTACHMENT_KINDS", ()))


def access_attachable_for_edit(user: Any, code: str, pk: Any) -> Any:
    """The record the user may upload to: missing, unknown and forbidden all answer 404."""
    kind = attachable(code)
    if kind is None:
        raise Http404
    try:
        return kind.editable(user).get(pk=pk)
    except (kind.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
