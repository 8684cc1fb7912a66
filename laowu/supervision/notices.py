"""通知公告: the committee writes and publishes notices; everyone reads the published ones.

A notice belongs to a district (or, with none, to every district): its district's reviewers
manage it (supervision/permissions.py). The login page and the public list show every
published notice; an enterprise's home page those of its own district and the province-wide.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone

from laowu.audit.services import Action, record
from laowu.documents.models import Attachment

from .models import Notice
from .permissions import notices_editable
from .search import TEXT, matching

EDITABLE_FIELDS = ("title", "body", "district", "pinned")
LOGIN_PAGE_LATEST = 5
HOME_LATEST = 5
STATUS_FILTERS = (("published", "已发布"), ("draft", "未发布"))


# ---------------------------------------------------------------- selectors


def notice_list(*, user: Any, q: str = "", status: str = "") -> QuerySet[Notice]:
    """The notices the reviewer manages, drafts and published alike."""
    qs = notices_editable(user).select_related("created_by", "district")
    if status == "published":
        qs = qs.filter(is_published=True)
    elif status == "draft":
        qs = qs.filter(is_published=False)
    return matching(qs.order_by("-is_published", "-pinned", "-published_at", "-updated_at", "-id"), q, TEXT)


def published_notices(*, q: str = "", district_id: int | None = None) -> QuerySet[Notice]:
    """What the public sees, pinned first, then the newest; with `district_id`, only that
    district's and the province-wide ones (an enterprise's home page)."""
    qs = Notice.objects.filter(is_published=True).select_related("district")
    if district_id is not None:
        qs = qs.filter(Q(district_id=district_id) | Q(district__isnull=True))
    return matching(qs.order_by("-pinned", "-published_at", "-id"), q, TEXT)


def latest_notices(limit: int = LOGIN_PAGE_LATEST, *, district_id: int | None = None) -> list[Notice]:
    return list(published_notices(district_id=district_id)[:limit])


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
