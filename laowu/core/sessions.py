"""Sessions in Redis, in the database while Redis is unavailable (SESSION_ENGINE in production).

Django's `cache` engine answers a 500 when Redis is down (creating a session retries ten
thousand keys, then gives up), and its `cached_db` engine writes every session to the
database as well: with SESSION_SAVE_EVERY_REQUEST, a committed write on every logged-in
request, several times the cost of the Redis round trip. Here a session lives in one place:

- Redis up: in Redis only, as with the `cache` engine;
- Redis down or hung (`CacheUnavailable`, at once while laowu/core/cache.py's breaker is
  open): in the database. Those logged in before lose their session (they log in again);
  login, and everything after it, works;
- back up: a session found only in the database moves to Redis at its next request.

Logging out deletes both copies."""

from __future__ import annotations

import contextlib
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.base import CreateError, UpdateError
from django.contrib.sessions.backends.db import SessionStore as DatabaseStore
from django.core.cache import caches

from .cache import CacheUnavailable

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
            stored.delete()
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
