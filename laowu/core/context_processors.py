from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from laowu.core.menus import menu_for


def platform(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {
        "PLATFORM_NAME": "相城区施工劳务行业自管自律平台",
        "menu": menu_for(user, request.path) if user is not None and user.is_authenticated else [],
    }
