from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from laowu.workspace.menus import menu_for


def menu(request: HttpRequest) -> dict[str, Any]:
    """The side menu of `workspace.html` for the signed-in user's role; none for anonymous pages."""
    user = getattr(request, "user", None)
    return {"menu": menu_for(user, request.path) if user is not None and user.is_authenticated else []}
