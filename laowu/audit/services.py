"""Writing the audit log. Call `record` inside the same transaction as the change it
describes, so a rolled-back change leaves no row claiming it happened."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection, models, transaction
from django.http import HttpRequest
from django.utils import timezone

from laowu.core.cache import CacheUnavailable
from laowu.core.http import client_ip

from . import chain, verify
from .models import AuditEvent, Result


class Action(models.TextChoices):
    REGISTER = "account.register", "企业注册"
    PROVIDER_REFRESH = "enterprise.provider_refresh", "重新从天眼查获取"
    LOGIN = "account.login", "登录"
    LOGIN_FAILED = "account.login_failed", "登录失败"
    LOCKOUT = "account.lockout", "账号锁定"
    UNLOCK = "account.unlock", "解除锁定"
    LOGOUT = "account.logout", "退出登录"
    PASSWORD_CHANGE = "account.password_change", "修改密码"
    PASSWORD_RESET = "account.password_reset", "找回密码"
    PASSWORD_SET = "account.password_set", "管理员重置密码"
    SMS_CODE = "account.sms_code", "获取短信验证码"
    SMS_FAILED = "sms.failed", "短信最终发送失败"
    SMS_RESEND = "sms.resend", "重新发送短信"
    STAFF_CREATE = "account.staff_create", "创建工作人员账号"
    ACCOUNT_ACTIVE = "account.set_active", "启用/停用账号"
    # Second factor (laowu/accounts/otp.py).
    OTP_ENROL = "account.otp_enrol", "绑定动态验证码"
    OTP_VERIFY = "account.otp_verify", "动态验证码验证"
    OTP_RECOVERY_USED = "account.otp_recovery_used", "使用恢复码登录"
    OTP_RECOVERY_REGENERATE = "account.otp_recovery_regenerate", "重新生成恢复码"
    OTP_DISABLE = "account.otp_disable", "关闭动态验证码"
    OTP_RESET = "account.otp_reset", "重置动态验证码"
    AUDIT_VIEW = "audit.search", "查询审计日志"
    FILING_SAVE = "filing.save", "保存"
    FILING_DECLARE = "filing.declare", "申报"
    FILING_WITHDRAW = "filing.withdraw", "撤回"
    FILING_APPROVE = "filing.approve", "审核通过"
    FILING_REJECT = "filing.reject", "审核退回"
    FILING_CHANGE = "filing.change", "变更"
    SHEET_PRINT = "sheet.print", "打印"
    FILING_DEREGISTER = "filing.deregister", "注销"
    FILING_DELETE = "filing.delete", "删除"
    PERSONAL_DATA_VIEW = "personal_data.view", "查看完整个人信息"
    EXPORT = "export", "导出"
    ATTACHMENT_UPLOAD = "attachment.upload", "上传附件"
    ATTACHMENT_DELETE = "attachment.delete", "删除附件"
    CATALOGUE_IMPORT = "catalogue.import", "导入省合同归集数据"
    # Committee supervision (laowu.supervision).
    BAD_BEHAVIOUR_SAVE = "bad_behaviour.save", "保存不良行为记录"
    BAD_BEHAVIOUR_DELETE = "bad_behaviour.delete", "删除不良行为记录草稿"
    BAD_BEHAVIOUR_PUBLISH = "bad_behaviour.publish", "发布不良行为公示"
    BAD_BEHAVIOUR_REVOKE = "bad_behaviour.revoke", "撤销不良行为记录"
    REMOVAL_SAVE = "removal.save", "保存提前移出申请"
    REMOVAL_SUBMIT = "removal.submit", "提交提前移出申请"
    REMOVAL_DECIDE = "removal.decide", "审核提前移出申请"
    INSPECTION_SAVE = "inspection.save", "保存现场检查"
    INSPECTION_DELETE = "inspection.delete", "删除现场检查草稿"
    INSPECTION_ISSUE = "inspection.issue", "发出检查结果/整改通知"
    RECTIFICATION_SAVE = "rectification.save", "保存整改回复"
    RECTIFICATION_SUBMIT = "rectification.submit", "提交整改回复"
    RECTIFICATION_REVIEW = "rectification.review", "整改复查"
    AWARD_SAVE = "award.save", "保存评优推荐"
    AWARD_DECIDE = "award.decide", "评优结果"
    CREDIT_RULES_SAVE = "credit_rules.save", "修改信用评分规则"
    NOTICE_SAVE = "notice.save", "保存通知公告"
    NOTICE_PUBLISH = "notice.publish", "发布/撤下通知公告"
    NOTICE_DELETE = "notice.delete", "删除通知公告"
    EXPIRY_REMIND = "expiry.remind", "发送证照到期提醒"
    # Refusals (record_refusal: rate-limited per caller IP and kind).
    ACCESS_DENIED = "access.denied", "拒绝访问（无权限）"
    NOT_FOUND = "access.not_found", "访问不存在或无权查看的页面"
    CSRF_FAILURE = "security.csrf_failure", "CSRF校验失败"
    ATTACHMENT_REFUSED = "attachment.refused", "附件被拒收"
    REFUSALS_SUPPRESSED = "audit.suppressed", "同类拒绝事件过多，未逐条记录"
    AUDIT_ARCHIVE = "audit.archive", "归档审计日志"


def record(
    *,
    action: str,
    request: HttpRequest | None = None,
    user: Any = None,
    username: str = "",
    obj: Any = None,
    result: str = Result.SUCCESS,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    if user is None and request is not None and getattr(request, "user", None) is not None:
        user = request.user if request.user.is_authenticated else None
    object_type = object_id = object_repr = ""
    if obj is not None:
        object_type = obj._meta.label_lower
        object_id = str(obj.pk)
        object_repr = str(obj)[:200]
    return AuditEvent.objects.create(
        user=user,
        username=(user.get_username() if user is not None else username)[:150],
        role=getattr(user, "role", "") or "",
        ip=client_ip(request),
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr,
        result=result,
        detail=detail or {},
    )


def record_search(*, request: HttpRequest, filters: dict[str, Any], page: int) -> AuditEvent:
    """The 审计管理员's own reading of the log is logged too: who looked for what, when.

    Every request of the search page counts (opening it, each filter, each page turned).
    """
    with transaction.atomic(durable=True):
        return record(
            action=Action.AUDIT_VIEW,
            request=request,
            detail={"filters": {k: str(v) for k, v in filters.items() if v}, "page": page},
        )


# Set on a request whose refusal is already logged, so the middleware does not log it twice.
REFUSAL_RECORDED = "_laowu_refusal_recorded"


def record_refusal(
    *,
    action: str,
    request: HttpRequest | None,
    user: Any = None,
    username: str = "",
    obj: Any = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent | None:
    """Log a refused request, at most LAOWU_AUDIT_REFUSALS_PER_MINUTE per caller IP and kind
    per minute, so an attack cannot flood the table. What is over the limit is counted in the
    cache, and the first refusal of that kind from that IP in a later minute writes one
    summary row (REFUSALS_SUPPRESSED) with the count. Returns None when suppressed.

    Like `record`, it writes in the caller's transaction; outside one, in its own."""
    if request is not None:
        setattr(request, REFUSAL_RECORDED, True)
    limit = settings.LAOWU_AUDIT_REFUSALS_PER_MINUTE
    key = f"audit-refusal:{action}:{client_ip(request) or '-'}"
    window_key = f"{key}:{int(time.time() // 60)}"
    suppressed_key = f"{key}:suppressed"
    try:
        return _record_refusal_counted(
            action=action,
            request=request,
            user=user,
            username=username,
            obj=obj,
            detail=detail,
            limit=limit,
            window_key=window_key,
            suppressed_key=suppressed_key,
        )
    except CacheUnavailable:
        # Redis down: every refusal is written (fail safe for the audit trail; the table grows
        # faster while it lasts, no refusal goes unrecorded).
        return record(
            action=action, request=request, user=user, username=username, obj=obj, result=Result.FAILURE, detail=detail
        )


