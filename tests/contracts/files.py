"""Catalogue files generated for the tests: CSV in several encodings and xlsx."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from typing import Any

import openpyxl

from laowu.contracts.catalogue import HEADERS
from tests.factories import make_credit_code

# Column order differs from HEADERS on purpose: the importer must go by header, not position.
SHUFFLED = (*HEADERS[5:], *HEADERS[:5])


def contract_row(n: int, **overrides: Any) -> dict[str, Any]:
    """One valid catalogue row keyed by Chinese header, as the province would export it."""
    signed = dt.date(2025, 1, 1) + dt.timedelta(days=n % 300)
    row: dict[str, Any] = {
        "项目编号": f"32050720250{n:06d}",
        "项目名称": f"相城区测试项目{n}号楼工程",
        "项目地点": "苏州市相城区元和街道嘉元路",
        "建设单位": "苏州元和新城置业有限公司",
        "施工总承包单位": "江苏恒岳建设集团有限公司",
        "合同编号": f"HT-2025-{n:06d}",
        "劳务分包单位": f"苏州测试{n % 7}号建筑劳务有限公司",
        "劳务分包单位统一社会信用代码": make_credit_code(n % 7 + 1),
        "合同金额（万元）": f"{100 + n % 900}.50",
        "签订日期": signed.isoformat(),
        "计划开工日期": (signed + dt.timedelta(days=10)).strftime("%Y/%m/%d"),
        "计划竣工日期": f"{signed.year + 1}年{signed.month}月{signed.day}日",
    }
    row.update(overrides)
    return row


def rows(count: int, start: int = 1) -> list[dict[str, Any]]:
    return [contract_row(n) for n in range(start, start + count)]


def csv_text(data: Sequence[dict[str, Any]], headers: Sequence[str] = SHUFFLED) -> str:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers)
    for row in data:
        writer.writerow([row.get(h, "") for h in headers])
    return out.getvalue()


def csv_bytes(data: Sequence[dict[str, Any]], *, encoding: str = "utf-8", headers: Sequence[str] = SHUFFLED) -> bytes:
    """``encoding`` "utf-8-sig" writes the BOM Excel adds; "gbk" is what 中文版 Excel saves."""
    return csv_text(data, headers).encode(encoding)


def xlsx_bytes(
    data: Sequence[dict[str, Any]],
    *,
    headers: Sequence[str] = SHUFFLED,
    typed: bool = True,
    blank_rows_after: Sequence[int] = (),
) -> bytes:
    """An xlsx workbook; ``typed`` stores dates as date cells and amounts as numbers, as Excel does."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(list(headers))
    for i, row in enumerate(data):
        values = []
        for h in headers:
            value = row.get(h, "")
            if typed and h in ("签订日期", "计划开工日期", "计划竣工日期") and isinstance(value, str):
                value = _as_date(value)
            if typed and h == "合同金额（万元）" and isinstance(value, str):
                value = float(value)
            values.append(value)
        sheet.append(values)
        if i in blank_rows_after:
            sheet.append([])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _as_date(text: str) -> Any:
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日"):
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    return text
