"""Account writes: registration, passwords, SMS codes, staff accounts.

Each function is one durable transaction that also writes its audit row. Calls to
outside systems (company information) happen outside the transaction so a slow
provider never holds database locks; an SMS is only queued in it, and a background
worker sends it (laowu/accounts/sms.py).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
import secrets
from collections.abc import Iterable
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from laowu.audit.models import Result
from laowu.audit.services import Action, record
from laowu.core import ratelimit
from laowu.core.validators import mask_mobile, normalize_credit_code, validate_credit_code, validate_mobile
from laowu.enterprises.models import Enterprise
from laowu.integrations.company_info import ProviderUnavailable, get_company_info_provider
from laowu.integrations.company_info.base import CompanyInfo

from . import otp, permissions
from .models import District, Role, SmsCode, SmsKind, SmsPurpose, User, phone_is
from .passwords import set_new_password
from .sms import queue_sms

log = logging.getLogger(__name__)


class RateLimited(Exception):
    """A request refused by a rate limit; the message is shown to the user as is."""


# ---------------------------------------------------------------- registration


@dataclasses.dataclass(frozen=True)
class ProviderLookup:
    status: str  # "confirmed" | "no_result" | "unavailable"
    info: CompanyInfo | None
    reason: str = ""  # why it was unavailable, in Chinese


def lookup_company(credit_code: str) -> ProviderLookup:
    try:
        info = get_company_info_provider().lookup(credit_code)
    except ProviderUnavailable as exc:
        log.warning("company-info provider unavailable: %s", exc)
        return ProviderLookup("unavailable", None, exc.reason)
    return ProviderLookup("confirmed" if info else "no_result", info)


def _same_name(a: str, b: str) -> bool:
    # Full-width and half-width brackets are both common in registered names.
    def norm(s: str) -> str:
        return s.strip().replace("（", "(").replace("）", ")").replace(" ", "")

    return norm(a) == norm(b)


def default_district() -> District:
    code, name = settings.LAOWU_DEFAULT_DISTRICT
    district, _ = District.objects.get_or_create(code=code, defaults={"name": name})
    return district


@dataclasses.dataclass(frozen=True)
class PendingRegistration:
    """Step 1 of 用户注册, checked and kept in the session until the SMS code proves the phone.
    The password is kept only as its hash."""

    name: str
    credit_code: str
    contact_name: str
    phone: str
    password_hash: str
    provider_status: str  # "confirmed" | "no_result" | "unavailable"
    provider_data: dict[str, Any]

    def as_session(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_session(cls, data: Any) -> PendingRegistration | None:
        try:
            return cls(**data)
        except TypeError:
            return None

    @property
    def masked_phone(self) -> str:
        return mask_mobile(self.phone)


def prepare_registration(
    *, name: str, credit_code: str, contact_name: str, phone: str, password: str
) -> PendingRegistration:
    """Everything about a registration that may be said out loud: the code's format and that
    it is not yet registered (the enterprise registry is public), the name against the
    provider's record, the password rules. Whether the phone is free is not said here
    (`start_registration`)."""
    credit_code = normalize_credit_code(credit_code)
    name = name.strip()
    validate_credit_code(credit_code)
    validate_mobile(phone)
    # Before the lookup: each 天眼查 query is billed, and a registered code needs none.
    _check_credit_code_free(credit_code)
    lookup = lookup_company(credit_code)
    if lookup.info is not None and not _same_name(lookup.info.name, name):
        raise ValidationError(
            {"name": f"企业名称与该统一社会信用代码的登记名称不一致（登记名称：{lookup.info.name}），请核对。"}
        )
    validate_password(password, User(username=credit_code, display_name=contact_name.strip(), phone=phone))
    return PendingRegistration(
        name=name,
        credit_code=credit_code,
        contact_name=contact_name.strip(),
        phone=phone,
        password_hash=make_password(password),
        provider_status=lookup.status,
        provider_data=lookup.info.as_dict() if lookup.info else {},
    )


# What the holder of a number already on an account is told instead of getting a code:
# the person registering learns nothing, the holder learns of the attempt.
PHONE_IN_USE_NOTICE = "phone_in_use"
PHONE_IN_USE_TEXT = (
    "您的手机号码正被用于注册相城区施工劳务行业自管自律平台的新账号。该号码已绑定您的账号，无需重复注册；"
    "如非本人操作，请忽略本短信。"
)


def start_registration(*, pending: PendingRegistration, request: HttpRequest | None = None) -> None:
    """Queue the registration code, with the same reply, limits, audit and work whether or not
    the phone is already on an account, so that 用户注册 cannot be used to find out which
    numbers are: a free number gets a code; a used one gets a notice instead, and the code that
    was never sent cannot be guessed on step 2 (it counts wrong tries as any other)."""
    in_use = User.objects.filter(**phone_is(pending.phone)).exists()
    _issue_code(
        phone=pending.phone,
        purpose=SmsPurpose.REGISTER,
        user=None,
        request=request,
        delivery=_PHONE_IN_USE if in_use else SmsKind.CODE,
    )


def complete_registration(*, pending: PendingRegistration, code: str, request: HttpRequest | None = None) -> User:
    """Step 2: the SMS code proves the phone; the enterprise and its account are made."""
    now = timezone.now()
    user: User | None = None
    error: str | None = None
    try:
        with transaction.atomic(durable=True):
            sms = _open_code(phone=pending.phone, purpose=SmsPurpose.REGISTER)
            # A number already on an account never had its code sent, so nobody can type it.
            error = _code_error(sms, phone=pending.phone, code=code, now=now, deliverable=True)
            if error is None:
                assert sms is not None
                _check_credit_code_free(pending.credit_code)
                if User.objects.filter(**phone_is(pending.phone)).exists():
                    # Taken since step 1: only the phone's holder, who has the code, reads this.
                    raise ValidationError("该手机号码已被其他账号使用，请返回修改联系人手机号码。")
                user = _create_enterprise_account(pending, request=request)
                sms.used_at = now
                sms.save(update_fields=["used_at"])
            else:
                record(
                    action=Action.REGISTER,
                    request=request,
                    username=pending.credit_code,
                    result=Result.FAILURE,
                    detail={"phone": pending.masked_phone, "reason": error},
                )
    except IntegrityError:
        # Two registrations of the same code or phone raced past the checks above.
        _check_credit_code_free(pending.credit_code)
        raise
    if error:
        raise ValidationError({"code": error})
    assert user is not None
    return user


def register_enterprise(
    *,
    name: str,
    credit_code: str,
    contact_name: str,
    phone: str,
    password: str,
    request: HttpRequest | None = None,
) -> User:
    """Register without the SMS step: the server console's demo data (seed_demo) only."""
    pending = prepare_registration(
        name=name, credit_code=credit_code, contact_name=contact_name, phone=phone, password=password
    )
    with transaction.atomic(durable=True):
        if User.objects.filter(**phone_is(phone)).exists():
            raise ValidationError({"phone": "该手机号码已被其他账号使用，请更换联系人手机号码。"})
        return _create_enterprise_account(pending, request=request)


