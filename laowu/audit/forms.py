from __future__ import annotations

from django import forms

from laowu.core.forms import DateRangeMixin

from .models import Result
from .services import Action


class AuditSearchForm(DateRangeMixin, forms.Form):
    username = forms.CharField(label="账号", required=False, widget=forms.TextInput(attrs={"class": "input"}))
    action = forms.ChoiceField(
        label="操作",
        required=False,
        choices=[("", "全部"), *Action.choices],
        widget=forms.Select(attrs={"class": "input"}),
    )
    result = forms.ChoiceField(
        label="结果",
        required=False,
        choices=[("", "全部"), *Result.choices],
        widget=forms.Select(attrs={"class": "input"}),
    )
    ip = forms.GenericIPAddressField(label="IP地址", required=False, widget=forms.TextInput(attrs={"class": "input"}))
    date_from = forms.DateField(
        label="起始日期", required=False, widget=forms.DateInput(attrs={"class": "input", "type": "date"})
    )
    date_to = forms.DateField(
        label="截止日期", required=False, widget=forms.DateInput(attrs={"class": "input", "type": "date"})
    )
