"""`archive_audit` and `verify_audit --archive`: old rows leave the table for a file that
verifies on its own, and the rest of the chain still verifies from the archived anchor."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from laowu.audit import chain, verify
from laowu.audit.models import AuditEvent
from laowu.audit.services import Action, record

pytestmark = pytest.mark.django_db


def old_row(days_ago: int, n: int) -> AuditEvent:
    event = AuditEvent(
        action=Action.FILING_SAVE, username=f"old{n}", created_at=timezone.now() - dt.timedelta(days=days_ago)
    )
    event.save()
    return event


@pytest.fixture
def history(enterprise_a: Any) -> dict[str, list[AuditEvent]]:
    """Two years of rows: four of 400 days ago, three of 300 days ago, two of today."""
    return {
        "oldest": [old_row(400, i) for i in range(4)],
        "older": [old_row(300, i) for i in range(3)],
        "recent": [record(action=Action.LOGIN, user=enterprise_a) for _ in range(2)],
    }


def archive(before: dt.date, out: Path) -> str:
    buf = io.StringIO()
    call_command("archive_audit", "--before", before.isoformat(), "--out", str(out), stdout=buf)
    return buf.getvalue()


def verify_files(*paths: Path) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_audit", "--archive", *map(str, paths), stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), err.getvalue()
    return 0, out.getvalue()


def days_ago(n: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=n)


def test_archives_old_rows_and_both_parts_verify(history: dict[str, list[AuditEvent]], tmp_path: Path) -> None:
    first = tmp_path / "audit-1.jsonl"
    assert "已归档 4 条审计日志（链序号 1–4）" in archive(days_ago(350), first)
    remaining = set(AuditEvent.objects.values_list("pk", flat=True))
    assert not remaining & {e.pk for e in history["oldest"]}
    assert {e.pk for e in history["older"] + history["recent"]} <= remaining
    # The table verifies from the anchor the archive left behind, and the archiving is logged.
    head = chain.read_head()
    assert head is not None and (head.anchor_seq, head.anchor_id) == (4, history["oldest"][-1].pk)
    assert verify.verify_table().ok
    (logged,) = AuditEvent.objects.filter(action=Action.AUDIT_ARCHIVE)
    assert logged.detail["rows"] == 4 and logged.detail["seq"] == [1, 4] and len(logged.detail["sha256"]) == 64
    # The file: header, the rows with their seals, a sealed footer.
    lines = [json.loads(line) for line in first.read_text().splitlines()]
    assert [line.get("type") for line in (lines[0], lines[-1])] == ["header", "footer"]
    assert [line["username"] for line in lines[1:-1]] == ["old0", "old1", "old2", "old3"]
    assert verify_files(first)[0] == 0
    # A second archive continues the first; the two verify in order.
    second = tmp_path / "audit-2.jsonl"
    assert "已归档 3 条审计日志（链序号 5–7）" in archive(days_ago(200), second)
    code, out = verify_files(first, second)
    assert code == 0 and "已校验 7 条记录" in out
    assert verify_files(second, first)[0] == 1
    assert verify.verify_table().ok


def test_a_changed_archive_file_fails(history: dict[str, list[AuditEvent]], tmp_path: Path) -> None:
    out = tmp_path / "audit.jsonl"
    archive(days_ago(350), out)
    lines = out.read_text().splitlines()
    row = json.loads(lines[2])
    row["username"] = "someone-else"
    lines[2] = json.dumps(row, ensure_ascii=False)
    out.write_text("\n".join(lines) + "\n")
    code, err = verify_files(out)
    assert code == 1 and "被修改" in err
    # A line taken out is a gap.
    lines = out.read_text().splitlines()
    del lines[2]
    out.write_text("\n".join(lines) + "\n")
    code, err = verify_files(out)
    assert code == 1 and "记录被删除" in err


def test_refuses_within_the_retention(history: dict[str, list[AuditEvent]], tmp_path: Path, settings: Any) -> None:
    with pytest.raises(CommandError, match="保留期（190 天）"):
        archive(days_ago(100), tmp_path / "a.jsonl")
    settings.LAOWU_AUDIT_RETENTION_DAYS = 90
    with pytest.raises(CommandError, match="不能少于 180 天"):
        archive(days_ago(350), tmp_path / "a.jsonl")
    assert AuditEvent.objects.count() == 9 and not (tmp_path / "a.jsonl").exists()


def test_refuses_a_broken_chain(history: dict[str, list[AuditEvent]], tmp_path: Path) -> None:
    # Archiving must not carry a broken link out of sight.
    with transaction.atomic():
        saved = chain.suspend_guard()
        AuditEvent._base_manager.filter(pk=history["oldest"][1].pk).update(username="x")
        chain.restore_guard(saved)
    with pytest.raises(CommandError, match="哈希链校验未通过"):
        archive(days_ago(350), tmp_path / "a.jsonl")
    assert AuditEvent.objects.count() == 9


def test_deleting_needs_the_archive_permit(history: dict[str, list[AuditEvent]]) -> None:
    target = history["oldest"][0].pk
    with pytest.raises(DatabaseError, match="只能追加"), transaction.atomic(), connection.cursor() as cur:
        cur.execute("DELETE FROM audit_auditevent WHERE id = %s", [target])
    # The permit covers only the ids it names, and updates never.
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "INSERT INTO audit_auditarchivepermit (through_id, created_at) VALUES (%s, %s)", [target, timezone.now()]
        )
        cur.execute("DELETE FROM audit_auditevent WHERE id = %s", [target])
        with pytest.raises(DatabaseError, match="只能追加"), transaction.atomic():
            cur.execute("DELETE FROM audit_auditevent WHERE id = %s", [history["older"][0].pk])
        with pytest.raises(DatabaseError, match="只能追加"), transaction.atomic():
            cur.execute("UPDATE audit_auditevent SET username = 'x' WHERE id = %s", [history["older"][1].pk])
        cur.execute("DELETE FROM audit_auditarchivepermit")
    assert not AuditEvent.objects.filter(pk=target).exists()
    # Deleted outside archive_audit, the anchor did not move: the chain shows the gap.
    outcome = verify.verify_table()
    assert outcome.problem is not None and outcome.problem.kind == "deleted"


def test_a_row_slipped_in_before_the_anchor_is_caught(history: dict[str, list[AuditEvent]], tmp_path: Path) -> None:
    archive(days_ago(350), tmp_path / "a.jsonl")
    archived_id = history["oldest"][1].pk
    AuditEvent._base_manager.bulk_create([AuditEvent(id=archived_id, action=Action.LOGIN, username="ghost")])
    outcome = verify.verify_table()
    assert outcome.problem is not None and (outcome.problem.kind, outcome.problem.row_id) == ("forged", archived_id)
