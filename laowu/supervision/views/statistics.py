"""统计分析: the committee's dashboard (tables with server-drawn charts) and its Excel workbook."""

from __future__ import annotations

import pickle
from collections.abc import Callable, Hashable
from operator import itemgetter
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import path
from django.utils import timezone
from django.utils.safestring import SafeString

from laowu.accounts.models import Role
from laowu.accounts.permissions import role_required
from laowu.audit.services import Action, record
from laowu.core.exports import Column, Kind, Sheet, workbook_response
from laowu.core.fragments import kept_markup
from laowu.review.registry import filing_models

from .. import statistics
from ..charts import Series, bar_chart
from ..forms.statistics import StatisticsFilterForm

R, S = Role.REVIEWER, Role.SUPERVISOR

# Sized for 1366×768: a wide chart leaves room for its table beside it, a half-width one
# fills half the page with its table below.
WIDE_CHART = (600, 280)
HALF_CHART = (470, 240)


def chart_for(table: statistics.Table) -> SafeString:
    width, height = WIDE_CHART if table.wide else HALF_CHART
    series = [
        Series(
            name=table.headers[col],
            values=[row[col] for row in table.rows],
            color=table.colors[i] if i < len(table.colors) else "",
        )
        for i, col in enumerate(table.chart_columns)
    ]
    return bar_chart(
        title=table.title,
        categories=[str(row[0]) for row in table.rows],
        series=series,
        stacked=table.stacked,
        width=width,
        height=height,
    )


# A table's panel (chart and table, supervision/statistics/_block.html) rendered once per
# process for the same figures. The dashboard is read from the cache anew on every request and
# its figures change only when they are recomputed (statistics.cached_dashboard), yet drawing
# and rendering its panels was most of the page's work. The key is the table's whole content
# (pickled: an int and a float that are equal still differ), and the panel's HTML is made of
# nothing but that table: new figures are a new key, so no panel outlives its figures and none
# is ever shown for figures other than its own, whoever's scope they came from. Bounded. A kept
# panel keeps its chart's id (charts.py numbers each drawing in the process): the tables of a
# page differ (each has its own key), so their panels were drawn apart and their ids differ.
MAX_PANELS = 256
_panels: dict[bytes, SafeString] = {}


def panel_html(table: statistics.Table) -> SafeString:
    key = pickle.dumps(table, protocol=pickle.HIGHEST_PROTOCOL)
    html = _panels.get(key)
    if html is None:
        html = render_to_string(
            "supervision/statistics/_block.html", {"block": {"table": table, "chart": chart_for(table)}}
        )
        if len(_panels) >= MAX_PANELS:
            _panels.clear()
        _panels[key] = html
    return html


FILTERS_TEMPLATE = "supervision/statistics/_filters.html"
# The filter's fields as the page first shows them (no query string: an unbound form, no
# value, no error), rendered once per process. Keyed by the type choices, the one thing the
# unbound form is made of that is not fixed in code (the filing types registered,
# laowu/review/registry.py); nothing in it comes from the request or the user.
_unbound_filters: dict[Hashable, SafeString] = {}


def filters_html(form: StatisticsFilterForm | None) -> SafeString:
    """The filter's fields: `form`'s, or the unbound form's (None) from `_unbound_filters`."""
    if form is not None:
        return render_to_string(FILTERS_TEMPLATE, {"form": form})
    key = tuple((code, model.FILING_LABEL) for code, model in filing_models().items())
    return kept_markup(
        _unbound_filters, key, lambda: render_to_string(FILTERS_TEMPLATE, {"form": StatisticsFilterForm()})
    )


# While the figures are being computed the page reloads itself this often.
PREPARING_RELOAD_SECONDS = 3


@role_required(R, S)
def dashboard(request: HttpRequest) -> HttpResponse:
    # Without a query string the form would be unbound: the default period, every type, and
    # its fields as `filters_html` keeps them.
    form = StatisticsFilterForm(request.GET) if request.GET else None
    period = form.period() if form is not None else statistics.Period.default()
    districts = statistics.user_districts(request.user)
    data = statistics.cached_dashboard(
        user=request.user,
        period=period,
        filing_type=form.filing_type() if form is not None else "",
        wait=settings.LAOWU_STATISTICS_WAIT_SECONDS,
        districts=districts,
    )
    blocks = [{"table": t, "html": panel_html(t)} for t in data.tables] if data else []
    half = [b for b in blocks if not b["table"].wide]
    return render(
        request,
        "supervision/statistics/dashboard.html",
        {
            "filters": filters_html(form),
            "form_errors": form is not None and bool(form.errors),
            "period": period,
            "districts": districts,
            "data": data,
            "reload_seconds": PREPARING_RELOAD_SECONDS,
            "wide_blocks": [b for b in blocks if b["table"].wide],
            # Half-width panels two to a row, so a taller one never pushes the next out of line.
            "half_rows": [half[i : i + 2] for i in range(0, len(half), 2)],
            "query": request.GET.urlencode(),
            "cache_minutes": settings.LAOWU_STATISTICS_CACHE_SECONDS // 60,
        },
    )


def table_columns(headers: list[str]) -> list[Column[list[Any]]]:
    """A table's label column, then its counts; the note below a table sits in the first column."""

    def cell(i: int) -> Callable[[list[Any]], Any]:
        return lambda row: row[i] if i < len(row) else None

    return [
        Column(header, cell(i), kind=Kind.NUMBER if i else Kind.TEXT, width=12 if i else 18)
        for i, header in enumerate(headers)
    ]


@role_required(R, S)
def export(request: HttpRequest) -> HttpResponse:
    form = StatisticsFilterForm(request.GET or None)
    period = form.period()
    # A download waits for figures not yet computed rather than give an empty workbook.
    data = statistics.cached_dashboard(user=request.user, period=period, filing_type=form.filing_type())
    overview: list[tuple[str, Any]] = [
        ("统计期间", period.label),
        ("归集类型", dict(form.fields["type"].choices).get(data.filing_type, "全部类型")),
        ("导出时间", timezone.now()),
        *data.summary,
    ]
    sheets: list[Sheet[Any]] = [
        Sheet(
            "概况",
            [Column("项目", itemgetter(0), width=18), Column("数值", itemgetter(1), kind=Kind.AUTO, width=18)],
            overview,
        ),
        *(Sheet(t.title, table_columns(t.headers), [*t.all_rows, [], [t.note]]) for t in data.tables),
    ]
    record(
        action=Action.EXPORT,
        request=request,
        detail={
            "list": "statistics",
            "from": statistics.month_label(period.first),
            "to": statistics.month_label(period.last),
            "type": data.filing_type,
        },
    )
    return workbook_response(
        filename=f"统计分析_{statistics.month_label(period.first)}至{statistics.month_label(period.last)}.xlsx",
        sheets=sheets,
    )


urlpatterns = [
    path("supervision/statistics/", dashboard, name="statistics"),
    path("supervision/statistics/export/", export, name="statistics_export"),
]
