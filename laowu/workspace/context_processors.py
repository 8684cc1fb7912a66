from __future__ import annotations

import functools
from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from laowu.workspace.menus import menu_for, side_menu


def menu(request: HttpRequest) -> dict[str, Any]:
    """The side menu of `workspace.html` for the signed-in user's role (none for anonymous
    pages): `side_menu` as HTML, and `menu` as data, made only if a template asks for it."""
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    return {
        "menu": SimpleLazyObject(functools.partial(menu_for, user, request.path)) if signed_in else [],
        "side_menu": side_menu(user if signed_in else None, request.path),
    }
