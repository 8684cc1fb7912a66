from __future__ import annotations

from typing import Any

import django_otp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_static.models import StaticDevice

from laowu.core.actions import run_action
from laowu.core.forms import add_service_errors, error_text
from laowu.core.http import client_ip, redirect_target
from laowu.core.pagination import paginate
from laowu.core.validators import normalize_code

from . import otp, permissions, selectors, services, sms
from .forms import (
    AdminSetPasswordForm,
    ForgotPasswordForm,
    LoginForm,
    OtpDisableForm,
    OtpEnrolForm,
    OtpVerifyForm,
    PasswordChangeForm,
    RegistrationCodeForm,
    RegistrationForm,
    ResetPasswordForm,
    StaffCreateForm,
)
from .models import Role, SmsKind, SmsMessage, SmsStatus, User
from .passwords import change_required_reason
from .permissions import role_required

RESET_PHONE_SESSION_KEY = "laowu_reset_phone"
REGISTER_SESSION_KEY = "laowu_registration"


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


def lockout_response(
    request: HttpRequest, response: HttpResponse | None, credentials: dict[str, Any] | None
) -> HttpResponse:
    """Shown by django-axes instead of the login result once the account or IP is locked."""
    username = (credentials or {}).get("username") or request.POST.get("username")
    until = selectors.locked_until(username=username, ip_address=client_ip(request))
    # Only if the failure rows vanished in between (an unlock) is there no time to show.
    until_text = timezone.localtime(until).strftime("%H:%M") if until else "15分钟"
    form = LoginForm(request, initial={"username": username or ""})
    error = f"登录失败次数过多，账号已被锁定，请于 {until_text} 后重试，或通过“忘记密码”重置密码。"
    return render(request, "accounts/login.html", {"form": form, "lockout_error": error}, status=429)


def register(request: HttpRequest) -> HttpResponse:
    """用户注册 step 1: the enterprise, its contact and password; then an SMS code to the phone.
    The next page reads the same whether or not the phone is already on an account
    (services.start_registration)."""
    if request.user.is_authenticated:
        return redirect("workspace:home")
    pending = services.PendingRegistration.from_session(request.session.get(REGISTER_SESSION_KEY))
    initial = {}
    if pending is not None:
        # 返回修改 from step 2: what was typed, except the password, is kept.
        initial = {f: getattr(pending, f) for f in ("name", "credit_code", "contact_name", "phone")}
    form = RegistrationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            pending = services.prepare_registration(
                name=data["name"],
                credit_code=data["credit_code"],
                contact_name=data["contact_name"],
                phone=data["phone"],
                password=data["password1"],
            )
            services.start_registration(pending=pending, request=request)
        except services.RateLimited as exc:
            form.add_error("phone", str(exc))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            request.session[REGISTER_SESSION_KEY] = pending.as_session()
            return redirect("accounts:register_verify")
    return render(request, "accounts/register.html", {"form": form})


def register_verify(request: HttpRequest) -> HttpResponse:
    """用户注册 step 2: the SMS code; the account is made and signed in."""
    if request.user.is_authenticated:
        return redirect("workspace:home")
    pending = services.PendingRegistration.from_session(request.session.get(REGISTER_SESSION_KEY))
    if pending is None:
        return redirect("accounts:register")
    form = RegistrationCodeForm(request.POST or None)
    if request.method == "POST" and "resend" in request.POST:
        try:
            services.start_registration(pending=pending, request=request)
        except services.RateLimited as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"验证码已重新发送至 {pending.masked_phone}。")
        return redirect("accounts:register_verify")
    elif request.method == "POST" and form.is_valid():
        try:
            user = services.complete_registration(pending=pending, code=form.cleaned_data["code"], request=request)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            del request.session[REGISTER_SESSION_KEY]
            auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            if user.enterprise and user.enterprise.provider_confirmed:
                messages.success(request, "注册成功。企业登记信息已通过天眼查核验，请在“基本信息归集”中确认并补充。")
            else:
                messages.warning(
                    request,
                    "注册成功。未能从天眼查获取企业登记信息，请在“基本信息归集”中手工填写，审核时将予以核对。",
                )
            return redirect("workspace:home")
    return render(request, "accounts/register_verify.html", {"form": form, "masked_phone": pending.masked_phone})


