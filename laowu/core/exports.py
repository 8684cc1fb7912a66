from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# (sheet title, column headers, rows)
Sheet = tuple[str, Sequence[str], Iterable[Sequence[Any]]]


def _cell(value: Any) -> Any:
    # Strings starting with = + - @ would run as formulas in Excel: keep them text.
    return f"'{value}" if isinstance(value, str) and value[:1] in "=+-@" else value


def workbook_response(*, filename: str, sheets: Iterable[Sheet], first_column_width: int = 14) -> HttpResponse:
    """An .xlsx download with one sheet per (title, headers, rows). Write-only mode keeps
    memory flat for long lists."""
    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    for title, headers, rows in sheets:
        # Sheet names: at most 31 characters, none of []:*?/\ .
        ws = wb.create_sheet(title="".join(ch for ch in title if ch not in "[]:*?/\\")[:31])
        ws.column_dimensions["A"].width = first_column_width
        header_cells = []
        for h in headers:
            cell = WriteOnlyCell(ws, value=h)
            cell.font = bold
            header_cells.append(cell)
        ws.append(header_cells)
        for row in rows:
            ws.append([_cell(v) for v in row])
    out = io.BytesIO()
    wb.save(out)
    response = HttpResponse(out.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def xlsx_response(*, filename: str, title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> HttpResponse:
    """An .xlsx download of one list."""
    return workbook_response(filename=filename, sheets=[(title, headers, rows)])
