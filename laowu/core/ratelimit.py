"""Fixed-window counters in the shared cache (Redis in production, so they count across every
instance). When Redis is down or hung (`laowu.core.cache.CacheUnavailable`) each caller says
what a limit that cannot count means: `allow(..., fail_open=True)` lets the request through
with a log line (read-only public pages such as /v/ verification, where a refused scan would
hurt more than an unthrottled one); `fail_open=False` refuses it (what an attacker could use:
guesses of a second-factor code). `hits` raises `Unavailable` for the caller to refuse with
its own message; `clear` is best effort. The uses and their choice are listed in
docs/redis.md."""

from __future__ import annotations

import logging

from django.core.cache import cache

from laowu.core.cache import CacheUnavailable

log = logging.getLogger("laowu.ratelimit")

Unavailable = CacheUnavailable


def allow(key: str, *, limit: int, window_seconds: int, fail_open: bool) -> bool:
    """True while under limit; without the cache, `fail_open` (logged)."""
    cache_key = f"rl:{key}"
    try:
        # add() is atomic: it creates the window's counter only if there is none yet.
        if cache.add(cache_key, 1, timeout=window_seconds):
            return True
        try:
            count = cache.incr(cache_key)
        except ValueError:  # expired between add() and incr()
            cache.add(cache_key, 1, timeout=window_seconds)
            return True
    except CacheUnavailable as exc:
        outcome = "allowed" if fail_open else "refused"
        log.warning("rate limit %s not counted (%s): %s", key.split(":", 1)[0], outcome, exc)
        return fail_open
    return count <= limit


def hits(key: str) -> int:
    """How many times `allow(key, …)` was called in the current window (0 once it has passed):
    lets a caller count failures only, and refuse before trying once they reach the limit.
    Raises `Unavailable` without the cache."""
    return int(cache.get(f"rl:{key}") or 0)


def clear(key: str) -> None:
    """Best effort: a counter left behind only runs out with its window."""
    try:
        cache.delete(f"rl:{key}")
    except CacheUnavailable as exc:
        log.warning("rate limit %s not cleared: %s", key.split(":", 1)[0], exc)
