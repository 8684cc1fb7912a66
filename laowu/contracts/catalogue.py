"""The provincial contract catalogue (省合同归集系统): reading its exports and importing them.

A file is read completely and every row checked before anything is written: the
committee fixes a file from one report, and a bad row never leaves half a file in the
catalogue. The same row check serves the HTTP pull (`pull.py`), so both sources
accept exactly the same data.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.http import HttpRequest
from django.utils import timezone

from laowu.audit.services import Action, record
from laowu.core.validators import normalize_credit_code, validate_credit_code

from .models import CATALOGUE_COLUMNS, CATALOGUE_FIELDS, CatalogueContract

HEADERS = tuple(header for _, header in CATALOGUE_COLUMNS)
FIELD_BY_HEADER = {header: field for field, header in CATALOGUE_COLUMNS}
HEADER_BY_FIELD = dict(CATALOGUE_COLUMNS)
DATE_FIELDS = ("signed_date", "planned_start", "planned_end")
TEXT_FIELDS = tuple(f for f in CATALOGUE_FIELDS if f not in (*DATE_FIELDS, "amount", "subcontractor_credit_code"))
MAX_LENGTHS = {f: CatalogueContract._meta.get_field(f).max_length for f in TEXT_FIELDS}

XLSX_MAGIC = b"PK\x03\x04"
# The old binary Excel format (OLE2); openpyxl cannot read it, so say so instead of "bad encoding".
XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCODING_ERROR = "文件编码无法识别，请使用UTF-8或GBK编码的CSV，或xlsx文件"
# A 20 MB upload can unzip to far more; refuse archives that would expand past this.
XLSX_MAX_UNCOMPRESSED = 1024 * 1024 * 1024
# A report past this many lines helps nobody; the total is still counted.
MAX_REPORTED_ERRORS = 5000

_AMOUNT_QUANTUM = Decimal("0.0001")  # the model's decimal_places=4
_AMOUNT_LIMIT = Decimal(10) ** 10  # max_digits=14 leaves 10 digits before the point
_DATE_RE = re.compile(r"^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_DATE_CN_RE = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$")
DATE_FORMAT_HINT = "应为 2024-03-05、2024/03/05 或 2024年3月5日"


# --------------------------------------------------------------------------- results


@dataclasses.dataclass(frozen=True)
class RowError:
    """One problem. ``row`` is the spreadsheet row (header = 1), or the item number of a
    pulled page; None for a problem with the whole file. ``column`` is the Chinese header."""

    row: int | None
    column: str
    message: str

    def describe(self, unit: str = "行") -> str:
        where = f"第{self.row}{unit}" if self.row is not None else "文件"
        return f"{where} {self.column}：{self.message}" if self.column else f"{where}：{self.message}"


@dataclasses.dataclass
class ParseResult:
    rows: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    errors: list[RowError] = dataclasses.field(default_factory=list)
    error_count: int = 0  # all problems found; ``errors`` keeps the first MAX_REPORTED_ERRORS
    data_rows: int = 0  # non-blank rows after the header
    blank_rows: int = 0
    error_rows: int = 0  # rows with at least one problem
    file_format: str = ""  # shown in the preview: "xlsx", "CSV（UTF-8）", ...
    ignored_columns: list[str] = dataclasses.field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error_count == 0 and bool(self.rows)

    def add_error(self, error: RowError) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(error)


@dataclasses.dataclass(frozen=True)
class ImportSummary:
    created: int
    updated: int
    unchanged: int

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


class CatalogueImportError(Exception):
    """The import was refused; nothing was written. ``errors`` holds the row problems, if any."""

    def __init__(self, message: str, errors: Sequence[RowError] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.errors = list(errors)


# --------------------------------------------------------------------------- one row


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        # Excel keeps numbers as binary floats; 15 significant digits is what it displays.
        return format(value, ".15g")
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value).strip()


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):  # an xlsx date cell
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        # A number in a date column is an Excel serial without a date format: ambiguous, so ask.
        raise ValueError(f"日期格式不正确（{DATE_FORMAT_HINT}）：{_text(value)}")
    text = value.strip()
    m = _DATE_RE.match(text)
    parts = (m.group(1), m.group(3), m.group(4)) if m else None
    if parts is None and (m := _DATE_CN_RE.match(text)):
        parts = m.groups()
    if parts is None:
        raise ValueError(f"日期格式不正确（{DATE_FORMAT_HINT}）：{text}")
    try:
        day = dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        raise ValueError(f"日期不存在：{text}") from None
    # A mistyped year (0224, 2204) is a real date to Python but never to this catalogue.
    if not 1990 <= day.year <= 2100:
        raise ValueError(f"日期年份不合理：{text}")
    return day


def _amount(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise ValueError("合同金额应为数字（单位：万元）")
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, float):
        amount = Decimal(format(value, ".15g"))
    else:
        # Exports often carry thousands separators (1,234.50).
        text = _text(value).replace(",", "").replace("，", "")
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"合同金额应为数字（单位：万元）：{_text(value)}") from None
    if not amount.is_finite():
        raise ValueError(f"合同金额应为数字（单位：万元）：{_text(value)}")
    if amount < 0:
        raise ValueError(f"合同金额不能为负数：{_text(value)}")
    if amount >= _AMOUNT_LIMIT:
        raise ValueError(f"合同金额过大（单位为万元）：{_text(value)}")
    quantized = amount.quantize(_AMOUNT_QUANTUM)
    if quantized != amount:
        raise ValueError(f"合同金额最多保留4位小数（单位：万元）：{_text(value)}")
    return quantized


class RowValidator:
    """Checks rows one by one, remembering 合同编号 to catch duplicates across the whole source."""

    def __init__(self, unit: str = "行") -> None:
        self.unit = unit  # "行" for a file's rows, "条" for a pull's items
        self._seen: dict[str, int] = {}
        # Builders, contractors and subcontractors repeat on many rows; sharing one string
        # object per distinct value keeps a 100k-row file's memory down.
        self._shared: dict[str, str] = {}

    def __call__(self, values: Mapping[str, Any], row: int) -> tuple[dict[str, Any] | None, list[RowError]]:
        """``values`` is keyed by Chinese header; returns the clean row (by field name) or errors."""
        errors: list[RowError] = []
        clean: dict[str, Any] = {}

        def fail(field: str, message: str) -> None:
            errors.append(RowError(row, HEADER_BY_FIELD[field], message))

        for field, header in CATALOGUE_COLUMNS:
            raw = values.get(header)
            if _text(raw) == "":
                fail(field, "必填项为空")
                continue
            try:
                if field in DATE_FIELDS:
                    clean[field] = _date(raw)
                elif field == "amount":
                    clean[field] = _amount(raw)
                elif field == "subcontractor_credit_code":
                    code = normalize_credit_code(unicodedata.normalize("NFKC", _text(raw)))
                    validate_credit_code(code)
                    clean[field] = self._shared.setdefault(code, code)
                else:
                    text = _text(raw)
                    if len(text) > MAX_LENGTHS[field]:
                        raise ValueError(f"长度不能超过{MAX_LENGTHS[field]}个字符")
                    clean[field] = self._shared.setdefault(text, text) if field != "contract_no" else text
            except ValidationError as exc:
                fail(field, f"{exc.messages[0].rstrip('。')}：{_text(raw)}")
            except ValueError as exc:
                fail(field, str(exc))

        start, end = clean.get("planned_start"), clean.get("planned_end")
        if start and end and start > end:
            fail("planned_end", f"计划竣工日期（{end:%Y-%m-%d}）早于计划开工日期（{start:%Y-%m-%d}）")
        contract_no = clean.get("contract_no")
        if contract_no:
            first = self._seen.setdefault(contract_no, row)
            if first != row:
                fail("contract_no", f"合同编号“{contract_no}”与第{first}{self.unit}重复")
        return (None, errors) if errors else (clean, [])


# --------------------------------------------------------------------------- files


def _normalize_header(value: Any) -> str:
    # Spreadsheets type half-width brackets as often as full-width ones.
    return _text(value).replace("(", "（").replace(")", "）").replace(" ", "").replace("\u3000", "")


def _is_blank(cells: Sequence[Any]) -> bool:
    return all(_text(c) == "" for c in cells)


def _read_rows(rows: Iterator[Sequence[Any]], result: ParseResult) -> None:
    """Header on the first row, data below; every cell value passed as the file holds it."""
    header = next(rows, None)
    if header is None or _is_blank(header):
        result.add_error(RowError(None, "", "文件中没有内容（第1行应为表头）"))
        return
    positions: dict[str, int] = {}
    for index, cell in enumerate(header):
        name = _normalize_header(cell)
        if name in FIELD_BY_HEADER:
            if name in positions:
                result.add_error(RowError(1, name, "表头重复"))
            positions.setdefault(name, index)
        elif name:
            result.ignored_columns.append(name)
    missing = [h for h in HEADERS if h not in positions]
    if not positions:
        # Usually a title row above the header, or a CSV in another encoding read as GBK.
        result.add_error(RowError(1, "", "未找到任何所需表头：第1行须为表头，文件须为UTF-8或GBK编码的CSV，或xlsx文件"))
    elif missing:
        result.add_error(RowError(1, "", f"缺少表头：{'、'.join(missing)}（第1行须为表头，名称与导入模板一致）"))
    if result.error_count:
        return

    validate = RowValidator()
    for number, cells in enumerate(rows, start=2):
        if _is_blank(cells):
            result.blank_rows += 1
            continue
        result.data_rows += 1
        values = {h: (cells[i] if i < len(cells) else None) for h, i in positions.items()}
        clean, errors = validate(values, number)
        if clean is not None:
            result.rows.append(clean)
        else:
            result.error_rows += 1
            for error in errors:
                result.add_error(error)
    if result.data_rows == 0 and not result.error_count:
        result.add_error(RowError(None, "", "文件中没有合同数据（表头下方没有数据行）"))


def _decode_csv(data: bytes) -> tuple[str, str] | None:
    if data.startswith(b"\xef\xbb\xbf"):
        candidates = (("utf-8-sig", "CSV（UTF-8，带BOM）"),)
    else:
        # GB18030 is a superset of GBK, so it also reads the rare characters GBK lacks.
        candidates = (("utf-8", "CSV（UTF-8）"), ("gb18030", "CSV（GBK）"))
    for encoding, label in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:  # UTF-16 and binary files decode to text full of NULs
            return text, label
    return None


def _parse_csv(data: bytes, result: ParseResult) -> None:
    decoded = _decode_csv(data)
    if decoded is None:
        result.add_error(RowError(None, "", ENCODING_ERROR))
        return
    text, result.file_format = decoded
    try:
        _read_rows(csv.reader(io.StringIO(text, newline="")), result)
    except csv.Error as exc:
        result.add_error(RowError(None, "", f"CSV格式错误：{exc}"))


def _parse_xlsx(data: bytes, result: ParseResult) -> None:
    import openpyxl

    result.file_format = "xlsx"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > XLSX_MAX_UNCOMPRESSED:
                result.add_error(RowError(None, "", "xlsx文件解压后过大，请拆分后分批导入"))
                return
        # read_only streams the sheet row by row; data_only gives a formula's last computed value.
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds (zip, XML, KeyError) for a broken file
        result.add_error(RowError(None, "", "无法读取xlsx文件：文件已损坏或不是有效的Excel文件"))
        return
    try:
        if not workbook.worksheets:
            result.add_error(RowError(None, "", "xlsx文件中没有工作表"))
            return
        sheet = workbook.worksheets[0]
        # Some generators write a wrong <dimension>; without this, read_only trusts it and cuts rows off.
        sheet.reset_dimensions()
        _read_rows(sheet.iter_rows(values_only=True), result)
    except Exception:  # a sheet's XML can be broken past the workbook's opening
        result.add_error(RowError(None, "", "无法读取xlsx文件：文件已损坏或不是有效的Excel文件"))
    finally:
        workbook.close()


def parse_catalogue(data: bytes, filename: str) -> ParseResult:
    """Read and check a CSV or xlsx export. Nothing is written; see ``import_catalogue``."""
    result = ParseResult()
    name = (filename or "").lower()
    if not data:
        result.add_error(RowError(None, "", "文件为空"))
    elif data.startswith(XLS_MAGIC) or (name.endswith(".xls") and not data.startswith(XLSX_MAGIC)):
        result.add_error(RowError(None, "", "不支持旧版Excel（.xls）文件，请另存为xlsx或CSV后再导入"))
    elif data.startswith(XLSX_MAGIC) or name.endswith(".xlsx"):
        _parse_xlsx(data, result)
    else:
        _parse_csv(data, result)
    return result


def validate_items(items: Iterable[Mapping[str, Any]], *, start: int = 1) -> ParseResult:
    """The file's row check for records that arrive as mappings (the HTTP pull); ``row`` is the item number."""
    result = ParseResult(file_format="JSON")
    validate = RowValidator(unit="条")
    for number, item in enumerate(items, start=start):
        result.data_rows += 1
        if not isinstance(item, Mapping):
            result.error_rows += 1
            result.add_error(RowError(number, "", "数据项不是对象"))
            continue
        clean, errors = validate({_normalize_header(k): v for k, v in item.items()}, number)
        if clean is not None:
            result.rows.append(clean)
        else:
            result.error_rows += 1
            for error in errors:
                result.add_error(error)
    return result


