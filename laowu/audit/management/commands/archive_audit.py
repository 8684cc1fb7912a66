"""`manage.py archive_audit --before DATE --out FILE` (docs/audit.md)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from laowu.audit import services


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--before 须为 YYYY-MM-DD 格式的日期，收到 {value!r}。") from exc


class Command(BaseCommand):
    help = "把保留期以前的审计日志导出为可校验的 JSON Lines 归档文件，并从数据库中删除（哈希链保持可校验）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--before", required=True, type=_date, help="归档此日期（不含）以前的记录，YYYY-MM-DD")
        parser.add_argument("--out", required=True, type=Path, help="归档文件路径（不能已存在）")

    def handle(self, *args: Any, before: dt.date, out: Path, **options: Any) -> None:
        try:
            done = services.archive(before=before, out=out)
        except services.ArchiveRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"已归档 {done.rows:,} 条审计日志（链序号 {done.first_seq}–{done.last_seq}）到 {done.path}；"
            f"用 verify_audit --archive {done.path} 校验。"
        )
