from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django import forms
from django.db.models import Q
from django.forms.models import ModelChoiceIterator

from laowu.core.forms import ChineseFormMixin, CodeField, DateRangeMixin
from laowu.core.validators import validate_phone
from laowu.personnel.models import SafetyOfficer, WageManager
from laowu.review.models import State

from .models import ProjectFiling

OWN_FIELDS = ("site_manager", "site_manager_phone", "safety_officer", "wage_manager", "planned_workers")


def _approved_people(model: type[Any], enterprise_id: int) -> Any:
    return model.objects.filter(enterprise_id=enterprise_id, approved_submission__isnull=False).exclude(
        state=State.DEREGISTERED
    )


class _PersonChoices(ModelChoiceIterator):
    """A person select's options read by one plain query. Django's iterator reads them through
    `QuerySet.iterator()`, which on PostgreSQL is a server-side cursor: DECLARE, FETCH and
    CLOSE, several round trips per select for a handful of names. The rows stay with the
    form's own queryset (the field's copy made in `ProjectForm.__init__`), so nothing outlives
    the request."""

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset:
            yield self.choice(obj)


# What a person's option shows (`label_from_instance`): not the sealed 身份证号 and 手机号,
# decrypted row by row when read. The person the field returns on 保存 comes from the same
# queryset: any other column of it is read on demand (a query).
PERSON_CHOICE_FIELDS = ("id", "name", "cert_no")


class ProjectForm(ChineseFormMixin, forms.ModelForm):
    class Meta:
        model = ProjectFiling
        fields = list(OWN_FIELDS)
        field_classes = {"site_manager_phone": CodeField}  # normalised before any check

    def __init__(self, *args: Any, enterprise_id: int, editable: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = self.instance
        # Only approved, active people; the current choice stays listed so a later 注销 is visible.
        for name, model in (("safety_officer", SafetyOfficer), ("wage_manager", WageManager)):
            qs = _approved_people(model, enterprise_id)
            chosen = getattr(current, f"{name}_id", None)
            if chosen:
                qs = model.objects.filter(Q(pk__in=qs.values("pk")) | Q(pk=chosen))
            # Before the queryset: setting it gives the widget its choices from the iterator.
            self.fields[name].iterator = _PersonChoices
            self.fields[name].queryset = qs.only(*PERSON_CHOICE_FIELDS).order_by("name")
            self.fields[name].empty_label = "请选择"
            self.fields[name].label_from_instance = lambda p: f"{p.name}（{p.cert_no or '无证书编号'}）"
        for field in self.fields.values():
            field.required = False
            field.widget.attrs["class"] = "input"
            if not editable:
                field.disabled = True
        self.fields["planned_workers"].error_messages["invalid"] = "请输入整数。"
        self.fields["planned_workers"].widget.attrs["min"] = "0"

    def clean_site_manager_phone(self) -> str:
        value = (self.cleaned_data.get("site_manager_phone") or "").strip()
        validate_phone(value)
        return value

    def _post_clean(self) -> None:
        # Written by the workflow service under its row lock, not by construct_instance.
        pass


class ProjectSearchForm(DateRangeMixin, forms.Form):
    date_range = ("signed_from", "signed_to")

    q = forms.CharField(
        label="项目名称/合同编号",
        required=False,
        widget=forms.TextInput(attrs={"class": "input", "placeholder": "项目名称或合同编号"}),
    )
    state = forms.ChoiceField(
        label="状态",
        required=False,
        choices=[("", "全部状态"), *State.choices],
        widget=forms.Select(attrs={"class": "input"}),
    )
    signed_from = forms.DateField(
        label="签订日期自", required=False, widget=forms.DateInput(attrs={"class": "input", "type": "date"})
    )
    signed_to = forms.DateField(
        label="至", required=False, widget=forms.DateInput(attrs={"class": "input", "type": "date"})
    )
