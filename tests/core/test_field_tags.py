"""includes/fields.html, field.html and form_errors.html call the tags of
laowu/core/templatetags/fields.py: every form must render exactly as the former templates
(kept below as the reference, each field through its own include) rendered it, for the
project's forms bound and unbound and for the odd cases (escaping, safe text, no ids, hidden
fields, every kind of widget, missing variables)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context, Engine
from django.template.loader import get_template
from django.utils.safestring import mark_safe

from laowu.accounts.forms import LaowuCaptchaField
from tests.core.test_form_renderer import _instances, project_form_classes, same

pytestmark = pytest.mark.django_db

# The three templates as they were.
REFERENCE = {
    "includes/fields.html": """{% include "includes/form_errors.html" %}
{% for field in form.hidden_fields %}{{ field }}{% endfor %}
{% for field in form.visible_fields %}{% include "includes/field.html" %}{% endfor %}
""",
    "includes/field.html": """<div class="field{% if field.errors %} has-error{% endif %}{% if field.field.required %} required{% endif %}">
  <label for="{{ field.id_for_label }}">{{ field.label }}</label>
  <div class="field-control">
    {{ field }}
    {% if field.help_text %}<div class="help">{{ field.help_text }}</div>{% endif %}
    {% for e in field.errors %}<div class="error" id="{{ field.auto_id }}_error">{{ e }}</div>{% endfor %}
  </div>
</div>
""",  # noqa: E501 - the template's own lines
    "includes/form_errors.html": """{% if form.non_field_errors %}<div class="form-errors" role="alert">{% for e in form.non_field_errors %}<p>{{ e }}</p>{% endfor %}</div>{% endif %}
""",  # noqa: E501 - the template's own line
}
REFERENCE_ENGINE = Engine(loaders=[("django.template.loaders.locmem.Loader", REFERENCE)])


def both_ways(name: str, context: dict[str, Any]) -> tuple[str, str]:
    reference = REFERENCE_ENGINE.get_template(name).render(Context(context))
    return same(reference), same(get_template(name).render(context))


def assert_same(name: str, context: dict[str, Any]) -> str:
    reference, got = both_ways(name, context)
    assert got == reference, (name, context)
    return got


def assert_form_renders_the_same(form: forms.BaseForm) -> str:
    got = assert_same("includes/fields.html", {"form": form})
    assert_same("includes/form_errors.html", {"form": form})
    for field in form:
        assert_same("includes/field.html", {"field": field})
    return got


class Tricky(forms.Form):
    hidden = forms.CharField(widget=forms.HiddenInput, initial="<h&\"'>")
    hidden_too = forms.IntegerField(widget=forms.HiddenInput, required=False)
    name = forms.CharField(label="姓名 <b>&\"'", max_length=3, help_text="至多 3 字 <i>&</i>")
    safe = forms.CharField(
        label=mark_safe("<em>安全</em>"), required=False, help_text=mark_safe("<a href='#'>说明</a>")
    )
    empty_label = forms.CharField(label="", required=False)
    kind = forms.ChoiceField(choices=[("", "---"), ("a", "甲 & 乙"), ("组", [("b", '"丙"'), ("c", "丁")])])
    radio = forms.ChoiceField(widget=forms.RadioSelect, choices=[("x", "<x>"), ("y", "y")], required=False)
    many = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple, choices=[("1", "一"), ("2", "二")], required=False
    )
    agree = forms.BooleanField(label="同意", required=True)
    note = forms.CharField(widget=forms.Textarea, required=False)
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), required=False)
    when = forms.DateField(required=False, show_hidden_initial=True, initial=dt.date(2026, 3, 4))
    upload = forms.FileField(required=False)
    shown = forms.CharField(disabled=True, required=False, initial="不可改")
    locked = forms.CharField(disabled=True, initial="不可改 &")

    def clean(self) -> dict[str, Any]:
        raise forms.ValidationError(['整体错误 <1> & "2"', mark_safe("<b>安全</b>")])


def test_every_project_form_renders_the_same() -> None:
    rendered = 0
    for cls in project_form_classes():
        for form in _instances(cls):
            assert_form_renders_the_same(form)
            rendered += 1
    assert rendered > 20


@pytest.mark.parametrize("auto_id", ["id_%s", "f-%s", False])
@pytest.mark.parametrize(
    "data",
    [
        None,
        {},
        {"name": "太长的名字 <x>", "kind": "b", "radio": "x", "many": ["1", "2"], "agree": "on", "note": "a\n<b>&"},
        {"name": "张三", "kind": "zz", "day": "2026-13-40", "when": "x", "initial-when": "2026-03-04"},
        {"name": "", "hidden": "", "hidden_too": "z", "agree": ""},
    ],
)
def test_odd_cases_render_the_same(data: dict[str, Any] | None, auto_id: str | bool) -> None:
    files = {"upload": SimpleUploadedFile("a.txt", b"x")} if data else None
    form = Tricky(data=data, files=files, auto_id=auto_id, prefix="p" if data == {} else None)
    got = assert_form_renders_the_same(form)
    if data:
        assert 'class="error"' in got and "form-errors" in got
    assert '<div class="help">至多 3 字 &lt;i&gt;&amp;&lt;/i&gt;</div>' in got
    assert got.count('<input type="hidden"') >= 3


def test_captcha_renders_the_same() -> None:
    class WithCaptcha(forms.Form):
        username = forms.CharField(label="用户名")
        captcha = LaowuCaptchaField(label="验证码")

    for data in (None, {"username": "u", "captcha_0": "k", "captcha_1": "wrong"}):
        got = assert_form_renders_the_same(WithCaptcha(data=data))
        assert "captcha" in got


@pytest.mark.parametrize("value", ["", None, "文字 <x>"])
def test_missing_variables_render_the_same(value: Any) -> None:
    includes = {"includes/fields.html": "form", "includes/field.html": "field", "includes/form_errors.html": "form"}
    for name, key in includes.items():
        for context in ({}, {key: value}):
            assert_same(name, context)
