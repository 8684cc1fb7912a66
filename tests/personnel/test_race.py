"""Two enterprises declaring the same person at the same moment: exactly one succeeds."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from laowu.documents.services import add_attachment
from laowu.personnel.models import PersonClaim, SafetyOfficer
from laowu.review import services
from laowu.review.models import State
from tests.concurrency import race
from tests.factories import EnterpriseUserFactory, StaffFactory, complete_basic_info, make_pdf_bytes

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def ready_person(user: Any, reviewer: Any) -> SafetyOfficer:
    info = complete_basic_info(user.enterprise, actor=user)
    services.approve(submission=services.declare(filing=info, actor=user), actor=reviewer)
    person = SafetyOfficer.objects.create(
        enterprise=user.enterprise,
        name="赵六",
        gender="男",
        id_number="11010519491231002X",
        mobile="13912345678",
        cert_no="苏建安C3(2023)0000001",
        cert_category="C3",
        issue_date="2023-01-01",
        valid_until="2099-01-01",
        issuer="江苏省住房和城乡建设厅",
        education="大专",
        consent_confirmed_at="2026-01-01T00:00:00Z",
    )
    for kind in ("id_card", "safety_cert"):
        add_attachment(
            filing=person,
            kind=kind,
            upload=SimpleUploadedFile("a.pdf", make_pdf_bytes(kind + str(user.pk))),
            actor=user,
        )
    return person


def test_two_enterprises_race_to_register_the_same_person(db: Any) -> None:
    """Both declarations go through (neither enterprise is told of the other); exactly one
    holds the person, and the other cannot be approved while it does."""
    reviewer = StaffFactory(role="reviewer", username="rv")
    a, b = EnterpriseUserFactory(), EnterpriseUserFactory()
    pa, pb = ready_person(a, reviewer), ready_person(b, reviewer)
    results = race(lambda: services.declare(filing=pa, actor=a), lambda: services.declare(filing=pb, actor=b))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert PersonClaim.objects.count() == 1
    assert sorted(SafetyOfficer.objects.values_list("state", flat=True)) == [State.DECLARED, State.DECLARED]
    holder = PersonClaim.objects.get().enterprise_id
    loser = pb if holder == a.enterprise_id else pa
    loser.refresh_from_db()
    with pytest.raises(services.WorkflowError, match="仍在其他企业登记在岗"):
        services.approve(submission=loser.pending_submission, actor=reviewer)
