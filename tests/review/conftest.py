from __future__ import annotations

from typing import Any

import pytest

from laowu.review import services
from laowu.review.models import State
from tests.factories import complete_basic_info


@pytest.fixture
def filing_in_state(enterprise_a: Any, reviewer: Any) -> Any:
    """Enterprise A's 基本信息, brought to a state through the real workflow."""

    def make(state: str) -> Any:
        info = complete_basic_info(enterprise_a.enterprise, actor=enterprise_a)
        if state == State.DRAFT:
            return info
        sub = services.declare(filing=info, actor=enterprise_a)
        if state == State.APPROVED:
            services.approve(submission=sub, actor=reviewer)
        elif state == State.REJECTED:
            services.reject(submission=sub, actor=reviewer, reason="营业执照不清晰")
        return type(info).objects.get(pk=info.pk)

    return make
