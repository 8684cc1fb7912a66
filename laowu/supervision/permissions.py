"""Who may see and change supervision records — the one place for it.

Committee users see the records of their own district(s); reviewers change them and
supervisors only read. An enterprise sees only its own records, and never the
committee's drafts. Missing and forbidden both answer 404 (Http404).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from django.http import Http404

from laowu.accounts.models import District
from laowu.accounts.scope import (
    can_review,
    covers_every_district,
    in_user_districts,
    is_committee,
    is_enterprise_user,
)

from . import models as m

M = TypeVar("M", bound=Model)

# Records the committee writes (enterprises see them once issued) and those the enterprise writes.
COMMITTEE_WRITTEN = (m.BadBehaviour, m.Inspection, m.Award)
ENTERPRISE_WRITTEN = (m.RemovalApplication, m.Rectification)
_HIDDEN_FROM_ENTERPRISE: dict[type[Model], dict[str, Any]] = {
    m.BadBehaviour: {"status": m.BadBehaviourStatus.DRAFT},
    m.Inspection: {"status": m.InspectionStatus.DRAFT},
    m.Award: {"status": m.AwardStatus.WITHDRAWN},
}
# An enterprise's reply or application is its own until it submits it.
_HIDDEN_FROM_COMMITTEE: dict[type[Model], dict[str, Any]] = {
    m.RemovalApplication: {"status": m.RemovalStatus.DRAFT},
    m.Rectification: {"status": m.RectificationStatus.DRAFT},
}


def can_manage(user: Any) -> bool:
    """Record, publish, inspect, nominate, decide, edit the rules: reviewers only."""
    return can_review(user)


def in_scope(user: Any, model: type[M]) -> QuerySet[M]:
    qs = model._default_manager.all()
    if is_committee(user):
        qs = in_user_districts(user, qs)
        hidden = _HIDDEN_FROM_COMMITTEE.get(model)
        return qs.exclude(**hidden) if hidden else qs
    if is_enterprise_user(user):
        qs = qs.filter(enterprise_id=user.enterprise_id)
        hidden = _HIDDEN_FROM_ENTERPRISE.get(model)
        return qs.exclude(**hidden) if hidden else qs
    return qs.none()


def access(user: Any, model: type[M], pk: Any) -> M:
    try:
        return in_scope(user, model).select_related("enterprise").get(pk=pk)
    except (model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def can_edit_credit_rules(user: Any) -> bool:
    """信用评分规则 are one set for every district (enterprises anywhere are scored alike), so
    only a reviewer over every district changes them; a district's reviewers read them."""
    return can_manage(user) and covers_every_district(user)


def access_for_change(user: Any, model: type[M], pk: Any) -> M:
    """A record the user may change: reviewers for committee records, the owner for replies."""
    if not editable(model)(user).filter(pk=pk).exists():
        raise Http404
    return access(user, model, pk)


def viewable(model: type[M]) -> Callable[[Any], QuerySet[M]]:
    return lambda user: in_scope(user, model)


def editable(model: type[M]) -> Callable[[Any], QuerySet[M]]:
    def scope(user: Any) -> QuerySet[M]:
        if model in COMMITTEE_WRITTEN and can_manage(user):
            return in_scope(user, model)
        if model in ENTERPRISE_WRITTEN and is_enterprise_user(user):
            return in_scope(user, model)
        return model._default_manager.none()

    return scope


# 通知公告 are scoped by district as the records are: a reviewer manages the notices of their
# own district(s); a province-wide notice (no district) only an account over every district,
# which may also publish to any district. Once published a notice is public (its attachments
# are served without login too, by supervision/views/notices.py).


def notices_editable(user: Any) -> QuerySet[m.Notice]:
    """The notices `user` may edit, publish, withdraw and delete."""
    if not can_manage(user):
        return m.Notice.objects.none()
    if covers_every_district(user):
        return m.Notice.objects.all()
    return m.Notice.objects.filter(district__in=user.districts.all())


def notices_viewable(user: Any) -> QuerySet[m.Notice]:
    """Notices whose attachments the user may open: their own drafts too for reviewers, the
    published ones for anyone."""
    published = m.Notice.objects.filter(is_published=True)
    if can_manage(user):
        return published | notices_editable(user)
    return published


def access_notice_for_change(user: Any, pk: Any) -> m.Notice:
    """A notice the user may change; another district's answers 404 like a missing one."""
    try:
        return notices_editable(user).get(pk=pk)
    except (m.Notice.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def notice_districts(user: Any) -> tuple[list[District], bool]:
    """Where `user` may publish: their districts, and whether also to every district at once."""
    every = covers_every_district(user)
    districts = list(District.objects.all() if every else user.districts.all())
    return districts, every
