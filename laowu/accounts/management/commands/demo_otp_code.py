from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.oath import TOTP

from laowu.accounts import otp
from laowu.accounts.management.commands.seed_demo import DEMO_OTP_KEYS
from laowu.accounts.models import User


class Command(BaseCommand):
    # For a person trying the demo without an authenticator app at hand. Only the demo staff
    # accounts seed_demo made, and never under production settings: a real account's code is
    # on its owner's phone alone.
    help = "显示演示工作人员账号当前的动态验证码（仅限本地演示）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", choices=sorted(DEMO_OTP_KEYS))

    def handle(self, *args: Any, **opts: Any) -> None:
        if not getattr(settings, "LAOWU_DEMO_DATA_ALLOWED", False):
            raise CommandError("生产环境不提供演示账号的动态验证码。")
        user = User.objects.filter(username=opts["username"]).first()
        device = otp.totp_device(user) if user else None
        if device is None:
            raise CommandError(f"演示账号 {opts['username']} 尚未绑定验证器App，请先运行 manage.py seed_demo。")
        now = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        now.time = time.time()
        left = device.step - int(now.time - device.t0) % device.step
        self.stdout.write(f"{now.token():0{device.digits}d}（{left}秒内有效；每个验证码只能使用一次）")
