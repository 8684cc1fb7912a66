from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from laowu.accounts.models import User
from laowu.accounts.services import reset_second_factor


class Command(BaseCommand):
    # The way back for an account the UI cannot reset: the 安全管理员's own (lost phone).
    help = "在服务器控制台重置账号的动态验证码（验证器App与恢复码），该账号下次登录时重新绑定。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **opts: Any) -> None:
        account = User.objects.filter(username=opts["username"]).first()
        if account is None:
            raise CommandError(f"账号 {opts['username']} 不存在。")
        try:
            reset_second_factor(account=account, actor=None)
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from exc
        self.stdout.write(self.style.SUCCESS(f"账号 {account.username} 的动态验证码已重置，下次登录时重新绑定。"))