def _create_enterprise_account(pending: PendingRegistration, *, request: HttpRequest | None) -> User:
    """The enterprise and its account, inside the caller's transaction."""
    enterprise = Enterprise(
        name=pending.name,
        credit_code=pending.credit_code,
        district=default_district(),
        provider_confirmed=pending.provider_status == "confirmed",
        provider_data=pending.provider_data,
        provider_checked_at=timezone.now(),
        contact_name=pending.contact_name,
        contact_phone=pending.phone,
    )
    enterprise.full_clean()
    enterprise.save()
    user = User(
        username=pending.credit_code,
        role=Role.ENTERPRISE,
        display_name=pending.contact_name,
        phone=pending.phone,
        enterprise=enterprise,
    )
    user.full_clean(exclude=["password"])
    set_new_password(user, encoded=pending.password_hash)
    record(
        action=Action.REGISTER,
        request=request,
        user=user,
        obj=enterprise,
        detail={"provider": pending.provider_status},
    )
    return user


def _check_credit_code_free(credit_code: str) -> None:
    if (
        Enterprise.objects.filter(credit_code=credit_code).exists()
        or User.objects.filter(username=credit_code).exists()
    ):
        raise ValidationError(
            {"credit_code": "该统一社会信用代码已注册。请直接登录；如忘记密码，请点击“忘记密码”找回。"}
        )


# ---------------------------------------------------------------- passwords


def change_password(*, user: User, new_password: str, request: HttpRequest | None = None) -> None:
    validate_password(new_password, user)
    with transaction.atomic(durable=True):
        set_new_password(user, new_password)
        record(action=Action.PASSWORD_CHANGE, request=request, user=user, obj=user)


