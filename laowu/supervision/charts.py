"""Bar charts drawn on the server as inline SVG for the statistics pages.

Pages must work with JavaScript off and in old browsers (IE9+ draws inline SVG 1.1), and no
chart library may be fetched, so the few shapes needed are written here: a value axis with
round ticks, bars grouped or stacked per category, a legend, and a <title> on every bar as
its tooltip. Every text that reaches the markup goes through `_esc`; the result is marked
safe only after that. A data table always accompanies a chart on the page (screen readers
and printing read the table), so the chart itself is `role="img"` with a label.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Sequence
from html import escape

from django.utils.safestring import SafeString, mark_safe

PALETTE = ("#1f5fae", "#67c23a", "#e6a23c", "#f56c6c", "#909399", "#7b61c4", "#2bb5b8", "#b8741a")
FONT = "Microsoft YaHei, PingFang SC, Hiragino Sans GB, SimSun, sans-serif"
FONT_SIZE = 12
AXIS_COLOR = "#909399"
GRID_COLOR = "#ebeef5"
TEXT_COLOR = "#606266"
MAX_BAR = 64

_ids = itertools.count(1)


@dataclasses.dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[int | float]
    color: str = ""


def _esc(text: object) -> str:
    return escape(str(text), quote=True)


def _num(value: float) -> str:
    """Coordinates with at most one decimal: short markup, no float noise."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _fmt(value: int | float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _line(x1: float, y1: float, x2: float, y2: float, stroke: str = AXIS_COLOR) -> str:
    return f'<line x1="{_num(x1)}" y1="{_num(y1)}" x2="{_num(x2)}" y2="{_num(y2)}" stroke="{stroke}"/>'


def _text(x: float, y: float, text: object, *, anchor: str = "middle", extra: str = "") -> str:
    return f'<text x="{_num(x)}" y="{_num(y)}" text-anchor="{anchor}" fill="{TEXT_COLOR}"{extra}>{_esc(text)}</text>'


def text_width(text: str, size: int = FONT_SIZE) -> float:
    """An estimate good enough for layout: CJK glyphs are square, Latin ones about 0.6 em."""
    return sum(size if ord(ch) > 0x2E7F else size * 0.6 for ch in text)


def nice_ticks(maximum: float, *, count: int = 5) -> list[int | float]:
    """Ticks from 0 to at least `maximum` at a step of 1, 2 or 5 × 10ⁿ (whole numbers for counts)."""
    if maximum <= 0:
        return [0, 1]
    raw = maximum / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step: float = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    if maximum >= 1:
        step = max(1, round(step))
    top = math.ceil(maximum / step - 1e-9) * step
    ticks = []
    value: float = 0
    while value <= top + step / 2:
        ticks.append(int(value) if float(value).is_integer() else round(value, 10))
        value += step
    return ticks


