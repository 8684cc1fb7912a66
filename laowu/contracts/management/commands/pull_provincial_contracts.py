from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from laowu.contracts.catalogue import CatalogueImportError, import_catalogue, plan_catalogue
from laowu.contracts.models import CatalogueSource
from laowu.contracts.pull import CataloguePullError, pull_catalogue


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期应为 YYYY-MM-DD：{value}") from None


class Command(BaseCommand):
    help = "从省合同归集系统接口（LAOWU_CATALOGUE_PULL_URL）拉取合同数据并导入；有任何错误时不导入。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", type=_date, help="只拉取该日期（YYYY-MM-DD）以来变更的合同")
        parser.add_argument("--dry-run", action="store_true", help="只拉取并统计，不写入数据库")

    def handle(self, *args: Any, **opts: Any) -> None:
        url = settings.LAOWU_CATALOGUE_PULL_URL
        if not url:
            raise CommandError("未配置省合同归集接口地址：请设置环境变量 LAOWU_CATALOGUE_PULL_URL。")
        try:
            rows = pull_catalogue(
                url=url,
                token=settings.LAOWU_CATALOGUE_PULL_TOKEN,
                timeout=settings.LAOWU_CATALOGUE_PULL_TIMEOUT,
                since=opts["since"],
            )
        except CataloguePullError as exc:
            for error in exc.errors:
                self.stderr.write(error.describe("条"))
            if exc.error_count > len(exc.errors):
                self.stderr.write(f"……另有{exc.error_count - len(exc.errors)}处错误未列出")
            raise CommandError(exc.message) from exc
        if not rows:
            self.stdout.write("接口没有返回合同数据，无需导入。")
            return
        try:
            if opts["dry_run"]:
                summary = plan_catalogue(rows).summary()
                self.stdout.write(
                    f"试运行（未写入）：拉取{len(rows)}条，将新增{summary.created}条，更新{summary.updated}条，"
                    f"{summary.unchanged}条无变化。"
                )
                return
            summary = import_catalogue(rows=rows, source=CatalogueSource.PULL, origin=url.split("?")[0])
        except CatalogueImportError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"同步完成：拉取{len(rows)}条，新增{summary.created}条，更新{summary.updated}条，"
                f"{summary.unchanged}条无变化。"
            )
        )