def _code_hash(phone: str, code: str) -> str:
    return salted_hmac("laowu.sms-code", f"{phone}:{code}", algorithm="sha256").hexdigest()


def _local_midnight(now: dt.datetime) -> dt.datetime:
    local = timezone.localtime(now)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def request_password_reset_code(*, phone: str, request: HttpRequest | None = None) -> None:
    """Queue a reset code if the number belongs to an active account.

    The caller shows the same reply either way, and the same limits apply to unknown
    numbers, so nobody can probe which numbers are registered. Nor can the reply's time
    tell: an unknown number queues a message the worker drops (SmsKind.DISCARD), through the
    same writes, and the provider is called only by the worker (laowu/accounts/sms.py). A
    failed delivery is retried there, then logged and audited for the operators.
    """
    validate_mobile(phone)
    user = User.objects.filter(**phone_is(phone), is_active=True).first()
    _issue_code(
        phone=phone,
        purpose=SmsPurpose.PASSWORD_RESET,
        user=user,
        request=request,
        delivery=SmsKind.CODE if user is not None else SmsKind.DISCARD,
    )


# `_issue_code`'s delivery for a number already on an account: the notice, not the code.
_PHONE_IN_USE = "phone_in_use"


def _issue_code(*, phone: str, purpose: str, user: User | None, request: HttpRequest | None, delivery: str) -> SmsCode:
    """A new code for `phone`, after the resend, daily and per-IP limits (RateLimited), with
    its audit row; the earlier open codes of the purpose are voided. The SMS is queued in the
    same transaction (`delivery`: the code, the phone-in-use notice, or a message the worker
    drops), so limits, replies and the work done are the same for every number."""
    from laowu.core.http import client_ip

    now = timezone.now()
    ip = client_ip(request)
    with transaction.atomic(durable=True):
        _serialize_sms_requests(phone=phone, ip=ip)
        last = SmsCode.objects.filter(**phone_is(phone), purpose=purpose).order_by("-created_at").first()
        wait = settings.LAOWU_SMS_RESEND_SECONDS - (now - last.created_at).total_seconds() if last else 0
        if wait > 0:
            raise RateLimited(f"验证码已发送，请{int(wait) + 1}秒后再重新获取。")
        if (
            SmsCode.objects.filter(**phone_is(phone), purpose=purpose, created_at__gte=_local_midnight(now)).count()
            >= settings.LAOWU_SMS_DAILY_PER_PHONE
        ):
            raise RateLimited("该手机号今日获取验证码的次数已达上限，请明天再试。")
        if ip and (
            SmsCode.objects.filter(ip=ip, created_at__gte=now - dt.timedelta(hours=1)).count()
            >= settings.LAOWU_SMS_HOURLY_PER_IP
        ):
            raise RateLimited("当前网络获取验证码过于频繁，请稍后再试。")
        SmsCode.objects.filter(**phone_is(phone), purpose=purpose, used_at__isnull=True, voided=False).update(
            voided=True
        )
        code = f"{secrets.randbelow(10**6):06d}"
        sms = SmsCode.objects.create(
            phone=phone,
            purpose=purpose,
            code_hash=_code_hash(phone, code),
            ip=ip,
            created_at=now,
            expires_at=now + dt.timedelta(seconds=settings.LAOWU_SMS_CODE_TTL_SECONDS),
            delivered=False,
        )
        if delivery == _PHONE_IN_USE:
            queue_sms(
                kind=SmsKind.NOTICE,
                phone=phone,
                purpose=PHONE_IN_USE_NOTICE,
                template=PHONE_IN_USE_NOTICE,
                text=PHONE_IN_USE_TEXT,
                sms_code=sms,
            )
        else:
            queue_sms(kind=delivery, phone=phone, purpose=purpose, code=code, sms_code=sms, account=user)
        detail: dict[str, Any] = {"phone": mask_mobile(phone), "registered": user is not None}
        if purpose != SmsPurpose.PASSWORD_RESET:
            detail = {"phone": mask_mobile(phone), "purpose": purpose}
        record(action=Action.SMS_CODE, request=request, user=user, username=mask_mobile(phone), detail=detail)
    return sms


def _open_code(*, phone: str, purpose: str) -> SmsCode | None:
    """The phone's newest usable code of the purpose, locked for the caller's transaction."""
    return (
        SmsCode.objects.select_for_update()
        .filter(**phone_is(phone), purpose=purpose, used_at__isnull=True, voided=False)
        .order_by("-created_at")
        .first()
    )


