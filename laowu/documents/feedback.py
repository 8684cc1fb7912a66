"""What 上传 and 删除 tell the user, beside the attachment slot they are about.

Shared by the attachment views and by any page that takes files in its own form (a filing's
owner page, laowu/review/editing.py), so the same file gets the same words wherever it was sent.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from laowu.core.forms import error_text
from laowu.core.placed_messages import beside

from .services import Attachable, UploadOutcome, add_attachments, remove_attachment, slot_anchor

MSG_NO_FILE = "请先点击“选择”选择要上传的文件。"


def outcome_text(outcome: UploadOutcome) -> str:
    if outcome.stored:
        return f"“{outcome.name}”上传成功。"
    return f"“{outcome.name}”上传失败：{outcome.error}"


def shown_slot(filing: Attachable, kind: str) -> str:
    """The slot's anchor if the page shows that slot, else "" (messages then go to the top)."""
    return slot_anchor(filing, kind) if kind in {k.code for k in filing.ATTACHMENT_KINDS} else ""


def tell(request: HttpRequest, level: int, text: str, anchor: str) -> None:
    messages.add_message(request, level, text, extra_tags=beside(anchor) if anchor else "")


def upload_and_tell(request: HttpRequest, filing: Attachable, kind: str, files: Iterable[Any]) -> list[UploadOutcome]:
    """Store the files chosen for one slot and say beside it what became of each."""
    outcomes = add_attachments(filing=filing, kind=kind, uploads=files, actor=request.user, request=request)
    anchor = shown_slot(filing, kind)
    for outcome in outcomes:
        tell(request, messages.SUCCESS if outcome.stored else messages.ERROR, outcome_text(outcome), anchor)
    return outcomes


def remove_and_tell(request: HttpRequest, attachment: Any) -> str:
    """删除 one attachment and say so beside its slot; returns the slot's anchor."""
    anchor = shown_slot(attachment.filing, attachment.kind)
    try:
        remove_attachment(attachment=attachment, actor=request.user, request=request)
    except ValidationError as exc:
        tell(request, messages.ERROR, error_text(exc), anchor)
    else:
        tell(request, messages.SUCCESS, f"已删除附件“{attachment.original_name}”。", anchor)
    return anchor
