"""Racing actions against each other on PostgreSQL (tests marked postgres_only)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection


def race(*actions: Callable[[], Any], timeout: float = 30) -> list[Any]:
    """Run the actions in threads released together; each thread gets its own connection.

    Each result is what the action returned or the exception it raised: the outcome is what
    the test inspects."""
    barrier = threading.Barrier(len(actions))
    results: list[Any] = [None] * len(actions)

    def worker(i: int, action: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[i] = action()
        except Exception as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, a)) for i, a in enumerate(actions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    return results
