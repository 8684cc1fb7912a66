"""Two 忘记密码 requests for one phone at once, each on its own PostgreSQL connection: the
60 s resend and daily limits must see each other (SQLite serializes writers by itself)."""

from __future__ import annotations

from typing import Any

import pytest

from laowu.accounts import services
from laowu.accounts.models import SmsCode, phone_is
from tests.concurrency import race

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("repeat", range(3))
@pytest.mark.parametrize("registered", [True, False], ids=["registered", "unknown"])
def test_concurrent_code_requests_send_one_code(repeat: int, registered: bool, enterprise_a: Any) -> None:
    phone = enterprise_a.phone if registered else "13600000077"
    results = race(*(lambda: services.request_password_reset_code(phone=phone) for _ in range(3)))
    refused = [r for r in results if isinstance(r, services.RateLimited)]
    assert len(refused) == 2 and results.count(None) == 1, results
    assert all("秒后再重新获取" in str(r) for r in refused)
    assert SmsCode.objects.filter(**phone_is(phone)).count() == 1