def _code_error(sms: SmsCode | None, *, phone: str, code: str, now: dt.datetime, deliverable: bool) -> str | None:
    """Why `code` does not open `sms`, or None if it does. A wrong try is counted (and saved,
    in the caller's transaction, which must commit even when the attempt fails); so is any
    try at a code that was never sent (`deliverable` False), so that it reads the same."""
    if sms is None or sms.expires_at <= now:
        return "验证码已失效，请重新获取。"
    if deliverable and constant_time_compare(_code_hash(phone, code.strip()), sms.code_hash):
        return None
    sms.wrong_tries += 1
    left = settings.LAOWU_SMS_MAX_WRONG_TRIES - sms.wrong_tries
    if left <= 0:
        sms.voided = True
    sms.save(update_fields=["wrong_tries", "voided"])
    return "验证码错误次数过多，已失效，请重新获取。" if left <= 0 else f"验证码不正确，还可尝试{left}次。"


def _serialize_sms_requests(*, phone: str, ip: str | None) -> None:
    """Make concurrent code requests for one phone (or from one IP) take turns, so the 60 s
    resend, daily and hourly checks each see the rows the others wrote.

    Locking the phone's existing rows would not do: the first request of the day has none.
    PostgreSQL gets transaction-scoped advisory locks on the phone and the IP (taken in a
    fixed order, so two requests never wait on each other crosswise). SQLite needs nothing:
    its transactions start with BEGIN IMMEDIATE (settings), which already admits one writer
    at a time.
    """
    if connection.vendor != "postgresql":
        return
    names = [f"laowu.sms.phone:{phone}", *([f"laowu.sms.ip:{ip}"] if ip else [])]
    # Sorted by the lock number itself, so even two names sharing a number keep the order.
    keys = sorted(
        {int.from_bytes(hashlib.blake2b(n.encode(), digest_size=8).digest(), "big", signed=True) for n in names}
    )
    with connection.cursor() as cursor:
        for key in keys:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def reset_password_with_code(*, phone: str, code: str, new_password: str, request: HttpRequest | None = None) -> User:
    now = timezone.now()
    error: str | None = None
    password_error: ValidationError | None = None
    user = User.objects.filter(**phone_is(phone), is_active=True).first()
    # Only the rules that are the same for everyone come before the code: the rule that
    # compares the password with the account (UserAttributeSimilarityValidator) would
    # answer differently for a registered number, so it waits until the code is proven.
    validate_password(new_password)
    # The wrong-try counter must be committed even when the attempt fails, so the
    # outcome is decided inside the transaction and raised only after it commits.
    with transaction.atomic(durable=True):
        sms = _open_code(phone=phone, purpose=SmsPurpose.PASSWORD_RESET)
        error = _code_error(sms, phone=phone, code=code, now=now, deliverable=user is not None)
        if error is None:
            assert user is not None and sms is not None
            try:
                validate_password(new_password, user)
            except ValidationError as exc:
                # The code stays valid (and untouched) for a second try with another password.
                password_error = exc
                error = "新密码不符合要求：" + "".join(exc.messages)
            else:
                set_new_password(user, new_password, now=now)
                sms.used_at = now
                sms.save(update_fields=["used_at"])
        record(
            action=Action.PASSWORD_RESET,
            request=request,
            user=user,
            username=mask_mobile(phone),
            result=Result.FAILURE if error else Result.SUCCESS,
            detail={"phone": mask_mobile(phone), **({"reason": error} if error else {})},
        )
    if password_error is not None:
        raise ValidationError({"new_password1": password_error.messages})
    if error:
        raise ValidationError({"code": error})
    assert user is not None
    # Proving control of the phone is as strong as the password: lift any lockout.
    AxesProxyHandler.reset_attempts(username=user.get_username())
    return user


# ---------------------------------------------------------------- staff accounts


