"""SMS through the background queue (docs/background-work.md).

A request never talks to the SMS provider: it writes an `SmsMessage` (phone and code sealed)
and enqueues a job that carries only the row's id, both in the request's own transaction, next
to its audit row (`queue_sms`). A worker (`manage.py run_worker`) then sends it (`deliver`): a
provider failure is retried after each of LAOWU_SMS_RETRY_DELAYS, then the message is a final
failure, which the 系统管理员 sees on the 短信发送记录 page and may send again (`resend`).

Who wants to know how a message ended (证照到期提醒 keeps its own flag) listens to
`sms_settled`; the message's `ref` says which of theirs it was.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Mapping
from typing import Any

import django.dispatch
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_tasks.backends.immediate import ImmediateBackend
from django_tasks_db import DatabaseBackend

from laowu.audit.models import Result
from laowu.audit.services import Action, record
from laowu.core.validators import mask_mobile
from laowu.integrations.sms import SmsDeliveryError, get_sms_backend

from .models import Role, SmsCode, SmsKind, SmsMessage, SmsStatus, User
from .tasks import deliver_sms

log = logging.getLogger("laowu.sms")

# Sent with `message` (the SmsMessage) and `final` (True once it will not be tried again),
# after each outcome of a send: sent, or failed.
sms_settled = django.dispatch.Signal()

ERROR_MAX = 200


def queue_sms(
    *,
    kind: str,
    phone: str,
    purpose: str,
    code: str = "",
    sms_code: SmsCode | None = None,
    account: User | None = None,
    template: str = "",
    text: str = "",
    params: Mapping[str, str] | None = None,
    ref: str = "",
) -> SmsMessage:
    """Write one message and enqueue its job. Call it inside the transaction that decides the
    message (and writes its audit row): both become visible to the worker when it commits,
    and neither exists if it rolls back."""
    now = timezone.now()
    message = SmsMessage.objects.create(
        kind=kind,
        purpose=purpose,
        phone=phone,
        code=code,
        sms_code=sms_code,
        account=account,
        template=template,
        text=text,
        params=dict(params or {}),
        ref=ref,
        created_at=now,
        updated_at=now,
    )
    _enqueue(message.pk)
    return message


def _enqueue(message_id: int, *, run_after: dt.datetime | None = None) -> bool:
    """The job for one message; False when the backend cannot run it later (only the tests'
    immediate backend, which cannot defer a retry)."""
    backend = deliver_sms.get_backend()
    if run_after is not None and not backend.supports_defer:
        return False
    task = deliver_sms if run_after is None else deliver_sms.using(run_after=run_after)
    if isinstance(backend, DatabaseBackend | ImmediateBackend):
        # The database backend writes its job row in the caller's transaction (it commits or
        # rolls back with the message); the immediate one runs at once (tests only).
        task.enqueue(message_id)
    else:
        # A queue outside the database must not see the job before the message is committed.
        transaction.on_commit(functools.partial(task.enqueue, message_id), robust=True)
    return True


# ---------------------------------------------------------------- the worker's side


def deliver(*, message_id: int) -> str:
    """Send one message (the job `laowu.accounts.tasks.deliver_sms`); returns its new status."""
    now = timezone.now()
    with transaction.atomic():
        message = SmsMessage.objects.select_for_update().filter(pk=message_id).first()
        if message is None or message.status not in (SmsStatus.PENDING, SmsStatus.RETRYING):
            # Sent already, or claimed by another worker: a job may run twice after a crash.
            return message.status if message else "missing"
        if message.kind == SmsKind.DISCARD:
            _update(message, status=SmsStatus.DISCARDED)
            return SmsStatus.DISCARDED
        message.attempts += 1
        stale = _stale_code(message, now)
        if stale:
            _finish_failed(message, stale, final=True)
        else:
            _update(message, status=SmsStatus.SENDING, attempts=message.attempts)
    if stale:
        sms_settled.send(sender=SmsMessage, message=message, final=True)
        return SmsStatus.FAILED
    # Outside any transaction: a slow provider holds no row lock.
    try:
        _send(message)
    except Exception as exc:
        reason = _scrub(_reason(exc), message)
        log.warning(
            "短信发送失败（第%s次）：%s %s：%s", message.attempts, mask_mobile(message.phone), message.purpose, reason
        )
        final = message.attempts > len(settings.LAOWU_SMS_RETRY_DELAYS)
        with transaction.atomic():
            _finish_failed(message, reason, final=final)
        sms_settled.send(sender=SmsMessage, message=message, final=final)
        return message.status
    with transaction.atomic():
        _update(message, status=SmsStatus.SENT, sent_at=timezone.now(), last_error="", next_attempt_at=None)
        if message.sms_code_id:
            SmsCode.objects.filter(pk=message.sms_code_id).update(delivered=True)
    sms_settled.send(sender=SmsMessage, message=message, final=True)
    return SmsStatus.SENT


def _send(message: SmsMessage) -> None:
    backend = get_sms_backend()
    if message.kind == SmsKind.CODE:
        backend.send_code(phone=message.phone, code=message.code, purpose=message.purpose)
    else:
        backend.send_notice(
            phone=message.phone, text=message.text, template_params=message.params, template=message.template
        )


def _reason(exc: Exception) -> str:
    """Why a send failed, in Chinese, for the 短信发送记录 page and the audit log."""
    if isinstance(exc, SmsDeliveryError):
        return (str(exc) or "短信服务商拒绝发送")[:ERROR_MAX]
    if isinstance(exc, ImproperlyConfigured):
        return f"短信通道配置有误：{exc}"[:ERROR_MAX]
    return f"短信通道出错（{type(exc).__name__}）"[:ERROR_MAX]


def _scrub(reason: str, message: SmsMessage) -> str:
    """The reason without the number or the code, should a provider echo them: it is stored
    in a plain column, shown on a page and written to the audit log."""
    if message.code:
        reason = reason.replace(message.code, "******")
    return reason.replace(message.phone, mask_mobile(message.phone))


def _stale_code(message: SmsMessage, now: dt.datetime) -> str:
    """Why a verification code is no longer worth sending ("" if it is)."""
    if message.kind != SmsKind.CODE:
        return ""
    sms = SmsCode.objects.filter(pk=message.sms_code_id).first() if message.sms_code_id else None
    if sms is None or sms.voided or sms.used_at is not None or sms.expires_at <= now:
        return "验证码已过期或已失效，不再发送（用户可重新获取验证码）"
    return ""


def _update(message: SmsMessage, **fields: Any) -> None:
    fields["updated_at"] = timezone.now()
    for name, value in fields.items():
        setattr(message, name, value)
    SmsMessage.objects.filter(pk=message.pk).update(**fields)


def _finish_failed(message: SmsMessage, reason: str, *, final: bool) -> None:
    """Record a failed send, inside the caller's transaction: a retry later, or the end."""
    delays = settings.LAOWU_SMS_RETRY_DELAYS
    if not final:
        # Backoff: each retry waits longer than the one before (LAOWU_SMS_RETRY_DELAYS).
        run_after = timezone.now() + dt.timedelta(seconds=delays[min(message.attempts, len(delays)) - 1])
        _update(message, status=SmsStatus.RETRYING, last_error=reason, next_attempt_at=run_after)
        if not _enqueue(message.pk, run_after=run_after):
            log.warning("短信 %s 待重试，但当前任务后端不能延后执行", message.pk)
        return
    _update(message, status=SmsStatus.FAILED, last_error=reason, next_attempt_at=None)
    if message.kind == SmsKind.CODE:
        # A code that never arrived must not stay typeable; the page offers 重新获取.
        if message.sms_code_id:
            SmsCode.objects.filter(pk=message.sms_code_id).update(voided=True)
        action = Action.SMS_CODE
    else:
        action = Action.SMS_FAILED
    record(
        action=action,
        user=message.account,
        username="" if message.account else "sms-worker",
        obj=message,
        result=Result.FAILURE,
        detail={"phone": mask_mobile(message.phone), "error": reason, "attempts": message.attempts},
    )


# ---------------------------------------------------------------- the 系统管理员's 重新发送


def resend(*, message: SmsMessage, actor: User, request: HttpRequest | None = None) -> SmsMessage:
    """重新发送 a final failure (or a send whose worker died, `SmsMessage.resendable`): the
    message goes back to the queue with a fresh retry budget."""
    if actor.role != Role.SYSADMIN:
        raise PermissionDenied
    with transaction.atomic(durable=True):
        message = SmsMessage.objects.select_for_update().get(pk=message.pk)
        if not message.resendable:
            raise ValidationError("只有最终失败（或发送中断超过10分钟）的短信可以重新发送。")
        if _stale_code(message, timezone.now()):
            raise ValidationError("该验证码已过期或已失效，不能重新发送；请用户重新获取验证码。")
        previous, previous_status = message.last_error, message.status
        _update(message, status=SmsStatus.PENDING, attempts=0, next_attempt_at=None)
        _enqueue(message.pk)
        record(
            action=Action.SMS_RESEND,
            request=request,
            user=actor,
            obj=message,
            detail={
                "phone": mask_mobile(message.phone),
                "purpose": message.purpose,
                "previous_status": previous_status,
                "previous_error": previous,
            },
        )
    message.refresh_from_db()
    return message