def _record_refusal_counted(
    *,
    action: str,
    request: HttpRequest | None,
    user: Any,
    username: str,
    obj: Any,
    detail: dict[str, Any] | None,
    limit: int,
    window_key: str,
    suppressed_key: str,
) -> AuditEvent | None:
    if cache.add(window_key, 1, timeout=120):
        count = 1
    else:
        try:
            count = cache.incr(window_key)
        except ValueError:  # expired between add() and incr()
            cache.add(window_key, 1, timeout=120)
            count = 1
    if count > limit:
        if not cache.add(suppressed_key, 1, timeout=7 * 86_400):
            try:
                cache.incr(suppressed_key)
            except ValueError:
                cache.add(suppressed_key, 1, timeout=7 * 86_400)
        return None
    if count == 1:
        # The first of a new minute: account for what earlier minutes held back.
        suppressed = cache.get(suppressed_key) or 0
        if suppressed:
            with contextlib.suppress(ValueError):  # expired meanwhile: nothing left to take back
                cache.decr(suppressed_key, suppressed)
            record(
                action=Action.REFUSALS_SUPPRESSED,
                request=request,
                user=user,
                username=username,
                result=Result.FAILURE,
                detail={"action": action, "suppressed": suppressed, "limit_per_minute": limit},
            )
    return record(
        action=action, request=request, user=user, username=username, obj=obj, result=Result.FAILURE, detail=detail
    )


