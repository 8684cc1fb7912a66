from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone

from laowu.core.fields import BlindIndexField, SealedCharField, index_value
from laowu.core.validators import mask_mobile

# One context for every blind index of a 手机号 (laowu/core/fields.py): accounts and SMS codes.
PHONE_INDEX_CONTEXT = "phone"


def phone_is(phone: str) -> dict[str, str]:
    """The lookup that finds rows whose (sealed) phone is `phone`: `filter(**phone_is(p))`."""
    return {"phone_index": index_value(phone or "", context=PHONE_INDEX_CONTEXT)}


class District(models.Model):
    """行政区划. Enterprises and committee accounts belong to one; reviewers see their own."""

    code = models.CharField("行政区划代码", max_length=6, unique=True)
    name = models.CharField("名称", max_length=50)

    class Meta:
        verbose_name = "行政区划"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    ENTERPRISE = "enterprise", "企业用户"
    REVIEWER = "reviewer", "审核员"
    SUPERVISOR = "supervisor", "监管人员"
    SYSADMIN = "sysadmin", "系统管理员"
    SECADMIN = "secadmin", "安全管理员"
    AUDITADMIN = "auditadmin", "审计管理员"


STAFF_ROLES = frozenset(Role) - {Role.ENTERPRISE}
COMMITTEE_ROLES = frozenset({Role.REVIEWER, Role.SUPERVISOR})
ADMIN_ROLES = frozenset({Role.SYSADMIN, Role.SECADMIN, Role.AUDITADMIN})


class User(AbstractUser):
    """One account, one role: 三员分立 holds because a role is a single value, not a set.

    Enterprise accounts log in with their 统一社会信用代码 as the username.
    """

    role = models.CharField("角色", max_length=20, choices=Role.choices)
    display_name = models.CharField("姓名/联系人", max_length=50, blank=True)
    # Sealed at rest (laowu/core/fields.py, docs/security.md); found and kept unique through
    # its blind index.
    phone = SealedCharField("手机号码", plain_max_length=11, blank=True)
    phone_index = BlindIndexField(source="phone", context=PHONE_INDEX_CONTEXT)
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name="所属企业",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="accounts",
    )
    districts = models.ManyToManyField(District, verbose_name="管辖区划", blank=True, related_name="staff")
    password_changed_at = models.DateTimeField("密码修改时间", null=True, blank=True)
    # Set when someone else chose the password (the 系统管理员 creating or resetting an
    # account): the holder must replace it before anything else (laowu/accounts/middleware.py).
    must_change_password = models.BooleanField("须修改密码", default=False)

    objects = UserManager()

    class Meta:
        verbose_name = "用户"
        constraints = [
            # The phone is how a forgotten password is recovered, so it must name one account.
            models.UniqueConstraint(fields=["phone_index"], condition=~Q(phone_index=""), name="user_phone_unique"),
            models.CheckConstraint(
                condition=(
                    Q(role="enterprise", enterprise__isnull=False)
                    | (~Q(role="enterprise") & Q(enterprise__isnull=True))
                ),
                name="user_enterprise_iff_enterprise_role",
            ),
            # No Django superuser: it would hold every admin power at once, against 三员分立.
            models.CheckConstraint(condition=Q(is_superuser=False), name="user_no_superuser"),
        ]

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def role_label(self) -> str:
        return Role(self.role).label if self.role else ""

    @property
    def is_enterprise(self) -> bool:
        return self.role == Role.ENTERPRISE

    @property
    def is_committee(self) -> bool:
        return self.role in COMMITTEE_ROLES


