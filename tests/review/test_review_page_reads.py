"""The committee's page of one submission (laowu/review/views.py `submission_detail`) reads the
history and the approved revision it compares against in one query, opening that revision's
snapshot only; it reads the filing (for `review_notes`) only for a type that writes notes and
while the decision is open; and of the submission's enterprise and declarer only what it shows.

The pages are those the former reads gave, byte for byte (the CSRF tokens and nonces aside): each
test serves a page, then serves it again with the view's reads put back as they were (the whole
submission, `previous_approved`, `history`, `submission.filing`) and compares."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from laowu.contracts.models import ProjectFiling
from laowu.enterprises.models import BasicInfo
from laowu.personnel.models import PersonClaim, SafetyOfficer, WageManager
from laowu.review import selectors, services, views
from laowu.review.models import Submission, SubmissionStatus
from laowu.review.permissions import access_submission
from tests.factories import (
    DistrictFactory,
    StaffFactory,
    approved_person,
    approved_project,
    basic_info_history,
    complete_basic_info,
    complete_person,
    make_id_number,
)
from tests.pagebytes import unmarked

pytestmark = pytest.mark.django_db


def _former_history(submission: Submission) -> tuple[list[Submission], Submission | None]:
    previous = selectors.previous_approved(submission)
    if previous is not None:
        previous.compared_snapshot = previous.snapshot  # type: ignore[attr-defined]
    return list(selectors.history(submission)), previous


def _former_notes(submission: Submission) -> list[str]:
    return submission.filing.review_notes() if submission.status == SubmissionStatus.PENDING else []


@pytest.fixture
def former(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Serve a page as it is now and as the former reads made it."""

    def serve(client: Any, url: str) -> tuple[str, str]:
        response = client.get(url)
        assert response.status_code == 200
        with monkeypatch.context() as m:
            m.setattr(selectors, "review_history", _former_history)
            m.setattr(selectors, "review_notes", _former_notes)
            m.setattr(views, "access_submission_to_review", lambda user, pk, fields=(): access_submission(user, pk))
            old = client.get(url)
        assert old.status_code == 200
        return unmarked(response.content), unmarked(old.content)

    yield serve


def test_each_filing_kind_as_the_former_reads_showed_it(
    as_user: Any, enterprise_a: Any, enterprise_b: Any, reviewer: Any, supervisor: Any, former: Any
) -> None:
    enterprise_a.enterprise.name = '相城<劳务> & "鑫达"'
    enterprise_a.enterprise.save()
    rejected, approved, changed = basic_info_history(enterprise_a, reviewer, office_address="相城区<新>地址")

    officer = approved_person(SafetyOfficer, enterprise_a, reviewer, id_number=make_id_number(), name="王'安")
    services.start_change(filing=officer, actor=enterprise_a)
    services.save_fields(
        filing=SafetyOfficer.objects.get(pk=officer.pk),
        data={"mobile": "13900001111", "issuer": "<发证>"},
        actor=enterprise_a,
    )
    person_change = services.declare(filing=SafetyOfficer.objects.get(pk=officer.pk), actor=enterprise_a)
    # The same person declared by another enterprise while A holds them: the page's note.
    complete_basic_info(enterprise_b.enterprise, actor=enterprise_b)
    services.approve(
        submission=services.declare(
            filing=BasicInfo.objects.get(enterprise=enterprise_b.enterprise), actor=enterprise_b
        ),
        actor=reviewer,
    )
    twice = complete_person(WageManager, enterprise_b, id_number=officer.id_number, name="王安")
    claimed = services.declare(filing=twice, actor=enterprise_b)
    assert PersonClaim.objects.get(id_index=officer.id_index_now()).enterprise == enterprise_a.enterprise
    project = ProjectFiling.objects.get(pk=approved_project(enterprise_b, reviewer).pk)
    project_submission = Submission.objects.get(pk=project.approved_submission_id)

    cases = [rejected, approved, changed, person_change, claimed, project_submission]
    for user in (reviewer, supervisor):
        client = as_user(user)
        for submission in cases:
            now, then = former(client, reverse("review:submission", args=[submission.pk]))
            assert now == then, submission
    page = former(as_user(reviewer), reverse("review:submission", args=[claimed.pk]))[0]
    assert "请注意" in page and "相城&lt;劳务&gt; &amp; &quot;鑫达&quot;" in page
    page = former(as_user(reviewer), reverse("review:submission", args=[changed.pk]))[0]
    assert f"与已通过的第{approved.revision}版相比的变化" in page and "相城区&lt;新&gt;地址" in page
    page = former(as_user(reviewer), reverse("review:submission", args=[rejected.pk]))[0]
    assert "营业执照&lt;不清晰&gt;<br>&amp; &quot;请重传&quot;" in page


