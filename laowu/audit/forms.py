from __future__ import annotations

from typing import Any

from django import forms
from django.apps import apps

from laowu.accounts.models import Role
from laowu.core.forms import DateRangeMixin, optional_choice

from .models import Result
from .services import Action


def object_type_choices() -> list[tuple[str, str]]:
    """The platform's models as the audit log names them (AuditEvent.object_type is the
    model's label_lower), each with its Chinese name."""
    choices = [
        (model._meta.label_lower, f"{model._meta.verbose_name}（{model._meta.label_lower}）")
        for model in apps.get_models()
        if model.__module__.startswith("laowu.")
    ]
    return sorted(choices)


class AuditSearchForm(DateRangeMixin, forms.Form):
    username = forms.CharField(
        label="账号", required=False, widget=forms.TextInput(attrs={"class": "input", "placeholder": "账号开头的字符"})
    )
    role = optional_choice("角色", Role.choices)
    action = optional_choice("操作", Action.choices)
    result = optional_choice("结果", Result.choices)
    ip = forms.GenericIPAddressField(label="IP地址", required=False, widget=forms.TextInput(attrs={"class": "input"}))
    object_type = optional_choice("对象类型", [])
    object_id = forms.CharField(
        label="对象ID", required=False, max_length=64, widget=forms.TextInput(attrs={"class": "input"})
    )
    date_from = forms.DateField(
        label="起始日期", required=False, widget=forms.DateInput(attrs={"class": "input", "type": "date"})
    )
    date_to = forms.DateField(
        label="截止日期", required=False, widget=forms.DateInput(attrs={"class": "input", "type": "date"})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Built here, not at import: the app registry is only complete once Django is set up.
        self.fields["object_type"].choices = [("", "全部"), *object_type_choices()]
