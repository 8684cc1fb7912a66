"""Forms of 不良行为记录, its search bars and 提前移出."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import MaxValueValidator
from django.utils import timezone

from laowu.core.forms import ChineseFormMixin, CodeField, DateRangeMixin, optional_choice

from ..bad_behaviour import DEFAULT_ISSUER, MAX_POINTS, RECORD_FIELDS, record_problems
from ..credit import points_help
from ..models import (
    BAD_BEHAVIOUR_CATEGORIES,
    BadBehaviour,
    BadBehaviourStatus,
    CreditRules,
    Grade,
    RemovalStatus,
)

DATE_INPUT_FORMATS = ["%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日"]


def _date_widget() -> forms.DateInput:
    return forms.DateInput(attrs={"class": "input", "type": "date"}, format="%Y-%m-%d")


class BadBehaviourForm(ChineseFormMixin, forms.ModelForm):
    """登记 / 编辑 a 草稿. The service re-checks the same rules under its lock."""

    class Meta:
        model = BadBehaviour
        fields = list(RECORD_FIELDS)
        field_classes = {"person_id_number": CodeField}  # normalised before any check
        widgets = {
            "facts": forms.Textarea(attrs={"rows": 4, "placeholder": "时间、地点、项目及违法违规事实"}),
            "legal_basis": forms.Textarea(attrs={"rows": 3, "placeholder": "依据的法律法规、规章及条款"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["grade"].choices = [("", "请选择"), *Grade.choices]
        self.fields["category"].choices = [("", "请选择"), *BAD_BEHAVIOUR_CATEGORIES]
        for name in ("decision_date", "publicity_start", "publicity_end"):
            field = self.fields[name]
            field.widget = _date_widget()
            field.input_formats = DATE_INPUT_FORMATS
            field.error_messages["invalid"] = "请输入正确的日期，如 2026-06-30。"
        points = self.fields["points"]
        points.validators.append(MaxValueValidator(MAX_POINTS))
        points.widget.attrs.update(min="0", max=str(MAX_POINTS))
        points.error_messages.update(invalid="请输入整数。", max_value=f"扣分不能超过{MAX_POINTS}分。")
        # Read from the rules in force, so the clerk sees what the number she types does to the score.
        points.help_text = points_help(CreditRules.current())
        self.fields["publicity_end"].help_text = "公示期限6个月至3年"
        self.fields["person_name"].help_text = "针对企业人员的记录填写姓名和身份证号，否则留空"
        self.fields["person_id_number"].widget.attrs.update(autocomplete="off", maxlength="18")
        for field in self.fields.values():
            field.widget.attrs["class"] = "input"
        if not self.instance.pk:
            today = timezone.localdate()
            self.initial.setdefault("issuer", DEFAULT_ISSUER)
            self.initial.setdefault("publicity_start", today)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for name, message in record_problems(cleaned).items():
            if name in self.fields and name not in self.errors:
                self.add_error(name, message)
        return cleaned

    def _post_clean(self) -> None:
        # Written by the service under its row lock, not by construct_instance.
        pass


class _SearchForm(forms.Form):
    def filters(self) -> dict[str, Any]:
        """The criteria filled in; none while the form has errors (they show beside the fields)."""
        if not self.is_bound or not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v}


class RecordSearchForm(DateRangeMixin, _SearchForm):
    q = forms.CharField(
        label="关键字",
        required=False,
        widget=forms.TextInput(attrs={"class": "input", "placeholder": "企业名称、信用代码或决定书文号"}),
    )
    grade = optional_choice("等级", Grade.choices)
    category = optional_choice("类别", BAD_BEHAVIOUR_CATEGORIES)
    status = optional_choice("状态", BadBehaviourStatus.choices)
    date_from = forms.DateField(label="公示日期自", required=False, widget=_date_widget())
    date_to = forms.DateField(label="至", required=False, widget=_date_widget())

    def __init__(self, *args: Any, enterprise: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if enterprise:
            # An enterprise never sees drafts, nor needs to search for itself.
            self.fields["status"].choices = [
                c for c in self.fields["status"].choices if c[0] != BadBehaviourStatus.DRAFT
            ]
            self.fields["q"].widget.attrs["placeholder"] = "决定书文号或当事人员"


class PublicSearchForm(_SearchForm):
    q = forms.CharField(
        label="企业名称/统一社会信用代码",
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"class": "input", "placeholder": "企业名称或统一社会信用代码"}),
    )
    grade = optional_choice("等级", Grade.choices)
    category = optional_choice("类别", BAD_BEHAVIOUR_CATEGORIES)


class RemovalSearchForm(forms.Form):
    q = forms.CharField(
        label="关键字",
        required=False,
        widget=forms.TextInput(attrs={"class": "input", "placeholder": "企业名称、信用代码或决定书文号"}),
    )
    status = forms.ChoiceField(
        label="状态",
        required=False,
        choices=[("", "全部"), *[c for c in RemovalStatus.choices if c[0] != RemovalStatus.DRAFT]],
        widget=forms.Select(attrs={"class": "input"}),
    )


class RevokeForm(ChineseFormMixin, forms.Form):
    reason = forms.CharField(
        label="撤销原因",
        max_length=1000,
        widget=forms.Textarea(
            attrs={"class": "input", "rows": 3, "placeholder": "如：处理决定经行政复议被撤销、登记有误等"}
        ),
    )


class RemovalForm(ChineseFormMixin, forms.Form):
    rectification = forms.CharField(
        label="整改情况",
        max_length=5000,
        widget=forms.Textarea(
            attrs={"class": "input", "rows": 6, "placeholder": "请说明针对不良行为所采取的整改措施及整改结果"}
        ),
    )


class DecideForm(ChineseFormMixin, forms.Form):
    note = forms.CharField(
        label="审核意见",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"class": "input", "rows": 3, "placeholder": "不同意时必须填写理由"}),
    )
