"""The enterprise credit score (信用评分): its calculation, the committee's lists, and the rules.

The score is never stored. It is computed from the records as they stand on a date
(bad-behaviour records in publicity, issued inspections, granted awards) and the one
`CreditRules` row, so every event that changes it — a record published, revoked or
expiring, an inspection failed or overdue, an award granted, a rules edit — shows at
once, and any past date can be scored the same way. `credit_scores` scores a whole
page of enterprises in one query; `credit_score` is that for one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Cast
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from laowu.audit.services import Action, record
from laowu.core import prepared
from laowu.enterprises.models import Enterprise
from laowu.enterprises.scope import enterprises_in_scope

from .models import (
    BAD_BEHAVIOUR_CATEGORIES,
    AwardStatus,
    BadBehaviour,
    CreditRules,
    Grade,
    Inspection,
    InspectionStatus,
)
from .models import Award as AwardModel
from .search import ENTERPRISE, matching

# No score goes below this; there is no cap above: awards add to the base score.
SCORE_FLOOR = 0

# Enterprises scored per batch when a whole list is needed (export, grade filter, sort).
BATCH_SIZE = 500


class CreditGrade(models.TextChoices):
    A = "A", "A级（优秀）"
    B = "B", "B级（良好）"
    C = "C", "C级（合格）"
    D = "D", "D级（较差）"


class EventKind(models.TextChoices):
    BAD_BEHAVIOUR = "bad_behaviour", "不良行为"
    INSPECTION_FAIL = "inspection_fail", "检查不合格"
    OVERDUE = "overdue", "整改逾期"
    AWARD = "award", "获评加分"


@dataclasses.dataclass(frozen=True)
class CreditEvent:
    """One record behind a score: what happened, when, and how many points it moved."""

    date: dt.date
    kind: str
    description: str
    points: int
    url: str

    @property
    def kind_label(self) -> str:
        return EventKind(self.kind).label

    @property
    def abs_points(self) -> int:
        return abs(self.points)


@dataclasses.dataclass(frozen=True)
class CreditScore:
    enterprise_id: int
    on: dt.date
    base: int
    score: int
    grade: str
    events: tuple[CreditEvent, ...]

    @property
    def grade_label(self) -> str:
        return CreditGrade(self.grade).label

    @property
    def deductions(self) -> int:
        """Total points taken off (a positive number)."""
        return -sum(e.points for e in self.events if e.points < 0)

    @property
    def additions(self) -> int:
        return sum(e.points for e in self.events if e.points > 0)

    def points_of(self, kind: str) -> int:
        return sum(e.points for e in self.events if e.kind == kind)


_CATEGORY_LABELS = dict(BAD_BEHAVIOUR_CATEGORIES)


def grade_for(score: int, rules: CreditRules) -> str:
    if score >= rules.grade_a_min:
        return CreditGrade.A
    if score >= rules.grade_b_min:
        return CreditGrade.B
    if score >= rules.grade_c_min:
        return CreditGrade.C
    return CreditGrade.D


def grade_deduction(grade: str, rules: CreditRules) -> int:
    return {Grade.A: rules.grade_a_deduction, Grade.B: rules.grade_b_deduction, Grade.C: rules.grade_c_deduction}[
        Grade(grade)
    ]


def bad_behaviour_deduction(grade: str, points: int, rules: CreditRules) -> int:
    """What one record in publicity takes off the score: its grade's fixed deduction plus
    the 扣分 entered on the record times `per_point` (B类 with 扣分10 under the default
    rules: 10 + 10×1 = 20)."""
    return grade_deduction(grade, rules) + points * rules.per_point


# The 扣分 used in the worked example beside the rules, so a clerk sees what a typical entry does.
EXAMPLE_POINTS = 10


@dataclasses.dataclass(frozen=True)
class GradeDeduction:
    """One line of the per-grade table: the grade's fixed deduction and the worked example."""

    grade: str
    label: str
    fixed: int
    per_point: int
    example_points: int

    @property
    def example_total(self) -> int:
        return self.fixed + self.example_points * self.per_point


