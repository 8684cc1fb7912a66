"""Reading catalogue files: encodings, xlsx, headers and the per-row checks (no database)."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal

import pytest

from laowu.contracts.catalogue import ENCODING_ERROR, HEADERS, RowError, parse_catalogue, validate_items

from .files import contract_row, csv_bytes, csv_text, rows, xlsx_bytes


def _errors(result: object) -> list[tuple[int | None, str, str]]:
    return [(e.row, e.column, e.message) for e in result.errors]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("encoding", "label"),
    [("utf-8", "CSV（UTF-8）"), ("utf-8-sig", "CSV（UTF-8，带BOM）"), ("gbk", "CSV（GBK）")],
)
def test_csv_encodings_read_the_same(encoding: str, label: str) -> None:
    result = parse_catalogue(csv_bytes(rows(3), encoding=encoding), "export.csv")
    assert result.ok, _errors(result)
    assert result.file_format == label
    first = result.rows[0]
    assert first == {
        "project_code": "32050720250000001",
        "project_name": "相城区测试项目1号楼工程",
        "project_location": "苏州市相城区元和街道嘉元路",
        "builder": "苏州元和新城置业有限公司",
        "general_contractor": "江苏恒岳建设集团有限公司",
        "contract_no": "HT-2025-000001",
        "subcontractor": "苏州测试1号建筑劳务有限公司",
        "subcontractor_credit_code": contract_row(1)["劳务分包单位统一社会信用代码"],
        "amount": Decimal("101.5000"),
        "signed_date": dt.date(2025, 1, 2),
        "planned_start": dt.date(2025, 1, 12),
        "planned_end": dt.date(2026, 1, 2),
    }
    assert (result.data_rows, result.error_rows, result.error_count) == (3, 0, 0)


def test_gbk_text_is_not_mistaken_for_utf8() -> None:
    data = csv_bytes([contract_row(1, 项目名称="黄埭镇潘阳工业园厂房工程")], encoding="gbk")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    result = parse_catalogue(data, "gbk.csv")
    assert result.ok
    assert result.rows[0]["project_name"] == "黄埭镇潘阳工业园厂房工程"


def test_xlsx_with_extra_column_typed_cells_and_blank_rows() -> None:
    headers = ("备注", *HEADERS, "导出时间")
    data = [contract_row(n, 备注="省系统导出", 导出时间="2025-06-01 08:00") for n in range(1, 6)]
    result = parse_catalogue(xlsx_bytes(data, headers=headers, blank_rows_after=(1,)), "catalogue.xlsx")
    assert result.ok, _errors(result)
    assert result.file_format == "xlsx"
    assert result.ignored_columns == ["备注", "导出时间"]
    assert (result.data_rows, result.blank_rows) == (5, 1)
    assert result.rows[0]["signed_date"] == dt.date(2025, 1, 2)
    assert result.rows[0]["amount"] == Decimal("101.5")
    assert [r["contract_no"] for r in result.rows] == [f"HT-2025-{n:06d}" for n in range(1, 6)]


def test_xlsx_detected_by_content_not_name() -> None:
    result = parse_catalogue(xlsx_bytes(rows(2)), "download")
    assert result.ok and result.file_format == "xlsx"


def test_xlsx_row_numbers_count_blank_rows() -> None:
    data = rows(3)
    data[2]["签订日期"] = "2025-13-01"
    result = parse_catalogue(xlsx_bytes(data, typed=False, blank_rows_after=(0,)), "c.xlsx")
    # header=1, data rows 2, (blank 3), 4, 5: the bad third row is spreadsheet row 5.
    assert _errors(result) == [(5, "签订日期", "日期不存在：2025-13-01")]


def test_headers_tolerate_spaces_and_half_width_brackets() -> None:
    headers = [f" {h} " for h in HEADERS]
    headers[HEADERS.index("合同金额（万元）")] = "合同金额(万元)"
    text = csv_text(rows(1), headers=HEADERS).split("\r\n", 1)[1]
    data = (",".join(headers) + "\r\n" + text).encode()
    result = parse_catalogue(data, "c.csv")
    assert result.ok, _errors(result)


def test_missing_headers_are_listed() -> None:
    headers = [h for h in HEADERS if h not in ("签订日期", "劳务分包单位统一社会信用代码")]
    result = parse_catalogue(csv_bytes(rows(2), headers=headers), "c.csv")
    assert not result.ok and result.rows == []
    assert _errors(result) == [
        (1, "", "缺少表头：劳务分包单位统一社会信用代码、签订日期（第1行须为表头，名称与导入模板一致）")
    ]


def test_title_row_above_header_is_reported() -> None:
    data = ("省合同归集数据导出\r\n" + csv_text(rows(1))).encode()
    result = parse_catalogue(data, "c.csv")
    assert _errors(result) == [(1, "", "未找到任何所需表头：第1行须为表头，文件须为UTF-8或GBK编码的CSV，或xlsx文件")]


def test_duplicate_header_is_reported() -> None:
    headers = (*HEADERS, "合同编号")
    result = parse_catalogue(csv_bytes(rows(1), headers=headers), "c.csv")
    assert _errors(result) == [(1, "合同编号", "表头重复")]


def test_bad_dates_with_row_numbers() -> None:
    data = rows(6)
    data[0]["签订日期"] = "2025.3.5"  # fine: dots are common too
    data[1]["签订日期"] = "2025-02-30"
    data[2]["计划开工日期"] = "去年三月"
    data[3]["计划竣工日期"] = "2025-01-01"  # before its start
    data[4]["签订日期"] = "0225-03-05"
    data[5]["计划开工日期"] = "2025-04-01 00:00:00"  # fine: exports often add midnight
    result = parse_catalogue(csv_bytes(data), "c.csv")
    assert _errors(result) == [
        (3, "签订日期", "日期不存在：2025-02-30"),
        (4, "计划开工日期", "日期格式不正确（应为 2024-03-05、2024/03/05 或 2024年3月5日）：去年三月"),
        (5, "计划竣工日期", "计划竣工日期（2025-01-01）早于计划开工日期（2025-01-15）"),
        (6, "签订日期", "日期年份不合理：0225-03-05"),
    ]
    assert len(result.rows) == 2 and result.error_rows == 4
    assert result.rows[0]["signed_date"] == dt.date(2025, 3, 5)
    assert result.rows[1]["planned_start"] == dt.date(2025, 4, 1)


def test_bad_credit_codes() -> None:
    good = contract_row(1)["劳务分包单位统一社会信用代码"]
    wrong_check = good[:17] + ("0" if good[17] != "0" else "1")
    data = rows(4)
    data[0]["劳务分包单位统一社会信用代码"] = wrong_check
    data[1]["劳务分包单位统一社会信用代码"] = "9132050"
    data[2]["劳务分包单位统一社会信用代码"] = good[:10] + "IOZSVIOZ"
    data[3]["劳务分包单位统一社会信用代码"] = f" {good.lower()} "  # accepted: normalized
    result = parse_catalogue(csv_bytes(data), "c.csv")
    column = "劳务分包单位统一社会信用代码"
    assert _errors(result) == [
        (2, column, f"统一社会信用代码校验位不正确，请核对后重新输入：{wrong_check}"),
        (3, column, "统一社会信用代码应为18位：9132050"),
        (
            4,
            column,
            "统一社会信用代码含有无效字符（只能是数字和除 I、O、Z、S、V 以外的大写字母）：" + good[:10] + "IOZSVIOZ",
        ),
    ]
    assert result.rows[0]["subcontractor_credit_code"] == good


def test_amounts() -> None:
    data = rows(6)
    data[0]["合同金额（万元）"] = "1,234.5"
    data[1]["合同金额（万元）"] = "-3"
    data[2]["合同金额（万元）"] = "十万"
    data[3]["合同金额（万元）"] = "1.23456"
    data[4]["合同金额（万元）"] = "0"
    data[5]["合同金额（万元）"] = "NaN"
    result = parse_catalogue(csv_bytes(data), "c.csv")
    column = "合同金额（万元）"
    assert _errors(result) == [
        (3, column, "合同金额不能为负数：-3"),
        (4, column, "合同金额应为数字（单位：万元）：十万"),
        (5, column, "合同金额最多保留4位小数（单位：万元）：1.23456"),
        (7, column, "合同金额应为数字（单位：万元）：NaN"),
    ]
    assert [r["amount"] for r in result.rows] == [Decimal("1234.5"), Decimal(0)]


def test_required_fields_and_lengths() -> None:
    data = rows(2)
    data[0]["项目名称"] = "   "
    data[0]["建设单位"] = ""
    data[1]["项目编号"] = "X" * 51
    result = parse_catalogue(csv_bytes(data), "c.csv")
    assert _errors(result) == [
        (2, "项目名称", "必填项为空"),
        (2, "建设单位", "必填项为空"),
        (3, "项目编号", "长度不能超过50个字符"),
    ]


def test_duplicate_contract_numbers_within_a_file() -> None:
    data = rows(4)
    data[2]["合同编号"] = data[0]["合同编号"]
    data[3]["合同编号"] = f" {data[0]['合同编号']} "
    result = parse_catalogue(csv_bytes(data), "c.csv")
    assert _errors(result) == [
        (4, "合同编号", "合同编号“HT-2025-000001”与第2行重复"),
        (5, "合同编号", "合同编号“HT-2025-000001”与第2行重复"),
    ]
    assert not result.ok


@pytest.mark.parametrize(
    "data",
    [
        b"\x80\x81\xff\xfe\xfd" * 20,  # not UTF-8, not GB18030
        "合同编号,项目名称\r\n".encode("utf-16"),  # Excel's "Unicode text"
    ],
    ids=["garbage", "utf-16"],
)
def test_undecodable_bytes(data: bytes) -> None:
    result = parse_catalogue(data, "c.csv")
    assert _errors(result) == [(None, "", ENCODING_ERROR)]
    assert result.rows == []


def test_broken_files() -> None:
    assert _errors(parse_catalogue(b"", "c.csv")) == [(None, "", "文件为空")]
    assert _errors(parse_catalogue(b"PK\x03\x04broken", "c.xlsx")) == [
        (None, "", "无法读取xlsx文件：文件已损坏或不是有效的Excel文件")
    ]
    old_excel = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100
    assert _errors(parse_catalogue(old_excel, "c.xls")) == [
        (None, "", "不支持旧版Excel（.xls）文件，请另存为xlsx或CSV后再导入")
    ]
    assert _errors(parse_catalogue(csv_bytes([]), "c.csv")) == [(None, "", "文件中没有合同数据（表头下方没有数据行）")]
    assert _errors(parse_catalogue(b"\r\n\r\n", "c.csv")) == [(None, "", "文件中没有内容（第1行应为表头）")]


def test_zip_that_is_not_a_workbook() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert _errors(parse_catalogue(out.getvalue(), "c.xlsx")) == [
        (None, "", "无法读取xlsx文件：文件已损坏或不是有效的Excel文件")
    ]


def test_blank_csv_rows_are_skipped_and_still_counted_in_row_numbers() -> None:
    text = csv_text(rows(2)).replace("\r\n", "\r\n,,,,,,,,,,,,\r\n\r\n", 1)
    lines = text.split("\r\n")
    bad = lines[-2].replace("HT-2025-000002", "")
    data = ("\r\n".join([*lines[:-2], bad]) + "\r\n").encode()
    result = parse_catalogue(data, "c.csv")
    assert result.blank_rows == 2
    assert _errors(result) == [(5, "合同编号", "必填项为空")]


def test_multiline_cell_counts_as_one_spreadsheet_row() -> None:
    data = rows(2)
    data[0]["项目名称"] = "相城区\n测试项目"
    data[1]["签订日期"] = "bad"
    result = parse_catalogue(csv_bytes(data), "c.csv")
    assert [e.row for e in result.errors] == [3]


def test_errors_are_capped_but_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    from laowu.contracts import catalogue

    monkeypatch.setattr(catalogue, "MAX_REPORTED_ERRORS", 5)
    data = [contract_row(n, 签订日期="x") for n in range(1, 11)]
    result = parse_catalogue(csv_bytes(data), "c.csv")
    assert result.error_count == 10 and len(result.errors) == 5 and result.error_rows == 10


def test_validate_items_numbers_items_and_accepts_json_types() -> None:
    items = [
        {**contract_row(1), "合同金额（万元）": Decimal("12.3456")},
        {**contract_row(2), "合同金额（万元）": 88},
        "not an object",
        {**contract_row(1), "合同金额(万元)": "1"},
    ]
    result = validate_items(items)
    assert [(e.row, e.column) for e in result.errors] == [(3, ""), (4, "合同编号")]
    assert [r["amount"] for r in result.rows] == [Decimal("12.3456"), Decimal(88)]


def test_row_error_describe() -> None:
    assert RowError(3, "签订日期", "日期不存在").describe() == "第3行 签订日期：日期不存在"
    assert RowError(None, "", ENCODING_ERROR).describe() == f"文件：{ENCODING_ERROR}"
    assert RowError(2, "", "数据项不是对象").describe("条") == "第2条：数据项不是对象"


def test_xlsx_that_would_unzip_too_large(monkeypatch: pytest.MonkeyPatch) -> None:
    from laowu.contracts import catalogue

    monkeypatch.setattr(catalogue, "XLSX_MAX_UNCOMPRESSED", 1000)
    assert _errors(parse_catalogue(xlsx_bytes(rows(5)), "c.xlsx")) == [
        (None, "", "xlsx文件解压后过大，请拆分后分批导入")
    ]