def create_staff_account(
    *,
    username: str,
    role: str,
    display_name: str,
    password: str,
    phone: str = "",
    district_codes: Iterable[str] = (),
    actor: User | None = None,
    request: HttpRequest | None = None,
) -> User:
    refusal = permissions.staff_create_refusal(actor, role)
    if refusal is not None:
        # A refused attempt at an admin account is exactly what the 审计管理员 must see.
        _record_refusal(
            action=Action.STAFF_CREATE,
            request=request,
            actor=actor,
            detail={"username": username.strip()[:150], "role": role[:20], "reason": refusal},
        )
        raise ValidationError({"role": refusal})
    if phone:
        validate_mobile(phone)
    user = User(username=username.strip(), role=role, display_name=display_name.strip(), phone=phone)
    validate_password(password, user)
    codes = list(district_codes) or [settings.LAOWU_DEFAULT_DISTRICT[0]]
    with transaction.atomic(durable=True):
        districts = list(District.objects.filter(code__in=codes))
        if not districts and set(codes) == {settings.LAOWU_DEFAULT_DISTRICT[0]}:
            districts = [default_district()]
        if len(districts) != len(set(codes)):
            raise ValidationError({"districts": "行政区划代码不存在。"})
        if User.objects.filter(username=user.username).exists():
            raise ValidationError({"username": "该账号已存在。"})
        if phone and User.objects.filter(**phone_is(phone)).exists():
            raise ValidationError({"phone": "该手机号码已被其他账号使用。"})
        user.full_clean(exclude=["password"])
        # A password the 系统管理员 chose is known to two people: its holder replaces it at
        # first login. One set on the server console is the operator's own (create_staff).
        set_new_password(user, password, must_change=actor is not None)
        user.districts.set(districts)
        _record_as(
            actor,
            action=Action.STAFF_CREATE,
            request=request,
            obj=user,
            detail={"role": role, "districts": [d.code for d in districts]},
        )
    return user


def admin_set_password(*, account: User, password: str, actor: User, request: HttpRequest | None = None) -> None:
    """重置密码 by the 系统管理员: a new password the holder must change at the next login.
    The same rules as any password (history included), and the lockout is lifted."""
    refusal = permissions.set_password_refusal(actor, account)
    if refusal is not None:
        _record_refusal(
            action=Action.PASSWORD_SET, request=request, actor=actor, obj=account, detail={"reason": refusal}
        )
        raise ValidationError(refusal)
    validate_password(password, account)
    with transaction.atomic(durable=True):
        set_new_password(account, password, must_change=True)
        record(action=Action.PASSWORD_SET, request=request, user=actor, obj=account, detail={"must_change": True})
    AxesProxyHandler.reset_attempts(username=account.get_username())


def set_account_active(*, account: User, active: bool, actor: User | None, request: HttpRequest | None = None) -> None:
    """Enable or disable an account. `actor` None is the server console (manage.py)."""
    refusal = permissions.set_active_refusal(actor, account)
    if refusal is not None:
        _record_refusal(
            action=Action.ACCOUNT_ACTIVE,
            request=request,
            actor=actor,
            obj=account,
            detail={"active": active, "reason": refusal},
        )
        raise ValidationError(refusal)
    with transaction.atomic(durable=True):
        User.objects.filter(pk=account.pk).update(is_active=active)
        account.is_active = active
        _record_as(
            actor,
            action=Action.ACCOUNT_ACTIVE,
            request=request,
            obj=account,
            detail={"active": active},
        )


CONSOLE = "manage.py"


def _record_as(actor: User | None, **fields: Any) -> None:
    """An audit row by `actor`, or by the server console when there is none (a management
    command): the row then names the console, since it has no account to point at."""
    record(user=actor, username=CONSOLE if actor is None else "", **fields)


def _record_refusal(
    *,
    action: str,
    request: HttpRequest | None,
    actor: User | None,
    detail: dict[str, Any],
    obj: Any = None,
) -> None:
    """Audit a refused request in its own transaction: the refusal is raised right after,
    and the row must outlive it."""
    with transaction.atomic(durable=True):
        _record_as(
            actor,
            action=action,
            request=request,
            obj=obj,
            result=Result.FAILURE,
            detail=detail,
        )


def unlock(*, username: str | None = None, ip_address: str | None = None, actor: User, request: HttpRequest) -> int:
    with transaction.atomic(durable=True):
        count = AxesProxyHandler.reset_attempts(username=username, ip_address=ip_address)
        record(
            action=Action.UNLOCK,
            request=request,
            user=actor,
            detail={"username": username or "", "ip": ip_address or "", "cleared": count},
        )
    return count


# ---------------------------------------------------------------- second factor (laowu/accounts/otp.py)


def _otp_failure_key(user: User) -> str:
    return f"otp-fail:{user.pk}"