@dataclasses.dataclass(frozen=True)
class RulesExplained:
    """The rules in force, put the way the pages explain them (every number from `CreditRules`)."""

    rules: CreditRules
    floor: int
    grades: tuple[GradeDeduction, ...]

    @property
    def base(self) -> int:
        return self.rules.base_score

    @property
    def with_one_award(self) -> int:
        """An enterprise with no deduction and one award scores above the base: there is no cap."""
        return self.rules.base_score + self.rules.award_addition


def explain_rules(rules: CreditRules, *, example_points: int = EXAMPLE_POINTS) -> RulesExplained:
    grades = tuple(
        GradeDeduction(
            grade=g.value,
            label=g.label,
            fixed=grade_deduction(g, rules),
            per_point=rules.per_point,
            example_points=example_points,
        )
        for g in Grade
    )
    return RulesExplained(rules=rules, floor=SCORE_FLOOR, grades=grades)


def points_help(rules: CreditRules) -> str:
    """The help beside the 扣分 field: what the number typed does to the score, per grade."""
    grades = explain_rules(rules).grades
    fixed = "、".join(f"{g.grade}类{g.fixed}分" for g in grades)
    b = next(g for g in grades if g.grade == Grade.B)
    return (
        f"按处理决定扣减的分数，无则填0。公示期内信用分共扣：等级扣分（{fixed}）＋本栏扣分×{rules.per_point}；"
        f"例如B类填{b.example_points}分，共扣{b.fixed}＋{b.example_points}×{b.per_point}＝{b.example_total}分。"
    )


def current_rules() -> CreditRules:
    """`CreditRules.current()` read through SQL written once per process (the score list reads it
    on every request). Only the SQL is kept: the row is read every time, so a change of rules
    shows at once.

    Only the rules' numbers are read (`RULE_FIELDS`), integers as the database driver gives them
    on every database, so the row is made with `from_db` without the ORM's reading of a raw
    query; who saved them last and when are left deferred (read on first use: no page that
    scores shows them)."""
    names = ("id", *RULE_FIELDS)
    rows = prepared.run(("credit.rules",), lambda pk: CreditRules.objects.filter(pk=pk).values_list(*names), 1)
    return CreditRules.from_db(connection.alias, names, rows[0]) if rows else CreditRules.current()


def _ids(enterprises: Iterable[Enterprise | int]) -> list[int]:
    return [e if isinstance(e, int) else e.pk for e in enterprises]


def _bad_behaviour_qs(on: dt.date, rules: CreditRules) -> QuerySet[BadBehaviour]:
    return BadBehaviour.objects.in_publicity(on)


def _inspection_qs(on: dt.date, rules: CreditRules) -> QuerySet[Inspection]:
    # Counted from the inspection day for `inspection_window_days` days (day 1 is the inspection day).
    window_start = on - dt.timedelta(days=rules.inspection_window_days)
    overdue_now = Q(status=InspectionStatus.RECTIFYING, deadline__lt=on)
    return (
        Inspection.objects.filter(inspected_on__lte=on)
        .exclude(status=InspectionStatus.DRAFT)
        # An outstanding overdue notice counts however old the inspection; the rest within the window.
        .filter(overdue_now | Q(inspected_on__gt=window_start))
        .filter(overdue_now | Q(total_score__lt=rules.inspection_pass_mark) | Q(replied_late=True))
    )


def _award_qs(on: dt.date, rules: CreditRules) -> QuerySet[AwardModel]:
    # The last `award_window_years` award years, this year included.
    return AwardModel.objects.filter(
        status=AwardStatus.GRANTED,
        year__gt=on.year - rules.award_window_years,
        year__lte=on.year,
    ).filter(Q(decided_on__isnull=True) | Q(decided_on__lte=on))


# The columns of `_events_query`, the same in each of its three parts, with their types. A part
# fills the columns it has no use for with NULL cast to the column's type (`_event_part`): each
# column of the UNION has one type on every database, and the first part's types are the
# converters `prepared.rows_of_ids` reads every row with (a date is a date on SQLite too).
_EVENT_COLUMNS: dict[str, models.Field[Any, Any]] = {
    "ev_source": models.IntegerField(),  # 0 bad behaviour, 1 inspection, 2 award: the kinds in this order
    "ev_id": models.IntegerField(),
    "ev_enterprise": models.IntegerField(),
    "ev_sort_date": models.DateField(),  # the parts' own orders (BadBehaviour's and Inspection's date,
    "ev_sort_int": models.IntegerField(),  # Award's year and time), each newest first; the events of
    "ev_sort_time": models.DateTimeField(),  # one date keep this order
    "ev_text1": models.TextField(),
    "ev_text2": models.TextField(),
    "ev_text3": models.TextField(),
    "ev_int": models.IntegerField(),
    "ev_date": models.DateField(),
    "ev_flag": models.BooleanField(),
}
_BAD_BEHAVIOUR, _INSPECTION, _AWARD = 0, 1, 2


