from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def platform(request: HttpRequest) -> dict[str, Any]:
    return {
        "PLATFORM_NAME": "相城区施工劳务行业自管自律平台",
        # Named on every page where a step can be blocked, and on 帮助.
        "COMMITTEE_CONTACT": {
            "name": settings.LAOWU_COMMITTEE_CONTACT_NAME,
            "phone": settings.LAOWU_COMMITTEE_CONTACT_PHONE,
        },
    }