def _otp_window_seconds() -> int:
    # The same window as a password lockout (AXES_COOLOFF_TIME, in hours).
    return int(settings.AXES_COOLOFF_TIME * 3600)


def _refuse_if_too_many_otp_failures(user: User, request: HttpRequest | None) -> None:
    try:
        failures = ratelimit.hits(_otp_failure_key(user))
    except ratelimit.Unavailable:
        # Fail safe: without the shared counter nothing would bound the guesses across
        # instances, so no code is checked until Redis answers again (docs/redis.md).
        raise ValidationError({"code": "系统繁忙，暂时无法校验动态验证码，请稍后再试。"}) from None
    if failures < settings.LAOWU_OTP_FAILURE_LIMIT:
        return
    minutes = max(1, _otp_window_seconds() // 60)
    with transaction.atomic(durable=True):
        record(
            action=Action.OTP_VERIFY,
            request=request,
            user=user,
            obj=user,
            result=Result.FAILURE,
            detail={"reason": "too_many_failures"},
        )
    raise ValidationError({"code": f"动态验证码错误次数过多，请{minutes}分钟后再试；如无法登录，请联系安全管理员。"})


def _otp_failure_message(user: User, *, recovery: bool, throttle: dict[str, Any] | None) -> str:
    """Why a code was refused. A wrong code counts towards the account's limit; one refused
    by django-otp's delay was not even checked, so it does not."""
    if throttle is not None and throttle.get("locked_until"):
        wait = int((throttle["locked_until"] - timezone.now()).total_seconds()) + 1
        return f"尝试过于频繁，请{max(wait, 1)}秒后再输入。"
    # Only the count matters here (`hits` below); allow()'s own limit is never the one applied.
    ratelimit.allow(
        _otp_failure_key(user),
        limit=settings.LAOWU_OTP_FAILURE_LIMIT,
        window_seconds=_otp_window_seconds(),
        fail_open=False,
    )
    try:
        left = settings.LAOWU_OTP_FAILURE_LIMIT - ratelimit.hits(_otp_failure_key(user))
    except ratelimit.Unavailable:  # went away since the check before this code: the next try is refused
        left = 0
    then = f"还可尝试{left}次。" if left > 0 else "错误次数已达上限，请稍后再试。"
    if recovery:
        return "恢复码不正确或已使用过。" + then
    return "动态验证码不正确，请输入验证器App当前显示的6位数字。" + then


def _verify_device(device: Any, code: str) -> tuple[bool, dict[str, Any] | None]:
    """django-otp's check with its doubling delay between wrong codes: (verified, why refused)."""
    allowed, why = device.verify_is_allowed()
    if not allowed:
        return False, why
    return bool(device.verify_token(code)), None


def begin_totp_enrolment(*, user: User) -> Any:
    """The account's pending authenticator key, made once and reused on reload, so the QR code
    on the page stays the one the app scanned. No audit row: an unconfirmed key opens nothing;
    `confirm_totp_enrolment` audits the enrolment itself."""
    with transaction.atomic(durable=True):
        if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            raise ValidationError("已绑定验证器App；如需更换手机，请联系安全管理员重置。")
        device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name=otp.TOTP_DEVICE_NAME, confirmed=False)
    return device


