"""Writing the audit log. Call `record` inside the same transaction as the change it
describes, so a rolled-back change leaves no row claiming it happened."""

from __future__ import annotations

from typing import Any

from django.db import models, transaction
from django.http import HttpRequest

from laowu.core.http import client_ip

from .models import AuditEvent, Result


class Action(models.TextChoices):
    REGISTER = "account.register", "企业注册"
    LOGIN = "account.login", "登录"
    LOGIN_FAILED = "account.login_failed", "登录失败"
    LOCKOUT = "account.lockout", "账号锁定"
    UNLOCK = "account.unlock", "解除锁定"
    LOGOUT = "account.logout", "退出登录"
    PASSWORD_CHANGE = "account.password_change", "修改密码"
    PASSWORD_RESET = "account.password_reset", "找回密码"
    PASSWORD_SET = "account.password_set", "管理员重置密码"
    SMS_CODE = "account.sms_code", "获取短信验证码"
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
