"""A page's credit events are read in one UNION ALL (laowu/supervision/credit.py `_events`):
the scores, and every event's date, kind, text, points, link and order, are what the three
former queries (kept here as they were) gave, for the same records on several days and under
other rules; and the score pages are the same bytes either way."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from laowu.supervision import credit
from laowu.supervision.models import CreditRules, Grade, InspectionStatus
from tests.factories import EnterpriseFactory, approved_project
from tests.supervision.test_credit import award, bad_behaviour, inspection

pytestmark = pytest.mark.django_db


def former_bad_behaviour_events(
    ids: list[int], on: dt.date, rules: CreditRules
) -> Iterator[tuple[int, credit.CreditEvent]]:
    records = list(
        credit._bad_behaviour_qs(on, rules)
        .filter(enterprise_id__in=ids)
        .only("id", "enterprise_id", "grade", "category", "decision_no", "points", "publicity_start")
    )
    for b in records:
        by_grade = credit.grade_deduction(b.grade, rules)
        by_points = credit.bad_behaviour_deduction(b.grade, b.points, rules) - by_grade
        detail = f"{Grade(b.grade).label}扣{by_grade}分"
        if b.points:
            detail += f"，记录扣分{b.points}分×{rules.per_point}＝{by_points}分"
        yield (
            b.enterprise_id,
            credit.CreditEvent(
                date=b.publicity_start,
                kind=credit.EventKind.BAD_BEHAVIOUR,
                description=(
                    f"不良行为记录（{credit._CATEGORY_LABELS.get(b.category, b.category)}，决定书文号{b.decision_no}）"
                    f"公示中：{detail}"
                ),
                points=-credit.bad_behaviour_deduction(b.grade, b.points, rules),
                url=b.get_absolute_url(),
            ),
        )


def former_inspection_events(
    ids: list[int], on: dt.date, rules: CreditRules
) -> Iterator[tuple[int, credit.CreditEvent]]:
    window_start = on - dt.timedelta(days=rules.inspection_window_days)
    inspections = list(
        credit._inspection_qs(on, rules)
        .filter(enterprise_id__in=ids)
        .only(
            "id",
            "enterprise_id",
            "inspected_on",
            "total_score",
            "status",
            "deadline",
            "replied_late",
            "notice_no",
        )
        .annotate(credit_project_name=F("project__project_name"))
    )
    for i in inspections:
        in_window = i.inspected_on > window_start
        project = i.credit_project_name  # type: ignore[attr-defined]
        if in_window and i.total_score < rules.inspection_pass_mark:
            yield (
                i.enterprise_id,
                credit.CreditEvent(
                    date=i.inspected_on,
                    kind=credit.EventKind.INSPECTION_FAIL,
                    description=(
                        f"现场检查（{project}）得分{i.total_score}分，低于合格分{rules.inspection_pass_mark}分"
                    ),
                    points=-rules.inspection_fail_deduction,
                    url=i.get_absolute_url(),
                ),
            )
        is_overdue = i.status == InspectionStatus.RECTIFYING and i.deadline is not None and i.deadline < on
        notice = f"整改通知{i.notice_no}" if i.notice_no else "整改通知"
        if is_overdue:
            assert i.deadline is not None
            yield (
                i.enterprise_id,
                credit.CreditEvent(
                    date=i.deadline,
                    kind=credit.EventKind.OVERDUE,
                    description=f"现场检查（{project}）{notice}已超过整改期限{i.deadline:%Y-%m-%d}，尚未提交整改回复",
                    points=-rules.overdue_deduction,
                    url=i.get_absolute_url(),
                ),
            )
        elif in_window and i.replied_late:
            yield (
                i.enterprise_id,
                credit.CreditEvent(
                    date=i.deadline or i.inspected_on,
                    kind=credit.EventKind.OVERDUE,
                    description=f"现场检查（{project}）{notice}的整改回复逾期提交",
                    points=-rules.overdue_deduction,
                    url=i.get_absolute_url(),
                ),
            )


def former_award_events(ids: list[int], on: dt.date, rules: CreditRules) -> Iterator[tuple[int, credit.CreditEvent]]:
    awards = list(
        credit._award_qs(on, rules)
        .filter(enterprise_id__in=ids)
        .only("id", "enterprise_id", "year", "title", "decided_on", "project")
        .annotate(credit_project_name=F("project__project_name"))
    )
    for a in awards:
        subject = f"（项目：{a.credit_project_name}）" if a.project_id else ""  # type: ignore[attr-defined]
        yield (
            a.enterprise_id,
            credit.CreditEvent(
                date=a.decided_on or dt.date(a.year, 12, 31),
                kind=credit.EventKind.AWARD,
                description=f"获评{a.year}年度“{a.get_title_display()}”{subject}",
                points=rules.award_addition,
                url=a.get_absolute_url(),
            ),
        )


def former_events(ids: list[int], on: dt.date, rules: CreditRules) -> Iterator[tuple[int, credit.CreditEvent]]:
    """The three former queries, in the order `credit_scores` read them."""
    for source in (former_bad_behaviour_events, former_inspection_events, former_award_events):
        yield from source(ids, on, rules)


@pytest.fixture
def records(enterprise_a: Any, enterprise_b: Any, reviewer: Any) -> dict[str, Any]:
    """Every kind of event, ties of date within a kind and across kinds, texts to escape."""
    today = timezone.localdate()
    a, b = enterprise_a.enterprise, enterprise_b.enterprise
    day = today - dt.timedelta(days=12)
    # In publicity from `day` (or earlier) for 200 days.
    until = today + dt.timedelta(days=200)
    for grade, points, category, number in (
        ("A", 3, "wage_arrears", "相劳专〔2026〕<1>&号"),
        ("C", 0, "other", "相劳专〔2026〕2号"),
        ("B", 2, "real_name", "相劳专〔2026〕3号"),
    ):
        bad_behaviour(
            a,
            reviewer,
            grade=grade,
            points=points,
            category=category,
            decision_no=number,
            publicity_start=day,
            publicity_end=until,
        )
    earlier = today - dt.timedelta(days=40)
    bad_behaviour(a, reviewer, publicity_start=earlier, publicity_end=until, decision_no="相劳专〔2026〕4号")
    bad_behaviour(b, reviewer, grade="A", publicity_start=earlier, publicity_end=until, decision_no="相劳专〔2026〕5号")
    project = approved_project(enterprise_a, reviewer)
    rectifying = InspectionStatus.RECTIFYING
    # Failed in the window; failed and overdue (two events); overdue however old; replied late,
    # with and without a deadline; passed and on time (no event); a draft (never counts).
    inspection(project, reviewer, total_score=50, inspected_on=day)
    inspection(project, reviewer, total_score=40, inspected_on=day, status=rectifying, deadline=day, notice_no="<整>1")
    inspection(project, reviewer, inspected_on=today - dt.timedelta(days=300), status=rectifying, deadline=day)
    inspection(project, reviewer, inspected_on=day, replied_late=True, deadline=day + dt.timedelta(days=3))
    inspection(project, reviewer, inspected_on=today - dt.timedelta(days=5), replied_late=True)
    inspection(project, reviewer, inspected_on=day, total_score=95)
    inspection(project, reviewer, total_score=10, status=InspectionStatus.DRAFT)
    # Decided on the same day as the records, undecided (counted at the year's end), with a
    # project, an earlier year, and one outside the window.
    award(a, reviewer, decided_on=day, title="credit_enterprise")
    award(a, reviewer, decided_on=None, title="excellent_enterprise", year=today.year - 1)
    award(a, reviewer, decided_on=day, project=project, title="excellent_project")
    award(a, reviewer, year=today.year - 5, decided_on=today - dt.timedelta(days=5 * 366))
    award(b, reviewer, decided_on=today - dt.timedelta(days=2))
    return {"project": project, "ids": [a.pk, b.pk, EnterpriseFactory().pk]}


def test_events_and_scores_are_the_former_queries(records: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    today = timezone.localdate()
    ids = records["ids"]
    stricter = CreditRules.current()
    stricter.inspection_pass_mark, stricter.inspection_window_days, stricter.award_window_years = 96, 400, 10
    shown = 0
    for rules in (CreditRules.current(), stricter):
        for on in (today, today - dt.timedelta(days=10), today - dt.timedelta(days=100), today + dt.timedelta(days=30)):
            for some in (ids, ids[:1], ids[1:]):
                scores = credit.credit_scores(some, on=on, rules=rules)
                with monkeypatch.context() as patched:
                    patched.setattr(credit, "_events", former_events)
                    former = credit.credit_scores(some, on=on, rules=rules)
                assert scores == former, (on, some)
                shown += sum(len(s.events) for s in scores.values())
    kinds = {e.kind for s in credit.credit_scores(ids, on=today).values() for e in s.events}
    assert kinds == set(credit.EventKind.values) and shown > 100


def without_tokens(page: bytes) -> bytes:
    """A page with its CSRF tokens blanked: each response masks the token afresh."""
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", page)


def test_the_score_pages_are_the_same_bytes(
    records: dict[str, Any],
    as_user: Any,
    reviewer: Any,
    enterprise_a: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pages = [
        (reviewer, reverse("supervision:credit_list"), {}),
        (reviewer, reverse("supervision:credit_list"), {"order": "score"}),
        (reviewer, reverse("supervision:credit_list"), {"grade": "D"}),
        (reviewer, reverse("supervision:credit_list"), {"q": "没有这家企业"}),
        (reviewer, reverse("supervision:credit_detail", args=[records["ids"][0]]), {}),
        (reviewer, reverse("supervision:credit_detail", args=[records["ids"][0]]), {"on": "2026-01-01"}),
        (enterprise_a, reverse("supervision:my_credit"), {}),
    ]
    for user, url, params in pages:
        client = as_user(user)
        page = client.get(url, params)
        with monkeypatch.context() as patched:
            patched.setattr(credit, "_events", former_events)
            former = client.get(url, params)
        assert page.status_code == former.status_code == 200, url
        assert without_tokens(page.content) == without_tokens(former.content), (url, params)
    detail = as_user(reviewer).get(reverse("supervision:credit_detail", args=[records["ids"][0]])).content.decode()
    assert "相劳专〔2026〕&lt;1&gt;&amp;号" in detail and "整改通知&lt;整&gt;1" in detail
