"""The daily 证照到期提醒 run, for cron, e.g. ``30 8 * * * manage.py send_expiry_reminders``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from laowu.supervision.reminders import send_expiry_reminders


class Command(BaseCommand):
    help = (
        "检查90天内到期的安全员证书、资质证书、安全生产许可证，按30/60/90天档位通过站内消息和短信提醒企业（每档一次）。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="按该日期（YYYY-MM-DD）计算剩余天数，默认今天；用于补发")

    def handle(self, *args: Any, **opts: Any) -> None:
        today = None
        if opts["date"]:
            try:
                today = dt.date.fromisoformat(opts["date"])
            except ValueError as exc:
                raise CommandError(f"日期格式应为 YYYY-MM-DD：{opts['date']}") from exc
        run = send_expiry_reminders(today)
        self.stdout.write(self.style.SUCCESS(run.summary()))
        if run.sms_failed:
            self.stderr.write(f"有{run.sms_failed}条短信发送失败，原因已记录在各条提醒上。")
