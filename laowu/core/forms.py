from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError


class ChineseFormMixin:
    """Names the field in its "required" message: “请填写联系人。” reads better beside a
    field than Django's generic sentence, and still makes sense in a summary."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():  # type: ignore[attr-defined]
            if "required" not in getattr(field, "_laowu_custom_messages", ()):
                verb = "选择" if isinstance(field, forms.ChoiceField) else "填写"
                field.error_messages["required"] = f"请{verb}{field.label}。"


class DateRangeMixin:
    """A search form's "from ≤ to" check; subclasses name their two date fields."""

    date_range: tuple[str, str] = ("date_from", "date_to")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()  # type: ignore[misc]
        start, end = self.date_range
        if cleaned.get(start) and cleaned.get(end) and cleaned[start] > cleaned[end]:
            self.add_error(end, "截止日期不能早于起始日期。")  # type: ignore[attr-defined]
        return cleaned


def optional_choice(label: str, choices: Any, *, all_label: str = "全部") -> forms.ChoiceField:
    """A search bar's select whose empty first choice means "any"."""
    return forms.ChoiceField(
        label=label,
        required=False,
        choices=[("", all_label), *choices],
        widget=forms.Select(attrs={"class": "input"}),
    )


def error_text(exc: Exception) -> str:
    """A service's refusal as one line for a message: a ValidationError's messages, or the
    `message` of a state error (WorkflowError and its kind)."""
    messages = getattr(exc, "messages", None)
    return " ".join(messages) if messages is not None else str(getattr(exc, "message", exc))


def add_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """A service's ValidationError on the form: field-keyed errors beside their fields (those
    the form lacks above it), the rest above the form."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)