# --------------------------------------------------------------------------- import

_LOOKUP_CHUNK = 900  # below SQLite's historic 999-parameter limit
_CREATE_BATCH = 1000
_UPDATE_BATCH = 1000


@dataclasses.dataclass
class ImportPlan:
    """What an import would do, computed against the database without writing."""

    new: list[Mapping[str, Any]]
    changed: list[tuple[int, Mapping[str, Any]]]  # (pk, row)
    unchanged: int

    def summary(self) -> ImportSummary:
        return ImportSummary(created=len(self.new), updated=len(self.changed), unchanged=self.unchanged)

    def statuses(self) -> dict[str, str]:
        """contract_no → "new" | "changed" for the rows that would be written."""
        status = {row["contract_no"]: "new" for row in self.new}
        status.update((row["contract_no"], "changed") for _, row in self.changed)
        return status


def _rows_of(rows: ParseResult | Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    if isinstance(rows, ParseResult):
        if rows.error_count:
            raise CatalogueImportError(f"数据有{rows.error_count}处错误，未导入任何数据。", rows.errors)
        rows = rows.rows
    rows = list(rows)
    if not rows:
        raise CatalogueImportError("没有可导入的合同数据。")
    numbers = [row["contract_no"] for row in rows]
    if len(set(numbers)) != len(numbers):
        raise CatalogueImportError("数据中有重复的合同编号，未导入任何数据。")
    return rows


def plan_catalogue(rows: ParseResult | Iterable[Mapping[str, Any]]) -> ImportPlan:
    """New / changed / unchanged by 合同编号. Used for the upload preview and by the import."""
    by_no = {row["contract_no"]: row for row in _rows_of(rows)}
    numbers = list(by_no)
    existing: dict[str, tuple[int, bool]] = {}  # contract_no → (pk, differs)
    for i in range(0, len(numbers), _LOOKUP_CHUNK):
        # order_by(): the model's default ordering would only add a sort to every lookup.
        found = (
            CatalogueContract.objects.filter(contract_no__in=numbers[i : i + _LOOKUP_CHUNK])
            .order_by()
            .values_list("pk", *CATALOGUE_FIELDS)
        )
        for pk, *values in found:
            current = dict(zip(CATALOGUE_FIELDS, values, strict=True))
            row = by_no[current["contract_no"]]
            existing[current["contract_no"]] = (pk, any(row[f] != current[f] for f in CATALOGUE_FIELDS))
    plan = ImportPlan(new=[], changed=[], unchanged=0)
    for no, row in by_no.items():  # in the source's order, so reports read like the file
        if no not in existing:
            plan.new.append(row)
        elif existing[no][1]:
            plan.changed.append((existing[no][0], row))
        else:
            plan.unchanged += 1
    return plan


def _update_rows(changed: Sequence[tuple[int, Mapping[str, Any]]], *, source: str, now: dt.datetime) -> None:
    """One prepared UPDATE by primary key, run with executemany.

    bulk_update would build a CASE expression per field per row in Python, which for a
    catalogue import of thousands of changed rows takes tens of seconds; one prepared
    statement takes well under a second. get_db_prep_save applies the same conversions the ORM would.
    """
    if not changed:
        return
    meta = CatalogueContract._meta
    fields = [meta.get_field(name) for name in (*CATALOGUE_FIELDS, "source", "updated_at")]
    qn = connection.ops.quote_name
    assignments = ", ".join(f"{qn(f.column)} = %s" for f in fields)
    # Only the model's own quoted names are formatted in; every value is a parameter.
    sql = f"UPDATE {qn(meta.db_table)} SET {assignments} WHERE {qn(meta.pk.column)} = %s"  # noqa: S608  # nosec B608  # the code's own quoted names, values are parameters
    extra = {"source": source, "updated_at": now}  # auto_now is not applied outside save()
    with connection.cursor() as cursor:
        for i in range(0, len(changed), _UPDATE_BATCH):
            cursor.executemany(
                sql,
                [
                    [f.get_db_prep_save(row[f.name] if f.name in row else extra[f.name], connection) for f in fields]
                    + [pk]
                    for pk, row in changed[i : i + _UPDATE_BATCH]
                ],
            )


def import_catalogue(
    *,
    rows: ParseResult | Iterable[Mapping[str, Any]],
    source: str,
    actor: Any = None,
    request: HttpRequest | None = None,
    origin: str = "",
) -> ImportSummary:
    """Upsert by 合同编号 in one transaction, with its audit row; all rows or none.

    ``rows`` is a ``ParseResult`` (refused when it has errors) or clean rows keyed by field
    name. Contracts missing from ``rows`` are kept: an export may cover only part of the
    province, and filed projects point at their contract. ``origin`` (file name or URL)
    goes into the audit row.
    """
    checked = _rows_of(rows)
    now = timezone.now()
    try:
        with transaction.atomic(durable=True):
            plan = plan_catalogue(checked)
            for i in range(0, len(plan.new), _CREATE_BATCH):
                CatalogueContract.objects.bulk_create(
                    [
                        CatalogueContract(**row, source=source, imported_at=now)
                        for row in plan.new[i : i + _CREATE_BATCH]
                    ]
                )
            _update_rows(plan.changed, source=source, now=now)
            summary = plan.summary()
            record(
                action=Action.CATALOGUE_IMPORT,
                request=request,
                user=actor,
                username="manage.py" if actor is None and request is None else "",
                detail={
                    "source": source,
                    "origin": origin[:200],
                    "created": summary.created,
                    "updated": summary.updated,
                    "unchanged": summary.unchanged,
                    # Enough to trace a disputed change without copying the whole file.
                    "updated_contract_nos": [row["contract_no"] for _, row in plan.changed[:100]],
                },
            )
    except IntegrityError as exc:
        # Another import created one of these 合同编号 between our read and our write.
        raise CatalogueImportError("导入时数据被同时修改（可能有另一导入正在进行），未导入任何数据，请重试。") from exc
    return summary