def bar_chart(
    *,
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    stacked: bool = False,
    width: int = 600,
    height: int = 280,
    unit: str = "",
) -> SafeString:
    """A vertical bar chart: one bar per category, or one per series side by side (grouped), or
    the series on top of each other (stacked). Zero values draw no bar."""
    if not series or any(len(s.values) != len(categories) for s in series):
        raise ValueError("every series needs one value per category")
    colors = [s.color or PALETTE[i % len(PALETTE)] for i, s in enumerate(series)]
    if stacked:
        peak = max((sum(s.values[i] for s in series) for i in range(len(categories))), default=0)
    else:
        peak = max((v for s in series for v in s.values), default=0)
    ticks = nice_ticks(peak)
    y_max = ticks[-1]
    tick_labels = [_fmt(t) for t in ticks]

    legend = len(series) > 1
    left = max(36.0, max(text_width(t) for t in tick_labels) + 14)
    # Room above the plot for the legend and for the figure over the tallest bar.
    top = 40.0 if legend else 22.0
    right = 12.0
    plot_w = width - left - right
    slot = plot_w / max(len(categories), 1)
    widest = max((text_width(c) for c in categories), default=0)
    rotate = widest > slot - 4
    # Rotated labels hang at 45°: their height is their width times sin 45°.
    bottom = (widest * 0.71 + 18) if rotate else 26.0
    height = max(height, int(top + bottom + 120))
    plot_h = height - top - bottom
    base = top + plot_h

    def y(value: float) -> float:
        return base - (value / y_max) * plot_h if y_max else base

    uid = f"chart{next(_ids)}"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{_esc(title)}" '
        f'aria-describedby="{uid}-desc" font-family="{_esc(FONT)}" font-size="{FONT_SIZE}">',
        f"<title>{_esc(title)}</title>",
        f'<desc id="{uid}-desc">{_esc(title)}：各项数值见图旁的数据表。</desc>',
    ]

    # Value axis: grid lines and tick labels.
    out.append('<g class="axis axis-y">')
    for tick, label in zip(ticks, tick_labels, strict=True):
        ty = y(tick)
        out.append(_line(left, ty, width - right, ty, GRID_COLOR if tick else AXIS_COLOR))
        out.append(_text(left - 6, ty + 4, label, anchor="end"))
    out.append(_line(left, top, left, base))
    if unit:
        out.append(_text(left - 6, top - 4, unit, anchor="end"))
    out.append("</g>")

    # Bars, one <rect> with its own tooltip each.
    out.append('<g class="bars">')
    # Bars no wider than a thumb, however few the categories: a lone bar filling the plot reads badly.
    if stacked or len(series) == 1:
        group_w = min(slot * 0.56, MAX_BAR)
        bar_w = group_w
    else:
        bar_w = min(slot * 0.76 / len(series), MAX_BAR / 2)
        group_w = bar_w * len(series)
    single = len(series) == 1
    for i, category in enumerate(categories):
        x0 = left + slot * i + (slot - group_w) / 2
        stack = 0.0
        for j, s in enumerate(series):
            value = s.values[i]
            if stacked:
                bx, y_top, y_bottom = x0, y(stack + value), y(stack)
                stack += value
            else:
                bx, y_top, y_bottom = x0 + bar_w * j, y(value), base
            if value <= 0:
                continue
            label = f"{category}：{_fmt(value)}{unit}" if single else f"{category} · {s.name}：{_fmt(value)}{unit}"
            out.append(
                f'<rect x="{_num(bx)}" y="{_num(y_top)}" width="{_num(max(bar_w - 1, 1))}" '
                f'height="{_num(max(y_bottom - y_top, 0.5))}" fill="{colors[j]}"><title>{_esc(label)}</title></rect>'
            )
        # The figure on top of a bar (or stack) where it fits.
        total = stack if stacked else (series[0].values[i] if single else 0)
        if (stacked or single) and total > 0 and text_width(_fmt(total)) <= slot:
            out.append(_text(x0 + group_w / 2, y(total) - 4, _fmt(total)))
    out.append("</g>")

    # Category axis.
    out.append('<g class="axis axis-x">')
    out.append(_line(left, base, width - right, base))
    for i, category in enumerate(categories):
        cx = left + slot * i + slot / 2
        out.append(_line(cx, base, cx, base + 4))
        if rotate:
            turn = f' transform="rotate(-45 {_num(cx)} {_num(base + 14)})"'
            out.append(_text(cx, base + 14, category, anchor="end", extra=turn))
        else:
            out.append(_text(cx, base + 18, category))
    out.append("</g>")

    if legend:
        out.append('<g class="legend">')
        lx = left
        for s, color in zip(series, colors, strict=True):
            out.append(f'<rect x="{_num(lx)}" y="8" width="12" height="12" fill="{color}"/>')
            out.append(_text(lx + 16, 18, s.name, anchor="start"))
            lx += 16 + text_width(s.name) + 18
        out.append("</g>")

    if peak <= 0:
        out.append(_text(left + plot_w / 2, top + plot_h / 2, "暂无数据", extra=' font-size="14"'))
    out.append("</svg>")
    # Safe: every interpolated text above went through _esc; the rest is our own markup.
    return mark_safe("".join(out))  # noqa: S308  # nosec B308 B703  # escaped text and our own markup only
