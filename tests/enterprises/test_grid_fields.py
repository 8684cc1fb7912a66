"""`{% grid_fields %}` (laowu/enterprises/templatetags/grid_fields.py) builds the owner pages'
field cells in Python: every cell must be the markup the per-field include
enterprises/_grid_field.html rendered, kept below as the reference, for the project's three
filing forms (基本信息, 人员, 项目) with values, errors and read-only fields, and for the odd
cases (escaping, no ids, safe labels)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django import forms
from django.template import engines
from django.utils.safestring import mark_safe

from laowu.contracts.forms import ProjectForm
from laowu.contracts.models import ProjectFiling
from laowu.enterprises.forms import BasicInfoForm
from laowu.enterprises.models import PROVIDER_FIELDS, SUPPLEMENT_FIELDS, BasicInfo
from laowu.personnel.forms import person_form_class
from laowu.personnel.models import SafetyOfficer, WageManager

pytestmark = pytest.mark.django_db

# enterprises/_grid_field.html as it was, included once per field.
REFERENCE_CELL = """<div class="grid-cell{% if field.name == 'business_scope' or field.name == 'registered_address' or field.name == 'office_address' %} grid-wide{% endif %}{% if field.errors %} has-error{% endif %}">
  <label for="{{ field.id_for_label }}">{% if field.field.required and not field.field.disabled %}<span class="req">*</span>{% endif %}{{ field.label }}{% if field.name in confirmed %}<span class="source-tag" title="天眼查核验">天眼查</span>{% endif %}</label>
  {{ field }}
  {% if field.help_text %}<div class="help">{{ field.help_text }}</div>{% endif %}
  {% for e in field.errors %}<div class="error" id="{{ field.auto_id }}_error">{{ e }}</div>{% endfor %}
