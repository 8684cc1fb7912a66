"""通知公告: the committee writes and publishes notices; everyone reads the published ones.

Notices are the whole committee's (not one district's): any reviewer manages them, and
the login page, the enterprises' home page and the public list show the published ones.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone

from laowu.audit.services import Action, record
from laowu.documents.models import Attachment

from .models import Notice
from .search import TEXT, matching

EDITABLE_FIELDS = ("title", "body", "pinned")
LOGIN_PAGE_LATEST = 5
HOME_LATEST = 5
STATUS_FILTERS = (("published", "已发布"), ("draft", "未发布"))


# ---------------------------------------------------------------- selectors


def notice_list(*, q: str = "", status: str = "") -> QuerySet[Notice]:
    """All notices, for the reviewers' list: drafts and published alike."""
    qs = Notice.objects.select_related("created_by")
    if status == "published":
        qs = qs.filter(is_published=True)
    elif status == "draft":
        qs = qs.filter(is_published=False)
    return matching(qs.order_by("-is_published", "-pinned", "-published_at", "-updated_at", "-id"), q, TEXT)


def published_notices(*, q: str = "") -> QuerySet[Notice]:
    """What the public sees: pinned first, then the newest."""
    return matching(Notice.objects.filter(is_published=True).order_by("-pinned", "-published_at", "-id"), q, TEXT)


def latest_notices(limit: int = LOGIN_PAGE_LATEST) -> list[Notice]:
    return list(published_notices()[:limit])


def public_notice(pk: Any) -> Notice:
    """A published notice; a draft or withdrawn one is "not found" to everybody."""
    try:
        return published_notices().get(pk=pk)
    except (Notice.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def public_attachment(notice: Notice, attachment_pk: Any) -> Attachment:
    """One attachment of a published notice (pass `public_notice`'s result); anything else is "not found"."""
    try:
        return notice.attachments.select_related("blob").get(pk=attachment_pk)
    except (Attachment.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def get_notice(pk: Any) -> Notice:
    try:
        return Notice.objects.get(pk=pk)
    except (Notice.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


# ---------------------------------------------------------------- services


def _lock(notice: Notice) -> Notice:
    try:
        return Notice.objects.select_for_update().get(pk=notice.pk)
    except Notice.DoesNotExist:
        raise ValidationError("该通知公告已被删除，请刷新页面。") from None


def create_notice(*, data: dict[str, Any], actor: Any, request: HttpRequest | None = None) -> Notice:
    with transaction.atomic(durable=True):
        notice = Notice(created_by=actor, **{f: data[f] for f in EDITABLE_FIELDS if f in data})
        notice.full_clean()
        notice.save()
        record(action=Action.NOTICE_SAVE, request=request, user=actor, obj=notice, detail={"created": True})
    return notice


def update_notice(*, notice: Notice, data: dict[str, Any], actor: Any, request: HttpRequest | None = None) -> Notice:
    """Edits keep the publication state: correcting a published notice does not withdraw it."""
    with transaction.atomic(durable=True):
        locked = _lock(notice)
        changed = []
        for name in EDITABLE_FIELDS:
            if name in data and getattr(locked, name) != data[name]:
                setattr(locked, name, data[name])
                changed.append(name)
        locked.full_clean()
        locked.save()
        record(action=Action.NOTICE_SAVE, request=request, user=actor, obj=locked, detail={"changed": changed})
    return locked


def publish_notice(*, notice: Notice, actor: Any, request: HttpRequest | None = None) -> Notice:
    with transaction.atomic(durable=True):
        locked = _lock(notice)
        if locked.is_published:
            raise ValidationError("该通知公告已发布，请刷新页面。")
        locked.is_published = True
        locked.published_at = timezone.now()
        locked.full_clean()
        locked.save()
        record(action=Action.NOTICE_PUBLISH, request=request, user=actor, obj=locked, detail={"published": True})
    return locked


def unpublish_notice(*, notice: Notice, actor: Any, request: HttpRequest | None = None) -> Notice:
    """撤下: off the login page and the public list; kept for editing or publishing again."""
    with transaction.atomic(durable=True):
        locked = _lock(notice)
        if not locked.is_published:
            raise ValidationError("该通知公告未发布或已撤下，请刷新页面。")
        locked.is_published = False
        locked.save()
        record(action=Action.NOTICE_PUBLISH, request=request, user=actor, obj=locked, detail={"published": False})
    return locked


def delete_notice(*, notice: Notice, actor: Any, request: HttpRequest | None = None) -> None:
    with transaction.atomic(durable=True):
        locked = _lock(notice)
        record(
            action=Action.NOTICE_DELETE,
            request=request,
            user=actor,
            obj=locked,
            detail={"title": locked.title, "was_published": locked.is_published},
        )
        locked.delete()
