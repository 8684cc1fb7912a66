"""评优创先 forms: the list's search, the nominee search, the nomination and its result."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from laowu.core.forms import ChineseFormMixin, optional_choice

from ..awards import ENTERPRISE_TITLE_CHOICES, PROJECT_TITLE_CHOICES, year_choices
from ..models import AWARD_TITLES, AwardStatus


def _input(widget: forms.Widget) -> forms.Widget:
    widget.attrs["class"] = "input"
    return widget


class AwardSearchForm(ChineseFormMixin, forms.Form):
    year = forms.TypedChoiceField(label="年度", coerce=int, required=False, empty_value=None)
    q = forms.CharField(
        label="企业/项目",
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"class": "input search-wide", "placeholder": "企业名称、信用代码或项目名称"}),
    )
    title = optional_choice("奖项", AWARD_TITLES, all_label="全部奖项")
    status = optional_choice("状态", AwardStatus.choices, all_label="全部状态")

    def __init__(self, *args: Any, years: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [("", "全部年度"), *((y, f"{y}年度") for y in years)]
        self.fields["year"].widget.attrs["class"] = "input"

    def filters(self) -> dict[str, Any]:
        """The valid filters; an invalid value (a stale link) filters nothing rather than failing."""
        if not self.is_valid():
            data = {name: self.cleaned_data.get(name) for name in self.fields if name not in self.errors}
        else:
            data = self.cleaned_data
        return {
            "year": data.get("year"),
            "q": data.get("q") or "",
            "title": data.get("title") or "",
            "status": data.get("status") or "",
        }


NOMINEE_KINDS = (("enterprise", "企业"), ("project", "项目"))


class NomineeSearchForm(forms.Form):
    kind = forms.ChoiceField(label="推荐对象", choices=NOMINEE_KINDS, required=False, widget=_input(forms.Select()))
    q = forms.CharField(
        label="查询",
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"class": "input search-wide", "placeholder": "企业名称、信用代码；项目名称、合同编号"}
        ),
    )


class AwardForm(ChineseFormMixin, forms.Form):
    year = forms.TypedChoiceField(label="年度", coerce=int, widget=_input(forms.Select()))
    title = forms.ChoiceField(label="奖项", widget=_input(forms.Select()))
    reasons = forms.CharField(
        label="推荐理由",
        max_length=2000,
        widget=forms.Textarea(attrs={"class": "input", "rows": 6}),
        help_text="写明企业（项目）的主要业绩、实名制与工资支付、安全生产等方面的表现，2000字以内。",
    )

    def __init__(
        self, *args: Any, for_project: bool, year: int | None = None, ask_publicity: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if ask_publicity:
            # Only a new nomination of an enterprise under 不良行为公示 asks; the service checks again.
            self.fields["publicity_confirmed"] = forms.BooleanField(
                label="已知悉该企业正在不良行为公示中，仍予推荐",
                required=False,
            )
        self.fields["year"].choices = [("", "请选择"), *((y, f"{y}年度") for y in year_choices(include=year))]
        titles = PROJECT_TITLE_CHOICES if for_project else ENTERPRISE_TITLE_CHOICES
        self.fields["title"].choices = [("", "请选择"), *titles]
        if not self.is_bound and "year" not in self.initial:
            self.initial["year"] = timezone.localdate().year


RESULT_CHOICES = ((AwardStatus.GRANTED, "已获评"), (AwardStatus.NOT_GRANTED, "未获评"))


class AwardDecisionForm(ChineseFormMixin, forms.Form):
    result = forms.ChoiceField(label="评定结果", choices=RESULT_CHOICES, widget=forms.RadioSelect)
    decided_on = forms.DateField(
        label="评定日期", widget=forms.DateInput(attrs={"class": "input", "type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["decided_on"].error_messages["invalid"] = "请按“年-月-日”填写日期，例如2026-03-01。"
        if not self.is_bound:
            self.initial.setdefault("decided_on", timezone.localdate())

    def clean_decided_on(self) -> Any:
        value = self.cleaned_data["decided_on"]
        if value > timezone.localdate():
            raise forms.ValidationError("评定日期不能晚于今天。")
        return value
