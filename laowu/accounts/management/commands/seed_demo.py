from __future__ import annotations

from base64 import b32decode
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from laowu.accounts import otp
from laowu.accounts.models import Role, User
from laowu.accounts.services import bind_totp_key, create_staff_account, register_enterprise
from laowu.integrations.company_info.offline import offline_companies

# Demo-only password, printed by `make run` and listed in README. Demo data is refused
# under production settings, so this never exists on a real deployment.
DEMO_PASSWORD = "Demo#Xc2026"  # noqa: S105

STAFF = [
    ("shenhe", Role.REVIEWER, "审核员（演示）", "13900000001"),
    ("jianguan", Role.SUPERVISOR, "监管人员（演示）", "13900000002"),
    ("xitong", Role.SYSADMIN, "系统管理员（演示）", "13900000003"),
    ("anquan", Role.SECADMIN, "安全管理员（演示）", "13900000004"),
    ("shenji", Role.AUDITADMIN, "审计管理员（演示）", "13900000005"),
]
# Staff log in with a 动态验证码 (laowu/accounts/otp.py). Each demo staff account is bound to a
# fixed key, printed with the account (and in README), that a person trying the platform adds to
# an authenticator app by hand — or reads the current code from `manage.py demo_otp_code`.
# Demo-only, like the password: never created under production settings.
DEMO_OTP_KEYS = {
    "shenhe": "LAOWUDEMOSHENHE2",
    "jianguan": "LAOWUDEMOJIANGUA",
    "xitong": "LAOWUDEMOXITONG2",
    "anquan": "LAOWUDEMOANQUAN2",
    "shenji": "LAOWUDEMOSHENJI2",
}


def demo_key_hex(base32_key: str) -> str:
    return b32decode(base32_key).hex()


DEMO_ENTERPRISE_PHONE = "13800000000"


class Command(BaseCommand):
    help = "创建演示数据（演示企业及各角色账号）。已存在的账号保持不变。"

    def handle(self, *args: Any, **opts: Any) -> None:
        if not getattr(settings, "LAOWU_DEMO_DATA_ALLOWED", False):
            raise CommandError("生产环境不允许创建演示数据。")
        company = offline_companies()[0]
        if not User.objects.filter(username=company.credit_code).exists():
            register_enterprise(
                name=company.name,
                credit_code=company.credit_code,
                contact_name="李明",
                phone=DEMO_ENTERPRISE_PHONE,
                password=DEMO_PASSWORD,
            )
        for username, role, name, phone in STAFF:
            if not User.objects.filter(username=username).exists():
                create_staff_account(
                    username=username, role=role, display_name=name, phone=phone, password=DEMO_PASSWORD
                )
            user = User.objects.get(username=username)
            # Again after a 安全管理员's reset in the UI: the printed key is the one that works.
            if not otp.has_second_factor(user):
                bind_totp_key(user=user, key_hex=demo_key_hex(DEMO_OTP_KEYS[username]))
        call_command("seed_demo_catalogue")
        call_command("seed_demo_supervision")
        second = offline_companies()[1]
        rows = [
            (company.credit_code, "企业用户", company.name),
            (second.credit_code, "企业用户", f"{second.name}（各项信息已审核通过，可接受现场检查）"),
        ] + [(u, Role(r).label, f"{n}  动态验证码密钥 {DEMO_OTP_KEYS[u]}") for u, r, n, _ in STAFF]
        self.stdout.write(f"演示账号（密码均为 {DEMO_PASSWORD}；仅限本地演示）：")
        for username, role, name in rows:
            self.stdout.write(f"  {role:<6}  {username:<20}  {name}")
        self.stdout.write(
            "工作人员登录时还需输入动态验证码：把上面的密钥手工添加到验证器App（基于时间、6位），"
            "或运行 .venv/bin/python manage.py demo_otp_code 账号 查看当前验证码。"
        )
        self.stdout.write(f"短信验证码发件箱（忘记密码时查看验证码）：{settings.LAOWU_SMS_OUTBOX}")
