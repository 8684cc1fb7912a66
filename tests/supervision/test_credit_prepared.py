"""Credit scores read their events through SQL written once per process
(laowu/core/prepared.py `rows_of_ids`): keyed by the day, the time zone and the rules'
values each query reads, so a new day or new rules are a new query, never a stale one; any
number of enterprises binds its own ids."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from laowu.core import prepared
from laowu.supervision import credit
from laowu.supervision.models import BadBehaviour, CreditRules
from tests.factories import EnterpriseFactory, approved_project
from tests.supervision.test_credit import TODAY, award, bad_behaviour, inspection

pytestmark = pytest.mark.django_db


def kinds(score: credit.CreditScore) -> list[str]:
    return sorted(e.kind for e in score.events)


def test_new_rules_and_days_are_new_queries(enterprise_a: Any, reviewer: Any) -> None:
    ent = enterprise_a.enterprise
    project = approved_project(enterprise_a, reviewer)
    inspection(project, reviewer, total_score=70, inspected_on=TODAY - dt.timedelta(days=20))
    award(ent, reviewer, year=TODAY.year - 1, decided_on=TODAY - dt.timedelta(days=200), project=project)
    bad_behaviour(ent, reviewer, publicity_start=TODAY - dt.timedelta(days=5))
    rules = CreditRules.current()
    with CaptureQueriesContext(connection) as queries:
        score = credit.credit_score(ent, on=TODAY, rules=rules)
    # One query; the events' fields (the project's name among them) are read with them.
    assert len(queries) == 1
    assert kinds(score) == sorted([credit.EventKind.AWARD, credit.EventKind.BAD_BEHAVIOUR])
    award_event = next(e for e in score.events if e.kind == credit.EventKind.AWARD)
    assert project.project_name in award_event.description
    # Rules read by the queries: a pass mark above the score, a one-year award window.
    rules.inspection_pass_mark, rules.award_window_years = 80, 1
    with CaptureQueriesContext(connection) as queries:
        changed = credit.credit_score(ent, on=TODAY, rules=rules)
    assert len(queries) == 1
    assert kinds(changed) == sorted([credit.EventKind.BAD_BEHAVIOUR, credit.EventKind.INSPECTION_FAIL])
    fail = next(e for e in changed.events if e.kind == credit.EventKind.INSPECTION_FAIL)
    assert project.project_name in fail.description
    # Another day: the record's publicity has not started yet.
    assert kinds(credit.credit_score(ent, on=TODAY - dt.timedelta(days=10), rules=rules)) == [
        credit.EventKind.INSPECTION_FAIL
    ]


def test_any_number_of_enterprises_binds_its_own_ids(enterprise_a: Any, reviewer: Any) -> None:
    others = [EnterpriseFactory() for _ in range(6)]
    for e in others[::2]:
        bad_behaviour(e, reviewer)
    rules = CreditRules.current()
    for n in (1, 2, 3, 5, 6):
        some = others[:n]
        with CaptureQueriesContext(connection) as queries:
            scores = credit.credit_scores(some, on=TODAY, rules=rules)
        assert len(queries) == 1
        expected = {e.pk for e in some[::2]}
        assert {pk for pk, s in scores.items() if s.events} == expected, n


def test_current_rules_are_read_every_time() -> None:
    """Only the SQL is kept: a change of rules shows at once; a missing row is created."""
    CreditRules.objects.all().delete()
    assert credit.current_rules().pk == 1 and CreditRules.objects.count() == 1
    assert credit.current_rules().base_score == CreditRules.current().base_score
    CreditRules.objects.filter(pk=1).update(base_score=88, inspection_pass_mark=66)
    rules = credit.current_rules()
    assert (rules.base_score, rules.inspection_pass_mark) == (88, 66)
    # Every number the ORM reads, as ints, and nothing else read.
    for n, name in enumerate(credit.RULE_FIELDS):
        CreditRules.objects.filter(pk=1).update(**{name: 100 + n})
    rules, stored = credit.current_rules(), CreditRules.current()
    assert (
        [getattr(rules, name) for name in credit.RULE_FIELDS]
        == [getattr(stored, name) for name in credit.RULE_FIELDS]
        == list(range(100, 100 + len(credit.RULE_FIELDS)))
    )
    assert all(type(getattr(rules, name)) is int for name in credit.RULE_FIELDS)
    assert rules.get_deferred_fields() == {"updated_by_id", "updated_at"} and not rules._state.adding
    # A deferred field is still there when asked for (one query).
    assert rules.updated_at == stored.updated_at


def test_rows_of_ids_are_the_orms_values(enterprise_a: Any, reviewer: Any) -> None:
    """A UNION's rows of any number of ids, each value through its column's converters (a date
    is a date, a boolean a boolean, on SQLite too), in the union's order."""
    from django.db.models import BooleanField, F, Value
    from django.db.models.functions import Cast

    records = [bad_behaviour(EnterpriseFactory(), reviewer) for _ in range(5)]
    ids = [r.enterprise_id for r in records]

    def build(some: list[int]) -> Any:
        def part(source: int) -> Any:
            return (
                BadBehaviour.objects.filter(enterprise_id__in=some)
                .order_by()
                .annotate(src=Value(source), flag=Cast(Value(source == 0), BooleanField()), day=F("publicity_start"))
                .values_list("src", "id", "day", "flag")
            )

        return part(0).union(part(1), all=True).order_by("src", "-id")

    for n in (1, 3, 4, 5):
        got = prepared.rows_of_ids(("test.bad_behaviour.union",), build, ids[:n])
        expected = sorted(records[:n], key=lambda r: -r.pk)
        assert [tuple(row) for row in got] == [
            (source, r.pk, r.publicity_start, source == 0) for source in (0, 1) for r in expected
        ]
        assert all(type(row[2]) is dt.date and type(row[3]) is bool for row in got)
    with pytest.raises(ValueError):
        prepared.rows_of_ids(("test.bad_behaviour.union",), build, [])
    with pytest.raises(ValueError):
        prepared.rows_of_ids(("test.no_ids.rows",), lambda some: BadBehaviour.objects.values_list("id"), [1])
    assert [prepared._bucket(n) for n in (1, 2, 3, 4, 5, 17)] == [1, 2, 4, 4, 8, 32]
