"""laowu/core/form_renderer.py builds the common widgets, labels and error lists in Python: every
form of the project must render exactly as through Django's templates (`TemplatesSetting`)."""

from __future__ import annotations

import copy
import datetime
import importlib
import inspect
import pkgutil
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django import forms
from django.forms.renderers import TemplatesSetting
from django.test import override_settings
from django.utils.safestring import mark_safe

import laowu
from laowu.core.form_renderer import FormRenderer

pytestmark = pytest.mark.django_db

SAMPLE_VALUES: list[Any] = [
    None,
    "",
    "张三 <b>&\"'",
    mark_safe("<i>safe</i>"),
    "  spaced  ",
    0,
    12,
    Decimal("1234.50"),
    datetime.date(2026, 3, 4),
    datetime.datetime(2026, 3, 4, 5, 6, 7, tzinfo=datetime.UTC),
    True,
    False,
    ["1", "2"],
]


def same(html: str) -> str:
    """The captcha draws a new challenge each time it renders: its key differs."""
    return re.sub(r"[0-9a-f]{40}", "KEY", str(html))


def project_form_classes() -> list[type[forms.BaseForm]]:
    for module in pkgutil.walk_packages(laowu.__path__, "laowu."):
        if ".migrations" in module.name or ".settings" in module.name or module.name.endswith(".wsgi"):
            continue
        importlib.import_module(module.name)
    seen: list[type[forms.BaseForm]] = []
    todo = [forms.BaseForm]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            todo.append(sub)
            if sub.__module__.startswith("laowu.") and sub not in seen and not inspect.isabstract(sub):
                seen.append(sub)
    return sorted(seen, key=lambda c: f"{c.__module__}.{c.__qualname__}")


def field_values(field: forms.Field) -> list[Any]:
    values = [*SAMPLE_VALUES, field.initial]
    choices = getattr(field, "choices", None)
    if choices is not None:
        try:
            listed = [value for value, _label in choices][:6]
        except TypeError:
            listed = []
        values += [*listed, listed[:2]]
    return values


def test_the_project_uses_the_fast_renderer() -> None:
    from django.forms.renderers import get_default_renderer

    assert isinstance(get_default_renderer(), FormRenderer)
    assert FormRenderer().builders(), "Django's own form templates are in use: the builders apply"


def test_every_widget_of_every_form_renders_as_through_the_templates() -> None:
    classes = project_form_classes()
    assert len(classes) > 30
    old, new = TemplatesSetting(), FormRenderer()
    checked = 0
    for cls in classes:
        for name, field in cls.base_fields.items():
            field = copy.deepcopy(field)
            widget = field.widget
            for value in field_values(field):
                for attrs in (None, {"id": f"id_{name}", "required": True, "aria-x": False}):
                    try:
                        expected = widget.render(name, value, attrs=attrs, renderer=old)
                    except Exception:  # noqa: S112 - a value this widget cannot take at all
                        continue
                    got = widget.render(name, value, attrs=attrs, renderer=new)
                    assert same(got) == same(expected), (cls, name, value)
                    checked += 1
    assert checked > 1000


def _instances(cls: type[forms.BaseForm]) -> list[forms.BaseForm]:
    made = []
    for args in ((), ({},), ({"x": "1"},)):
        try:
            made.append(cls(*args))
        except Exception:  # noqa: S112 - needs arguments this generic test cannot guess
            continue
    return made


def test_every_form_that_builds_without_arguments_renders_the_same() -> None:
    rendered = 0
    for cls in project_form_classes():
        for form in _instances(cls):
            outputs = []
            for renderer in (TemplatesSetting(), FormRenderer()):
                form.renderer = renderer
                form._errors = None  # error lists are made with the form's renderer
                form.is_bound and form.errors  # noqa: B018
                for field in form:
                    field.form.renderer = renderer
                try:
                    html = str(form)
                except Exception:  # rendering needs what the view adds
                    html = "".join(str(f.label_tag()) + str(f.errors) + str(f) for f in form)
                outputs.append(same(html + str(form.non_field_errors())))
            assert outputs[0] == outputs[1], cls
            rendered += 1
    assert rendered > 20


