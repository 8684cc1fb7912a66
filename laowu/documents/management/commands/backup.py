"""`manage.py backup --to DIR`: the database and every stored file, with a manifest (docs/backup.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from laowu.documents.backup import BackupError, backup


class Command(BaseCommand):
    help = "备份数据库（PostgreSQL 用 pg_dump -Fc，SQLite 用其在线备份）及全部已存文件，并写出带 SHA-256 的清单。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--to", type=Path, required=True, metavar="DIR", help="备份目录（不存在或为空）")
        parser.add_argument("--timeout", type=float, default=3600, help="pg_dump 最长运行秒数（默认 3600）")

    def handle(self, *args: Any, to: Path, timeout: float, **options: Any) -> None:
        try:
            manifest = backup(to, timeout=timeout, say=self.stdout.write)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"备份完成：{to}（{manifest['database']['engine']}，{manifest['file_count']} 个文件，"
            f"代码版本 {manifest['commit']}）"
        )
