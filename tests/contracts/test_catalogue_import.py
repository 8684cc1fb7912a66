"""Importing the catalogue: upsert by 合同编号, all-or-nothing, the audit row, the command."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from laowu.audit.models import AuditEvent
from laowu.audit.services import Action
from laowu.contracts import catalogue
from laowu.contracts.catalogue import (
    CatalogueImportError,
    import_catalogue,
    parse_catalogue,
    plan_catalogue,
)
from laowu.contracts.models import CatalogueContract, CatalogueSource

from .files import contract_row, csv_bytes, rows, xlsx_bytes

pytestmark = pytest.mark.django_db


def _import(data: bytes, name: str = "c.csv", **kwargs: Any) -> catalogue.ImportSummary:
    parsed = parse_catalogue(data, name)
    assert parsed.ok, parsed.errors
    return import_catalogue(rows=parsed, source=CatalogueSource.IMPORT, origin=name, **kwargs)


def test_first_import_creates_everything_and_audits() -> None:
    summary = _import(csv_bytes(rows(5)))
    assert (summary.created, summary.updated, summary.unchanged) == (5, 0, 0)
    contract = CatalogueContract.objects.get(contract_no="HT-2025-000003")
    assert contract.project_name == "相城区测试项目3号楼工程"
    assert contract.amount == Decimal("103.5")
    assert contract.planned_end == dt.date(2026, 1, 4)
    assert contract.source == CatalogueSource.IMPORT
    event = AuditEvent.objects.get(action=Action.CATALOGUE_IMPORT)
    assert event.username == "manage.py"
    assert event.detail == {
        "source": "import",
        "origin": "c.csv",
        "created": 5,
        "updated": 0,
        "unchanged": 0,
        "updated_contract_nos": [],
    }


def test_reimport_is_idempotent_and_updates_changed_rows(reviewer: Any) -> None:
    _import(csv_bytes(rows(10)))
    first = {c.contract_no: (c.pk, c.imported_at, c.updated_at) for c in CatalogueContract.objects.all()}

    again = _import(csv_bytes(rows(10), encoding="gbk"))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 10)

    changed = rows(10)
    changed[2]["项目名称"] = "相城区测试项目3号楼工程（变更）"
    changed[7]["合同金额（万元）"] = "999.9"
    changed[8]["计划竣工日期"] = "2027-06-30"
    summary = _import(xlsx_bytes(changed), "c.xlsx", actor=reviewer)
    assert (summary.created, summary.updated, summary.unchanged) == (0, 3, 7)
    # What was written reads back equal: the same data again changes nothing.
    again = _import(csv_bytes(changed))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 10)

    after = {c.contract_no: c for c in CatalogueContract.objects.all()}
    assert len(after) == 10
    assert after["HT-2025-000003"].project_name == "相城区测试项目3号楼工程（变更）"
    assert after["HT-2025-000008"].amount == Decimal("999.9")
    assert after["HT-2025-000009"].planned_end == dt.date(2027, 6, 30)
    assert after["HT-2025-000003"].source == CatalogueSource.IMPORT
    for no, (pk, imported_at, updated_at) in first.items():
        assert after[no].pk == pk and after[no].imported_at == imported_at
        if no in ("HT-2025-000003", "HT-2025-000008", "HT-2025-000009"):
            assert after[no].updated_at > updated_at
        else:
            assert after[no].updated_at == updated_at
    events = list(AuditEvent.objects.filter(action=Action.CATALOGUE_IMPORT).order_by("pk"))
    assert len(events) == 4
    assert events[2].user == reviewer
    assert events[2].detail["updated_contract_nos"] == ["HT-2025-000003", "HT-2025-000008", "HT-2025-000009"]


def test_reimport_with_new_rows() -> None:
    _import(csv_bytes(rows(5)))
    summary = _import(csv_bytes(rows(8)))
    assert (summary.created, summary.updated, summary.unchanged) == (3, 0, 5)
    assert CatalogueContract.objects.count() == 8


def test_import_keeps_contracts_missing_from_the_file() -> None:
    _import(csv_bytes(rows(5)))
    _import(csv_bytes(rows(2)))
    assert CatalogueContract.objects.count() == 5


def test_plan_does_not_write() -> None:
    _import(csv_bytes(rows(3)))
    data = rows(5)
    data[0]["项目地点"] = "苏州市相城区黄埭镇"
    plan = plan_catalogue(parse_catalogue(csv_bytes(data), "c.csv"))
    assert plan.summary() == catalogue.ImportSummary(created=2, updated=1, unchanged=2)
    assert plan.statuses() == {"HT-2025-000001": "changed", "HT-2025-000004": "new", "HT-2025-000005": "new"}
    assert CatalogueContract.objects.count() == 3


def test_a_parse_with_errors_is_refused() -> None:
    _import(csv_bytes(rows(3)))
    data = rows(6)
    data[0]["项目名称"] = "已修改但不应写入"
    data[5]["签订日期"] = "2025-02-30"
    parsed = parse_catalogue(csv_bytes(data), "c.csv")
    assert len(parsed.rows) == 5  # the good rows are there...
    with pytest.raises(CatalogueImportError) as caught:
        import_catalogue(rows=parsed, source=CatalogueSource.IMPORT)
    assert caught.value.message == "数据有1处错误，未导入任何数据。"
    assert [e.row for e in caught.value.errors] == [7]
    # ...but none of them was imported.
    assert CatalogueContract.objects.count() == 3
    assert CatalogueContract.objects.get(contract_no="HT-2025-000001").project_name == "相城区测试项目1号楼工程"
    assert AuditEvent.objects.filter(action=Action.CATALOGUE_IMPORT).count() == 1


def test_plain_rows_with_duplicates_or_nothing_are_refused() -> None:
    parsed = parse_catalogue(csv_bytes(rows(2)), "c.csv")
    with pytest.raises(CatalogueImportError, match="重复的合同编号"):
        import_catalogue(rows=[parsed.rows[0], parsed.rows[0]], source=CatalogueSource.IMPORT)
    with pytest.raises(CatalogueImportError, match="没有可导入的合同数据"):
        import_catalogue(rows=[], source=CatalogueSource.IMPORT)
    assert CatalogueContract.objects.count() == 0


def test_failure_mid_import_leaves_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    _import(csv_bytes(rows(3)))
    data = rows(6)
    data[1]["项目名称"] = "变更"

    def broken_record(**kwargs: Any) -> None:
        raise RuntimeError("audit log unavailable")

    # The audit row is written last: failing there must undo the creates and updates before it.
    monkeypatch.setattr(catalogue, "record", broken_record)
    with pytest.raises(RuntimeError):
        _import(csv_bytes(data))
    assert CatalogueContract.objects.count() == 3
    assert CatalogueContract.objects.get(contract_no="HT-2025-000002").project_name == "相城区测试项目2号楼工程"


def test_concurrent_creation_is_reported_not_half_applied(monkeypatch: pytest.MonkeyPatch) -> None:
    parsed = parse_catalogue(csv_bytes(rows(3)), "c.csv")
    real_plan = catalogue.plan_catalogue

    def plan_then_race(rows: Any) -> catalogue.ImportPlan:
        plan = real_plan(rows)
        # Another import commits the same 合同编号 between our read and our write.
        CatalogueContract.objects.create(
            **parse_catalogue(csv_bytes([contract_row(2)]), "x.csv").rows[0], source=CatalogueSource.PULL
        )
        return plan

    monkeypatch.setattr(catalogue, "plan_catalogue", plan_then_race)
    with pytest.raises(CatalogueImportError, match="同时修改"):
        import_catalogue(rows=parsed, source=CatalogueSource.IMPORT)
    assert CatalogueContract.objects.count() == 0


def test_bulk_import_uses_few_queries(django_assert_max_num_queries: Any) -> None:
    data = csv_bytes(rows(3000))
    parsed = parse_catalogue(data, "c.csv")
    # Batched, not one query per row (SQLite caps a statement at 999 parameters: ~66 rows an INSERT).
    with django_assert_max_num_queries(80):
        import_catalogue(rows=parsed, source=CatalogueSource.IMPORT)
    changed = rows(3000)
    for i in range(0, 3000, 3):
        changed[i]["项目地点"] = "苏州市相城区望亭镇"
    parsed = parse_catalogue(csv_bytes(changed), "c.csv")
    with django_assert_max_num_queries(40):
        summary = import_catalogue(rows=parsed, source=CatalogueSource.IMPORT)
    assert (summary.created, summary.updated, summary.unchanged) == (0, 1000, 2000)
    assert CatalogueContract.objects.filter(project_location="苏州市相城区望亭镇").count() == 1000


# --------------------------------------------------------------------------- the command


def _write(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def _run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_provincial_contracts", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_command_imports_and_reimports(tmp_path: Path) -> None:
    path = _write(tmp_path, "catalogue.csv", csv_bytes(rows(4), encoding="utf-8-sig"))
    out, err = _run(path)
    assert "catalogue.csv（CSV（UTF-8，带BOM））：4条合同" in out
    assert "导入完成：新增4条，更新0条，0条无变化。" in out
    assert err == ""
    out, _ = _run(path)
    assert "导入完成：新增0条，更新0条，4条无变化。" in out


def test_command_dry_run_writes_nothing(tmp_path: Path) -> None:
    path = _write(tmp_path, "c.xlsx", xlsx_bytes(rows(4)))
    out, _ = _run(path, "--dry-run")
    assert "试运行（未写入）：将新增4条，更新0条，0条无变化。" in out
    assert CatalogueContract.objects.count() == 0
    assert not AuditEvent.objects.filter(action=Action.CATALOGUE_IMPORT).exists()


def test_command_reports_errors_and_exits_non_zero(tmp_path: Path) -> None:
    data = rows(5)
    data[1]["签订日期"] = "2025/02/30"
    data[3]["劳务分包单位统一社会信用代码"] = "91320507MA1XWL000D"
    data[4]["合同编号"] = data[0]["合同编号"]
    path = _write(tmp_path, "bad.csv", csv_bytes(data, encoding="gbk"))
    with pytest.raises(CommandError, match=re.escape("bad.csv：发现3处错误，未导入任何数据。")):
        _run(path)
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_provincial_contracts", path, stdout=StringIO(), stderr=err)
    assert err.getvalue().splitlines() == [
        "第3行 签订日期：日期不存在：2025/02/30",
        "第5行 劳务分包单位统一社会信用代码：统一社会信用代码校验位不正确，请核对后重新输入：91320507MA1XWL000D",
        "第6行 合同编号：合同编号“HT-2025-000001”与第2行重复",
    ]
    assert CatalogueContract.objects.count() == 0


def test_command_process_exit_code(tmp_path: Path) -> None:
    """Through manage.py, as cron would run it: the exit status is what a script checks."""
    import os
    import subprocess
    import sys

    from django.conf import settings

    bad = _write(tmp_path, "bad.csv", b"\x80\x81\xff\xfe")
    proc = subprocess.run(
        [sys.executable, "manage.py", "import_provincial_contracts", bad, "--dry-run"],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "laowu.settings.test"},
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1
    assert "文件：文件编码无法识别，请使用UTF-8或GBK编码的CSV，或xlsx文件" in proc.stderr
    assert "CommandError: bad.csv：发现1处错误，未导入任何数据。" in proc.stderr


def test_command_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="无法读取文件"):
        _run(str(tmp_path / "nope.csv"))