def test_labels_and_error_lists_render_the_same() -> None:
    class Sample(forms.Form):
        name = forms.CharField(label="姓名 <x>", max_length=2)
        kind = forms.ChoiceField(
            label="类别", choices=[("a", "甲"), ("分组", [("b", "乙 & 丙"), ("c", "丁")])], required=False
        )
        note = forms.CharField(widget=forms.Textarea, required=False, label="")
        agree = forms.BooleanField(required=False)

        def clean(self) -> dict[str, Any]:
            raise forms.ValidationError(["整体错误 <1>", "二"])

    outputs = []
    for renderer in (TemplatesSetting(), FormRenderer()):
        form = Sample(data={"name": "太长的名字", "kind": "b", "note": "a\n<b>"}, renderer=renderer)
        form.is_valid()
        html = str(form) + form.as_p() + form.as_table() + form.as_ul()
        html += str(form["name"].label_tag(attrs={"class": "c", "hidden": True}, label_suffix="："))
        html += str(form["note"].label_tag())
        outputs.append(html)
    assert outputs[0] == outputs[1]
    assert "太长的名字" in outputs[0] and "errorlist" in outputs[0]


def test_an_overridden_template_turns_the_builders_off(tmp_path: Path, settings: Any) -> None:
    override = tmp_path / "django" / "forms" / "widgets" / "attrs.html"
    override.parent.mkdir(parents=True)
    override.write_text("{% for name, value in widget.attrs.items %} data-{{ name }}{% endfor %}")
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["DIRS"] = [tmp_path, *templates[0]["DIRS"]]
    with override_settings(TEMPLATES=templates):
        renderer = FormRenderer()
        assert renderer.builders() == {}
        html = forms.TextInput().render("n", "v", attrs={"id": "i"}, renderer=renderer)
    assert html == '<input type="text" name="n" value="v" data-id>'


@pytest.mark.parametrize("text", ["", "张三", "<b>&\"'</b>", "&amp;", "a\x00b"])
def test_text_is_escaped_as_django_escapes_it(text: str) -> None:
    from django.utils.html import conditional_escape
    from django.utils.safestring import SafeString

    from laowu.core.form_renderer import _out, _stringformat

    for build in (_out, _stringformat):
        built = build(text)
        assert built == conditional_escape(text) and isinstance(built, SafeString)
    assert _out(SafeString(text)) == text  # already safe: as it is


def test_the_captcha_renders_as_through_its_template() -> None:
    from laowu.accounts.forms import LaowuCaptchaField

    old, new = TemplatesSetting(), FormRenderer()
    assert "captcha/widgets/captcha.html" in new.builders()
    field = LaowuCaptchaField()
    checked = 0
    for value in (None, "", ["k", '答<案>&"'], "k,v"):
        for attrs in ({}, {"id": "id_captcha"}, {"id": 'x"<y>', "required": True, "data-x": False}):
            expected = field.widget.render("captcha", value, attrs=attrs, renderer=old)
            got = field.widget.render("captcha", value, attrs=attrs, renderer=new)
            assert same(got) == same(expected), (value, attrs)
            assert 'class="captcha-box"' in got and 'name="captcha_1"' in got
            checked += 1
    assert checked == 12


def test_an_edited_captcha_template_goes_through_the_template(tmp_path: Path, settings: Any) -> None:
    from laowu.accounts.forms import LaowuCaptchaField

    override = tmp_path / "captcha" / "widgets" / "captcha.html"
    override.parent.mkdir(parents=True)
    override.write_text(
        '<b class="edited">{% for widget in widget.subwidgets %}{% include widget.template_name %}{% endfor %}</b>'
    )
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["DIRS"] = [tmp_path, *templates[0]["DIRS"]]
    with override_settings(TEMPLATES=templates):
        renderer = FormRenderer()
        assert "captcha/widgets/captcha.html" not in renderer.builders()
        assert renderer.builders(), "the other builders still apply"
        html = LaowuCaptchaField().widget.render("captcha", None, attrs={}, renderer=renderer)
    assert html.startswith('<b class="edited"><input type="hidden" name="captcha_0"')