def record_print(*, request: HttpRequest, obj: Any, detail: dict[str, Any]) -> AuditEvent:
    """打印: who printed which sheet, once its PDF is made."""
    with transaction.atomic(durable=True):
        return record(action=Action.SHEET_PRINT, request=request, obj=obj, detail=detail)


# ---------------------------------------------------------------- archiving


class ArchiveRefused(Exception):
    """Why `archive` did nothing, in a sentence for the operator."""


@dataclasses.dataclass(frozen=True)
class Archived:
    rows: int
    first_seq: int
    last_seq: int
    path: Path


def archive(*, before: dt.date, out: Path, now: dt.datetime | None = None) -> Archived:
    """Move the rows older than `before` (and older than the retention) to a JSON Lines file
    that `verify_audit --archive` checks, then delete them from the table.

    The chain must verify first, so archiving never hides a broken link. Under the chain's
    lock, the rows are written out, then deleted through the one path the triggers allow (a
    permit row covering their ids, inserted and removed in this transaction), and the head's
    anchor moves to the last archived row, so the rest of the table verifies from there.
    The archiving itself is logged, with the file's SHA-256."""
    retention = settings.LAOWU_AUDIT_RETENTION_DAYS
    minimum = settings.LAOWU_AUDIT_MIN_RETENTION_DAYS
    if retention < minimum:
        raise ArchiveRefused(f"LAOWU_AUDIT_RETENTION_DAYS 为 {retention} 天，不能少于 {minimum} 天。")
    today = timezone.localdate(now or timezone.now())
    latest = today - dt.timedelta(days=retention)
    if before > latest:
        raise ArchiveRefused(f"只能归档保留期（{retention} 天）以前的记录：--before 不能晚于 {latest:%Y-%m-%d}。")
    if out.exists():
        raise ArchiveRefused(f"文件 {out} 已存在，不会覆盖。")
    outcome = verify.verify_table()
    if not outcome.ok:
        raise ArchiveRefused(f"哈希链校验未通过，不能归档：{outcome.problem}")
    cutoff = timezone.make_aware(dt.datetime.combine(before, dt.time.min))
    tmp = out.with_name(out.name + ".part")
    with transaction.atomic(durable=True):
        head = chain.lock_head() or chain.Head()
        keep_from = (
            AuditEvent._base_manager.filter(id__gt=head.anchor_id, created_at__gte=cutoff)
            .order_by("id")
            .values_list("id", flat=True)
            .first()
        )
        count, first_seq, last = 0, 0, None
        with tmp.open("w", encoding="utf-8") as f:
            header = {
                "type": "header",
                "format": 1,
                "before": before.isoformat(),
                "anchor_seq": head.anchor_seq,
                "anchor_hash": head.anchor_hash,
                "created_at": timezone.now().isoformat(),
            }
            f.write(json.dumps(header, ensure_ascii=False) + "\n")
            for row in chain.rows_after(AuditEvent, head.anchor_id):
                if keep_from is not None and row["id"] >= keep_from:
                    break
                line = dict(row, created_at=row["created_at"].isoformat())
                f.write(json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n")
                count += 1
                first_seq = first_seq or row["seq"]
                last = row
            if last is None:
                f.close()
                tmp.unlink()
                raise ArchiveRefused(f"没有 {before:%Y-%m-%d} 以前、尚未归档的审计日志。")
            sealed = {
                "rows": count,
                "last_seq": last["seq"],
                "last_hash": last["row_hash"],
                "anchor_seq": head.anchor_seq,
                "anchor_hash": head.anchor_hash,
            }
            alg, key_id = chain.current_alg(), chain.current_key_id()
            message = json.dumps(sealed, sort_keys=True, separators=(",", ":"))
            footer = {"type": "footer", **sealed, "alg": alg, "key_id": key_id}
            footer["mac"] = chain.mac_of(alg, chain.keys()[key_id], message)
            f.write(json.dumps(footer) + "\n")
            f.flush()
            os.fsync(f.fileno())
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO audit_auditarchivepermit (through_id, created_at) VALUES (%s, %s)",
                [last["id"], timezone.now()],
            )
            cursor.execute("DELETE FROM audit_auditevent WHERE id > %s AND id <= %s", [head.anchor_id, last["id"]])
            cursor.execute("DELETE FROM audit_auditarchivepermit")
        head.anchor_seq, head.anchor_id, head.anchor_hash = last["seq"], last["id"], last["row_hash"]
        chain.write_head(head)
        tmp.rename(out)
        record(
            action=Action.AUDIT_ARCHIVE,
            username="manage.py archive_audit",
            detail={
                "rows": count,
                "seq": [first_seq, last["seq"]],
                "before": before.isoformat(),
                "file": out.name,
                "sha256": hashlib.sha256(out.read_bytes()).hexdigest(),
            },
        )
    return Archived(rows=count, first_seq=first_seq, last_seq=last["seq"], path=out)
