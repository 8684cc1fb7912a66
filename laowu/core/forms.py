from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from .validators import normalize_code, require_ascii_digits


class ChineseFormMixin:
    """Names the field in its "required" message: “请填写联系人。” reads better beside a
    field than Django's generic sentence, and still makes sense in a summary."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():  # type: ignore[attr-defined]
            if "required" not in getattr(field, "_laowu_custom_messages", ()):
                verb = "选择" if isinstance(field, forms.ChoiceField) else "填写"
                field.error_messages["required"] = f"请{verb}{field.label}。"


class CodeField(forms.CharField):
    """A code people type: 统一社会信用代码, 身份证号, 手机号, 电话, certificate and licence numbers.

    The value is normalised (NFKC, no whitespace, upper case: laowu/core/validators.py
    `normalize_code`) and digits of other scripts are refused before anything else sees it,
    so length limits, format checks, clean_<field> methods and uniqueness queries all work
    on the one spelling that is stored: "15９00368499" is "15900368499" everywhere. Every
    such field uses this class (declared, or through a ModelForm's Meta.field_classes).
    """

    def __init__(self, *, upper: bool = True, **kwargs: Any) -> None:
        self.upper = upper
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> str:
        value = super().to_python(value)
        if value in self.empty_values:
            return value
        value = normalize_code(value, upper=self.upper)
        require_ascii_digits(value)
        return value

    def has_changed(self, initial: Any, data: Any) -> bool:
        # A value stored before normalising ("（苏）…" with full-width brackets) sent back as it is
        # was not changed by the user, though it normalises to another spelling.
        if self.disabled:
            return False
        try:
            data = self.to_python(data)
        except ValidationError:
            return True
        return normalize_code(str(initial or ""), upper=self.upper) != (data or "")


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