def _new_recovery_codes(user: User) -> list[str]:
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=otp.RECOVERY_DEVICE_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(otp.RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


def confirm_totp_enrolment(*, user: User, code: str, request: HttpRequest | None = None) -> tuple[Any, list[str]]:
    """Bind the pending key once the app shows a right code; returns the device (for the
    session's django_otp.login) and the new recovery codes, shown to the user once."""
    _refuse_if_too_many_otp_failures(user, request)
    code = otp.normalize_code(code)
    throttle: dict[str, Any] | None = None
    codes: list[str] = []
    with transaction.atomic(durable=True):
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("-pk").first()
        if device is None:
            raise ValidationError({"code": "绑定已过期，请刷新本页，重新扫描二维码。"})
        verified, throttle = _verify_device(device, code) if otp.is_totp_code(code) else (False, None)
        if verified:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
            codes = _new_recovery_codes(user)
            record(action=Action.OTP_ENROL, request=request, user=user, obj=user)
        else:
            record(
                action=Action.OTP_VERIFY,
                request=request,
                user=user,
                obj=user,
                result=Result.FAILURE,
                detail={"step": "enrol", "reason": "throttled" if throttle else "wrong_code"},
            )
    if not verified:
        raise ValidationError({"code": _otp_failure_message(user, recovery=False, throttle=throttle)})
    ratelimit.clear(_otp_failure_key(user))
    return device, codes


def verify_second_factor(*, user: User, code: str, request: HttpRequest | None = None) -> Any:
    """Check a 6-digit code from the app, or else a recovery code (used up by this call).
    Returns the device that accepted it, for the session's django_otp.login."""
    _refuse_if_too_many_otp_failures(user, request)
    code = otp.normalize_code(code)
    recovery = not otp.is_totp_code(code)
    model = StaticDevice if recovery else TOTPDevice
    throttle: dict[str, Any] | None = None
    verified = False
    with transaction.atomic(durable=True):
        # Locked, so two requests with one code (or one recovery code) cannot both pass.
        device = model.objects.select_for_update().filter(user=user, confirmed=True).order_by("-pk").first()
        if device is not None:
            verified, throttle = _verify_device(device, code)
        if verified and recovery:
            record(
                action=Action.OTP_RECOVERY_USED,
                request=request,
                user=user,
                obj=user,
                detail={"left": device.token_set.count()},
            )
        else:
            record(
                action=Action.OTP_VERIFY,
                request=request,
                user=user,
                obj=user,
                result=Result.SUCCESS if verified else Result.FAILURE,
                detail={"kind": "recovery" if recovery else "totp"}
                | ({} if verified else {"reason": "throttled" if throttle else "wrong_code"}),
            )
    if not verified:
        raise ValidationError({"code": _otp_failure_message(user, recovery=recovery, throttle=throttle)})
    ratelimit.clear(_otp_failure_key(user))
    return device


def regenerate_recovery_codes(*, user: User, request: HttpRequest | None = None) -> list[str]:
    """New recovery codes for an account with an authenticator app; the old ones stop working."""
    with transaction.atomic(durable=True):
        if not otp.totp_device(user):
            raise ValidationError("尚未绑定验证器App，无需恢复码。")
        codes = _new_recovery_codes(user)
        record(action=Action.OTP_RECOVERY_REGENERATE, request=request, user=user, obj=user)
    return codes


def _delete_second_factor(user: User) -> bool:
    had = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    return had


def disable_second_factor(*, user: User, password: str, request: HttpRequest | None = None) -> None:
    """An enterprise account turns its own second factor off (staff may not: otp.otp_required)."""
    if otp.otp_required(user):
        raise ValidationError("工作人员账号必须使用动态验证码，不能关闭。")
    if not user.check_password(password):
        raise ValidationError({"password": "密码不正确。"})
    with transaction.atomic(durable=True):
        _delete_second_factor(user)
        record(action=Action.OTP_DISABLE, request=request, user=user, obj=user)


def reset_second_factor(*, account: User, actor: User | None, request: HttpRequest | None = None) -> None:
    """The 安全管理员 clears another account's authenticator app and recovery codes (a lost
    phone): its sessions lose their verification at once, and a staff account enrols again at
    its next login."""
    refusal = permissions.otp_reset_refusal(actor, account)
    if refusal is not None:
        _record_refusal(action=Action.OTP_RESET, request=request, actor=actor, obj=account, detail={"reason": refusal})
        raise ValidationError(refusal)
    with transaction.atomic(durable=True):
        had = _delete_second_factor(account)
        _record_as(
            actor,
            action=Action.OTP_RESET,
            request=request,
            obj=account,
            detail={"had_device": had},
        )
    ratelimit.clear(_otp_failure_key(account))


def bind_totp_key(*, user: User, key_hex: str) -> None:
    """Bind an authenticator app with a key chosen on the server console rather than shown on
    the enrolment page: `manage.py seed_demo` gives its demo staff accounts fixed, printed keys
    so that a person trying the platform can add them to an app by hand. Refused for an account
    that already has an app (the 安全管理员's reset comes first)."""
    with transaction.atomic(durable=True):
        if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            raise ValidationError("该账号已绑定验证器App。")
        TOTPDevice.objects.filter(user=user).delete()
        TOTPDevice.objects.create(user=user, name=otp.TOTP_DEVICE_NAME, key=key_hex, confirmed=True)
        _new_recovery_codes(user)
        _record_as(None, action=Action.OTP_ENROL, obj=user, detail={"key": "console"})