def _event_part(qs: QuerySet[Any], ids: list[int], source: int, **columns: Any) -> QuerySet[Any]:
    """One part of `_events_query`: `qs`'s rows of the enterprises `ids`, the `columns` it
    has, NULL of the column's type for the others."""
    shown = {
        "ev_source": Value(source),
        "ev_id": F("id"),
        "ev_enterprise": F("enterprise_id"),
        **columns,
    }
    filled = {
        name: shown[name] if name in shown else Cast(Value(None), output_field=field)
        for name, field in _EVENT_COLUMNS.items()
    }
    return qs.filter(enterprise_id__in=ids).order_by().annotate(**filled).values_list(*_EVENT_COLUMNS)


def _events_query(ids: list[int], on: dt.date, rules: CreditRules) -> QuerySet[Any]:
    """The page's bad-behaviour records in publicity, counted inspections and granted awards in
    one UNION ALL, each part with its own conditions (`_bad_behaviour_qs`, `_inspection_qs`,
    `_award_qs`, also what `_moved_scores` reads) and ordered as it was read on its own."""
    bad_behaviour = _event_part(
        _bad_behaviour_qs(on, rules),
        ids,
        _BAD_BEHAVIOUR,
        ev_sort_date=F("publicity_start"),
        ev_text1=F("grade"),
        ev_text2=F("category"),
        ev_text3=F("decision_no"),
        ev_int=F("points"),
    )
    inspections = _event_part(
        _inspection_qs(on, rules),
        ids,
        _INSPECTION,
        ev_sort_date=F("inspected_on"),
        ev_text1=F("status"),
        ev_text2=F("notice_no"),
        ev_text3=F("project__project_name"),
        ev_int=F("total_score"),
        ev_date=F("deadline"),
        ev_flag=F("replied_late"),
    )
    awards = _event_part(
        _award_qs(on, rules),
        ids,
        _AWARD,
        ev_sort_int=F("year"),
        ev_sort_time=F("created_at"),
        ev_text1=F("title"),
        ev_text2=F("project__project_name"),
        ev_int=F("project_id"),
        ev_date=F("decided_on"),
    )
    return bad_behaviour.union(inspections, awards, all=True).order_by(
        "ev_source", "-ev_sort_date", "-ev_sort_int", "-ev_sort_time", "-ev_id"
    )


def _bad_behaviour_event(row: Sequence[Any], rules: CreditRules) -> CreditEvent:
    pk, grade, category, decision_no, points, start = row[1], row[6], row[7], row[8], row[9], row[3]
    by_grade = grade_deduction(grade, rules)
    by_points = bad_behaviour_deduction(grade, points, rules) - by_grade
    detail = f"{Grade(grade).label}扣{by_grade}分"
    if points:
        detail += f"，记录扣分{points}分×{rules.per_point}＝{by_points}分"
    return CreditEvent(
        date=start,
        kind=EventKind.BAD_BEHAVIOUR,
        description=(
            f"不良行为记录（{_CATEGORY_LABELS.get(category, category)}，决定书文号{decision_no}）公示中：{detail}"
        ),
        points=-bad_behaviour_deduction(grade, points, rules),
        # BadBehaviour.get_absolute_url, from the id alone.
        url=reverse("supervision:bad_behaviour_detail", args=[pk]),
    )


