"""The statistics page's filter: a period of whole months and a filing type (a GET form)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.utils import timezone

from laowu.core.dates import add_months
from laowu.core.forms import ChineseFormMixin
from laowu.review.registry import filing_models

from ..statistics import DEFAULT_MONTHS, MAX_MONTHS, Period

# "2026-03" (what <input type="month"> sends), also "2026-3", "2026/03" and "2026年3月" typed by hand
# in browsers that show the month input as a plain text box.
MONTH_RE = re.compile(r"^\s*(\d{4})\s*(?:-|/|\.|年)\s*(\d{1,2})\s*月?\s*$")


class MonthField(forms.CharField):
    """A calendar month, cleaned to its first day."""

    default_error_messages = {"invalid": "请按“年-月”填写，例如 2026-03。"}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"class": "input", "type": "month", "placeholder": "例如 2026-03"})
        )
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> dt.date | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        match = MONTH_RE.match(text)
        if not match or not 1 <= int(match[2]) <= 12 or int(match[1]) < 2000:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return dt.date(int(match[1]), int(match[2]), 1)

    def prepare_value(self, value: Any) -> Any:
        return f"{value.year}-{value.month:02d}" if isinstance(value, dt.date) else value


class StatisticsFilterForm(ChineseFormMixin, forms.Form):
    month_from = MonthField(label="统计期间自", required=False)
    month_to = MonthField(label="至", required=False)
    type = forms.ChoiceField(label="归集类型", required=False, widget=forms.Select(attrs={"class": "input"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = [("", "全部类型"), *((c, m.FILING_LABEL) for c, m in filing_models().items())]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        first, last = cleaned.get("month_from"), cleaned.get("month_to")
        if self.errors:
            return cleaned
        this_month = timezone.localdate().replace(day=1)
        # Either end alone: a year of months from (or up to) it.
        if first and not last:
            last = min(add_months(first, DEFAULT_MONTHS - 1), max(this_month, first))
        elif last and not first:
            first = add_months(last, 1 - DEFAULT_MONTHS)
        elif not first and not last:
            default = Period.default()
            first, last = default.first, default.last
        assert first is not None and last is not None
        if first > last:
            self.add_error("month_to", "截止月份不能早于起始月份。")
        elif (last.year - first.year) * 12 + last.month - first.month + 1 > MAX_MONTHS:
            self.add_error("month_to", f"统计期间最长{MAX_MONTHS}个月。")
        else:
            cleaned["period"] = Period(first, last)
        return cleaned

    def period(self) -> Period:
        """The chosen period, or the default one when the form is unbound or wrong."""
        if self.is_bound and self.is_valid():
            return self.cleaned_data["period"]
        return Period.default()

    def filing_type(self) -> str:
        return self.cleaned_data.get("type", "") if self.is_bound and self.is_valid() else ""