@role_required(*Role.values)
def password_change(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = PasswordChangeForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_password(user=user, new_password=form.cleaned_data["new_password1"], request=request)
        except ValidationError as exc:
            form.add_error("new_password1", exc)
        else:
            update_session_auth_hash(request, user)
            messages.success(request, "密码修改成功。")
            return redirect("workspace:home")
    return render(
        request, "accounts/password_change.html", {"form": form, "change_reason": change_required_reason(user)}
    )


def password_forgot(request: HttpRequest) -> HttpResponse:
    """忘记密码 step 1: phone number and image captcha, then an SMS code is sent."""
    form = ForgotPasswordForm(request.POST or None, initial={"phone": request.session.get(RESET_PHONE_SESSION_KEY, "")})
    if request.method == "POST" and form.is_valid():
        phone = form.cleaned_data["phone"]
        try:
            services.request_password_reset_code(phone=phone, request=request)
        except services.RateLimited as exc:
            form.add_error("phone", str(exc))
        else:
            request.session[RESET_PHONE_SESSION_KEY] = phone
            return redirect("accounts:password_reset")
    return render(request, "accounts/password_forgot.html", {"form": form})


def password_reset(request: HttpRequest) -> HttpResponse:
    """忘记密码 step 2: the SMS code and the new password."""
    phone = request.session.get(RESET_PHONE_SESSION_KEY)
    if not phone:
        return redirect("accounts:password_forgot")
    # No account is passed to the form: its password check must read the same whether or
    # not the number is registered (the service checks the account-specific rule once the
    # SMS code has proven the caller holds the phone).
    form = ResetPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.reset_password_with_code(
                phone=phone,
                code=form.cleaned_data["code"],
                new_password=form.cleaned_data["new_password1"],
                request=request,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            del request.session[RESET_PHONE_SESSION_KEY]
            messages.success(request, "密码已重置，请使用新密码登录。")
            return redirect("accounts:login")
    return render(
        request, "accounts/password_reset.html", {"form": form, "masked_phone": phone[:3] + "****" + phone[-4:]}
    )


# ---------------------------------------------------------------- 系统管理员


@role_required(Role.SYSADMIN, Role.SECADMIN)
def user_list(request: HttpRequest) -> HttpResponse:
    """账号管理: the 系统管理员 enables and disables accounts here, the 安全管理员 resets their
    second factor (动态验证码)."""
    q = request.GET.get("q", "").strip()
    role = request.GET.get("role", "")
    page, query = paginate(request, selectors.user_list(q=q, role=role))
    for account in page.object_list:
        account.can_toggle = permissions.can_set_account_active(request.user, account)
        account.can_reset_otp = account.has_totp and permissions.can_reset_second_factor(request.user, account)
        account.can_set_password = permissions.can_set_password(request.user, account)
    return render(
        request,
        "accounts/user_list.html",
        {
            "page": page,
            "query": query,
            "q": q,
            "role": role,
            "roles": Role.choices,
            "can_manage": permissions.can_manage_accounts(request.user),
        },
    )


@role_required(Role.SYSADMIN)
def staff_create(request: HttpRequest) -> HttpResponse:
    form = StaffCreateForm(request.POST or None, offered_roles=permissions.creatable_roles(request.user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.create_staff_account(
                username=data["username"],
                role=data["role"],
                display_name=data["display_name"],
                phone=data["phone"],
                password=data["password1"],
                actor=request.user,  # type: ignore[arg-type]
                request=request,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"工作人员账号 {data['username']} 已创建。")
            return redirect("accounts:user_list")
    return render(request, "accounts/staff_create.html", {"form": form})


@require_POST
@role_required(Role.SYSADMIN)
def user_set_active(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_object_or_404(User, pk=pk)
    active = request.POST.get("active") == "1"
    return run_action(
        request,
        lambda: services.set_account_active(account=account, active=active, actor=request.user, request=request),  # type: ignore[arg-type]
        success=f"账号 {account.username} 已{'启用' if active else '停用'}。",
        then=redirect_target(request, reverse("accounts:user_list")),
    )


@role_required(Role.SYSADMIN)
def user_set_password(request: HttpRequest, pk: int) -> HttpResponse:
    """重置密码: the 系统管理员 gives an account a new initial password, changed at first login."""
    account = get_object_or_404(User, pk=pk)
    if not permissions.can_set_password(request.user, account):
        raise Http404
    form = AdminSetPasswordForm(account, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.admin_set_password(
                account=account,
                password=form.cleaned_data["password1"],
                actor=request.user,  # type: ignore[arg-type]
                request=request,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, f"账号 {account.username} 的密码已重置，请将新密码告知本人；首次登录时须修改密码。"
            )
            return redirect("accounts:user_list")
    return render(request, "accounts/user_set_password.html", {"form": form, "account": account})


@role_required(Role.SYSADMIN)
def sms_list(request: HttpRequest) -> HttpResponse:
    """短信发送记录: each SMS's status, attempts and last error, the phone masked."""
    status = request.GET.get("status", "")
    phone = normalize_code(request.GET.get("phone", "")).strip()
    page, query = paginate(request, selectors.sms_messages(status=status, phone=phone))
    return render(
        request,
        "accounts/sms_list.html",
        {
            "page": page,
            "query": query,
            "status": status,
            "phone": phone,
            "statuses": selectors.SMS_LIST_STATUSES,
            "failed": SmsStatus.FAILED,
        },
    )


@require_POST
@role_required(Role.SYSADMIN)
def sms_resend(request: HttpRequest, pk: int) -> HttpResponse:
    message = get_object_or_404(SmsMessage.objects.exclude(kind=SmsKind.DISCARD), pk=pk)
    return run_action(
        request,
        lambda: sms.resend(message=message, actor=request.user, request=request),  # type: ignore[arg-type]
        success=f"已重新提交发送至 {message.masked_phone} 的短信。",
        then=redirect_target(request, reverse("accounts:sms_list")),
    )


# ---------------------------------------------------------------- 安全管理员


@role_required(Role.SECADMIN)
def lockouts(request: HttpRequest) -> HttpResponse:
    page, query = paginate(request, selectors.active_lockouts())
    return render(request, "accounts/lockouts.html", {"page": page, "query": query})


@require_POST
@role_required(Role.SECADMIN)
def unlock(request: HttpRequest) -> HttpResponse:
    username = request.POST.get("username") or None
    ip_address = request.POST.get("ip_address") or None
    if username or ip_address:
        services.unlock(username=username, ip_address=ip_address, actor=request.user, request=request)  # type: ignore[arg-type]
        messages.success(request, "已解除锁定。")
    return redirect("accounts:lockouts")


# ---------------------------------------------------------------- second factor (动态验证码)

RECOVERY_CODES_SESSION_KEY = "laowu_otp_recovery_codes"


def _next_url(request: HttpRequest, default: str = "") -> str:
    """Where to go after a step: the `next` page given, if it is one of ours."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default or reverse("workspace:home")


def _verified(request: HttpRequest, device: Any) -> None:
    """Mark the session as past the second factor, under a new session key: the session now
    opens more than it did, so a key seen before this step (a shared computer, a proxy log)
    must not be the one that does."""
    django_otp.login(request, device)
    request.session.cycle_key()


def otp_verify(request: HttpRequest) -> HttpResponse:
    """After the password: the 6-digit code from the app, or a recovery code."""
    user = request.user
    if not user.is_authenticated:
        return redirect("accounts:login")
    if otp.is_verified(user) or not otp.has_second_factor(user):
        # Nothing to enter here: the gate sends a staff account without an app to enrol.
        return redirect(otp.gate_url(user) or _next_url(request))
    form = OtpVerifyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.verify_second_factor(user=user, code=form.cleaned_data["code"], request=request)  # type: ignore[arg-type]
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            _verified(request, device)
            if isinstance(device, StaticDevice):
                left = otp.recovery_codes_left(user)
                messages.warning(
                    request,
                    f"已使用恢复码登录，剩余{left}个。如手机遗失，请联系安全管理员重置动态验证码；"
                    "也可在“账号设置 → 动态验证码”中重新生成恢复码。",
                )
            return redirect(_next_url(request))
    return render(request, "accounts/otp_verify.html", {"form": form, "next": _next_url(request)})


def otp_enrol(request: HttpRequest) -> HttpResponse:
    """Bind an authenticator app: staff at their first login, enterprises when they choose to."""
    user = request.user
    if not user.is_authenticated:
        return redirect("accounts:login")
    if otp.has_second_factor(user):
        if not otp.is_verified(user):
            return redirect("accounts:otp_verify")
        messages.info(request, "已绑定验证器App。")
        return redirect("accounts:otp_settings")
    device = services.begin_totp_enrolment(user=user)  # type: ignore[arg-type]
    form = OtpEnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = services.confirm_totp_enrolment(
                user=user,  # type: ignore[arg-type]
                code=form.cleaned_data["code"],
                request=request,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            _verified(request, device)
            request.session[RECOVERY_CODES_SESSION_KEY] = codes
            request.session[RECOVERY_CODES_SESSION_KEY + "_next"] = _next_url(request)
            messages.success(request, "验证器App绑定成功，以后每次登录都需输入动态验证码。")
            return redirect("accounts:otp_recovery_codes")
    return render(
        request,
        "accounts/otp_enrol.html",
        {
            "form": form,
            "qr": otp.qr_data_uri(device),
            "secret": otp.secret_text(device),
            "issuer": settings.OTP_TOTP_ISSUER,
            "required": otp.otp_required(user),
            "next": request.POST.get("next") or request.GET.get("next") or "",
        },
    )


@role_required(*Role.values)
def otp_recovery_codes(request: HttpRequest) -> HttpResponse:
    """New recovery codes, shown this once: they are taken out of the session as the page is made."""
    codes = request.session.pop(RECOVERY_CODES_SESSION_KEY, None)
    then = request.session.pop(RECOVERY_CODES_SESSION_KEY + "_next", None) or reverse("workspace:home")
    return render(request, "accounts/otp_recovery_codes.html", {"codes": codes, "then": then})


@role_required(*Role.values)
def otp_settings(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = OtpDisableForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.disable_second_factor(user=user, password=form.cleaned_data["password"], request=request)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "动态验证码已关闭，登录时只需账号和密码。")
            return redirect("accounts:otp_settings")
    device = otp.totp_device(user)
    return render(
        request,
        "accounts/otp_settings.html",
        {
            "form": form,
            "device": device,
            "required": otp.otp_required(user),
            "codes_left": otp.recovery_codes_left(user) if device else 0,
        },
    )


@require_POST
@role_required(*Role.values)
def otp_regenerate(request: HttpRequest) -> HttpResponse:
    try:
        codes = services.regenerate_recovery_codes(user=request.user, request=request)  # type: ignore[arg-type]
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return redirect("accounts:otp_settings")
    request.session[RECOVERY_CODES_SESSION_KEY] = codes
    request.session[RECOVERY_CODES_SESSION_KEY + "_next"] = reverse("accounts:otp_settings")
    messages.success(request, "已重新生成恢复码，原有恢复码全部作废。")
    return redirect("accounts:otp_recovery_codes")


@require_POST
@role_required(Role.SECADMIN)
def user_otp_reset(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_object_or_404(User, pk=pk)
    return run_action(
        request,
        lambda: services.reset_second_factor(account=account, actor=request.user, request=request),  # type: ignore[arg-type]
        success=f"账号 {account.username} 的动态验证码已重置，该账号下次登录时需重新绑定验证器App。",
        then=_next_url(request, reverse("accounts:user_list")),
    )
