"""Credit-score forms: the committee list's search, the scoring date, and the rules."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from laowu.core.forms import ChineseFormMixin, optional_choice

from ..credit import ORDER_CHOICES, RULE_FIELDS, CreditGrade, check_rules
from ..models import CreditRules


class CreditSearchForm(forms.Form):
    q = forms.CharField(
        label="企业",
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"class": "input search-wide", "placeholder": "企业名称或统一社会信用代码"}),
    )
    grade = optional_choice("信用等级", CreditGrade.choices, all_label="全部等级")
    order = forms.ChoiceField(
        label="排序", required=False, choices=ORDER_CHOICES, widget=forms.Select(attrs={"class": "input"})
    )

    def filters(self) -> dict[str, str]:
        data = self.cleaned_data if self.is_valid() else {}
        return {"q": data.get("q", ""), "grade": data.get("grade", ""), "order": data.get("order", "")}


# Nothing was recorded before the platform existed; far-off dates only overflow the date arithmetic.
EARLIEST_SCORE_DATE = dt.date(2000, 1, 1)


class CreditDateForm(ChineseFormMixin, forms.Form):
    on = forms.DateField(
        label="计分日期",
        required=False,
        widget=forms.DateInput(attrs={"class": "input", "type": "date"}, format="%Y-%m-%d"),
        help_text="留空为今天；可查询以往某日的信用分。",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["on"].error_messages["invalid"] = "请按“年-月-日”填写日期，例如2026-03-01。"

    def clean_on(self) -> dt.date | None:
        value = self.cleaned_data.get("on")
        if value and value > timezone.localdate():
            raise ValidationError("计分日期不能晚于今天。")
        if value and value < EARLIEST_SCORE_DATE:
            raise ValidationError(f"计分日期不能早于{EARLIEST_SCORE_DATE:%Y-%m-%d}。")
        return value

    def date(self) -> dt.date:
        if self.is_valid() and self.cleaned_data.get("on"):
            return self.cleaned_data["on"]
        return timezone.localdate()


class CreditRulesForm(ChineseFormMixin, forms.ModelForm):
    class Meta:
        model = CreditRules
        fields = list(RULE_FIELDS)

    def __init__(self, *args: Any, readonly: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.update({"class": "input", "min": "0"})
            field.error_messages["invalid"] = "请填写不小于0的整数。"
            field.error_messages["min_value"] = "请填写不小于0的整数。"
            field.disabled = readonly

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not self.errors:
            try:
                check_rules({name: cleaned[name] for name in RULE_FIELDS})
            except ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    for message in messages:
                        self.add_error(field, message)
        return cleaned

    def _post_clean(self) -> None:
        # The service writes the row under its lock (and audits old → new), not construct_instance.
        pass
