"""The idle timeout without a session write on every request.

A session ends `SESSION_COOKIE_AGE` seconds after it was last saved. Saving it on every request
(Django's SESSION_SAVE_EVERY_REQUEST) keeps that an exact idle timeout, at the price of a
database or Redis write, and with the database backend a transaction, on every page view.
Instead the session carries the time it was last renewed and is saved again only once that is
`LAOWU_SESSION_TOUCH_SECONDS` old: the timeout is then between the configured age and that much
less, and a clerk clicking through pages writes once a minute rather than once a click.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

SEEN_KEY = "_laowu_seen"


class SessionTouchMiddleware:
    """Must come right after SessionMiddleware, so that the session it marks modified is
    saved by that middleware's response phase, which runs after this one's."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        # An empty session (an anonymous visitor) is never stored, so it has nothing to renew;
        # asking costs nothing when no session cookie came in.
        if session is None or session.is_empty():
            return response
        now = int(time.time())
        try:
            seen = int(session.get(SEEN_KEY, 0))
        except (TypeError, ValueError):
            seen = 0
        if now - seen >= settings.LAOWU_SESSION_TOUCH_SECONDS:
            session[SEEN_KEY] = now
        return response