class PasswordHistory(models.Model):
    """One of an account's recent password hashes (the current one included), so that a new
    password repeating any of the last LAOWU_PASSWORD_HISTORY is refused
    (laowu/accounts/passwords.py). Only hashes are kept, never the passwords."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField("密码哈希", max_length=128)
    created_at = models.DateTimeField("设置时间")

    class Meta:
        verbose_name = "历史密码"
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.user} {self.created_at:%Y-%m-%d}"


class SmsPurpose(models.TextChoices):
    PASSWORD_RESET = "password_reset", "找回密码"
    REGISTER = "register", "用户注册"


class SmsCode(models.Model):
    """One verification code request. Rows exist for unknown numbers too, so that rate
    limits (and the reply) are the same whether or not the number is registered."""

    phone = SealedCharField(plain_max_length=11)
    phone_index = BlindIndexField(source="phone", context=PHONE_INDEX_CONTEXT, db_index=True)
    purpose = models.CharField(max_length=30, choices=SmsPurpose.choices)
    code_hash = models.CharField(max_length=128)
    ip = models.GenericIPAddressField(null=True)
    created_at = models.DateTimeField(db_index=True)
    expires_at = models.DateTimeField()
    wrong_tries = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True)
    voided = models.BooleanField(default=False)
    delivered = models.BooleanField(default=False)

    class Meta:
        verbose_name = "短信验证码"
        indexes = [models.Index(fields=["ip", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} {self.phone[:3]}****{self.phone[-4:]}"


class SmsKind(models.TextChoices):
    CODE = "code", "验证码"
    NOTICE = "notice", "通知"
    # 忘记密码 for a number on no account: the same row and the same enqueue as a code, so the
    # request takes the same time; the worker drops it without calling the provider.
    DISCARD = "discard", "不发送"


class SmsStatus(models.TextChoices):
    PENDING = "pending", "待发送"
    SENDING = "sending", "发送中"
    SENT = "sent", "已发送"
    RETRYING = "retrying", "失败（将重试）"
    FAILED = "failed", "最终失败"
    DISCARDED = "discarded", "不发送"


# What the 短信发送记录 page calls each message's purpose: the code purposes, and the notice
# templates by name (laowu/supervision/notifications.py NOTICE_TEMPLATES, the expiry notice of
# laowu/integrations/sms/base.py, the phone-in-use notice of laowu/accounts/services.py).
SMS_PURPOSE_LABELS = {
    **dict(SmsPurpose.choices),
    "phone_in_use": "号码已注册提示",
    "expiry": "证照到期提醒",
    "filing_approved": "审核通过通知",
    "filing_change_approved": "变更通过通知",
    "filing_rejected": "退回通知",
    "bad_behaviour_published": "不良行为公示通知",
    "rectification_notice": "整改通知",
    "award_decided": "评优结果通知",
}


class SmsMessage(models.Model):
    """One SMS on its way: written in the request's transaction, sent by a background worker
    (laowu/accounts/sms.py). The phone and the code are sealed at rest like every phone; the
    queue's own job row holds only this row's id."""

    kind = models.CharField("类型", max_length=10, choices=SmsKind.choices)
    purpose = models.CharField("用途", max_length=40)
    phone = SealedCharField("手机号码", plain_max_length=11)
    phone_index = BlindIndexField(source="phone", context=PHONE_INDEX_CONTEXT, db_index=True)
    code = SealedCharField("验证码", plain_max_length=6, blank=True)
    sms_code = models.ForeignKey(SmsCode, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    account = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    template = models.CharField("通知模板", max_length=60, blank=True)
    text = models.TextField("通知内容", blank=True)
    params = models.JSONField("模板变量", default=dict, blank=True)
    # Who wants to hear how it ended (laowu/accounts/sms.py `sms_settled`), e.g. "expiry:12".
    ref = models.CharField(max_length=60, blank=True, db_index=True)
    status = models.CharField("状态", max_length=10, choices=SmsStatus.choices, default=SmsStatus.PENDING)
    attempts = models.PositiveSmallIntegerField("发送次数", default=0)
    last_error = models.CharField("失败原因", max_length=200, blank=True)
    created_at = models.DateTimeField("提交时间", db_index=True)
    updated_at = models.DateTimeField("更新时间")
    next_attempt_at = models.DateTimeField("下次重试", null=True, blank=True)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)

    class Meta:
        verbose_name = "短信发送记录"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.phone[:3]}****{self.phone[-4:]} {self.get_status_display()}"

    @property
    def masked_phone(self) -> str:
        return mask_mobile(self.phone)

    # A message left 发送中 this long had its worker die mid-send (a send gives up after
    # LAOWU_SMS_TIMEOUT): the 系统管理员 may send it again, knowing it may have arrived.
    STUCK_AFTER = dt.timedelta(minutes=10)

    @property
    def resendable(self) -> bool:
        """重新发送 is offered: a final failure, or a send whose worker never came back."""
        if self.status == SmsStatus.FAILED:
            return True
        return self.status == SmsStatus.SENDING and self.updated_at < timezone.now() - self.STUCK_AFTER

    @property
    def purpose_label(self) -> str:
        return SMS_PURPOSE_LABELS.get(self.purpose, self.purpose)
