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
