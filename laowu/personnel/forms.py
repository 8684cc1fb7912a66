from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from laowu.core.fields import index_value
from laowu.core.forms import ChineseFormMixin, CodeField
from laowu.core.validators import (
    normalize_safety_cert_no,
    safety_cert_category,
    safety_cert_is_legacy,
    validate_id_number,
    validate_mobile,
    validate_safety_cert_no,
    validate_wage_cert_no,
)

from .models import EDUCATIONS, GENDERS, ID_INDEX_CONTEXT, SAFETY_CATEGORIES, Person, SafetyOfficer, WageManager

DATE_FIELDS = {"issue_date", "valid_until"}
CONSENT_TEXT = (
    "本企业已告知该人员：其姓名、身份证号、手机号及证书信息将报送区劳务专委会用于行业自律管理，并已取得其同意。"
)


class PersonForm(ChineseFormMixin, forms.ModelForm):
    """保存 needs only 姓名 and 身份证号; the rest is checked at 提交."""

    consent = forms.BooleanField(label=CONSENT_TEXT, required=True)

    class Meta:
        model = Person
        fields: list[str] = []

    def __init__(self, *args: Any, enterprise_id: int, editable: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.enterprise_id = enterprise_id
        choices = {"gender": GENDERS, "education": EDUCATIONS, "cert_category": SAFETY_CATEGORIES}
        for name, field in self.fields.items():
            if name == "consent":
                field.error_messages["required"] = "请勾选确认已告知该人员并取得其同意。"
                continue
            field.required = name in ("name", "id_number")
            if name in choices:
                field.choices = [("", "请选择"), *choices[name]]
            if name in DATE_FIELDS:
                field.widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
                field.input_formats = ["%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日"]
                field.error_messages["invalid"] = "请输入正确的日期，如 2024-06-30。"
            field.widget.attrs["class"] = "input"
            if not editable:
                field.disabled = True
        if self.instance.pk and self.instance.consent_confirmed_at:
            self.fields["consent"].initial = True
        if not editable:
            self.fields["consent"].disabled = True
        if "cert_no" in self.fields and self._meta.model is SafetyOfficer:
            self.fields["cert_no"].widget.attrs["placeholder"] = "如 苏建安C3(2023)0000001"
        elif "cert_no" in self.fields:
            self.fields["cert_no"].widget.attrs["placeholder"] = "按证书填写，4–40位，含数字"
        self.fields["id_number"].widget.attrs.update(autocomplete="off", maxlength="18")

    def clean_id_number(self) -> str:
        # Already normalised by CodeField, so the uniqueness checks below compare the stored spelling.
        value = self.cleaned_data.get("id_number") or ""
        validate_id_number(value)
        # Whether another enterprise has the person on file is not said here: that is its
        # business; the reviewer sees it at 审核 (Person.review_notes).
        model = self._meta.model
        dup = model.objects.filter(
            enterprise_id=self.enterprise_id, id_index=index_value(value, context=ID_INDEX_CONTEXT)
        ).exclude(state="deregistered")
        if self.instance.pk:
            dup = dup.exclude(pk=self.instance.pk)
        if dup.exists():
            raise forms.ValidationError(f"本企业已登记该{model.FILING_LABEL}，请在列表中编辑。")
        return value

    def clean_mobile(self) -> str:
        value = (self.cleaned_data.get("mobile") or "").strip()
        if value:
            validate_mobile(value)
        return value

    def clean_cert_no(self) -> str:
        value = self.cleaned_data.get("cert_no") or ""
        if self._meta.model is SafetyOfficer and value:
            value = normalize_safety_cert_no(value)
            validate_safety_cert_no(value)
        elif self._meta.model is WageManager:
            validate_wage_cert_no(value)
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        issue, until = cleaned.get("issue_date"), cleaned.get("valid_until")
        if issue and issue > timezone.localdate():
            self.add_error("issue_date", "发证日期不能晚于今天。")
        if issue and until and until <= issue:
            self.add_error("valid_until", "有效期至必须晚于发证日期。")
        category, cert = cleaned.get("cert_category"), cleaned.get("cert_no")
        if category and cert and safety_cert_category(cert) and safety_cert_category(cert) != category:
            self.add_error("cert_category", f"证书编号中的类别为{safety_cert_category(cert)}，与所选类别不一致。")
        if cert and not category and safety_cert_is_legacy(cert):
            self.add_error("cert_category", "该证书编号只标有“C”，未标明C1、C2或C3，请按证书内容选择证书类别。")
        return cleaned

    def _post_clean(self) -> None:
        # Written by the workflow service under its row lock, not by construct_instance.
        pass


# Codes people type, normalised before any check (laowu/core/forms.py CodeField).
CODE_FIELDS = ("id_number", "mobile", "cert_no")


# Each role's form class, made once per process: ModelForm's metaclass builds the base fields
# from the model's (formfield, labels, choices), which cost the edit page more than its form's
# own work. The class holds nothing of a request or of the data: a form deep-copies its base
# fields (django/forms/forms.py BaseForm.__init__), so what `PersonForm.__init__` sets on a
# field (required, choices, widget, disabled, help text) stays with that one form.
_FORM_CLASSES: dict[type[Person], type[PersonForm]] = {}


def _make_form_class(model: type[Person]) -> type[PersonForm]:
    fields = list(model.SNAPSHOT_FIELDS)
    field_classes = {name: CodeField for name in CODE_FIELDS if name in fields}
    meta = type("Meta", (), {"model": model, "fields": fields, "field_classes": field_classes})
    return type(f"{model.__name__}Form", (PersonForm,), {"Meta": meta})


def person_form_class(model: type[Person]) -> type[PersonForm]:
    form_class = _FORM_CLASSES.get(model)
    if form_class is None:
        form_class = _FORM_CLASSES[model] = _make_form_class(model)
    return form_class
