"""Excel downloads of lists: each list declares its columns once (header, value, kind, width).

Cells are typed, so that a spreadsheet sorts, sums and filters them as what they are:
numbers as numbers, amounts as numbers with a number format, dates and times as dates with
a date format. Text is what enterprises and staff typed: where it starts like a formula it
is kept as text (see `guard_text`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import enum
import io
import operator
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any, Generic, TypeVar
from urllib.parse import quote

from django.db import models
from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

R = TypeVar("R")


class Kind(enum.Enum):
    TEXT = "text"
    NUMBER = "number"  # int, float or Decimal, in Excel's general format
    AMOUNT = "amount"  # a Decimal amount, with its decimal places shown
    DATE = "date"
    DATETIME = "datetime"  # shown in the platform's time zone, to the minute
    AUTO = "auto"  # each value as its own type: a column whose rows differ (a summary's values)


DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
# Amounts as the pages write them (laowu/core/numbers.py format_amount): 356, 1280.5, 1280.1234 —
# Excel's General does exactly that for figures of this size; a fixed "0.0000" would show 356.0000.
AMOUNT_FORMAT = "General"
_WIDTHS = {Kind.TEXT: 16, Kind.NUMBER: 10, Kind.AMOUNT: 14, Kind.DATE: 12, Kind.DATETIME: 17, Kind.AUTO: 16}

# Excel runs a cell starting with one of these as a formula (a tab or carriage return is
# trimmed first): a value typed as "=HYPERLINK(…)" must open as text, not as a link.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclasses.dataclass(frozen=True)
class Column(Generic[R]):
    header: str
    value: Callable[[R], Any]  # the cell's value for a row; None for an empty cell
    kind: Kind = Kind.TEXT
    width: float | None = None  # in characters; by default the kind's
    number_format: str | None = None  # for numbers, amounts and dates: instead of the kind's


@dataclasses.dataclass(frozen=True)
class Sheet(Generic[R]):
    title: str
    columns: Sequence[Column[R]]
    rows: Iterable[R]


def field_column(
    model: type[models.Model],
    name: str,
    *,
    header: str | None = None,
    width: float | None = None,
    value: Callable[[Any], Any] | None = None,
) -> Column[Any]:
    """A column of a model field's value, its kind and header taken from the field."""
    field = model._meta.get_field(name)
    kind = Kind.TEXT
    if isinstance(field, models.DecimalField):
        kind = Kind.AMOUNT
    elif isinstance(field, models.DateTimeField):
        kind = Kind.DATETIME
    elif isinstance(field, models.DateField):
        kind = Kind.DATE
    elif isinstance(field, models.IntegerField | models.FloatField):
        kind = Kind.NUMBER
    return Column(
        header if header is not None else str(field.verbose_name),  # type: ignore[union-attr]
        value or operator.attrgetter(name),
        kind=kind,
        width=width,
    )


def guard_text(value: str) -> str:
    """Text that Excel would run as a formula, with an apostrophe in front; other text as is."""
    return f"'{value}" if value.startswith(_FORMULA_START) else value


def _typed(value: Any, kind: Kind) -> tuple[Any, str | None]:
    """The cell's value and number format."""
    if value is None or value == "":
        return None, None
    if kind is Kind.AUTO:
        kind = _kind_of(value)
    if kind is Kind.TEXT:
        return guard_text(str(value)), None
    if kind in (Kind.NUMBER, Kind.AMOUNT):
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            raise TypeError(f"a number column got {value!r}")
        return value, (AMOUNT_FORMAT if kind is Kind.AMOUNT else None)
    if kind is Kind.DATETIME:
        if not isinstance(value, dt.datetime):
            raise TypeError(f"a date-time column got {value!r}")
        # Excel has no time zones: the platform's local time, as every page shows it.
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        return local.replace(tzinfo=None, second=0, microsecond=0), DATETIME_FORMAT
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise TypeError(f"a date column got {value!r}")
    return value, DATE_FORMAT


def _kind_of(value: Any) -> Kind:
    if isinstance(value, Decimal):
        return Kind.AMOUNT
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Kind.NUMBER
    if isinstance(value, dt.datetime):
        return Kind.DATETIME
    if isinstance(value, dt.date):
        return Kind.DATE
    return Kind.TEXT


def _cell(ws: WriteOnlyWorksheet, column: Column[Any], row: Any) -> Any:
    value, number_format = _typed(column.value(row), column.kind)
    if value is None or isinstance(value, str):
        return value
    number_format = column.number_format or number_format
    if number_format is None:
        return value
    cell = WriteOnlyCell(ws, value=value)
    cell.number_format = number_format
    return cell


def _write_sheet(wb: Workbook, sheet: Sheet[Any]) -> None:
    # Sheet names: at most 31 characters, none of []:*?/\ .
    ws = wb.create_sheet(title="".join(ch for ch in sheet.title if ch not in "[]:*?/\\")[:31])
    ws.freeze_panes = "A2"  # the header stays in view while scrolling
    for i, column in enumerate(sheet.columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = column.width or _WIDTHS[column.kind]
    bold = Font(bold=True)
    header = []
    for column in sheet.columns:
        cell = WriteOnlyCell(ws, value=guard_text(column.header))
        cell.font = bold
        header.append(cell)
    ws.append(header)
    for row in sheet.rows:
        ws.append([_cell(ws, column, row) for column in sheet.columns])


def workbook_response(*, filename: str, sheets: Iterable[Sheet[Any]]) -> HttpResponse:
    """An .xlsx download with one sheet per `Sheet`. Write-only mode keeps memory flat for
    long lists: rows are written as they are read."""
    wb = Workbook(write_only=True)
    try:
        for sheet in sheets:
            _write_sheet(wb, sheet)
    except Exception:
        # A sheet left half-written would fail again when garbage-collected, hiding this error.
        for ws in wb.worksheets:
            with contextlib.suppress(Exception):
                ws.close()
        raise
    out = io.BytesIO()
    wb.save(out)
    response = HttpResponse(out.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def export_response(*, filename: str, title: str, columns: Sequence[Column[R]], rows: Iterable[R]) -> HttpResponse:
    """An .xlsx download of one list."""
    return workbook_response(filename=filename, sheets=[Sheet(title, columns, rows)])
