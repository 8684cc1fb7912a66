from __future__ import annotations

import functools
from typing import Any

from django.http import HttpRequest
from django.utils.functional import LazyObject, SimpleLazyObject, empty

from laowu.workspace.menus import menu_for, side_menu_for_role


def menu(request: HttpRequest) -> dict[str, Any]:
    """The side menu of `workspace.html` for the signed-in user's role (none for anonymous
    pages): `side_menu` as HTML, and `menu` as data, made only if a template asks for it."""
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    if not signed_in:
        return {"menu": [], "side_menu": side_menu_for_role("", request.path)}
    # The user itself, loaded by the `is_authenticated` above: each attribute read through
    # `request.user`'s lazy wrapper costs more than the read.
    if isinstance(user, LazyObject) and user._wrapped is not empty:
        user = user._wrapped
    return {
        "menu": SimpleLazyObject(functools.partial(menu_for, user, request.path)),
        "side_menu": side_menu_for_role(getattr(user, "role", ""), request.path),
    }
