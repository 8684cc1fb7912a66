"""Two reminder runs at once on PostgreSQL (two cron hosts, or cron and a reviewer's button):
each certificate's threshold is told once, by whichever run inserts its reminder first."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from laowu.supervision import reminders
from laowu.supervision.models import ExpiryReminder, Message
from tests.concurrency import race
from tests.supervision.test_reminders import EXPIRES, START, approved_info, at, outbox

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("repeat", range(3))
def test_racing_runs_tell_each_threshold_once(
    repeat: int, enterprise_a: Any, enterprise_b: Any, reviewer: Any, _sms_outbox: Path
) -> None:
    with at(START):
        for user in (enterprise_a, enterprise_b):
            approved_info(user, reviewer)  # 资质证书 and 安全生产许可证, both expiring on EXPIRES
    with at(EXPIRES - dt.timedelta(days=25)):
        results = race(*[reminders.send_expiry_reminders] * 4, timeout=60)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r.reminded for r in results) == 4
    assert ExpiryReminder.objects.count() == 4
    assert set(ExpiryReminder.objects.values_list("threshold", flat=True)) == {30}
    # Only the reminders: the approvals above told each enterprise too.
    assert Message.objects.filter(title__startswith="证照到期提醒").count() == 4
    assert len([sms for sms in outbox(_sms_outbox) if sms["template"] == "expiry"]) == 4
