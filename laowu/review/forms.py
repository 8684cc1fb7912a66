from __future__ import annotations

from django import forms

from laowu.core.forms import ChineseFormMixin, DateRangeMixin

from .models import SubmissionStatus


class RejectForm(ChineseFormMixin, forms.Form):
    reason = forms.CharField(
        label="退回原因",
        max_length=1000,
        widget=forms.Textarea(attrs={"class": "input", "rows": 3, "placeholder": "请写明需要企业修改或补充的内容"}),
    )


class QueueFilterForm(DateRangeMixin, forms.Form):
    q = forms.CharField(
        label="关键字",
        required=False,
        widget=forms.TextInput(attrs={"class": "input", "placeholder": "企业名称、信用代码或申报名称"}),
    )
    status = forms.ChoiceField(
        label="状态",
        required=False,
        choices=[("", "全部"), *SubmissionStatus.choices],
        widget=forms.Select(attrs={"class": "input"}),
    )
    date_from = forms.DateField(
        label="申报日期自", required=False, widget=forms.DateInput(attrs={"class": "input", "type": "date"})
    )
    date_to = forms.DateField(
        label="至", required=False, widget=forms.DateInput(attrs={"class": "input", "type": "date"})
    )
