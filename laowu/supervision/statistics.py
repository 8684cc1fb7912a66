"""Read-side figures of the committee's statistics page (统计分析).

Every figure is an aggregate query (GROUP BY, conditional COUNT), never a loop over rows,
so the page costs the same dozen queries however much data there is. Every query starts
from the scope helpers, so a committee user counts only the enterprises of their own
district(s).

Two kinds of figure: *flows* over the chosen period (declarations and decisions per month,
registrations per month, inspections and awards in the period) and *stocks* as of today
(filings by state, records in publicity, certificates about to expire).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, overload

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import connection, connections
from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from laowu.accounts.models import District
from laowu.accounts.scope import is_committee
from laowu.core import prepared
from laowu.core.cache import CacheUnavailable
from laowu.core.dates import add_months
from laowu.enterprises.scope import enterprises_in_scope
from laowu.review.models import State, SubmissionStatus
from laowu.review.permissions import filings_in_scope, submissions_in_scope
from laowu.review.registry import filing_models

from . import models as m
from . import reminders
from .permissions import in_scope

MAX_MONTHS = 36
DEFAULT_MONTHS = 12
EXPIRY_BUCKETS = (30, 60, 90)
# Figures older than the refresh period are shown (and refreshed) for up to two days, so the
# first request of a morning is answered with the evening's figures.
KEEP_SECONDS = 2 * 24 * 3600
# A computation holds its scope's lock at most this long: a worker killed mid-way (a restart, a
# deploy) leaves the page saying 正在生成 until then. A province's figures take about 10 s.
COMPUTE_LOCK_SECONDS = 120
RETRY_SECONDS = 60
WAIT_POLL_SECONDS = 0.05

logger = logging.getLogger(__name__)
# A submission that was approved keeps its decision date when a later change supersedes it or
# the record is deregistered: all three count as "approved" in the month it was decided.
APPROVED_DECISIONS = (SubmissionStatus.APPROVED, SubmissionStatus.SUPERSEDED, SubmissionStatus.REVOKED)


# ---------------------------------------------------------------- period


@dataclasses.dataclass(frozen=True)
class Period:
    """Whole calendar months, `first` and `last` being the first days of the first and last month."""

    first: dt.date
    last: dt.date

    @classmethod
    def default(cls, today: dt.date | None = None) -> Period:
        this_month = (today or timezone.localdate()).replace(day=1)
        return cls(add_months(this_month, 1 - DEFAULT_MONTHS), this_month)

    @property
    def months(self) -> list[dt.date]:
        count = (self.last.year - self.first.year) * 12 + self.last.month - self.first.month + 1
        return [add_months(self.first, i) for i in range(count)]

    @property
    def end(self) -> dt.date:
        """The first day after the period."""
        return add_months(self.last, 1)

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """[start, end) as aware datetimes at local midnight, for DateTimeField filters."""
        tz = timezone.get_current_timezone()
        return (
            dt.datetime.combine(self.first, dt.time.min, tzinfo=tz),
            dt.datetime.combine(self.end, dt.time.min, tzinfo=tz),
        )

    @property
    def label(self) -> str:
        return f"{month_label(self.first)} 至 {month_label(self.last)}"


def month_label(month: dt.date) -> str:
    return f"{month.year}-{month.month:02d}"


def _month_key(value: dt.datetime | dt.date) -> dt.date:
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value.replace(day=1)


# ---------------------------------------------------------------- figures


@dataclasses.dataclass(frozen=True)
class Table:
    """One table of the page: shown next to its chart and written as one sheet of the workbook.

    The chart draws `chart_columns` (indexes into each row) against the first column; a
    `total` row, if any, is shown and exported but not drawn.
    """

    key: str
    title: str
    note: str
    headers: list[str]
    rows: list[list[Any]]
    total: list[Any] | None = None
    chart_columns: tuple[int, ...] = ()
    stacked: bool = False
    colors: tuple[str, ...] = ()
    wide: bool = True  # full width with the table beside the chart, else half width with it below

    @property
    def all_rows(self) -> list[list[Any]]:
        return [*self.rows, self.total] if self.total else list(self.rows)


@dataclasses.dataclass(frozen=True)
class Dashboard:
    period: Period
    filing_type: str
    summary: list[tuple[str, int]]
    tables: list[Table]
    computed_at: dt.datetime | None = None


STATE_COLORS = {
    State.DRAFT: "#909399",
    State.DECLARED: "#1f5fae",
    State.APPROVED: "#67c23a",
    State.REJECTED: "#f56c6c",
    State.DEREGISTERED: "#5b5e66",
}


def _with_total(rows: list[list[Any]], label: str = "合计") -> list[Any]:
    return [label, *(sum(r[i] for r in rows) for i in range(1, len(rows[0])))] if rows else [label]


def filings_by_state(*, user: Any) -> list[list[Any]]:
    """[label, draft, declared, approved, rejected, deregistered, total] per filing type, as of now."""
    states = list(State)
    rows = []
    for model in filing_models().values():
        counts = dict(filings_in_scope(user, model).order_by().values_list("state").annotate(n=Count("id")))
        values = [counts.get(s.value, 0) for s in states]
        rows.append([model.FILING_LABEL, *values, sum(values)])
    return rows


def submissions_by_month(*, user: Any, period: Period, filing_type: str = "") -> list[list[Any]]:
    """[month, declared, approved, rejected] for each month of the period: declarations by the month
    they were made, decisions by the month they were taken."""
    qs = submissions_in_scope(user).order_by()
    model = filing_models().get(filing_type)
    if model is not None:
        qs = qs.filter(filing_type=ContentType.objects.get_for_model(model))
    start, end = period.bounds()
    declared = dict(
        qs.filter(declared_at__gte=start, declared_at__lt=end)
        .annotate(month=TruncMonth("declared_at"))
        .values_list("month")
        .annotate(n=Count("id"))
    )
    decided = (
        qs.filter(decided_at__gte=start, decided_at__lt=end)
        .annotate(month=TruncMonth("decided_at"))
        .values("month")
        .annotate(
            approved=Count("id", filter=Q(status__in=APPROVED_DECISIONS)),
            rejected=Count("id", filter=Q(status=SubmissionStatus.REJECTED)),
        )
    )
    declared_by = {_month_key(k): v for k, v in declared.items()}
    decided_by = {_month_key(d["month"]): d for d in decided}
    return [
        [
            month_label(month),
            declared_by.get(month, 0),
            decided_by.get(month, {}).get("approved", 0),
            decided_by.get(month, {}).get("rejected", 0),
        ]
        for month in period.months
    ]


def enterprises_by_month(*, user: Any, period: Period) -> list[list[Any]]:
    start, end = period.bounds()
    counts = (
        enterprises_in_scope(user)
        .order_by()
        .filter(created_at__gte=start, created_at__lt=end)
        .annotate(month=TruncMonth("created_at"))
        .values_list("month")
        .annotate(n=Count("id"))
    )
    by_month = {_month_key(k): v for k, v in counts}
    return [[month_label(month), by_month.get(month, 0)] for month in period.months]


def bad_behaviour_by_grade(*, user: Any, today: dt.date) -> list[list[Any]]:
    """Records in publicity today, per grade (A/B/C)."""
    counts = dict(
        in_scope(user, m.BadBehaviour).in_publicity(today).order_by().values_list("grade").annotate(n=Count("id"))
    )
    return [[label, counts.get(code, 0)] for code, label in m.Grade.choices]


def inspections_by_status(*, user: Any, period: Period, today: dt.date) -> tuple[list[list[Any]], int]:
    """[status, inspections dated in the period, of which overdue] per status, and the number
    of overdue 整改通知 whatever their date (an old overdue notice is still overdue)."""
    overdue = Q(status=m.InspectionStatus.RECTIFYING, deadline__lt=today)
    in_period = Q(inspected_on__gte=period.first, inspected_on__lt=period.end)
    counts = {
        row["status"]: row
        for row in in_scope(user, m.Inspection)
        .order_by()
        .values("status")
        .annotate(
            n=Count("id", filter=in_period),
            overdue=Count("id", filter=in_period & overdue),
            overdue_all=Count("id", filter=overdue),
        )
    }
    rows = [
        [label, counts.get(code, {}).get("n", 0), counts.get(code, {}).get("overdue", 0)]
        for code, label in m.InspectionStatus.choices
    ]
    return rows, sum(row["overdue_all"] for row in counts.values())


def awards_by_year(*, user: Any, period: Period) -> list[list[Any]]:
    """[year, nominated, granted, not granted, withdrawn, total] for the years the period touches."""
    statuses = list(m.AwardStatus)
    counts: dict[tuple[int, str], int] = {
        (year, status): n
        for year, status, n in in_scope(user, m.Award)
        .order_by()
        .filter(year__gte=period.first.year, year__lte=period.last.year)
        .values_list("year", "status")
        .annotate(n=Count("id"))
    }
    rows = []
    for year in range(period.first.year, period.last.year + 1):
        values = [counts.get((year, s.value), 0) for s in statuses]
        rows.append([f"{year}年", *values, sum(values)])
    return rows


def _active() -> Q:
    """Filings on file: declared, or with a valid approved revision (`Filing.is_active`)."""
    return Q(state=State.DECLARED) | (Q(approved_submission__isnull=False) & ~Q(state=State.DEREGISTERED))


def expiring_certificates(*, user: Any, today: dt.date) -> list[list[Any]]:
    """[certificate, within 30, 31–60, 61–90 days, already expired]: what the expiry reminders
    count (approved revisions on file), so the dashboard and the reminder list agree."""
    bands = reminders.expiry_bands(enterprises=enterprises_in_scope(user), today=today)
    return [
        [source.label, *(counts[str(days)] for days in EXPIRY_BUCKETS), counts["expired"]] for source, counts in bands
    ]


def dashboard(*, user: Any, period: Period, filing_type: str = "", today: dt.date | None = None) -> Dashboard:
    today = today or timezone.localdate()
    types = filing_models()
    if filing_type not in types:
        filing_type = ""
    type_label = types[filing_type].FILING_LABEL if filing_type else "全部类型"

    filings = filings_by_state(user=user)
    pending = sum(row[1 + list(State).index(State.DECLARED)] for row in filings)
    shown_filings = [r for r in filings if not filing_type or r[0] == type_label]
    monthly = submissions_by_month(user=user, period=period, filing_type=filing_type)
    registered = enterprises_by_month(user=user, period=period)
    grades = bad_behaviour_by_grade(user=user, today=today)
    inspections, overdue_all = inspections_by_status(user=user, period=period, today=today)
    awards = awards_by_year(user=user, period=period)
    expiring = expiring_certificates(user=user, today=today)
    enterprise_total = enterprises_in_scope(user).count()

    state_labels = [s.label for s in State]
    first_year, last_year = period.first.year, period.last.year
    years = f"{first_year}年" if first_year == last_year else f"{first_year}年至{last_year}年"
    tables = [
        Table(
            key="filings",
            title="信息归集分类统计",
            note=f"截至 {today:%Y-%m-%d}，按当前状态；{type_label}",
            headers=["归集类型", *state_labels, "合计"],
            rows=shown_filings,
            total=_with_total(shown_filings) if len(shown_filings) > 1 else None,
            chart_columns=tuple(range(1, len(state_labels) + 1)),
            stacked=True,
            colors=tuple(STATE_COLORS[s] for s in State),
        ),
        Table(
            key="submissions",
            title="每月申报与审核",
            note=f"{period.label}；{type_label}；申报按申报时间、审核结果按审核时间计",
            headers=["月份", "申报", "审核通过", "审核退回"],
            rows=monthly,
            total=_with_total(monthly),
            chart_columns=(1, 2, 3),
            colors=("#1f5fae", "#67c23a", "#f56c6c"),
        ),
        Table(
            key="enterprises",
            title="每月新注册企业",
            note=f"{period.label}",
            headers=["月份", "注册企业数"],
            rows=registered,
            total=_with_total(registered),
            chart_columns=(1,),
        ),
        Table(
            key="bad_behaviour",
            title="公示中的不良行为记录",
            note=f"截至 {today:%Y-%m-%d}，按等级",
            headers=["等级", "记录数"],
            rows=grades,
            total=_with_total(grades),
            chart_columns=(1,),
            colors=("#f56c6c",),
            wide=False,
        ),
        Table(
            key="inspections",
            title="现场检查",
            note="检查日期在统计期间内，按当前状态；逾期指整改期限已过仍未回复",
            headers=["状态", "检查次数", "其中逾期"],
            rows=inspections,
            total=_with_total(inspections),
            chart_columns=(1,),
            wide=False,
        ),
        Table(
            key="awards",
            title="评优创先",
            note=f"{years}，按推荐年度",
            headers=["年度", *(s.label for s in m.AwardStatus), "合计"],
            rows=awards,
            total=_with_total(awards) if len(awards) > 1 else None,
            chart_columns=tuple(range(1, len(m.AwardStatus) + 1)),
            stacked=True,
            colors=("#1f5fae", "#67c23a", "#e6a23c", "#909399"),
            wide=False,
        ),
        Table(
            key="expiry",
            title="证照到期提醒",
            note=f"截至 {today:%Y-%m-%d}，在册的企业基本信息与安全员",
            headers=["证照", "30天内到期", "31至60天", "61至90天", "已过期"],
            rows=expiring,
            total=_with_total(expiring),
            chart_columns=(1, 2, 3, 4),
            stacked=True,
            colors=("#f56c6c", "#e6a23c", "#1f5fae", "#5b5e66"),
            wide=False,
        ),
    ]
    summary = [
        ("企业总数", enterprise_total),
        ("待审核申报", pending),
        ("公示中不良行为", sum(r[1] for r in grades)),
        ("逾期未整改", overdue_all),
        ("90天内到期证照", sum(sum(r[1:4]) for r in expiring)),
    ]
    return Dashboard(period=period, filing_type=filing_type, summary=summary, tables=tables)


def user_districts(user: Any) -> list[District]:
    """The districts the user's account covers, as `user.districts.all()` lists them (by code),
    in one query whose SQL is written once per process (laowu/core/prepared.py): the page
    names them and the cache key counts them, so it reads them once for both."""
    columns = ["id", "code", "name"]  # numbers and text: read as the driver gives them
    rows = prepared.run(
        ("statistics.user_districts",),
        lambda pk: District.objects.filter(staff=pk).values_list(*columns),
        user.pk,
    )
    return [District.from_db(connection.alias, columns, row) for row in rows]


@overload
def cached_dashboard(
    *,
    user: Any,
    period: Period,
    filing_type: str = "",
    wait: None = None,
    districts: Sequence[District] | None = None,
) -> Dashboard: ...
@overload
def cached_dashboard(
    *, user: Any, period: Period, filing_type: str = "", wait: float, districts: Sequence[District] | None = None
) -> Dashboard | None: ...
def cached_dashboard(
    *,
    user: Any,
    period: Period,
    filing_type: str = "",
    wait: float | None = None,
    districts: Sequence[District] | None = None,
) -> Dashboard | None:
    """`dashboard`, computed at most once per LAOWU_STATISTICS_CACHE_SECONDS for the same scope
    (role and districts) and filters: every figure aggregates whole tables, which at province
    scale takes seconds. The page shows when they were computed.

    Figures older than that, or computed on an earlier day, are still shown while one thread
    computes new ones. With none cached, one request starts the computation and the others
    join it: each waits up to `wait` seconds and gets None if the figures are not ready by
    then (the page then says they are being prepared), so no request is held for the whole
    computation and concurrent first requests never compute the same figures twice.
    `wait=None` waits as long as it takes (the Excel download). `districts`: the user's, if the
    caller has read them already (`user_districts`)."""
    seconds = settings.LAOWU_STATISTICS_CACHE_SECONDS
    if seconds > 0:
        try:
            return _cached_dashboard(
                user=user, period=period, filing_type=filing_type, wait=wait, seconds=seconds, districts=districts
            )
        except CacheUnavailable:
            # Redis down: figures computed for this request, as with caching turned off.
            logger.warning("statistics computed without the cache (Redis unavailable)")
    return dataclasses.replace(dashboard(user=user, period=period, filing_type=filing_type), computed_at=timezone.now())


def _cached_dashboard(
    *,
    user: Any,
    period: Period,
    filing_type: str,
    wait: float | None,
    seconds: int,
    districts: Sequence[District] | None,
) -> Dashboard | None:
    if not is_committee(user):
        covered = []
    elif districts is None:
        covered = sorted(user.districts.values_list("pk", flat=True))
    else:
        covered = sorted(d.pk for d in districts)
    # Not the date: at the first request of a day yesterday's figures are shown, not waited for.
    scope = f"{user.role}|{user.enterprise_id}|{covered}|{period.first}|{period.last}|{filing_type}"
    key = "laowu:statistics:" + hashlib.sha256(scope.encode()).hexdigest()
    lock = key + ":computing"

    def compute() -> Dashboard:
        try:
            data = dataclasses.replace(
                dashboard(user=user, period=period, filing_type=filing_type, today=timezone.localdate()),
                computed_at=timezone.now(),
            )
        except BaseException:
            # Retried a minute later, not by every request meanwhile: each try costs seconds.
            with contextlib.suppress(CacheUnavailable):
                cache.set(lock, 1, RETRY_SECONDS)
            raise
        # Computed: returned even if Redis went away meanwhile.
        with contextlib.suppress(CacheUnavailable):
            cache.set(key, data, KEEP_SECONDS)
            cache.delete(lock)
        return data

    data = cache.get(key)
    if data is not None:
        now = timezone.now()
        stale = (
            data.computed_at is None
            or (now - data.computed_at).total_seconds() >= seconds
            or timezone.localdate(data.computed_at) != timezone.localdate(now)
        )
        if stale and cache.add(lock, 1, COMPUTE_LOCK_SECONDS):
            in_background(compute)
        return data  # type: ignore[no-any-return]
    if wait is None:
        return compute()
    if cache.add(lock, 1, COMPUTE_LOCK_SECONDS):
        in_background(compute)
    deadline = time.monotonic() + wait
    while True:
        data = cache.get(key)
        if data is not None or time.monotonic() >= deadline:
            return data  # type: ignore[no-any-return]
        time.sleep(min(WAIT_POLL_SECONDS, max(0.0, deadline - time.monotonic())))


def in_background(task: Callable[[], Any]) -> None:
    """Run `task` in a daemon thread with its own database connection, closed when it ends."""

    def run() -> None:
        try:
            task()
        except Exception:
            logger.exception("statistics refresh failed")
        finally:
            connections.close_all()

    threading.Thread(target=run, name="laowu-statistics-refresh", daemon=True).start()