def _inspection_events(row: Sequence[Any], on: dt.date, rules: CreditRules) -> Iterator[CreditEvent]:
    pk, inspected_on, status, notice_no, project, total_score, deadline, replied_late = (
        row[1],
        row[3],
        row[6],
        row[7],
        row[8],
        row[9],
        row[10],
        row[11],
    )
    # Inspection.get_absolute_url, from the id alone.
    url = reverse("supervision:inspection_detail", args=[pk])
    in_window = inspected_on > on - dt.timedelta(days=rules.inspection_window_days)
    if in_window and total_score < rules.inspection_pass_mark:
        yield CreditEvent(
            date=inspected_on,
            kind=EventKind.INSPECTION_FAIL,
            description=f"现场检查（{project}）得分{total_score}分，低于合格分{rules.inspection_pass_mark}分",
            points=-rules.inspection_fail_deduction,
            url=url,
        )
    is_overdue = status == InspectionStatus.RECTIFYING and deadline is not None and deadline < on
    notice = f"整改通知{notice_no}" if notice_no else "整改通知"
    if is_overdue:
        yield CreditEvent(
            date=deadline,
            kind=EventKind.OVERDUE,
            description=f"现场检查（{project}）{notice}已超过整改期限{deadline:%Y-%m-%d}，尚未提交整改回复",
            points=-rules.overdue_deduction,
            url=url,
        )
    elif in_window and replied_late:
        yield CreditEvent(
            date=deadline or inspected_on,
            kind=EventKind.OVERDUE,
            description=f"现场检查（{project}）{notice}的整改回复逾期提交",
            points=-rules.overdue_deduction,
            url=url,
        )


# Award.get_title_display's labels.
_AWARD_TITLE_LABELS = dict(AwardModel._meta.get_field("title").flatchoices)


def _award_event(row: Sequence[Any], rules: CreditRules) -> CreditEvent:
    pk, year, title, project, project_id, decided_on = row[1], row[4], row[6], row[7], row[9], row[10]
    subject = f"（项目：{project}）" if project_id else ""
    return CreditEvent(
        date=decided_on or dt.date(year, 12, 31),
        kind=EventKind.AWARD,
        description=f"获评{year}年度“{_AWARD_TITLE_LABELS.get(title, title)}”{subject}",
        points=rules.award_addition,
        # Award.get_absolute_url, from the id alone.
        url=reverse("supervision:award_detail", args=[pk]),
    )


def _events(ids: list[int], on: dt.date, rules: CreditRules) -> Iterator[tuple[int, CreditEvent]]:
    """Every event of the enterprises `ids` on `on`, with its enterprise: the bad behaviours,
    then the inspections, then the awards, each newest first. One query, its SQL written once
    per day, time zone (`in_publicity` compares a timestamp's local date) and the rules' values
    the query reads (laowu/core/prepared.py)."""
    key = (
        "credit.events",
        on,
        timezone.get_current_timezone_name(),
        rules.inspection_window_days,
        rules.inspection_pass_mark,
        rules.award_window_years,
    )
    for row in prepared.rows_of_ids(key, lambda some: _events_query(some, on, rules), ids):
        source, enterprise_id = row[0], row[2]
        if source == _BAD_BEHAVIOUR:
            yield enterprise_id, _bad_behaviour_event(row, rules)
        elif source == _INSPECTION:
            for event in _inspection_events(row, on, rules):
                yield enterprise_id, event
        else:
            yield enterprise_id, _award_event(row, rules)


def credit_scores(
    enterprises: Iterable[Enterprise | int], *, on: dt.date | None = None, rules: CreditRules | None = None
) -> dict[int, CreditScore]:
    """Score several enterprises at once: one query however many (pass a page, or a batch)."""
    on = on or timezone.localdate()
    rules = rules or CreditRules.current()
    ids = _ids(enterprises)
    events: dict[int, list[CreditEvent]] = {pk: [] for pk in ids}
    if ids:
        for enterprise_id, event in _events(ids, on, rules):
            events[enterprise_id].append(event)
    result = {}
    for pk, items in events.items():
        items.sort(key=lambda e: (e.date, e.kind), reverse=True)
        score = max(SCORE_FLOOR, rules.base_score + sum(e.points for e in items))
        result[pk] = CreditScore(
            enterprise_id=pk,
            on=on,
            base=rules.base_score,
            score=score,
            grade=grade_for(score, rules),
            events=tuple(items),
        )
    return result


