"""Excel exports (laowu/core/exports.py): typed cells, the formula guard, the frozen header and
the column widths."""

from __future__ import annotations

import datetime as dt
import io
import operator
import zoneinfo
from decimal import Decimal
from typing import Any

import openpyxl
import pytest

from laowu.core.exports import (
    XLSX,
    Column,
    Kind,
    Sheet,
    export_response,
    field_column,
    guard_text,
    workbook_response,
)

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def sheet_of(resp: Any) -> Any:
    assert resp["Content-Type"] == XLSX
    return openpyxl.load_workbook(io.BytesIO(resp.content)).active


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+86 139", "'+86 139"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("", ""),
        ("a=b", "a=b"),
        ("苏州-相城", "苏州-相城"),
    ],
)
def test_guard_only_where_text_starts_like_a_formula(text: str, kept: str) -> None:
    assert guard_text(text) == kept


def test_cells_are_typed(settings: Any) -> None:
    settings.TIME_ZONE = "Asia/Shanghai"
    rows = [
        {
            "name": "=1+1",
            "count": 3,
            "amount": Decimal("1280.5000"),
            "on": dt.date(2026, 3, 1),
            "at": dt.datetime(2026, 3, 1, 1, 30, 45, tzinfo=dt.UTC),
        },
        {"name": "", "count": None, "amount": None, "on": None, "at": None},
    ]
    columns: list[Column[dict[str, Any]]] = [
        Column("名称", lambda r: r["name"], width=30),
        Column("数量", lambda r: r["count"], kind=Kind.NUMBER),
        Column("金额", lambda r: r["amount"], kind=Kind.AMOUNT),
        Column("日期", lambda r: r["on"], kind=Kind.DATE),
        Column("时间", lambda r: r["at"], kind=Kind.DATETIME),
    ]
    ws = sheet_of(export_response(filename="x.xlsx", title="列表", columns=columns, rows=rows))
    assert [c.value for c in ws[1]] == ["名称", "数量", "金额", "日期", "时间"]
    assert all(c.font.bold for c in ws[1])
    name, count, amount, on, at = ws[2]
    assert name.value == "'=1+1" and name.data_type == "s"
    assert count.value == 3 and count.data_type == "n"
    assert amount.value == 1280.5 and amount.data_type == "n" and amount.number_format == "General"
    assert on.value == dt.datetime(2026, 3, 1) and on.number_format == "yyyy-mm-dd"
    # The platform's local time, to the minute (as the pages show it).
    assert at.value == dt.datetime(2026, 3, 1, 9, 30) and at.number_format == "yyyy-mm-dd hh:mm"
    # Empty values are empty cells, not an apostrophe.
    assert [c.value for c in ws[3]] == [None] * 5
    assert ws.freeze_panes == "A2"
    widths = {letter: ws.column_dimensions[letter].width for letter in "ABCDE"}
    assert widths == {"A": 30, "B": 10, "C": 14, "D": 12, "E": 17}


def test_a_column_may_set_its_number_format() -> None:
    column = Column("金额", lambda r: r, kind=Kind.AMOUNT, number_format="#,##0.0000")
    ws = sheet_of(export_response(filename="x.xlsx", title="t", columns=[column], rows=[Decimal("1.5")]))
    assert ws["A2"].value == 1.5 and ws["A2"].number_format == "#,##0.0000"


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        (Kind.NUMBER, "3"),
        (Kind.NUMBER, True),
        (Kind.AMOUNT, "1.5"),
        (Kind.DATE, "2026-03-01"),
        (Kind.DATE, dt.datetime(2026, 3, 1, tzinfo=dt.UTC)),
        (Kind.DATETIME, dt.date(2026, 3, 1)),
    ],
)
def test_a_value_of_the_wrong_kind_fails_loudly(kind: Kind, value: Any) -> None:
    with pytest.raises(TypeError):
        export_response(filename="x.xlsx", title="t", columns=[Column("x", lambda r: r, kind=kind)], rows=[value])


def test_text_columns_write_any_value_as_guarded_text() -> None:
    columns = [Column("区划", lambda r: r)]
    ws = sheet_of(export_response(filename="x.xlsx", title="t", columns=columns, rows=[12, "-x"]))
    assert [ws["A2"].value, ws["A3"].value] == ["12", "'-x"]


def test_field_columns_take_kind_and_header_from_the_model() -> None:
    from laowu.contracts.models import ProjectFiling

    amount = field_column(ProjectFiling, "amount")
    assert (amount.header, amount.kind, amount.number_format) == ("合同金额（万元）", Kind.AMOUNT, None)
    assert field_column(ProjectFiling, "signed_date").kind is Kind.DATE
    assert field_column(ProjectFiling, "created_at").kind is Kind.DATETIME
    assert field_column(ProjectFiling, "planned_workers").kind is Kind.NUMBER
    name = field_column(ProjectFiling, "project_name", header="名称", width=30)
    assert (name.header, name.kind, name.width) == ("名称", Kind.TEXT, 30)
    assert name.value(ProjectFiling(project_name="阳澄湖项目")) == "阳澄湖项目"


def test_workbook_of_several_sheets() -> None:
    sheets = [
        Sheet("概况[1]", [Column("项目", lambda r: r[0]), Column("数值", lambda r: r[1], kind=Kind.AUTO)], [("a", 2)]),
        Sheet("x" * 40, [Column("h", lambda r: r)], ["v"]),
    ]
    wb = openpyxl.load_workbook(io.BytesIO(workbook_response(filename="x.xlsx", sheets=sheets).content))
    assert wb.sheetnames == ["概况1", "x" * 31]
    assert wb["概况1"]["B2"].value == 2


def test_auto_columns_are_typed_by_value() -> None:
    columns = [Column(h, operator.itemgetter(i), kind=Kind.AUTO) for i, h in enumerate(["名称", "数量", "日期", "空"])]
    resp = export_response(filename="x.xlsx", title="t", columns=columns, rows=[["=x", 5, dt.date(2026, 1, 2), ""]])
    ws = sheet_of(resp)
    assert [c.value for c in ws[2]] == ["'=x", 5, dt.datetime(2026, 1, 2), None]
    assert ws["C2"].number_format == "yyyy-mm-dd" and ws.freeze_panes == "A2"
