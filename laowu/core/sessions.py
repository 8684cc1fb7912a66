"""Sessions: where they are kept, and how often they are written.

**Where** (SESSION_ENGINE in production): in Redis, in the database while Redis is unavailable.
Django's `cache` engine answers a 500 when Redis is down (creating a session retries ten
thousand keys, then gives up), and its `cached_db` engine writes every session to the
database as well, several times the cost of the Redis round trip. Here a session lives in one
place:

- Redis up: in Redis only, as with the `cache` engine;
- Redis down or hung (`CacheUnavailable`, at once while laowu/core/cache.py's breaker is
  open): in the database. Those logged in before lose their session (they log in again);
  login, and everything after it, works;
- back up: a session found only in the database moves to Redis at its next request.

The database side is laowu/core/session_db.py, the database engine of every other setting.

Logging out deletes both copies.

**How often** (`SessionTouchMiddleware`, every engine): a session ends `SESSION_COOKIE_AGE`
seconds after it was last saved. Saving it on every request (Django's
SESSION_SAVE_EVERY_REQUEST) keeps that an exact idle timeout, at the price of a write on every
page view. Instead the session carries the time it was last renewed and is saved again only
once that is `LAOWU_SESSION_TOUCH_SECONDS` old: the timeout is then between the configured age
and that much less, and a clerk clicking through pages writes once a minute rather than once a
click.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.base import CreateError, UpdateError
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse

from .cache import CacheUnavailable
from .session_db import SessionStore as DatabaseStore

KEY_PREFIX = "laowu.sessions."


class SessionStore(DatabaseStore):
    def __init__(self, session_key: str | None = None) -> None:
        self._cache = caches[settings.SESSION_CACHE_ALIAS]
        super().__init__(session_key)

    def _cache_key(self, session_key: str | None = None) -> str:
        return KEY_PREFIX + (session_key or self._get_or_create_session_key())

    def load(self) -> dict[str, Any]:
        try:
            data = self._cache.get(self._cache_key())
        except CacheUnavailable:
            return super().load()  # type: ignore[no-any-return]
        if data is not None:
            return data  # type: ignore[no-any-return]
        stored = self._get_session_from_db()  # saved while Redis was down, or gone
        if stored is None:
            return {}
        data = self.decode(stored.session_data)
        with contextlib.suppress(CacheUnavailable):
            self._cache.set(self._cache_key(), data, self.get_expiry_age(expiry=stored.expire_date))
            super().delete(stored.session_key)
        return data  # type: ignore[no-any-return]

    def exists(self, session_key: str) -> bool:
        with contextlib.suppress(CacheUnavailable):
            if self._cache.has_key(self._cache_key(session_key)):
                return True
        return super().exists(session_key)  # type: ignore[no-any-return]

    def save(self, must_create: bool = False) -> None:
        if self.session_key is None:
            return self.create()  # type: ignore[no-any-return]
        data = self._get_session(no_load=must_create)
        try:
            if must_create:
                if not self._cache.add(self._cache_key(), data, self.get_expiry_age()):
                    raise CreateError
            else:
                self._cache.set(self._cache_key(), data, self.get_expiry_age())
            return None
        except CacheUnavailable:
            pass
        try:
            super().save(must_create=must_create)
        except UpdateError:
            # Read from Redis moments ago, so not in the database yet.
            super().save(must_create=True)
        return None

    def delete(self, session_key: str | None = None) -> None:
        session_key = session_key or self.session_key
        if session_key is None:
            return
        with contextlib.suppress(CacheUnavailable):
            self._cache.delete(self._cache_key(session_key))
        super().delete(session_key)


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
