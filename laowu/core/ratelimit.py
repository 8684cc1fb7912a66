from __future__ import annotations

from django.core.cache import cache


def allow(key: str, *, limit: int, window_seconds: int) -> bool:
    """Fixed-window counter in the shared cache (Redis in production): True while under limit."""
    cache_key = f"rl:{key}"
    # add() is atomic: it creates the window's counter only if there is none yet.
    if cache.add(cache_key, 1, timeout=window_seconds):
        return True
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add() and incr()
        cache.add(cache_key, 1, timeout=window_seconds)
        return True
    return count <= limit


def hits(key: str) -> int:
    """How many times `allow(key, …)` was called in the current window (0 once it has passed):
    lets a caller count failures only, and refuse before trying once they reach the limit."""
    return int(cache.get(f"rl:{key}") or 0)


def clear(key: str) -> None:
    cache.delete(f"rl:{key}")
