"""`manage.py restore --from DIR`: a verified backup back into an empty database and storage (docs/backup.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from laowu.documents.backup import BackupError, restore


class Command(BaseCommand):
    help = "从 backup 生成的目录恢复：先按清单校验全部 SHA-256，再恢复文件，最后把数据库恢复到一个空数据库。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="source", type=Path, required=True, metavar="DIR", help="备份目录")
        parser.add_argument("--timeout", type=float, default=3600, help="pg_restore 最长运行秒数（默认 3600）")

    def handle(self, *args: Any, source: Path, timeout: float, **options: Any) -> None:
        try:
            restore(source, timeout=timeout, say=self.stdout.write)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            "恢复完成。请接着运行 manage.py verify_audit 和 manage.py storage_check 确认（docs/backup.md）。"
        )
