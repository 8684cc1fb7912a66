"""通知公告 on pages whose views are not the supervision app's (the login page)."""

from __future__ import annotations

from django import template

from laowu.supervision.models import Notice
from laowu.supervision.notices import LOGIN_PAGE_LATEST, latest_notices

register = template.Library()


@register.simple_tag
def published_notices(limit: int = LOGIN_PAGE_LATEST) -> list[Notice]:
    """The latest published notices, pinned first: ``{% published_notices 5 as notices %}``."""
    return latest_notices(limit)