def test_reads(as_user: Any, enterprise_a: Any, reviewer: Any) -> None:
    info = complete_basic_info(enterprise_a.enterprise, actor=enterprise_a)
    services.approve(submission=services.declare(filing=info, actor=enterprise_a), actor=reviewer)
    info.refresh_from_db()
    services.start_change(filing=info, actor=enterprise_a)
    changed = services.declare(filing=BasicInfo.objects.get(pk=info.pk), actor=enterprise_a)
    person = complete_person(SafetyOfficer, enterprise_a, id_number=make_id_number(), name="王安")
    declared = services.declare(filing=person, actor=enterprise_a)
    client = as_user(reviewer)

    def reads(submission: Submission) -> list[str]:
        url = reverse("review:submission", args=[submission.pk])
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return [q["sql"] for q in queries]

    sqls = reads(changed)
    submission_reads = [sql for sql in sqls if sql.startswith("SELECT") and 'FROM "review_submission"' in sql]
    # The submission, then its history with the compared revision's snapshot: two, not three.
    assert len(submission_reads) == 2, submission_reads
    page_read, history_read = submission_reads
    assert "provider_data" not in page_read and "contact_phone" not in page_read and '"phone"' not in page_read
    assert history_read.count('"review_submission"."snapshot"') == 1 and "CASE WHEN" in history_read
    # 基本信息 writes no review notes: neither its row nor its content type is read.
    assert not any("enterprises_basicinfo" in sql or "django_content_type" in sql for sql in sqls)
    # A person's notes are read while the submission is pending; of the claim's enterprise its name.
    sqls = reads(declared)
    (claim,) = [sql for sql in sqls if "personnel_personclaim" in sql]
    assert "provider_data" not in claim and 'enterprises_enterprise"."name"' in claim
    assert sum("personnel_safetyofficer" in sql for sql in sqls) == 1
    services.approve(submission=declared, actor=reviewer)
    assert not any("personnel_" in sql for sql in reads(Submission.objects.get(pk=declared.pk)))


def test_history_and_previous_agree_with_the_former_selectors(enterprise_a: Any, reviewer: Any) -> None:
    info = complete_basic_info(enterprise_a.enterprise, actor=enterprise_a)
    subs = []
    for decide in ("reject", "approve", "approve", None):
        sub = services.declare(filing=BasicInfo.objects.get(pk=info.pk), actor=enterprise_a)
        subs.append(sub)
        if decide == "reject":
            services.reject(submission=sub, actor=reviewer, reason="x")
        elif decide == "approve":
            services.approve(submission=sub, actor=reviewer)
            services.start_change(filing=BasicInfo.objects.get(pk=info.pk), actor=enterprise_a)
    for sub in subs:
        sub = Submission.objects.get(pk=sub.pk)
        rows, previous = selectors.review_history(sub)
        former = selectors.previous_approved(sub)
        assert [r.pk for r in rows] == [r.pk for r in selectors.history(sub)]
        assert (previous.pk if previous else None) == (former.pk if former else None)
        if previous is not None:
            assert former is not None
            assert previous.compared_snapshot == former.snapshot  # type: ignore[attr-defined]
        assert [r.pk for r in rows if r.compared_snapshot is not None] == ([previous.pk] if previous else [])  # type: ignore[attr-defined]
    # Rejected, approved (superseded), approved, pending: the last compares with the third.
    assert selectors.review_history(Submission.objects.get(pk=subs[3].pk))[1].pk == subs[2].pk  # type: ignore[union-attr]
    assert selectors.review_history(Submission.objects.get(pk=subs[1].pk))[1] is None


def test_a_district_reviewer_reads_the_page_by_its_scope(
    as_user: Any, enterprise_a: Any, reviewer: Any, former: Any
) -> None:
    """With another district about, the reviewer covers its own only: the page's query binds the
    reviewer's id into `in_user_districts`'s filter. Its own district's page is the former one;
    another district's reviewer, and one of both districts, are answered as before."""
    wuzhong = DistrictFactory(code="320506", name="吴中区")
    info = complete_basic_info(enterprise_a.enterprise, actor=enterprise_a)
    submission = services.declare(filing=info, actor=enterprise_a)
    url = reverse("review:submission", args=[submission.pk])
    now, then = former(as_user(reviewer), url)
    assert now == then and "<h2>申报内容</h2>" in now
    elsewhere = StaffFactory(role="reviewer", username="rev-wz", districts=[wuzhong])
    assert as_user(elsewhere).get(url).status_code == 404
    both = StaffFactory(role="supervisor", username="sup-both", districts=[*reviewer.districts.all(), wuzhong])
    now, then = former(as_user(both), url)
    assert now == then and "<h2>申报内容</h2>" in now
    assert as_user(reviewer).get(reverse("review:submission", args=[submission.pk + 1000])).status_code == 404
