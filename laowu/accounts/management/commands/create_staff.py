from __future__ import annotations

import getpass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from laowu.accounts.models import STAFF_ROLES, Role
from laowu.accounts.services import create_staff_account


class Command(BaseCommand):
    help = "创建工作人员账号（审核员、监管人员、系统管理员、安全管理员、审计管理员）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=sorted(r.value for r in STAFF_ROLES))
        parser.add_argument("--name", required=True, help="姓名")
        parser.add_argument("--phone", default="")
        parser.add_argument("--district", action="append", default=[], help="行政区划代码，可重复")
        parser.add_argument(
            "--password-env",
            help="从该环境变量读取初始密码（不加此参数则交互输入）",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        import os

        if opts["password_env"]:
            password = os.environ.get(opts["password_env"], "")
            if not password:
                raise CommandError(f"环境变量 {opts['password_env']} 为空。")
        else:
            password = getpass.getpass("初始密码：")
            if password != getpass.getpass("确认密码："):
                raise CommandError("两次输入的密码不一致。")
        try:
            user = create_staff_account(
                username=opts["username"],
                role=opts["role"],
                display_name=opts["name"],
                phone=opts["phone"],
                password=password,
                district_codes=opts["district"],
            )
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from exc
        self.stdout.write(self.style.SUCCESS(f"已创建 {Role(user.role).label} 账号 {user.username}"))
