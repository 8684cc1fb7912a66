"""Readiness: can this instance serve a request? The database, Redis when the cache is there,
and the attachment storage, each within a deadline (/readyz, docs/deploy.md).

Each check runs in a thread of its own, all at once, and is given up at the deadline: a hung
Redis or a storage server that never answers makes /readyz say so in time instead of hanging
the load balancer's probe and the worker with it. A thread given up on ends when its own
socket timeout (set to the same deadline where the client has one) fires.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connections

logger = logging.getLogger(__name__)

# A name nobody stores: `exists()` on it asks the storage a question without touching a file.
STORAGE_PROBE_NAME = "readyz-probe"


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    reason: str = ""  # short, for the operator; the exception itself goes to the log only

    def as_json(self) -> dict[str, str]:
        return {"result": "ok"} if self.ok else {"result": "failed", "reason": self.reason}


def check_database(timeout: float) -> None:
    # A connection of this thread's own, closed afterwards: the probe learns whether a new
    # connection can be made, which is what the next request needs.
    conn = connections["default"]
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    finally:
        conn.close()


def redis_url() -> str:
    """The Redis the cache (and with it the sessions) lives in, if any (laowu/settings/production.py)."""
    cache = settings.CACHES.get("default", {})
    if "redis" not in str(cache.get("BACKEND", "")).lower():
        return ""
    location = cache.get("LOCATION", "")
    return location[0] if isinstance(location, list | tuple) else str(location)


def check_redis(timeout: float) -> None:
    import redis

    client = redis.Redis.from_url(redis_url(), socket_timeout=timeout, socket_connect_timeout=timeout)
    try:
        if not client.ping():
            raise ConnectionError("PING was not answered with PONG")
    finally:
        client.close()


def check_storage(timeout: float) -> None:
    default_storage.exists(STORAGE_PROBE_NAME)


def checks() -> dict[str, Callable[[float], None]]:
    found: dict[str, Callable[[float], None]] = {"database": check_database}
    if redis_url():
        found["redis"] = check_redis
    found["storage"] = check_storage
    return found


def run_checks(timeout: float) -> list[CheckResult]:
    """Every check at once; each one not done within `timeout` seconds fails as 超时."""
    outcomes: dict[str, BaseException | None] = {}
    threads: dict[str, threading.Thread] = {}

    def run(name: str, check: Callable[[float], None]) -> None:
        try:
            check(timeout)
        except Exception as exc:  # any failure of the outside system is "not ready"
            outcomes[name] = exc
        else:
            outcomes[name] = None

    for name, check in checks().items():
        # Daemon: a check still stuck at exit must not keep a stopping worker alive.
        threads[name] = threading.Thread(target=run, args=(name, check), name=f"readyz-{name}", daemon=True)
        threads[name].start()
    deadline = time.monotonic() + timeout
    for thread in threads.values():
        thread.join(max(0.0, deadline - time.monotonic()))
    done = dict(outcomes)  # a check finishing from now on is too late
    results = []
    for name in threads:
        if name not in done:
            logger.warning("readiness check %s did not answer within %.1f s", name, timeout)
            results.append(CheckResult(name, False, "超时"))
        elif (exc := done[name]) is not None:
            logger.warning("readiness check %s failed: %s: %s", name, type(exc).__name__, exc)
            results.append(CheckResult(name, False, "不可用"))
        else:
            results.append(CheckResult(name, True))
    return results
