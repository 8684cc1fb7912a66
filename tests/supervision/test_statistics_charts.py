"""The server-side SVG bar charts: well-formed, escaped, accessible, and drawn to scale."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from laowu.supervision.charts import Series, bar_chart, nice_ticks, text_width

NS = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own markup, parsed to prove it well-formed


def bars(root: ET.Element) -> list[ET.Element]:
    group = root.find(f"{NS}g[@class='bars']")
    assert group is not None
    return list(group.iter(f"{NS}rect"))


def tick_labels(root: ET.Element) -> list[str]:
    group = root.find(f"{NS}g[@class='axis axis-y']")
    assert group is not None
    return [t.text or "" for t in group.iter(f"{NS}text")]


@pytest.mark.parametrize(
    ("peak", "ticks"),
    [
        (0, [0, 1]),
        (1, [0, 1]),
        (3, [0, 1, 2, 3]),
        (7, [0, 2, 4, 6, 8]),
        (10, [0, 2, 4, 6, 8, 10]),
        (13, [0, 5, 10, 15]),
        (100, [0, 20, 40, 60, 80, 100]),
        (1234, [0, 500, 1000, 1500]),
    ],
)
def test_nice_ticks(peak: int, ticks: list[int]) -> None:
    assert nice_ticks(peak) == ticks


def test_text_is_escaped_and_the_svg_well_formed() -> None:
    nasty = '<script>alert("x")</script> & 公司'
    svg = bar_chart(
        title=f"标题{nasty}", categories=[nasty, "乙"], series=[Series(f"系列{nasty}", [3, 1]), Series("丙", [0, 2])]
    )
    assert "<script>" not in svg
    root = parse(svg)  # raises if not well-formed
    assert root.get("role") == "img" and root.get("aria-label") == f"标题{nasty}"
    assert root.find(f"{NS}title").text == f"标题{nasty}"  # type: ignore[union-attr]
    desc_id = root.get("aria-describedby")
    assert root.find(f"{NS}desc").get("id") == desc_id  # type: ignore[union-attr]
    titles = [r.find(f"{NS}title").text for r in bars(root)]  # type: ignore[union-attr]
    assert titles == [f"{nasty} · 系列{nasty}：3", f"乙 · 系列{nasty}：1", "乙 · 丙：2"]
    legend = [t.text for t in root.find(f"{NS}g[@class='legend']").iter(f"{NS}text")]  # type: ignore[union-attr]
    assert legend == [f"系列{nasty}", "丙"]


def test_single_series_bars_to_scale_with_value_labels() -> None:
    root = parse(
        bar_chart(title="每月新注册企业", categories=["1月", "2月", "3月"], series=[Series("企业", [2, 8, 4])])
    )
    assert tick_labels(root) == ["0", "2", "4", "6", "8"]
    rects = bars(root)
    heights = [float(r.get("height")) for r in rects]  # type: ignore[arg-type]
    assert heights[1] == pytest.approx(4 * heights[0], rel=0.01) and heights[2] == pytest.approx(
        2 * heights[0], rel=0.01
    )
    # Bars stand on the same baseline, left to right in category order.
    bottoms = {round(float(r.get("y")) + float(r.get("height")), 1) for r in rects}  # type: ignore[arg-type]
    assert len(bottoms) == 1
    xs = [float(r.get("x")) for r in rects]  # type: ignore[arg-type]
    assert xs == sorted(xs)
    assert [r.find(f"{NS}title").text for r in rects] == ["1月：2", "2月：8", "3月：4"]  # type: ignore[union-attr]
    values = [t.text for t in root.find(f"{NS}g[@class='bars']").iter(f"{NS}text")]  # type: ignore[union-attr]
    assert values == ["2", "8", "4"]
    axis = [t.text for t in root.find(f"{NS}g[@class='axis axis-x']").iter(f"{NS}text")]  # type: ignore[union-attr]
    assert axis == ["1月", "2月", "3月"]
    assert root.find(f"{NS}g[@class='legend']") is None  # one series needs no legend


def test_stacked_bars_sit_on_each_other() -> None:
    root = parse(
        bar_chart(
            title="状态",
            categories=["基本信息"],
            series=[Series("草稿", [1]), Series("已申报", [0]), Series("已通过", [3])],
            stacked=True,
        )
    )
    assert tick_labels(root)[-1] == "4"
    low, high = bars(root)  # the zero draws nothing
    assert float(high.get("y")) + float(high.get("height")) == pytest.approx(float(low.get("y")), abs=0.2)  # type: ignore[arg-type]
    assert float(high.get("height")) == pytest.approx(3 * float(low.get("height")), rel=0.01)  # type: ignore[arg-type]
    assert low.get("x") == high.get("x")
    total = [t.text for t in root.find(f"{NS}g[@class='bars']").iter(f"{NS}text")]  # type: ignore[union-attr]
    assert total == ["4"]


def test_grouped_bars_side_by_side() -> None:
    root = parse(bar_chart(title="月", categories=["1月"], series=[Series("申报", [2]), Series("通过", [1])]))
    first, second = bars(root)
    assert float(second.get("x")) > float(first.get("x")) + float(first.get("width"))  # type: ignore[arg-type]
    assert first.get("fill") != second.get("fill")


def test_crowded_labels_turn() -> None:
    months = [f"2024-{i:02d}" for i in range(1, 13)] + [f"2025-{i:02d}" for i in range(1, 13)]
    root = parse(bar_chart(title="两年", categories=months, series=[Series("申报", [1] * 24)], width=600))
    labels = list(root.find(f"{NS}g[@class='axis axis-x']").iter(f"{NS}text"))  # type: ignore[union-attr]
    assert len(labels) == 24 and all((label.get("transform") or "").startswith("rotate(-45") for label in labels)
    # …and the picture grows to keep them inside it.
    assert int(root.get("height")) >= 280  # type: ignore[arg-type]
    roomy = parse(bar_chart(title="三类", categories=["甲", "乙", "丙"], series=[Series("n", [1, 2, 3])]))
    assert all(t.get("transform") is None for t in roomy.find(f"{NS}g[@class='axis axis-x']").iter(f"{NS}text"))  # type: ignore[union-attr]


def test_no_data() -> None:
    root = parse(bar_chart(title="空", categories=["甲", "乙"], series=[Series("n", [0, 0])]))
    assert bars(root) == [] and "暂无数据" in ET.tostring(root, encoding="unicode")
    assert tick_labels(root) == ["0", "1"]


def test_values_must_match_categories() -> None:
    with pytest.raises(ValueError):
        bar_chart(title="错", categories=["甲", "乙"], series=[Series("n", [1])])


def test_text_width_counts_cjk_wider() -> None:
    assert text_width("企业") == 24 and text_width("2024") == pytest.approx(28.8)
