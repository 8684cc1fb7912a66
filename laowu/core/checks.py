"""Deployment checks on the platform's own settings (`manage.py check --deploy`)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register


@register(Tags.compatibility, deploy=True)
def committee_contact(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    # Blocked pages and 帮助 tell the enterprise whom to call; without a phone they name only an office.
    if (settings.LAOWU_COMMITTEE_CONTACT_PHONE or "").strip():
        return []
    return [
        Warning(
            "未设置区劳务专委会联系电话（LAOWU_COMMITTEE_CONTACT_PHONE），企业在受阻页面和帮助页面看不到联系电话。",
            id="laowu.W001",
        )
    ]
