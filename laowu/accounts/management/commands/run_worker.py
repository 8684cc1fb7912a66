"""`manage.py run_worker`: the background worker that sends SMS (docs/background-work.md).

A thin wrapper over django-tasks-db's `db_worker`, so that `make run`, the systemd unit and an
operator all start the same thing with the right queues. Stops cleanly on SIGTERM or Ctrl+C
after the message it is sending.
"""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tasks import task_backends
from django_tasks_db import DatabaseBackend

from laowu.accounts.tasks import SMS_QUEUE

QUEUES = (SMS_QUEUE, "default")


class Command(BaseCommand):
    help = "启动后台任务进程：发送短信（验证码、通知、提醒），失败时按间隔重试。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", action="store_true", help="处理完当前所有到期任务后退出（测试和一次性补发用）。")
        parser.add_argument("--interval", type=float, default=1.0, help="队列为空时每隔多少秒检查一次（默认1秒）。")

    def handle(self, *args: Any, batch: bool = False, interval: float = 1.0, **options: Any) -> None:
        backend = task_backends["default"]
        if not isinstance(backend, DatabaseBackend):
            raise CommandError(
                f"当前任务后端 {type(backend).__name__} 不需要后台进程（LAOWU_TASKS_BACKEND 应为数据库后端）。"
            )
        call_command(
            "db_worker",
            queue_name=",".join(QUEUES),
            interval=interval,
            batch=batch,
            reload=False,
            startup_delay=not batch,
            verbosity=options.get("verbosity", 1),
        )
