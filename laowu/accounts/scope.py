"""Who a user is on the platform and which districts they cover — the one place for it.

Every app's access rules (filings, submissions, enterprises, supervision records) build on
these: an enterprise user sees its own enterprise's records, a committee user those of
the district(s) they cover.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model, QuerySet

from .models import COMMITTEE_ROLES, District, Role

M = TypeVar("M", bound=Model)


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


def sees_personal_data_of(user: Any, enterprise_id: Any) -> bool:
    """Full 身份证号/手机号 — on printed sheets and in ID card scans too — for the enterprise's own
    accounts and for reviewers; everyone else (监管人员, admins) gets them masked or not at all."""
    if not user.is_authenticated:
        return False
    if user.role == Role.ENTERPRISE:
        return enterprise_id is not None and user.enterprise_id == enterprise_id
    return can_see_personal_data(user)


# Where `covers_every_district` keeps its answer on the user object. The request's user arrives
# with it already set, read in the user's own query (laowu/accounts/otp.py
# `user_with_second_factor_state`); that object lives for one request only.
EVERY_DISTRICT_ATTR = "_laowu_every_district"


def covers_every_district(user: Any) -> bool:
    """A committee account over every district (a province-level one) needs no district
    filter: the filter would be true of every row, yet at province scale it costs a join to
    the enterprises on every list. Remembered on the user object for the request."""
    cached = getattr(user, EVERY_DISTRICT_ATTR, None)
    if cached is None:
        cached = user.districts.exists() and not District.objects.exclude(pk__in=user.districts.values("pk")).exists()
        setattr(user, EVERY_DISTRICT_ATTR, cached)
    return bool(cached)


def in_user_districts(user: Any, qs: QuerySet[M], district: str = "enterprise__district") -> QuerySet[M]:
    """`qs` narrowed to the committee user's district(s), `district` being the path to each
    row's district; left whole for a user who covers every district (see above)."""
    if covers_every_district(user):
        return qs
    return qs.filter(**{f"{district}__in": user.districts.all()})


def user_district_ids(user: Any) -> list[int]:
    """The ids of the districts a committee user covers, read once per request (remembered on the
    user object, which the authentication middleware loads afresh for every request)."""
    cached = getattr(user, "_laowu_district_ids", None)
    if cached is None:
        cached = sorted(user.districts.values_list("pk", flat=True))
        user._laowu_district_ids = cached
    return list(cached)


def in_user_district_ids(user: Any, qs: QuerySet[M], district: str = "enterprise__district") -> QuerySet[M]:
    """`qs` narrowed as `in_user_districts` narrows it (the same rows), with the user's districts
    written into the query as their ids rather than as a subquery of the user's districts.

    The planner cannot see which districts a subquery gives and guesses a fixed share of the rows
    (a district's 17,000 filings were estimated at 3,300), so a search of a list limited that way
    planned for the wrong size; with the ids it estimates the list from the districts' statistics
    and can use indexes keyed by district with known values (laowu/core/search.py). A user with no
    district sees nothing, as with the subquery."""
    if covers_every_district(user):
        return qs
    ids = user_district_ids(user)
    if not ids:
        return qs.none()
    return qs.filter(**{f"{district}__in": ids})
