"""The Redis cache backend: one client object per connection pool, short socket timeouts, and
a circuit breaker so a Redis that is down or hung costs a request at most one short timeout.

Django's RedisCacheClient builds a new `redis.Redis` for every cache call; its constructor
fills a table of a few hundred response callbacks, a measurable cost each time, and a
logged-in page makes two or three calls (session read and write, cached counts). A client
is thread-safe and holds no connection of its own (the pool does), so one per pool serves
every call.

Every Redis error (refused, timed out, reset) is raised as `CacheUnavailable`, and for
`BREAKER_SECONDS` afterwards every call in this process raises it at once without touching
the network: a page that makes five cache calls against a hung Redis then waits one socket
timeout, not five, and the next requests none until the breaker lets one call try again.
Callers decide what a missing cache means for them (docs/redis.md):
`laowu/core/ratelimit.py`, `laowu/core/sessions.py` and the cached counts catch
`CacheUnavailable`."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from redis.exceptions import RedisError

log = logging.getLogger("laowu.cache")

T = TypeVar("T")


class CacheUnavailable(Exception):
    """Redis did not answer (or the breaker is open after it did not, moments ago)."""


class ReusingRedisCacheClient(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[Any, Any] = {}  # connection pool -> its client

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)
        client = self._clients.get(pool)
        if client is None:
            client = self._clients[pool] = self._client(connection_pool=pool)
        return client


class _Breaker:
    """Per process and Redis address (Django makes one cache object per thread and alias, so the
    state lives here, shared): open for `seconds` after a failure. Races between threads only
    let a second call try while the first is failing, which is harmless."""

    _open_until: dict[str, float] = {}
    _lock = threading.Lock()

    def __init__(self, location: str, seconds: float) -> None:
        self.location = location
        self.seconds = seconds

    def check(self) -> None:
        if time.monotonic() < self._open_until.get(self.location, 0.0):
            raise CacheUnavailable(f"Redis {self.location}: breaker open")

    def failed(self, exc: BaseException) -> None:
        with self._lock:
            first = time.monotonic() >= self._open_until.get(self.location, 0.0)
            self._open_until[self.location] = time.monotonic() + self.seconds
        if first:
            log.warning("Redis unavailable (%s), cache calls refused for %.0f s: %s", self.location, self.seconds, exc)

    def succeeded(self) -> None:
        if self.location in self._open_until:
            with self._lock:
                was_open = self._open_until.pop(self.location, None) is not None
            if was_open:
                log.warning("Redis available again (%s)", self.location)

    @classmethod
    def reset(cls) -> None:
        """Close every breaker (tests that stop and start Redis)."""
        with cls._lock:
            cls._open_until.clear()


class RedisCache(DjangoRedisCache):
    """OPTIONS are the connection pool's (socket_connect_timeout, socket_timeout: set from the
    environment in laowu/settings/production.py); BREAKER_SECONDS is ours."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient
        self._breaker = _Breaker(server, float(params.get("BREAKER_SECONDS", 10)))

    def _guarded(self, call: Callable[[], T]) -> T:
        """`call()`, with Redis errors turned into CacheUnavailable."""
        self._breaker.check()
        try:
            result = call()
        except RedisError as exc:
            self._breaker.failed(exc)
            raise CacheUnavailable(f"Redis {self._breaker.location}: {exc}") from exc
        self._breaker.succeeded()
        return result

    # Every operation Django's RedisCache has; the others (get_or_set, incr_version …) are
    # built on these.
    def add(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return self._guarded(lambda: super(RedisCache, self).add(key, value, timeout, version))

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        return self._guarded(lambda: super(RedisCache, self).get(key, default, version))

    def set(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> None:
        self._guarded(lambda: super(RedisCache, self).set(key, value, timeout, version))

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return self._guarded(lambda: super(RedisCache, self).touch(key, timeout, version))

    def delete(self, key: Any, version: int | None = None) -> bool:
        return self._guarded(lambda: super(RedisCache, self).delete(key, version))

    def get_many(self, keys: Any, version: int | None = None) -> dict[Any, Any]:
        return self._guarded(lambda: super(RedisCache, self).get_many(keys, version))

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return self._guarded(lambda: super(RedisCache, self).has_key(key, version))

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        return self._guarded(lambda: super(RedisCache, self).incr(key, delta, version))

    def set_many(self, data: dict[Any, Any], timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> list[Any]:
        return self._guarded(lambda: super(RedisCache, self).set_many(data, timeout, version))

    def delete_many(self, keys: Any, version: int | None = None) -> None:
        self._guarded(lambda: super(RedisCache, self).delete_many(keys, version))

    def clear(self) -> bool:
        return self._guarded(lambda: super(RedisCache, self).clear())
