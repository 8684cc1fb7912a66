"""Two reviewers acting at once on PostgreSQL: one nomination, one result, one message."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from laowu.supervision import awards as services
from laowu.supervision.models import Award, AwardStatus, Message
from tests.concurrency import race

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("repeat", range(3))
def test_double_nomination_makes_one(repeat: int, enterprise_a: Any, reviewer: Any) -> None:
    def nominate() -> Award:
        return services.nominate(
            enterprise=enterprise_a.enterprise,
            year=timezone.localdate().year,
            title="excellent_enterprise",
            reasons="实名制管理规范",
            actor=reviewer,
        )

    results = race(nominate, nominate)
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1 and isinstance(errors[0], ValidationError), results
    assert "不能重复推荐" in errors[0].messages[0]
    assert Award.objects.count() == 1


@pytest.mark.parametrize("repeat", range(3))
def test_decide_racing_withdraw_one_wins(repeat: int, enterprise_a: Any, reviewer: Any) -> None:
    award = services.nominate(
        enterprise=enterprise_a.enterprise,
        year=timezone.localdate().year,
        title="credit_enterprise",
        reasons="诚信经营",
        actor=reviewer,
    )
    results = race(
        lambda: services.decide(award=award, granted=True, decided_on=timezone.localdate(), actor=reviewer),
        lambda: services.withdraw(award=award, actor=reviewer),
    )
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1 and isinstance(errors[0], ValidationError), results
    award.refresh_from_db()
    if isinstance(results[0], Exception):
        assert award.status == AwardStatus.WITHDRAWN and not Message.objects.exists()
    else:
        assert award.status == AwardStatus.GRANTED and Message.objects.count() == 1
