"""`manage.py verify_audit`: check the audit log's hash chain (docs/audit.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from laowu.audit import verify


class Command(BaseCommand):
    help = "校验审计日志的哈希链与消息认证码；发现问题时报告第一处断链并以状态码 1 退出。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--archive",
            nargs="+",
            type=Path,
            metavar="FILE",
            help="校验 archive_audit 生成的归档文件（多个文件按生成顺序给出），而不是数据库中的日志",
        )
        parser.add_argument(
            "--state",
            type=Path,
            metavar="FILE",
            help="记住本次校验到的最后一条；下次校验时确认它仍在链上（发现清空、截断或重写）",
        )

    def handle(self, *args: Any, archive: list[Path] | None, state: Path | None, **options: Any) -> None:
        if archive:
            missing = [str(p) for p in archive if not p.is_file()]
            if missing:
                raise CommandError(f"找不到归档文件：{'、'.join(missing)}")
            outcome = verify.verify_archives(archive)
        else:
            outcome = verify.verify_table()
            if outcome.ok and state is not None and state.exists():
                outcome.problem = verify.check_state(outcome, json.loads(state.read_text()))
        summary = f"已校验 {outcome.checked:,} 条记录，用时 {outcome.seconds:.2f}s"
        if not outcome.ok:
            self.stderr.write(f"审计日志校验未通过：{outcome.problem}")
            self.stderr.write(summary)
            raise SystemExit(1)
        if state is not None and not archive:
            state.write_text(json.dumps({"seq": outcome.last_seq, "row_hash": outcome.last_hash}) + "\n")
        self.stdout.write(f"审计日志哈希链完整（最后链序号 {outcome.last_seq}）。{summary}")
