"""The dashboard's panels (chart and table) rendered once per process for the same figures."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from django.template.loader import render_to_string

from laowu.supervision import statistics
from laowu.supervision.views import statistics as views


def same_ids(html: str) -> str:
    """Each drawing takes the process's next chart id (laowu/supervision/charts.py)."""
    return re.sub(r"chart\d+", "chartN", html)


def table(**changes: Any) -> statistics.Table:
    base = statistics.Table(
        key="submissions",
        title="申报趋势",
        note="按月统计",
        headers=["月份", "已申报", "已通过"],
        rows=[["2024-03", 1, 0], ["2024-04", 2, 1]],
        total=["合计", 3, 1],
        chart_columns=(1, 2),
        colors=("#1f5fae", "#67c23a"),
    )
    return dataclasses.replace(base, **changes)


def test_a_panel_is_the_blocks_template_rendered_once(monkeypatch: Any) -> None:
    monkeypatch.setattr(views, "_panels", {})
    t = table()
    expected = render_to_string(
        "supervision/statistics/_block.html", {"block": {"table": t, "chart": views.chart_for(t)}}
    )
    html = views.panel_html(t)
    assert same_ids(html) == same_ids(expected)
    calls: list[Any] = []
    monkeypatch.setattr(views, "chart_for", lambda tb: calls.append(tb) or "")
    # The same figures in a new object (as read from the cache on every request): not redrawn.
    assert views.panel_html(table()) == html
    assert calls == []


def test_the_panels_of_a_page_keep_distinct_chart_ids(monkeypatch: Any) -> None:
    """A kept panel keeps its id; panels of different figures never share one."""
    monkeypatch.setattr(views, "_panels", {})
    ids = [re.findall(r'id="(chart\d+)-desc"', views.panel_html(table(key=k))) for k in ("a", "b", "a", "c")]
    assert ids[0] == ids[2] and len({i[0] for i in ids}) == 3


def test_new_figures_are_a_new_panel(monkeypatch: Any) -> None:
    """The key is the whole table: any change of figure, type or label renders anew."""
    monkeypatch.setattr(views, "_panels", {})
    first = views.panel_html(table())
    changed = views.panel_html(table(rows=[["2024-03", 1, 0], ["2024-04", 2, 2]]))
    assert changed != first and ">2</td></tr>" in changed.replace('<td class="num">', ">")
    as_float = views.panel_html(table(rows=[["2024-03", 1, 0], ["2024-04", 2.0, 1]]))
    assert as_float != first and "2.0" in as_float
    assert views.panel_html(table(note="按季度统计")) != first
    assert views.panel_html(table()) == first
    assert len(views._panels) == 4


def test_the_kept_panels_are_bounded(monkeypatch: Any) -> None:
    monkeypatch.setattr(views, "_panels", {})
    monkeypatch.setattr(views, "MAX_PANELS", 3)
    for n in range(5):
        views.panel_html(table(rows=[["2024-03", n, 0]]))
    assert len(views._panels) <= 3


# ---------------------------------------------------------------- the filter's fields


def test_the_unbound_filters_are_the_forms_fields_rendered_once(monkeypatch: Any) -> None:
    from laowu.supervision.forms.statistics import StatisticsFilterForm

    monkeypatch.setattr(views, "_unbound_filters", {})
    expected = render_to_string(views.FILTERS_TEMPLATE, {"form": StatisticsFilterForm()})
    first = views.filters_html(None)
    assert first == expected and 'id="id_month_from"' in first and "has-error" not in first
    built: list[Any] = []
    monkeypatch.setattr(views, "StatisticsFilterForm", lambda *a, **kw: built.append(a) or StatisticsFilterForm())
    assert views.filters_html(None) == first and built == []


def test_another_set_of_filing_types_is_a_new_entry(monkeypatch: Any) -> None:
    """Keyed by the type choices: a type registered later shows up in the select."""
    from laowu.review import registry

    monkeypatch.setattr(views, "_unbound_filters", {})
    before = views.filters_html(None)
    types = dict(registry.filing_models())
    code = next(iter(types))
    # The form and the key read nothing of a type but its label.
    renamed = type("Renamed", (), {"FILING_LABEL": "改名后的归集类型"})
    monkeypatch.setattr(views, "filing_models", lambda: {**types, code: renamed})
    monkeypatch.setattr("laowu.supervision.forms.statistics.filing_models", lambda: {**types, code: renamed})
    after = views.filters_html(None)
    assert "改名后的归集类型" in after and "改名后的归集类型" not in before
    assert len(views._unbound_filters) == 2


def test_a_bound_form_is_rendered_with_its_values_and_errors(db: Any) -> None:
    from laowu.supervision.forms.statistics import StatisticsFilterForm

    form = StatisticsFilterForm({"month_from": "2024-13"})
    html = views.filters_html(form)
    assert 'value="2024-13"' in html and "has-error" in html
    assert "2024-13" not in views.filters_html(None)
