"""`make run`'s demo data: a fully filed second enterprise the demo reviewer can inspect."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command

from laowu.accounts.models import User
from laowu.contracts.models import ProjectFiling
from laowu.integrations.company_info.offline import offline_companies
from laowu.personnel.models import SafetyOfficer, WageManager
from laowu.review.models import State, Submission
from laowu.supervision.models import Notice


def test_seed_demo_twice(db: Any, settings: Any) -> None:
    settings.LAOWU_DEMO_DATA_ALLOWED = True
    call_command("seed_demo")
    counts = (Submission.objects.count(), Notice.objects.count(), User.objects.count())
    call_command("seed_demo")
    assert (Submission.objects.count(), Notice.objects.count(), User.objects.count()) == counts
    enterprise = User.objects.get(username=offline_companies()[1].credit_code).enterprise
    project = ProjectFiling.objects.get(enterprise=enterprise)
    assert project.state == State.APPROVED
    assert project.safety_officer.state == State.APPROVED and project.wage_manager.state == State.APPROVED
    assert SafetyOfficer.objects.filter(enterprise=enterprise).count() == 1
    assert WageManager.objects.filter(enterprise=enterprise).count() == 1
    assert Notice.objects.filter(is_published=True).count() == 1
