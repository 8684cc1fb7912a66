"""The credit score: exactly what the rules say, as of any date."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from laowu.audit.models import AuditEvent
from laowu.audit.services import Action
from laowu.supervision import bad_behaviour as bb_services
from laowu.supervision.credit import (
    CreditGrade,
    EventKind,
    credit_score,
    credit_scores,
    grade_for,
    save_rules,
)
from laowu.supervision.models import (
    Award,
    AwardStatus,
    BadBehaviour,
    BadBehaviourStatus,
    CreditRules,
    Inspection,
    InspectionStatus,
)
from tests.factories import EnterpriseFactory, approved_project

TODAY = dt.date(2026, 6, 15)


def bad_behaviour(enterprise: Any, actor: Any, **fields: Any) -> BadBehaviour:
    values = {
        "grade": "B",
        "category": "wage_arrears",
        "facts": "拖欠农民工工资",
        "legal_basis": "《保障农民工工资支付条例》",
        "decision_no": f"相劳专〔2026〕{BadBehaviour.objects.count() + 1}号",
        "decision_date": TODAY - dt.timedelta(days=40),
        "points": 0,
        "issuer": "相城区建筑劳务专业委员会",
        "publicity_start": TODAY - dt.timedelta(days=30),
        "publicity_end": TODAY + dt.timedelta(days=150),
        "status": BadBehaviourStatus.PUBLISHED,
        "created_by": actor,
    }
    values.update(fields)
    return BadBehaviour.objects.create(enterprise=enterprise, **values)


def inspection(project: Any, actor: Any, **fields: Any) -> Inspection:
    values = {
        "inspected_on": TODAY - dt.timedelta(days=20),
        "inspectors": "张三、李四",
        "total_score": 85,
        "status": InspectionStatus.CLOSED,
        "created_by": actor,
    }
    values.update(fields)
    return Inspection.objects.create(project=project, enterprise=project.enterprise, **values)


def award(enterprise: Any, actor: Any, **fields: Any) -> Award:
    values = {
        "year": TODAY.year,
        "title": "excellent_enterprise",
        "reasons": "实名制管理规范",
        "status": AwardStatus.GRANTED,
        "decided_on": TODAY - dt.timedelta(days=10),
        "created_by": actor,
    }
    values.update(fields)
    return Award.objects.create(enterprise=enterprise, **values)


@pytest.fixture
def ent(enterprise_a: Any) -> Any:
    return enterprise_a.enterprise


@pytest.fixture
def project(enterprise_a: Any, reviewer: Any) -> Any:
    return approved_project(enterprise_a, reviewer)


def test_no_records_is_the_base_score(ent: Any) -> None:
    score = credit_score(ent, on=TODAY)
    assert (score.score, score.grade, score.events) == (100, CreditGrade.A, ())
    assert score.grade_label == "A级（优秀）"


def test_bad_behaviour_in_publicity_deducts_grade_and_points(ent: Any, reviewer: Any) -> None:
    record = bad_behaviour(ent, reviewer, grade="A", points=3)
    score = credit_score(ent, on=TODAY)
    assert score.score == 100 - 20 - 3
    (event,) = score.events
    assert (event.kind, event.points, event.date) == (EventKind.BAD_BEHAVIOUR, -23, record.publicity_start)
    assert record.decision_no in event.description
    assert event.url == reverse("supervision:bad_behaviour_detail", args=[record.pk])

    rules = CreditRules.current()
    rules.per_point = 2
    rules.grade_a_deduction = 15
    rules.save()
    assert credit_score(ent, on=TODAY).score == 100 - 15 - 6


def test_each_grade_has_its_deduction(ent: Any, reviewer: Any) -> None:
    bad_behaviour(ent, reviewer, grade="A")
    bad_behaviour(ent, reviewer, grade="B")
    bad_behaviour(ent, reviewer, grade="C")
    assert credit_score(ent, on=TODAY).score == 100 - 20 - 10 - 5


def test_draft_and_not_yet_started_records_do_not_count(ent: Any, reviewer: Any) -> None:
    bad_behaviour(ent, reviewer, status=BadBehaviourStatus.DRAFT)
    bad_behaviour(
        ent, reviewer, publicity_start=TODAY + dt.timedelta(days=1), publicity_end=TODAY + dt.timedelta(days=200)
    )
    assert credit_score(ent, on=TODAY).score == 100


def test_publishing_then_revoking_moves_the_score_back(ent: Any, reviewer: Any) -> None:
    record = bad_behaviour(ent, reviewer, status=BadBehaviourStatus.DRAFT, points=2)
    assert credit_score(ent, on=TODAY).score == 100
    record.status = BadBehaviourStatus.PUBLISHED
    record.save()
    assert credit_score(ent, on=TODAY).score == 88
    record.status = BadBehaviourStatus.REVOKED
    record.save()
    assert credit_score(ent, on=TODAY).score == 100


def test_the_deduction_ends_with_the_publicity_period(ent: Any, reviewer: Any) -> None:
    record = bad_behaviour(ent, reviewer, publicity_end=TODAY + dt.timedelta(days=5))
    assert credit_score(ent, on=record.publicity_end).score == 90
    assert credit_score(ent, on=record.publicity_end + dt.timedelta(days=1)).score == 100
    # The same with the clock moved on and no date given.
    with time_machine.travel(dt.datetime(2026, 6, 20, 10, tzinfo=dt.UTC), tick=False):
        assert credit_score(ent).score == 90
    with time_machine.travel(dt.datetime(2026, 6, 21, 10, tzinfo=dt.UTC), tick=False):
        assert credit_score(ent).score == 100


def test_early_removal_ends_the_deduction(ent: Any, reviewer: Any) -> None:
    # An approved early removal ends the period the day before (bad_behaviour service).
    bad_behaviour(ent, reviewer, publicity_end=TODAY - dt.timedelta(days=1), ended_early_on=TODAY)
    assert credit_score(ent, on=TODAY).score == 100


def test_failed_inspection_deducts_within_the_window(ent: Any, project: Any, reviewer: Any) -> None:
    failed = inspection(project, reviewer, total_score=59, inspected_on=TODAY - dt.timedelta(days=364))
    inspection(project, reviewer, total_score=60)  # exactly the pass mark passes
    inspection(project, reviewer, total_score=40, inspected_on=TODAY - dt.timedelta(days=365))  # window over
    inspection(project, reviewer, total_score=10, status=InspectionStatus.DRAFT)  # not issued
    inspection(project, reviewer, total_score=10, inspected_on=TODAY + dt.timedelta(days=1))  # after the date
    score = credit_score(ent, on=TODAY)
    assert score.score == 95
    (event,) = score.events
    assert (event.kind, event.points, event.url) == (
        EventKind.INSPECTION_FAIL,
        -5,
        reverse("supervision:inspection_detail", args=[failed.pk]),
    )
    assert project.project_name in event.description

    rules = CreditRules.current()
    rules.inspection_pass_mark = 61
    rules.inspection_window_days = 366
    rules.save()
    assert credit_score(ent, on=TODAY).score == 100 - 5 * 3


def test_overdue_notice_deducts_until_replied(ent: Any, project: Any, reviewer: Any) -> None:
    notice = inspection(
        project,
        reviewer,
        total_score=70,
        status=InspectionStatus.RECTIFYING,
        needs_rectification=True,
        notice_no="XC2026-0001",
        deadline=TODAY - dt.timedelta(days=1),
    )
    score = credit_score(ent, on=TODAY)
    assert score.score == 95
    assert score.events[0].kind == EventKind.OVERDUE and "XC2026-0001" in score.events[0].description
    # On the deadline itself it is not yet overdue.
    assert credit_score(ent, on=notice.deadline).score == 100
    # Replied late: still one deduction, within the window.
    notice.status = InspectionStatus.REPLIED
    notice.replied_late = True
    notice.save()
    assert credit_score(ent, on=TODAY).score == 95
    assert credit_score(ent, on=notice.inspected_on + dt.timedelta(days=365)).score == 100
    # Replied in time: nothing.
    notice.replied_late = False
    notice.save()
    assert credit_score(ent, on=TODAY).score == 100


def test_an_outstanding_overdue_notice_counts_however_old(ent: Any, project: Any, reviewer: Any) -> None:
    inspection(
        project,
        reviewer,
        status=InspectionStatus.RECTIFYING,
        inspected_on=TODAY - dt.timedelta(days=500),
        deadline=TODAY - dt.timedelta(days=480),
        total_score=50,
    )
    score = credit_score(ent, on=TODAY)
    # The failed result is out of its window; the unanswered notice is not.
    assert [e.kind for e in score.events] == [EventKind.OVERDUE]
    assert score.score == 95


def test_failed_and_overdue_are_two_deductions(ent: Any, project: Any, reviewer: Any) -> None:
    inspection(
        project, reviewer, total_score=50, status=InspectionStatus.RECTIFYING, deadline=TODAY - dt.timedelta(days=2)
    )
    rules = CreditRules.current()
    rules.overdue_deduction = 7
    rules.save()
    assert credit_score(ent, on=TODAY).score == 100 - 5 - 7


def test_granted_awards_add_within_the_window(ent: Any, reviewer: Any) -> None:
    award(ent, reviewer)  # this year
    award(ent, reviewer, year=TODAY.year - 1, title="credit_enterprise", decided_on=dt.date(2025, 12, 20))
    award(ent, reviewer, year=TODAY.year - 2, decided_on=dt.date(2024, 12, 20))  # outside 2 years
    award(ent, reviewer, year=TODAY.year, title="credit_enterprise", status=AwardStatus.NOMINATED, decided_on=None)
    award(ent, reviewer, year=TODAY.year - 1, status=AwardStatus.NOT_GRANTED)
    score = credit_score(ent, on=TODAY)
    assert score.score == 110
    assert [e.kind for e in score.events] == [EventKind.AWARD, EventKind.AWARD]
    assert score.additions == 10 and score.deductions == 0
    # Not before the decision.
    assert credit_score(ent, on=TODAY - dt.timedelta(days=11)).score == 105
    rules = CreditRules.current()
    rules.award_window_years = 3
    rules.award_addition = 2
    rules.save()
    assert credit_score(ent, on=TODAY).score == 106


def test_grade_thresholds_and_floor(ent: Any, reviewer: Any) -> None:
    rules = CreditRules.current()
    assert [grade_for(s, rules) for s in (90, 89, 75, 74, 60, 59, 0)] == ["A", "B", "B", "C", "C", "D", "D"]
    bad_behaviour(ent, reviewer, grade="A", points=70)
    bad_behaviour(ent, reviewer, grade="A", points=70)
    score = credit_score(ent, on=TODAY)
    assert (score.score, score.grade, score.grade_label) == (0, CreditGrade.D, "D级（较差）")
    assert score.deductions == 180


def test_the_rules_given_are_the_rules_used(ent: Any, reviewer: Any) -> None:
    bad_behaviour(ent, reviewer, grade="C", points=4)
    rules = CreditRules(pk=1, base_score=80, grade_c_deduction=1, per_point=3, grade_b_min=70, grade_a_min=95)
    score = credit_score(ent, on=TODAY, rules=rules)
    assert (score.base, score.score, score.grade) == (80, 67, CreditGrade.C)


def test_batched_scores_take_one_query(
    db: Any, reviewer: Any, django_assert_num_queries: Any, enterprise_a: Any, project: Any
) -> None:
    enterprises = [EnterpriseFactory() for _ in range(20)]
    for e in enterprises[:10]:
        bad_behaviour(e, reviewer, points=1)
    award(enterprises[3], reviewer)
    inspection(project, reviewer, total_score=30)
    rules = CreditRules.current()
    with django_assert_num_queries(1):
        scores = credit_scores([*enterprises, enterprise_a.enterprise], on=TODAY, rules=rules)
    assert [scores[e.pk].score for e in enterprises[:5]] == [89, 89, 89, 94, 89]
    assert scores[enterprises[15].pk].score == 100
    assert scores[enterprise_a.enterprise.pk].score == 95


def test_other_enterprises_records_do_not_count(ent: Any, enterprise_b: Any, reviewer: Any) -> None:
    bad_behaviour(enterprise_b.enterprise, reviewer)
    assert credit_score(ent, on=TODAY).score == 100
    assert credit_score(enterprise_b.enterprise, on=TODAY).score == 90


def test_save_rules_audits_old_and_new(reviewer: Any, ent: Any) -> None:
    bad_behaviour(ent, reviewer, grade="B")
    assert credit_score(ent, on=TODAY).score == 90
    values = {f: getattr(CreditRules.current(), f) for f in ("grade_a_min", "grade_b_min", "grade_c_min")}
    save_rules(data={**values, "grade_b_deduction": 30, "base_score": 120}, actor=reviewer)
    assert credit_score(ent, on=TODAY).score == 90  # 120 - 30
    event = AuditEvent.objects.get(action=Action.CREDIT_RULES_SAVE)
    assert event.detail["changes"] == {
        "grade_b_deduction": {"old": 10, "new": 30},
        "base_score": {"old": 100, "new": 120},
    }
    assert event.user == reviewer and CreditRules.current().updated_by == reviewer


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"grade_a_min": 75}, "grade_a_min"),
        ({"grade_b_min": 50}, "grade_b_min"),
        ({"inspection_pass_mark": 101}, "inspection_pass_mark"),
        ({"base_score": -1}, "base_score"),
        ({"award_window_years": 0}, "award_window_years"),
    ],
)
def test_save_rules_refuses_bad_values(reviewer: Any, data: dict[str, int], field: str) -> None:
    with pytest.raises(ValidationError) as exc:
        save_rules(data=data, actor=reviewer)
    assert field in exc.value.message_dict
    assert CreditRules.current().base_score == 100
    assert not AuditEvent.objects.filter(action=Action.CREDIT_RULES_SAVE).exists()


def test_score_for_a_past_date_survives_a_later_revocation(reviewer: Any, enterprise_a: Any) -> None:
    """Through the real services: revoking today does not rewrite what the score was last month."""
    from tests.supervision.test_bad_behaviour import START, at, make_record

    enterprise = enterprise_a.enterprise
    with at(START):
        rec = make_record(reviewer, enterprise_a, publish=True, grade="B", points=0)
    during = START + dt.timedelta(days=10)
    with at(START + dt.timedelta(days=40)):
        before = credit_score(enterprise, on=during).score
        bb_services.revoke(rec=rec, reason="处理决定被依法撤销", actor=reviewer)
        assert credit_score(enterprise, on=during).score == before < CreditRules.current().base_score
        assert credit_score(enterprise).score == CreditRules.current().base_score


def test_score_date_has_a_floor(as_user: Any, reviewer: Any, enterprise_a: Any) -> None:
    url = reverse("supervision:credit_detail", args=[enterprise_a.enterprise.pk])
    page = as_user(reviewer).get(url, {"on": "0001-01-05"})
    assert page.status_code == 200 and "计分日期不能早于2000-01-01" in page.content.decode()


def test_record_deduction_is_grade_fixed_plus_points_times_per_point(db: Any) -> None:
    from laowu.supervision.credit import bad_behaviour_deduction, explain_rules

    rules = CreditRules.current()
    assert bad_behaviour_deduction("B", 10, rules) == rules.grade_b_deduction + 10 * rules.per_point == 20
    table = {g.grade: g.example_total for g in explain_rules(rules).grades}
    assert table == {"A": 30, "B": 20, "C": 15}
