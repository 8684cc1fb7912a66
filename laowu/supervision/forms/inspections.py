"""Forms of 现场检查: the inspection (with one score field per checklist item), the
enterprise's 整改回复, the committee's 复查, and the lists' search bars."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from laowu.core.forms import ChineseFormMixin, DateRangeMixin

from ..models import INSPECTION_ITEMS, Inspection, InspectionStatus

DATE_FORMATS = ["%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日"]


def _date_field(label: str, *, required: bool, help_text: str = "") -> forms.DateField:
    field = forms.DateField(
        label=label,
        required=required,
        help_text=help_text,
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(attrs={"type": "date", "class": "input"}, format="%Y-%m-%d"),
    )
    field.error_messages["invalid"] = "请输入正确的日期，如 2026-06-30。"
    return field


def score_field_name(code: str) -> str:
    return f"score_{code}"


class InspectionForm(ChineseFormMixin, forms.Form):
    """The committee's record of one inspection. The total is the service's to compute."""

    inspected_on = _date_field("检查日期", required=True)
    inspectors = forms.CharField(
        label="检查人员",
        max_length=100,
        widget=forms.TextInput(attrs={"class": "input", "placeholder": "如：张明、李华"}),
    )
    problems = forms.CharField(
        label="发现的问题",
        required=False,
        widget=forms.Textarea(attrs={"class": "input", "rows": 4, "placeholder": "逐条写明检查发现的问题"}),
    )
    needs_rectification = forms.BooleanField(label="需要整改（发出后向企业下发整改通知）", required=False)
    deadline = _date_field("整改期限", required=False, help_text="需要整改时必填，应晚于检查日期")

    def __init__(self, *args: Any, instance: Inspection | None = None, **kwargs: Any) -> None:
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "inspected_on": instance.inspected_on,
                "inspectors": instance.inspectors,
                "problems": instance.problems,
                "needs_rectification": instance.needs_rectification,
                "deadline": instance.deadline,
                **{score_field_name(code): instance.scores.get(code) for code, _, _ in INSPECTION_ITEMS},
            }
        super().__init__(*args, **kwargs)
        for code, label, full in INSPECTION_ITEMS:
            field = forms.IntegerField(
                label=label,
                min_value=0,
                max_value=full,
                help_text=f"满分 {full} 分",
                widget=forms.NumberInput(attrs={"class": "input score-input", "min": "0", "max": str(full)}),
            )
            field.error_messages.update(
                required=f"请填写“{label}”的得分。",
                invalid="请输入整数分值。",
                min_value="得分不能小于 0 分。",
                max_value=f"得分不能超过满分 {full} 分。",
            )
            self.fields[score_field_name(code)] = field
        if "inspected_on" not in self.initial:
            self.initial["inspected_on"] = timezone.localdate()

    def score_fields(self) -> list[tuple[forms.BoundField, int]]:
        return [(self[score_field_name(code)], full) for code, _, full in INSPECTION_ITEMS]

    def clean_inspected_on(self) -> dt.date:
        value = self.cleaned_data["inspected_on"]
        if value > timezone.localdate():
            raise forms.ValidationError("检查日期不能晚于今天。")
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("needs_rectification"):
            if not (cleaned.get("problems") or "").strip():
                self.add_error("problems", "需要整改时，请填写发现的问题，整改通知据此下发。")
            deadline = cleaned.get("deadline")
            if deadline is None and "deadline" not in self.errors:
                self.add_error("deadline", "需要整改时，请填写整改期限。")
            elif deadline is not None and cleaned.get("inspected_on") and deadline <= cleaned["inspected_on"]:
                self.add_error("deadline", "整改期限应晚于检查日期。")
        return cleaned

    def to_data(self) -> dict[str, Any]:
        data = {k: self.cleaned_data[k] for k in ("inspected_on", "inspectors", "problems", "needs_rectification")}
        data["deadline"] = self.cleaned_data.get("deadline") if data["needs_rectification"] else None
        data["scores"] = {code: self.cleaned_data[score_field_name(code)] for code, _, _ in INSPECTION_ITEMS}
        return data


class ReplyForm(ChineseFormMixin, forms.Form):
    content = forms.CharField(
        label="整改情况",
        max_length=5000,
        widget=forms.Textarea(
            attrs={"class": "input", "rows": 5, "placeholder": "逐条说明针对检查发现问题的整改措施和完成情况"}
        ),
    )


class ReviewForm(ChineseFormMixin, forms.Form):
    """复查: one form, two buttons (decision=pass / return)."""

    decision = forms.ChoiceField(choices=[("pass", "复查通过"), ("return", "退回整改")], widget=forms.HiddenInput)
    note = forms.CharField(
        label="复查意见",
        required=False,
        max_length=2000,
        help_text="退回整改时必填",
        widget=forms.Textarea(attrs={"class": "input", "rows": 3, "placeholder": "复查情况；退回时写明仍需整改的问题"}),
    )
    new_deadline = _date_field("新的整改期限", required=False, help_text="退回整改时可重新设定，留空则沿用原期限")

    def clean_new_deadline(self) -> dt.date | None:
        value = self.cleaned_data.get("new_deadline")
        if value is not None and value < timezone.localdate():
            raise forms.ValidationError("新的整改期限不能早于今天。")
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("decision") == "return" and not (cleaned.get("note") or "").strip():
            self.add_error("note", "退回整改时，请填写复查意见，说明仍需整改的问题。")
        return cleaned


class InspectionSearchForm(ChineseFormMixin, DateRangeMixin, forms.Form):
    """The lists' search bar; the enterprise's has no enterprise field and no 草稿."""

    q = forms.CharField(
        label="项目",
        required=False,
        widget=forms.TextInput(attrs={"class": "input", "placeholder": "项目名称或编号"}),
    )
    enterprise = forms.CharField(
        label="企业",
        required=False,
        widget=forms.TextInput(attrs={"class": "input", "placeholder": "企业名称或信用代码"}),
    )
    status = forms.ChoiceField(label="状态", required=False, widget=forms.Select(attrs={"class": "input"}))
    overdue = forms.BooleanField(label="只看逾期", required=False)
    date_from = _date_field("检查日期自", required=False)
    date_to = _date_field("至", required=False)

    def __init__(self, *args: Any, committee: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        statuses = [c for c in InspectionStatus.choices if committee or c[0] != InspectionStatus.DRAFT]
        self.fields["status"].choices = [("", "全部状态"), *statuses]
        if not committee:
            del self.fields["enterprise"]

    def filters(self) -> dict[str, Any]:
        if not self.is_bound or not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "q": data["q"],
            "enterprise": data.get("enterprise", ""),
            "status": data["status"],
            "overdue": data["overdue"],
            "date_from": data["date_from"],
            "date_to": data["date_to"],
        }
