"""Two reminder runs at once on PostgreSQL (two cron hosts, or cron and a reviewer's button):
each certificate's threshold is told once, by whichever run inserts its reminder first."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from laowu.supervision import reminders
from laowu.supervision.models import ExpiryReminder, Message
from tests.supervision.test_reminders import EXPIRES, START, approved_info, at, outbox

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def race(count: int, action: Any) -> list[Any]:
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def worker(i: int) -> None:
        try:
            barrier.wait()
            results[i] = action()
        except Exception as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


@pytest.mark.parametrize("repeat", range(3))
def test_racing_runs_tell_each_threshold_once(
    repeat: int, enterprise_a: Any, enterprise_b: Any, reviewer: Any, _sms_outbox: Path
) -> None:
    with at(START):
        for user in (enterprise_a, enterprise_b):
            approved_info(user, reviewer)  # 资质证书 and 安全生产许可证, both expiring on EXPIRES
    with at(EXPIRES - dt.timedelta(days=25)):
        results = race(4, reminders.send_expiry_reminders)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r.reminded for r in results) == 4
    assert ExpiryReminder.objects.count() == 4
    assert set(ExpiryReminder.objects.values_list("threshold", flat=True)) == {30}
    assert Message.objects.count() == 4
    assert len(outbox(_sms_outbox)) == 4
