"""Which enterprises a user may see: the committee's district(s), an enterprise itself."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from laowu.accounts.scope import in_user_districts, is_committee, is_enterprise_user

from .models import Enterprise


def enterprises_in_scope(user: Any) -> QuerySet[Enterprise]:
    """Enterprises a committee user may see: those of the user's own district(s)."""
    if is_committee(user):
        return in_user_districts(user, Enterprise.objects.all(), "district")
    if is_enterprise_user(user):
        return Enterprise.objects.filter(pk=user.enterprise_id)
    return Enterprise.objects.none()
