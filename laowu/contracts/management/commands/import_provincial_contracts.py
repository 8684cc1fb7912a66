from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from laowu.contracts.catalogue import CatalogueImportError, import_catalogue, parse_catalogue, plan_catalogue
from laowu.contracts.models import CatalogueSource


class Command(BaseCommand):
    help = "导入省合同归集系统导出的合同数据（CSV：UTF-8或GBK编码；或xlsx）。按合同编号新增或更新；有任何错误时不导入。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSV或xlsx文件路径")
        parser.add_argument("--dry-run", action="store_true", help="只检查并统计，不写入数据库")

    def handle(self, *args: Any, **opts: Any) -> None:
        path = Path(opts["file"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"无法读取文件 {path}：{exc.strerror or exc}") from exc
        parsed = parse_catalogue(data, path.name)
        if parsed.error_count:
            for error in parsed.errors:
                self.stderr.write(error.describe())
            if parsed.error_count > len(parsed.errors):
                self.stderr.write(f"……另有{parsed.error_count - len(parsed.errors)}处错误未列出")
            raise CommandError(f"{path.name}：发现{parsed.error_count}处错误，未导入任何数据。")
        self.stdout.write(
            f"{path.name}（{parsed.file_format}）：{len(parsed.rows)}条合同"
            + (f"，跳过{parsed.blank_rows}个空行" if parsed.blank_rows else "")
            + (f"，忽略列：{'、'.join(parsed.ignored_columns)}" if parsed.ignored_columns else "")
        )
        try:
            if opts["dry_run"]:
                summary = plan_catalogue(parsed).summary()
                self.stdout.write(
                    f"试运行（未写入）：将新增{summary.created}条，更新{summary.updated}条，"
                    f"{summary.unchanged}条无变化。"
                )
                return
            summary = import_catalogue(rows=parsed, source=CatalogueSource.IMPORT, origin=path.name)
        except CatalogueImportError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"导入完成：新增{summary.created}条，更新{summary.updated}条，{summary.unchanged}条无变化。"
            )
        )