def credit_score(
    enterprise: Enterprise | int, on: dt.date | None = None, rules: CreditRules | None = None
) -> CreditScore:
    """The enterprise's score, grade and the events behind them as of `on` (default today)."""
    pk = enterprise if isinstance(enterprise, int) else enterprise.pk
    return credit_scores([pk], on=on, rules=rules)[pk]


# ---------------------------------------------------------------- selectors for the pages

ORDER_CHOICES = (("", "按企业名称"), ("score", "按信用分从低到高"), ("-score", "按信用分从高到低"))


def credit_enterprises(*, user: Any, q: str = "") -> QuerySet[Enterprise]:
    """Enterprises the committee user may score, searched by name or credit code."""
    return matching(enterprises_in_scope(user).select_related("district").order_by("name", "id"), q, ENTERPRISE)


def scored_in_batches(
    qs: QuerySet[Enterprise], *, on: dt.date | None = None, rules: CreditRules | None = None
) -> Iterator[tuple[Enterprise, CreditScore]]:
    """Every enterprise of `qs` with its score, computed BATCH_SIZE at a time."""
    on = on or timezone.localdate()
    rules = rules or CreditRules.current()
    batch: list[Enterprise] = []
    for enterprise in qs.iterator(chunk_size=BATCH_SIZE):
        batch.append(enterprise)
        if len(batch) == BATCH_SIZE:
            yield from _with_scores(batch, on, rules)
            batch = []
    if batch:
        yield from _with_scores(batch, on, rules)


def _with_scores(
    batch: Sequence[Enterprise], on: dt.date, rules: CreditRules
) -> Iterator[tuple[Enterprise, CreditScore]]:
    scores = credit_scores(batch, on=on, rules=rules)
    for enterprise in batch:
        yield enterprise, scores[enterprise.pk]


def _moved_scores(qs: QuerySet[Enterprise], on: dt.date, rules: CreditRules) -> dict[int, CreditScore]:
    """The scores of the enterprises of `qs` that have any event on `on`: every other one
    has exactly the base score. At province scale these are a few percent of the list, so a
    grade or a score order costs scoring them, not every enterprise."""
    scope = qs.order_by().values("pk")
    ids: set[int] = set()
    for events in (_bad_behaviour_qs, _inspection_qs, _award_qs):
        ids.update(events(on, rules).filter(enterprise__in=scope).order_by().values_list("enterprise_id", flat=True))
    scores: dict[int, CreditScore] = {}
    batch = sorted(ids)
    for start in range(0, len(batch), BATCH_SIZE):
        scores.update(credit_scores(batch[start : start + BATCH_SIZE], on=on, rules=rules))
    return scores


def base_score(enterprise_id: int, on: dt.date, rules: CreditRules) -> CreditScore:
    return CreditScore(
        enterprise_id=enterprise_id,
        on=on,
        base=rules.base_score,
        score=rules.base_score,
        grade=grade_for(rules.base_score, rules),
        events=(),
    )


def scored_segments(
    qs: QuerySet[Enterprise],
    *,
    grade: str = "",
    order: str = "",
    on: dt.date | None = None,
    rules: CreditRules | None = None,
) -> list[list[tuple[Enterprise, CreditScore]] | QuerySet[Enterprise]]:
    """The list kept to one grade and/or sorted by score, as consecutive segments.

    Enterprises with events are scored and held in memory; the others all have the base
    score, so they stay a queryset ordered by name (whose rows the caller scores per page,
    with `credit_scores`, which gives them the base score). Ordered by score, the base-score
    block sits between the lower and the higher scores."""
    on = on or timezone.localdate()
    rules = rules or CreditRules.current()
    moved = _moved_scores(qs, on, rules)
    base = rules.base_score
    base_grade = grade_for(base, rules)
    off_grade = [pk for pk, sc in moved.items() if grade and sc.grade != grade]
    if order not in ("score", "-score"):
        if grade and grade != base_grade:
            rows = [(e, moved[e.pk]) for e in qs.filter(pk__in=[pk for pk in moved if pk not in off_grade])]
            return [rows]
        return [qs.exclude(pk__in=off_grade) if off_grade else qs]
    chosen = {pk: sc for pk, sc in moved.items() if not grade or sc.grade == grade}
    off_base = [pk for pk, sc in moved.items() if sc.score != base]
    enterprises = {e.pk: e for e in qs.filter(pk__in=[pk for pk, sc in chosen.items() if sc.score != base])}
    descending = order == "-score"
    scored = sorted(
        ((enterprises[pk], sc) for pk, sc in chosen.items() if pk in enterprises),
        key=lambda row: (row[1].score, row[0].name, row[0].pk),
        reverse=descending,
    )
    below = [row for row in scored if row[1].score < base]
    above = [row for row in scored if row[1].score > base]
    segments: list[list[tuple[Enterprise, CreditScore]] | QuerySet[Enterprise]] = []
    middle = qs.exclude(pk__in=off_base) if off_base else qs
    if descending:
        middle = middle.order_by("-name", "-id")
    include_middle = not grade or grade == base_grade
    for part in (above, middle, below) if descending else (below, middle, above):
        if isinstance(part, list):
            if part:
                segments.append(part)
        elif include_middle:
            segments.append(part)
    return segments


