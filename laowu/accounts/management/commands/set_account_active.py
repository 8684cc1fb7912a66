from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from laowu.accounts.models import User
from laowu.accounts.services import set_account_active


class Command(BaseCommand):
    # The only way to switch a 三员 admin account on or off (三员分立: the UI refuses it).
    help = "在服务器控制台启用或停用账号（含系统管理员、安全管理员、审计管理员）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        state = parser.add_mutually_exclusive_group(required=True)
        state.add_argument("--disable", action="store_true", help="停用")
        state.add_argument("--enable", action="store_true", help="启用")

    def handle(self, *args: Any, **opts: Any) -> None:
        account = User.objects.filter(username=opts["username"]).first()
        if account is None:
            raise CommandError(f"账号 {opts['username']} 不存在。")
        try:
            set_account_active(account=account, active=bool(opts["enable"]), actor=None)
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from exc
        self.stdout.write(self.style.SUCCESS(f"账号 {account.username} 已{'启用' if opts['enable'] else '停用'}。"))
