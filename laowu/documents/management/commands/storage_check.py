"""`manage.py storage_check [--repair] [--verify-hashes]`: stored files against their rows (docs/backup.md)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from laowu.documents.storage_check import AlreadyRunning, check, exclusive_run


class Command(BaseCommand):
    help = (
        "核对已存文件与数据库记录：缺失或损坏的文件、无记录的文件、未写完的临时文件、过期的上传临时文件。"
        "--repair 删除可删除的文件并清除丢失的打印表缓存；仍有问题时以状态码 1 退出。可放入 cron。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--repair", action="store_true", help="删除无记录文件和临时文件，清除丢失的打印表缓存")
        parser.add_argument(
            "--verify-hashes", action="store_true", help="读出每个文件核对 SHA-256（较慢；默认只核对是否存在及大小）"
        )
        parser.add_argument(
            "--grace-minutes",
            type=int,
            default=60,
            help="比这更新的无记录文件和临时文件不动，以免碰到正在上传的文件（默认 60）",
        )

    def handle(self, *args: Any, repair: bool, verify_hashes: bool, grace_minutes: int, **options: Any) -> None:
        try:
            with exclusive_run():
                report = check(
                    repair=repair,
                    verify_hashes=verify_hashes,
                    grace=dt.timedelta(minutes=max(grace_minutes, 0)),
                    say=self.stdout.write,
                )
        except AlreadyRunning:
            self.stderr.write("storage_check: 另一次 storage_check 正在运行，本次未执行。")
            raise SystemExit(2) from None
        summary = report.summary(repair=repair)
        if report.remaining(repair=repair):
            self.stderr.write(summary)
            raise SystemExit(1)
        self.stdout.write(summary)