def scored_list(
    qs: QuerySet[Enterprise],
    *,
    grade: str = "",
    order: str = "",
    on: dt.date | None = None,
    rules: CreditRules | None = None,
) -> Iterator[tuple[Enterprise, CreditScore]]:
    """Every row of `scored_segments`, scored (for the export)."""
    on = on or timezone.localdate()
    rules = rules or CreditRules.current()
    for segment in scored_segments(qs, grade=grade, order=order, on=on, rules=rules):
        if isinstance(segment, list):
            yield from segment
        else:
            yield from scored_in_batches(segment, on=on, rules=rules)


# ---------------------------------------------------------------- the rules

RULE_FIELDS = (
    "base_score",
    "grade_a_deduction",
    "grade_b_deduction",
    "grade_c_deduction",
    "per_point",
    "inspection_pass_mark",
    "inspection_fail_deduction",
    "overdue_deduction",
    "inspection_window_days",
    "award_addition",
    "award_window_years",
    "grade_a_min",
    "grade_b_min",
    "grade_c_min",
)


def check_rules(values: dict[str, int]) -> None:
    """What the rules must satisfy to grade sensibly; raises field-keyed ValidationErrors."""
    errors: dict[str, str] = {}
    for name in RULE_FIELDS:
        value = values.get(name)
        if value is None or value < 0:
            errors[name] = "请填写不小于0的整数。"
    if errors:
        raise ValidationError(errors)
    if values["base_score"] < 1:
        errors["base_score"] = "基础分应大于0。"
    if values["inspection_pass_mark"] > 100:
        errors["inspection_pass_mark"] = "现场检查满分为100分，合格分不能超过100分。"  # noqa: S105 (not a password)
    if values["inspection_window_days"] < 1:
        errors["inspection_window_days"] = "计分期限至少为1天。"
    if values["award_window_years"] < 1:
        errors["award_window_years"] = "加分年限至少为1年。"
    if values["grade_a_min"] <= values["grade_b_min"]:
        errors["grade_a_min"] = "A级最低分应高于B级最低分。"
    if values["grade_b_min"] <= values["grade_c_min"]:
        errors["grade_b_min"] = "B级最低分应高于C级最低分。"
    if values["grade_c_min"] < 1:
        errors["grade_c_min"] = "C级最低分应大于0，低于该分为D级。"
    if errors:
        raise ValidationError(errors)


def save_rules(*, data: dict[str, int], actor: Any, request: HttpRequest | None = None) -> CreditRules:
    """保存 the committee's scoring rules; the audit row keeps each changed value, old → new."""
    CreditRules.current()  # the row exists before it is locked
    with transaction.atomic(durable=True):
        rules = CreditRules.objects.select_for_update().get(pk=1)
        values = {name: data.get(name, getattr(rules, name)) for name in RULE_FIELDS}
        check_rules(values)
        changes = {
            name: {"old": getattr(rules, name), "new": value}
            for name, value in values.items()
            if getattr(rules, name) != value
        }
        if not changes:
            return rules
        for name, value in values.items():
            setattr(rules, name, value)
        rules.updated_by = actor
        rules.full_clean()
        rules.save()
        record(action=Action.CREDIT_RULES_SAVE, request=request, user=actor, obj=rules, detail={"changes": changes})
    return rules
