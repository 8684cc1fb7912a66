"""Who may see and act on filings, submissions and their files — the one place for it.

Access helpers answer "not found" (Http404) both for a missing object and for one the
user may not see, so nobody can learn that another enterprise's record exists.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import QuerySet
from django.http import Http404

from laowu.accounts.models import COMMITTEE_ROLES, District, Role
from laowu.enterprises.models import Enterprise

from .models import Filing, Submission

F = TypeVar("F", bound=Filing)


def is_enterprise_user(user: Any) -> bool:
    return bool(user.is_authenticated and user.role == Role.ENTERPRISE and user.enterprise_id)


def is_committee(user: Any) -> bool:
    return bool(user.is_authenticated and user.role in COMMITTEE_ROLES)


def can_review(user: Any) -> bool:
    # A reviewer is a committee account, never an enterprise's, so nobody approves their own filing.
    return bool(user.is_authenticated and user.role == Role.REVIEWER and user.enterprise_id is None)


def can_see_personal_data(user: Any) -> bool:
    """Full 身份证号/手机号 in committee lists and exports: reviewers only (supervisors see masked)."""
    return bool(user.is_authenticated and user.role == Role.REVIEWER)


def covers_every_district(user: Any) -> bool:
    """A committee account over every district (a province-level one) needs no district
    filter: the filter would be true of every row, yet at province scale it costs a join to
    the enterprises on every list. Remembered on the user object for the request."""
    cached = getattr(user, "_laowu_every_district", None)
    if cached is None:
        cached = user.districts.exists() and not District.objects.exclude(pk__in=user.districts.values("pk")).exists()
        user._laowu_every_district = cached
    return bool(cached)


def enterprises_in_scope(user: Any) -> QuerySet[Enterprise]:
    """Enterprises a committee user may see: those of the user's own district(s)."""
    if is_committee(user):
        if covers_every_district(user):
            return Enterprise.objects.all()
        return Enterprise.objects.filter(district__in=user.districts.all())
    if is_enterprise_user(user):
        return Enterprise.objects.filter(pk=user.enterprise_id)
    return Enterprise.objects.none()


def submissions_in_scope(user: Any) -> QuerySet[Submission]:
    if is_committee(user):
        if covers_every_district(user):
            return Submission.objects.all()
        return Submission.objects.filter(enterprise__district__in=user.districts.all())
    if is_enterprise_user(user):
        return Submission.objects.filter(enterprise_id=user.enterprise_id)
    return Submission.objects.none()


def filings_in_scope(user: Any, model: type[F]) -> QuerySet[F]:
    if is_enterprise_user(user):
        return model.objects.filter(enterprise_id=user.enterprise_id)
    if is_committee(user):
        if covers_every_district(user):
            return model.objects.all()
        return model.objects.filter(enterprise__district__in=user.districts.all())
    return model.objects.none()


def access_own_filing(user: Any, model: type[F], pk: Any) -> F:
    """A filing the user's enterprise owns (for edits); 404 otherwise."""
    if not is_enterprise_user(user):
        raise Http404
    try:
        return model.objects.select_related("enterprise").get(pk=pk, enterprise_id=user.enterprise_id)
    except (model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def access_filing(user: Any, model: type[F], pk: Any) -> F:
    """A filing the user may read (owner or committee of its district); 404 otherwise."""
    try:
        return filings_in_scope(user, model).select_related("enterprise").get(pk=pk)
    except (model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def access_submission(user: Any, pk: Any) -> Submission:
    try:
        return submissions_in_scope(user).select_related("enterprise", "declared_by", "decided_by").get(pk=pk)
    except (Submission.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
