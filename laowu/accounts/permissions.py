"""Who may open which page. Every role rule of the accounts side lives here."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from .models import ADMIN_ROLES, COMMITTEE_ROLES, STAFF_ROLES, Role

View = Callable[..., HttpResponse]


def has_role(user: Any, *roles: str) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.role in roles)


def role_required(*roles: str) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_role(request.user, *roles):
                raise PermissionDenied("您的角色无权访问此页面。")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def can_read_audit_log(user: Any) -> bool:
    return has_role(user, Role.AUDITADMIN)


def can_manage_accounts(user: Any) -> bool:
    return has_role(user, Role.SYSADMIN)


def can_manage_lockouts(user: Any) -> bool:
    return has_role(user, Role.SECADMIN)


# 三员分立: the 系统管理员 manages the platform's working accounts, but not the admin
# accounts themselves — otherwise one admin could make (or silence) the 审计管理员 who is
# meant to watch them. Admin accounts are made and switched on/off only on the server
# console (`manage.py create_staff`, `manage.py set_account_active`), where `actor` is None.
ADMIN_ROLES_CONSOLE_ONLY = (
    "三员管理账号（系统管理员、安全管理员、审计管理员）只能由服务器运维人员"
    "在服务器控制台使用 {command} 命令{verb}，不能在页面上操作。"
)


def creatable_roles(actor: Any) -> frozenset[str]:
    """The roles `actor` may give a new staff account; None is the server console."""
    if actor is None:
        return frozenset(STAFF_ROLES)
    if has_role(actor, Role.SYSADMIN):
        return frozenset(COMMITTEE_ROLES)
    return frozenset()


def staff_create_refusal(actor: Any, role: str) -> str | None:
    """Why `actor` may not create a staff account with `role`, or None if allowed."""
    if role not in STAFF_ROLES:
        return "只能创建审核员、监管人员或三员管理账号；企业账号须由企业自行注册。"
    if role in creatable_roles(actor):
        return None
    if role in ADMIN_ROLES:
        return ADMIN_ROLES_CONSOLE_ONLY.format(command="create_staff", verb="创建")
    return "您的角色无权创建工作人员账号。"


def set_active_refusal(actor: Any, account: Any) -> str | None:
    """Why `actor` may not enable/disable `account`, or None if allowed."""
    if actor is None:
        return None
    if not has_role(actor, Role.SYSADMIN):
        return "您的角色无权启用或停用账号。"
    if account.pk == actor.pk:
        return "不能停用自己的账号。"
    if account.role in ADMIN_ROLES:
        return ADMIN_ROLES_CONSOLE_ONLY.format(command="set_account_active", verb="启用或停用")
    return None


def can_set_account_active(actor: Any, account: Any) -> bool:
    return set_active_refusal(actor, account) is None


def can_list_accounts(user: Any) -> bool:
    """The account list: the 系统管理员 manages accounts there, the 安全管理员 resets second factors."""
    return has_role(user, Role.SYSADMIN, Role.SECADMIN)


def otp_reset_refusal(actor: Any, account: Any) -> str | None:
    """Why `actor` may not reset `account`'s second factor (动态验证码), or None if allowed.

    A security setting, so the 安全管理员's alone; never one's own, or a stolen password plus
    a session left open would be enough to bind the thief's phone. `actor` None is the server
    console (`manage.py reset_second_factor`), the way back for a 安全管理员 who lost the phone."""
    if actor is None:
        return None
    if not has_role(actor, Role.SECADMIN):
        return "只有安全管理员可以重置动态验证码。"
    if account.pk == actor.pk:
        return "不能重置自己的动态验证码；如手机遗失，请服务器运维人员在控制台使用 reset_second_factor 命令重置。"
    return None


def can_reset_second_factor(actor: Any, account: Any) -> bool:
    return otp_reset_refusal(actor, account) is None


def set_password_refusal(actor: Any, account: Any) -> str | None:
    """Why `actor` may not give `account` a new password (重置密码), or None if allowed: the
    accounts the 系统管理员 may switch on and off, for the same 三员分立 reason; their own
    password each user changes on 修改密码."""
    if not has_role(actor, Role.SYSADMIN):
        return "您的角色无权重置账号密码。"
    if account.pk == actor.pk:
        return "不能在此重置自己的密码，请使用“修改密码”。"
    if account.role in ADMIN_ROLES:
        return "三员管理账号的密码不能在页面上重置，请由服务器运维人员在服务器控制台处理。"
    return None


def can_set_password(actor: Any, account: Any) -> bool:
    return set_password_refusal(actor, account) is None
