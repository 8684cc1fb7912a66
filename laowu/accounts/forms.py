from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from captcha.fields import CaptchaField, CaptchaTextInput
from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from laowu.core.forms import ChineseFormMixin, CodeField
from laowu.core.validators import normalize_code, normalize_credit_code, validate_credit_code, validate_mobile

from .models import STAFF_ROLES, Role, User


class LaowuCaptchaField(CaptchaField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", "验证码")
        kwargs.setdefault(
            "error_messages", {"invalid": "验证码错误，请重新输入。", "required": "请输入图片中的验证码。"}
        )
        kwargs.setdefault(
            "widget",
            CaptchaTextInput(
                attrs={"autocomplete": "off", "placeholder": "图片中的字符", "class": "input captcha-input"}
            ),
        )
        super().__init__(**kwargs)
        self._laowu_custom_messages = ("required",)


def _input(placeholder: str = "", **attrs: str) -> dict[str, str]:
    return {"class": "input", "placeholder": placeholder, **attrs}


class PasswordPairMixin:
    """Two password fields that must match and pass the platform's password rules."""

    password_user: User | None = None

    def clean_password_pair(self, cleaned: dict[str, Any], first: str, second: str) -> None:
        p1, p2 = cleaned.get(first), cleaned.get(second)
        if p1 and p2 and p1 != p2:
            self.add_error(second, "两次输入的密码不一致。")  # type: ignore[attr-defined]
            return
        if p1:
            try:
                password_validation.validate_password(p1, self.password_user)
            except ValidationError as exc:
                self.add_error(first, exc)  # type: ignore[attr-defined]


PASSWORD_HELP = "至少8位，须包含大写字母、小写字母、数字、特殊字符中的三类"  # noqa: S105 - help text, not a password


class RegistrationForm(ChineseFormMixin, PasswordPairMixin, forms.Form):
    name = forms.CharField(label="企业名称", max_length=200, widget=forms.TextInput(attrs=_input("与营业执照一致")))
    credit_code = CodeField(
        label="统一社会信用代码",
        max_length=18,
        min_length=18,
        widget=forms.TextInput(attrs=_input("18位统一社会信用代码", autocomplete="off")),
        error_messages={"min_length": "统一社会信用代码应为18位。", "max_length": "统一社会信用代码应为18位。"},
    )
    contact_name = forms.CharField(label="联系人", max_length=50, widget=forms.TextInput(attrs=_input()))
    phone = CodeField(
        label="联系人手机号码",
        max_length=11,
        help_text="用于忘记密码时接收短信验证码找回密码",
        widget=forms.TextInput(attrs=_input("11位手机号码", inputmode="numeric")),
    )
    password1 = forms.CharField(
        label="密码",
        strip=False,
        help_text=PASSWORD_HELP,
        widget=forms.PasswordInput(attrs=_input(autocomplete="new-password")),
    )
    password2 = forms.CharField(
        label="确认密码", strip=False, widget=forms.PasswordInput(attrs=_input(autocomplete="new-password"))
    )
    captcha = LaowuCaptchaField()

    def clean_credit_code(self) -> str:
        value = normalize_credit_code(self.cleaned_data["credit_code"])
        validate_credit_code(value)
        return value

    def clean_phone(self) -> str:
        value = self.cleaned_data["phone"].strip()
        validate_mobile(value)
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        self.password_user = User(
            username=cleaned.get("credit_code", ""),
            display_name=cleaned.get("contact_name", ""),
            phone=cleaned.get("phone", ""),
        )
        self.clean_password_pair(cleaned, "password1", "password2")
        return cleaned


class RegistrationCodeForm(ChineseFormMixin, forms.Form):
    code = forms.CharField(
        label="短信验证码",
        max_length=6,
        min_length=6,
        widget=forms.TextInput(attrs=_input("6位数字", inputmode="numeric", autocomplete="one-time-code")),
        error_messages={"min_length": "短信验证码为6位数字。"},
    )

    def clean_code(self) -> str:
        value = self.cleaned_data["code"].strip()
        if not value.isdigit():
            raise ValidationError("短信验证码为6位数字。")
        return value


class LoginForm(ChineseFormMixin, AuthenticationForm):
    username = forms.CharField(
        label="账号",
        max_length=150,
        widget=forms.TextInput(attrs=_input("统一社会信用代码或用户名", autofocus="autofocus")),
    )
    password = forms.CharField(
        label="密码", strip=False, widget=forms.PasswordInput(attrs=_input(autocomplete="current-password"))
    )
    captcha = LaowuCaptchaField()

    error_messages = {
        "invalid_login": "账号或密码错误。连续失败5次，账号将被锁定15分钟。",
        "inactive": "该账号已停用，请联系区劳务专委会。",
    }

    def clean(self) -> dict[str, Any]:
        # A wrong captcha must not reach authenticate(): it would count as a failed
        # password attempt and let anyone lock an account without solving anything.
        if "captcha" in self.errors:
            return self.cleaned_data
        if self.cleaned_data.get("username"):
            # An enterprise's account is its credit code, typed as in registration (full-width
            # in a Chinese input method, lower case); staff names are ASCII and unaffected.
            username = normalize_code(self.cleaned_data["username"], upper=False)
            self.cleaned_data["username"] = username.upper() if len(username) == 18 else username
        return super().clean()


class PasswordChangeForm(ChineseFormMixin, PasswordPairMixin, forms.Form):
    old_password = forms.CharField(
        label="原密码", strip=False, widget=forms.PasswordInput(attrs=_input(autocomplete="current-password"))
    )
    new_password1 = forms.CharField(
        label="新密码",
        strip=False,
        help_text=PASSWORD_HELP,
        widget=forms.PasswordInput(attrs=_input(autocomplete="new-password")),
    )
    new_password2 = forms.CharField(
        label="确认新密码", strip=False, widget=forms.PasswordInput(attrs=_input(autocomplete="new-password"))
    )

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.password_user = user

    def clean_old_password(self) -> str:
        value = self.cleaned_data["old_password"]
        assert self.password_user is not None
        if not self.password_user.check_password(value):
            raise ValidationError("原密码不正确。")
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        self.clean_password_pair(cleaned, "new_password1", "new_password2")
        if cleaned.get("new_password1") and cleaned.get("new_password1") == cleaned.get("old_password"):
            self.add_error("new_password1", "新密码不能与原密码相同。")
        return cleaned


class ForgotPasswordForm(ChineseFormMixin, forms.Form):
    phone = CodeField(
        label="手机号码",
        max_length=11,
        help_text="注册时填写的联系人手机号码",
        widget=forms.TextInput(attrs=_input("11位手机号码", inputmode="numeric")),
    )
    captcha = LaowuCaptchaField()

    def clean_phone(self) -> str:
        value = self.cleaned_data["phone"].strip()
        validate_mobile(value)
        return value


class ResetPasswordForm(ChineseFormMixin, PasswordPairMixin, forms.Form):
    code = CodeField(
        label="短信验证码",
        max_length=6,
        min_length=6,
        widget=forms.TextInput(attrs=_input("6位数字", inputmode="numeric", autocomplete="one-time-code")),
        error_messages={"min_length": "短信验证码为6位数字。"},
    )
    new_password1 = forms.CharField(
        label="新密码",
        strip=False,
        help_text=PASSWORD_HELP,
        widget=forms.PasswordInput(attrs=_input(autocomplete="new-password")),
    )
    new_password2 = forms.CharField(
        label="确认新密码", strip=False, widget=forms.PasswordInput(attrs=_input(autocomplete="new-password"))
    )

    def __init__(self, *args: Any, user: User | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.password_user = user

    def clean_code(self) -> str:
        value = self.cleaned_data["code"].strip()
        if not value.isdigit():
            raise ValidationError("短信验证码为6位数字。")
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        self.clean_password_pair(cleaned, "new_password1", "new_password2")
        return cleaned


class StaffCreateForm(ChineseFormMixin, PasswordPairMixin, forms.Form):
    username = forms.RegexField(
        label="账号",
        max_length=30,
        regex=r"^[A-Za-z][A-Za-z0-9_.-]{2,29}$",
        error_messages={"invalid": "账号须以字母开头，3–30位字母、数字、下划线、点或横线。"},
        widget=forms.TextInput(attrs=_input()),
    )
    display_name = forms.CharField(label="姓名", max_length=50, widget=forms.TextInput(attrs=_input()))
    # Every staff role passes the form, so that a forged admin role reaches the service and
    # is refused there with its reason and an audit row; the select offers only the roles
    # the page may create (permissions.creatable_roles).
    role = forms.ChoiceField(
        label="角色",
        choices=[(r.value, r.label) for r in Role if r in STAFF_ROLES],
        widget=forms.Select(attrs={"class": "input"}),
    )
    phone = CodeField(label="手机号码", max_length=11, required=False, widget=forms.TextInput(attrs=_input()))
    password1 = forms.CharField(
        label="初始密码", strip=False, help_text=PASSWORD_HELP, widget=forms.PasswordInput(attrs=_input())
    )
    password2 = forms.CharField(label="确认密码", strip=False, widget=forms.PasswordInput(attrs=_input()))

    def __init__(self, *args: Any, offered_roles: Iterable[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offered = set(offered_roles)
        self.fields["role"].widget.choices = [(v, label) for v, label in self.fields["role"].choices if v in offered]

    def clean_phone(self) -> str:
        value = self.cleaned_data["phone"].strip()
        if value:
            validate_mobile(value)
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        self.password_user = User(
            username=cleaned.get("username", ""),
            display_name=cleaned.get("display_name", ""),
            phone=cleaned.get("phone", ""),
        )
        self.clean_password_pair(cleaned, "password1", "password2")
        return cleaned


class AdminSetPasswordForm(ChineseFormMixin, PasswordPairMixin, forms.Form):
    password1 = forms.CharField(
        label="新的初始密码",
        strip=False,
        help_text=PASSWORD_HELP + "；账号持有人首次登录时须修改",
        widget=forms.PasswordInput(attrs=_input(autocomplete="new-password")),
    )
    password2 = forms.CharField(
        label="确认密码", strip=False, widget=forms.PasswordInput(attrs=_input(autocomplete="new-password"))
    )

    def __init__(self, account: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.password_user = account

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        self.clean_password_pair(cleaned, "password1", "password2")
        return cleaned


class OtpVerifyForm(ChineseFormMixin, forms.Form):
    code = forms.CharField(
        label="动态验证码",
        max_length=32,
        help_text="打开手机上的验证器App，输入本平台账号当前显示的6位数字；手机不在身边时，可输入一个恢复码（每个只能用一次）",
        widget=forms.TextInput(
            attrs=_input("6位数字或恢复码", inputmode="numeric", autocomplete="one-time-code", autofocus="autofocus")
        ),
    )


class OtpEnrolForm(ChineseFormMixin, forms.Form):
    code = forms.CharField(
        label="验证码",
        max_length=12,
        help_text="扫码或手工添加后，输入验证器App显示的6位数字",
        widget=forms.TextInput(attrs=_input("6位数字", inputmode="numeric", autocomplete="one-time-code")),
    )

    def clean_code(self) -> str:
        value = "".join(self.cleaned_data["code"].split())
        if not (len(value) == 6 and value.isdigit()):
            raise ValidationError("验证码为验证器App显示的6位数字。")
        return value


class OtpDisableForm(ChineseFormMixin, forms.Form):
    password = forms.CharField(
        label="登录密码",
        strip=False,
        help_text="关闭前请输入当前登录密码确认",
        widget=forms.PasswordInput(attrs=_input(autocomplete="current-password")),
    )
