"""`manage.py generate_scale_data`: province-scale synthetic data (logic in laowu.generator.generator)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from laowu.scaledata import generator


class Command(BaseCommand):
    help = (
        "在 PostgreSQL 中生成全省规模的测试数据（企业、人员、合同、各审核状态的申报、附件、监管记录）。"
        "可中断：以相同参数再次运行即从中断处继续；已完成的数据集再次运行不做任何事。"
        f"所有生成的账号密码均为 {generator.PASSWORD}（仅限测试库）。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--enterprises", type=int, default=generator.DEFAULT_ENTERPRISES, help="企业数")
        parser.add_argument(
            "--people", type=int, default=generator.DEFAULT_PEOPLE, help="人员数（约55%%安全员、45%%劳资专管员）"
        )
        parser.add_argument(
            "--contracts", type=int, default=generator.DEFAULT_CONTRACTS, help="省合同归集合同数（其中一半已申报项目）"
        )
        parser.add_argument(
            "--seed", type=int, default=generator.DEFAULT_SEED, help="随机种子（同一种子生成同样的数据）"
        )
        parser.add_argument("--workers", type=int, default=2, help="并行写入的进程数（默认2；1为不用子进程）")
        parser.add_argument(
            "--reset",
            action="store_true",
            help="先清空全部应用数据表（仅限本命令生成的数据库），再按给定规模重新生成",
        )
        parser.add_argument(
            "--stop-after", type=int, default=None, metavar="N", help="写完N个数据块后停止（用于测试中断与续写）"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        if not getattr(settings, "LAOWU_DEMO_DATA_ALLOWED", False):
            raise CommandError("生产环境不允许生成测试数据（所有账号共用一个公开的密码）。")
        sizes = generator.Sizes(
            enterprises=opts["enterprises"], people=opts["people"], contracts=opts["contracts"], seed=opts["seed"]
        )
        try:
            outcome = generator.generate(
                sizes,
                workers=max(1, opts["workers"]),
                reset=opts["reset"],
                stop_after=opts["stop_after"],
                report=self._report if opts["verbosity"] > 0 else lambda line: None,
            )
        except generator.ScaleDataError as exc:
            raise CommandError(str(exc)) from exc
        if outcome.status == "stopped" and opts["verbosity"] > 0:
            self.stdout.write(self.style.WARNING("已停止（--stop-after）。"))

    def _report(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()  # progress shows as it happens, also when piped to a log
