"""The request's CSRF token, masked once per request.

Django masks the secret afresh each time `get_token` is called (a random string drawn one
character at a time), and each template render asks for it anew: a list page asks for it for
its rows (laowu/core/rows.py `csrf_input`) and again for the layout's logout form
(laowu/templates/base.html). One masked value per response is what the masking is for (a
secret never repeated in the same form across responses); within a response, Django's own
`{% csrf_token %}` tags of one render share one value too. So the first answer is kept on the
request, for as long as the secret it masks is the request's secret (a login rotates it).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.utils.functional import SimpleLazyObject


def request_token(request: HttpRequest) -> str:
    """`get_token(request)`, computed once per request and secret."""
    kept = getattr(request, "_laowu_csrf_token", None)
    secret = request.META.get("CSRF_COOKIE")
    if kept is not None and secret is not None and kept[0] == secret:
        return kept[1]  # type: ignore[no-any-return]
    token = get_token(request)
    request._laowu_csrf_token = (request.META.get("CSRF_COOKIE"), token)  # type: ignore[attr-defined]
    return token


def csrf(request: HttpRequest) -> dict[str, Any]:
    """Django's `csrf` context processor (django/template/context_processors.py), whose value
    replaces its own (project processors run after Django's), reading `request_token`."""

    def value() -> str:
        token = request_token(request)
        return "NOTPROVIDED" if token is None else token

    return {"csrf_token": SimpleLazyObject(value)}
