from typing import Any

from laowu.review.models import State
from tests.factories import approved_project


def test_approved_project(enterprise_a: Any, reviewer: Any) -> None:
    first = approved_project(enterprise_a, reviewer)
    second = approved_project(enterprise_a, reviewer, project_name="相城区第二个项目")
    assert first.state == second.state == State.APPROVED
    assert second.project_name == "相城区第二个项目" and first.enterprise == enterprise_a.enterprise