</div>
"""  # noqa: E501 - the template's own lines
REFERENCE = "{% for field in fields %}{% if field.name != skip %}" + REFERENCE_CELL + "{% endif %}{% endfor %}"


def both_ways(fields: list[Any], **context: Any) -> tuple[str, str]:
    engine = engines["django"]
    reference = engine.from_string(REFERENCE).render({"fields": fields, "skip": "consent", **context})
    args = " confirmed=confirmed" if "confirmed" in context else ""
    tag = engine.from_string(f'{{% load grid_fields %}}{{% grid_fields fields{args} skip="consent" %}}')
    return reference, tag.render({"fields": fields, **context})


def assert_same(form: forms.BaseForm, **context: Any) -> str:
    reference, built = both_ways(list(form.visible_fields()), **context)
    assert built == reference
    assert built  # something was compared
    return built


def basic_info(enterprise: Any) -> BasicInfo:
    return BasicInfo.objects.create(
        enterprise=enterprise,
        name="苏州<测试>劳务有限公司",
        credit_code=enterprise.credit_code,
        business_scope="施工劳务 & 其他",
        established_date=dt.date(2019, 3, 18),
        registration_place="in_district",
        employee_count=12,
        contact_phone="13800000000",
    )


BAD_BASIC = {
    "name": '"><script>',
    "contact_phone": "12x",
    "employee_count": "abc",
    "qualification_no": "zz",
    "business_term_from": "2020-13-01",
    "business_term_to": "2019-01-01",
    "registration_place": "nowhere",
}


def test_basic_info_cells_match_the_include(enterprise_a: Any) -> None:
    info = basic_info(enterprise_a.enterprise)
    confirmed = frozenset({"name", "legal_representative", "business_scope"})
    for readonly in (frozenset(), confirmed | {"credit_code"}, frozenset(BasicInfo.SNAPSHOT_FIELDS)):
        unbound = BasicInfoForm(instance=info, readonly=readonly)
        html = assert_same(unbound, confirmed=confirmed)
        assert "grid-wide" in html and "天眼查" in html and "13800000000" in html
        assert_same(unbound)  # a page without `confirmed`
        bound = BasicInfoForm(BAD_BASIC, instance=info, readonly=readonly)
        assert not bound.is_valid() or readonly
        html = assert_same(bound, confirmed=confirmed)
        if not readonly:
            assert "has-error" in html and 'id="id_employee_count_error"' in html
    # Each page's two halves, as the view splits them.
    form = BasicInfoForm(BAD_BASIC, instance=info, readonly=frozenset())
    for names in (PROVIDER_FIELDS, SUPPLEMENT_FIELDS):
        fields = [f for f in form.visible_fields() if f.name in names]
        reference, built = both_ways(fields, confirmed=confirmed)
        assert built == reference


@pytest.mark.parametrize("model", [SafetyOfficer, WageManager])
def test_person_cells_match_the_include(enterprise_a: Any, model: Any) -> None:
    form_class = person_form_class(model)
    enterprise_id = enterprise_a.enterprise_id
    new = form_class(enterprise_id=enterprise_id)
    html = assert_same(new)
    assert 'class="req"' in html and "consent" not in html
    bad = {"name": "", "id_number": "123", "mobile": "1", "issue_date": "2099-01-01", "gender": "?", "consent": ""}
    invalid = form_class(bad, enterprise_id=enterprise_id)
    assert not invalid.is_valid()
    assert "has-error" in assert_same(invalid)
    person = model.objects.create(enterprise=enterprise_a.enterprise, name="王<五>", id_number="320507199001011234")
    assert_same(form_class(instance=person, enterprise_id=enterprise_id, editable=False))
    assert_same(form_class(bad, instance=person, enterprise_id=enterprise_id))


def test_project_cells_match_the_include(enterprise_a: Any) -> None:
    enterprise_id = enterprise_a.enterprise_id
    filing = ProjectFiling(enterprise=enterprise_a.enterprise, site_manager="刘建华", planned_workers=8)
    assert_same(ProjectForm(instance=filing, enterprise_id=enterprise_id))
    assert_same(ProjectForm(instance=filing, enterprise_id=enterprise_id, editable=False))
    bad = {"site_manager_phone": "1", "planned_workers": "x", "safety_officer": "999"}
    invalid = ProjectForm(bad, instance=filing, enterprise_id=enterprise_id)
    assert not invalid.is_valid()
    assert "has-error" in assert_same(invalid)


class OddForm(forms.Form):
    business_scope = forms.CharField(label='范围 <b>&"', help_text="说明 <i>'", widget=forms.Textarea)
    plain = forms.CharField(label=mark_safe("<em>安全</em>"), disabled=True, help_text=mark_safe("<b>粗</b>"))
    office_address = forms.ChoiceField(choices=[("a", "<A>")], required=False)
    when = forms.DateField(required=False, widget=forms.DateInput(attrs={"id": "own-id", "type": "date"}))


@pytest.mark.parametrize("auto_id", ["id_%s", False, "x-%s"])
def test_odd_cells_match_the_include(auto_id: Any) -> None:
    assert_same(OddForm(auto_id=auto_id), confirmed=["plain"])
    bound = OddForm({"business_scope": "", "office_address": "b", "when": "<x>"}, auto_id=auto_id)
    bound.add_error(None, "整张表 <错>")
    bound.add_error("office_address", mark_safe("<b>安全</b>的错误"))
    html = assert_same(bound, confirmed=None)
    assert "has-error" in html
    assert_same(OddForm(auto_id=auto_id, prefix="p"), confirmed="business_scope")


class WidgetCasesForm(forms.Form):
    """Every branch of `_widget`'s attributes, and widgets it leaves to `{{ field }}`."""

    code = forms.CharField(max_length=18, help_text="十八位 <代码>")
    phone = forms.CharField(required=False, widget=forms.TextInput(attrs={"aria-describedby": "own-hint"}))
    mail = forms.EmailField(required=False, widget=forms.EmailInput(attrs={"placeholder": 'a"b'}))
    count = forms.IntegerField(min_value=0, help_text="人数")
    money = forms.DecimalField(required=False, localize=True)
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3, "class": "input"}))
    secret = forms.CharField(required=False, widget=forms.PasswordInput(render_value=True))
    agree = forms.BooleanField(required=False)
    kept = forms.CharField(required=False, show_hidden_initial=True)
    off = forms.CharField(required=False, disabled=True, initial="<关>")


def test_every_widget_case_matches_the_include() -> None:
    initial = {"code": "91<320>", "count": 3, "money": "1234.5", "since": dt.date(2020, 1, 2), "note": "a\n<b>"}
    for form in (
        WidgetCasesForm(initial=initial),
        WidgetCasesForm(initial=initial, auto_id=False),
        WidgetCasesForm(initial=initial, use_required_attribute=False),
        WidgetCasesForm(initial=initial, prefix="x"),
    ):
        html = assert_same(form)
        assert 'aria-describedby="own-hint"' in html or not form.auto_id
    bad = {"code": "", "count": "-1", "mail": "no", "since": "2020-02-30", "phone": "1", "note": "<n>", "off": "x"}
    html = assert_same(WidgetCasesForm(bad, initial=initial))
    assert 'aria-invalid="true" aria-describedby="id_code_helptext id_code_error"' in html
    assert 'value="2020-02-30"' in html and "&lt;关&gt;" in html


def test_text_inputs_are_written_without_the_widget(enterprise_a: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The comparisons above go through `_widget`: a text input or a textarea never asks the
    widget to render itself, while a select still does."""
    from django.forms.boundfield import BoundField

    rendered: list[str] = []
    as_widget = BoundField.as_widget

    def counted(self: BoundField, *args: Any, **kwargs: Any) -> Any:
        rendered.append(self.name)
        return as_widget(self, *args, **kwargs)

    monkeypatch.setattr(BoundField, "as_widget", counted)
    form = BasicInfoForm(instance=basic_info(enterprise_a.enterprise))
    tag = engines["django"].from_string("{% load grid_fields %}{% grid_fields fields %}")
    tag.render({"fields": list(form.visible_fields())})
    assert rendered == ["registration_place"]
