from __future__ import annotations

from typing import Any

from django import forms

from laowu.core.forms import ChineseFormMixin, CodeField
from laowu.core.validators import (
    normalize_safety_license_no,
    validate_phone,
    validate_qualification_no,
    validate_safety_license_no,
)

from .models import REGISTRATION_PLACES, BasicInfo

DATE_FIELDS = {
    "established_date",
    "business_term_from",
    "business_term_to",
    "qualification_valid_until",
    "safety_license_valid_until",
}


class BasicInfoForm(ChineseFormMixin, forms.ModelForm):
    """Every field optional on 保存 (drafts may be partial); completeness is checked at 申报."""

    class Meta:
        model = BasicInfo
        fields = list(BasicInfo.SNAPSHOT_FIELDS)
        # Codes people type, normalised before any check (laowu/core/forms.py CodeField).
        field_classes = {
            name: CodeField for name in ("credit_code", "contact_phone", "qualification_no", "safety_license_no")
        }

    def __init__(self, *args: Any, readonly: frozenset[str] = frozenset(), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.required = False
            css = "input"
            if name in DATE_FIELDS:
                field.widget = forms.DateInput(attrs={"type": "date", "placeholder": "YYYY-MM-DD"}, format="%Y-%m-%d")
                field.input_formats = ["%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日"]
                field.error_messages["invalid"] = "请输入正确的日期，如 2024-06-30。"
            if name == "business_scope":
                field.widget = forms.Textarea(attrs={"rows": 3})
            field.widget.attrs["class"] = css
            if name in readonly:
                field.disabled = True
        self.fields["qualification_no"].widget.attrs["placeholder"] = "D + 9位数字"
        self.fields["safety_license_no"].widget.attrs["placeholder"] = "（苏）JZ安许证字〔2020〕000123"
        self.fields["registration_place"].choices = [("", "请选择"), *REGISTRATION_PLACES]
        self.fields["employee_count"].error_messages["invalid"] = "请输入整数。"
        self.fields["employee_count"].widget.attrs["min"] = "0"

    # Normalised first, then checked here so the message stands beside the field.
    def clean_safety_license_no(self) -> str:
        value = normalize_safety_license_no(self.cleaned_data.get("safety_license_no", ""))
        validate_safety_license_no(value)
        return value

    def clean_qualification_no(self) -> str:
        value = (self.cleaned_data.get("qualification_no") or "").strip().upper()
        validate_qualification_no(value)
        return value

    def clean_contact_phone(self) -> str:
        value = (self.cleaned_data.get("contact_phone") or "").strip()
        validate_phone(value)
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start, end = cleaned.get("business_term_from"), cleaned.get("business_term_to")
        if start and end and end < start:
            self.add_error("business_term_to", "营业期限至不能早于营业期限自。")
        return cleaned

    def _post_clean(self) -> None:
        # The model instance is written by the workflow service (with its row lock), not
        # by ModelForm's construct_instance, which would also touch the protected state.
        pass
