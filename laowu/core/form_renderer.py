"""The project's form renderer: Django's `TemplatesSetting` (so templates in laowu/templates
can override widget templates, as the captcha's does), with the few templates every form
renders many times over (text-like inputs, selects and their options, textareas, labels and
error lists) built in Python instead.

A form page renders tens of widgets, each through a template, its `attrs.html` include and a
template context; that was a large share of a form or list page's time. The Python builders
below reproduce Django's templates in django/forms/templates/django/forms/ byte for byte
(tests/core/test_form_renderer.py renders every form class of the project both ways and
compares). A template the project overrides keeps going through the template: the builders
are used only while each template they stand for is Django's own (checked on first use). The
captcha's widget, the project's own template, is built too while that file's text is the one its
builder stands for (`CAPTCHA_SOURCE`).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import django.forms
from django.forms.renderers import TemplatesSetting
from django.template.base import render_value_in_context
from django.template.context import Context
from django.urls import reverse
from django.utils.html import strip_spaces_between_tags
from django.utils.safestring import SafeData, SafeString

_DJANGO_FORM_TEMPLATES = Path(django.forms.__file__).parent / "templates"

# render_value_in_context only reads these two from the context.
_CONTEXT = Context(autoescape=True)


def _escape(text: str) -> SafeString:
    """`django.utils.html.escape` of a str: the same `html.escape`, without the wrapper that
    lets it take lazy text (`keep_lazy`), which costs more than the escaping itself."""
    return SafeString(html.escape(text))  # nosec B703  # escaped just here


def _out(value: Any) -> str:
    """`{{ value }}` in an autoescaped template."""
    if type(value) is str:
        return _escape(value)
    return render_value_in_context(value, _CONTEXT)


# The same for other markup the project builds in Python instead of a template
# (laowu/enterprises/templatetags/grid_fields.py, laowu/core/templatetags/fields.py).
template_value = _out


def field_errors(field: Any) -> str:
    """A bound field's errors as the field templates list them under its widget: one
    `<div class="error">` each, the first carrying the id the widget's aria-describedby names."""
    errors = field.errors
    if not errors:
        return ""
    error_id = _out(field.auto_id)
    return "".join(f'<div class="error" id="{error_id}_error">{_out(e)}</div>' for e in errors)


def _stringformat(value: Any) -> str:
    """`{{ value|stringformat:'s' }}`: the filter keeps a safe value safe (it is `is_safe`)."""
    if isinstance(value, tuple):
        value = str(value)
    try:
        text = "%s" % value  # noqa: UP031 - the filter's own formatting
    except (ValueError, TypeError):
        return ""
    # "%s" makes a plain str even of a SafeString: escaped as conditional_escape would.
    return text if isinstance(value, SafeData) else _escape(text)


def _attrs(attrs: Mapping[str, Any] | None) -> str:
    """django/forms/widgets/attrs.html (and django/forms/attrs.html, the same text)."""
    if not attrs:
        # A label without an id has None: the template's loop then has nothing to go over.
        return ""
    parts = []
    for name, value in attrs.items():
        if value is not False:
            if value is True:
                parts.append(f" {_out(name)}")
            else:
                parts.append(f' {_out(name)}="{_stringformat(value)}"')
    return "".join(parts)


def _input(context: dict[str, Any]) -> str:
    widget = context["widget"]
    value = widget["value"]
    value_attr = f' value="{_stringformat(value)}"' if value != None else ""  # noqa: E711 - the template's `!= None`
    return f'<input type="{_out(widget["type"])}" name="{_out(widget["name"])}"{value_attr}{_attrs(widget["attrs"])}>'


def _option(option: Mapping[str, Any]) -> str:
    # Included from select.html, so its file's final newline stays.
    return (
        f'<option value="{_stringformat(option["value"])}"{_attrs(option["attrs"])}>{_out(option["label"])}</option>\n'
    )


def _select(context: dict[str, Any]) -> str | None:
    widget = context["widget"]
    parts = [f'<select name="{_out(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_out(group_name)}">')
        for option in group_choices:
            if option.get("template_name") != "django/forms/widgets/select_option.html":
                return None
            parts.append("\n  ")
            parts.append(_option(option))
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def _textarea(context: dict[str, Any]) -> str:
    widget = context["widget"]
    value = widget["value"]
    text = _out(value) if value else ""
    return f'<textarea name="{_out(widget["name"])}"{_attrs(widget["attrs"])}>\n{text}</textarea>'


def _label(context: dict[str, Any]) -> str:
    if context.get("use_tag"):
        tag = _out(context["tag"])
        return f"<{tag}{_attrs(context['attrs'])}>{_out(context['label'])}</{tag}>"
    return _out(context["label"])


def _error_list(context: dict[str, Any]) -> str:
    errors = context["errors"]
    if not errors:
        return ""
    field_id = getattr(errors, "field_id", None)
    id_attr = f' id="{_out(field_id)}_error"' if field_id else ""
    items = "".join(f"<li>{_out(error)}</li>" for error in errors)
    return f'<ul class="{_out(context["error_class"])}"{id_attr}>{items}</ul>'


# laowu/templates/captcha/widgets/captcha.html, the captcha of the login and sign-up forms: its
# builder stands for exactly this text and is dropped if the file says anything else.
CAPTCHA_TEMPLATE = "captcha/widgets/captcha.html"
CAPTCHA_SOURCE = (
    "{% spaceless %}{% for widget in widget.subwidgets %}{% include widget.template_name %}{% endfor %}"
    '<span class="captcha-box"><img src="{{ image }}" alt="图形验证码" title="看不清？点击刷新" class="captcha"'
    ' width="110" height="36"><a class="captcha-refresh" href=""'
    " data-refresh-url=\"{% url 'captcha-refresh' %}\">换一张</a></span>{% endspaceless %}\n"
)
_CAPTCHA_SUBWIDGETS = ("django/forms/widgets/hidden.html", "django/forms/widgets/text.html")


def _captcha(context: dict[str, Any]) -> str | None:
    parts = []
    for sub in context["widget"]["subwidgets"]:
        if sub["template_name"] not in _CAPTCHA_SUBWIDGETS:
            return None
        # The included template and the input.html it includes each end with a line break.
        parts.append(_input({"widget": sub}) + "\n\n")
    parts.append(
        f'<span class="captcha-box"><img src="{_out(context["image"])}" alt="图形验证码" title="看不清？点击刷新"'
        f' class="captcha" width="110" height="36"><a class="captcha-refresh" href=""'
        f' data-refresh-url="{_out(reverse("captcha-refresh"))}">换一张</a></span>'
    )
    # What {% spaceless %} does with its content.
    return strip_spaces_between_tags("".join(parts).strip())


_INPUT_TYPES = ("text", "number", "email", "url", "password", "hidden", "date", "datetime", "time", "tel", "search")
_BUILDERS: dict[str, Callable[[dict[str, Any]], str | None]] = {
    "django/forms/widgets/input.html": _input,
    **{f"django/forms/widgets/{name}.html": _input for name in _INPUT_TYPES},
    "django/forms/widgets/checkbox.html": _input,
    "django/forms/widgets/select.html": _select,
    "django/forms/widgets/textarea.html": _textarea,
    "django/forms/label.html": _label,
    "django/forms/errors/list/default.html": _error_list,
    "django/forms/errors/list/ul.html": _error_list,
}
# Templates the builders stand for, the included ones too: one overridden turns the builders off.
_STOOD_FOR = (
    *_BUILDERS,
    "django/forms/widgets/attrs.html",
    "django/forms/widgets/select_option.html",
    "django/forms/attrs.html",
)


class FormRenderer(TemplatesSetting):
    _builders: dict[str, Callable[[dict[str, Any]], str | None]] | None = None

    def builders(self) -> dict[str, Callable[[dict[str, Any]], str | None]]:
        if self._builders is None:
            overridden = [
                name
                for name in _STOOD_FOR
                if not Path(self.get_template(name).origin.name).is_relative_to(_DJANGO_FORM_TEMPLATES)
            ]
            builders = {} if overridden else dict(_BUILDERS)
            if builders and self.get_template(CAPTCHA_TEMPLATE).template.source == CAPTCHA_SOURCE:
                builders[CAPTCHA_TEMPLATE] = _captcha
            self._builders = builders
        return self._builders

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        build = self.builders().get(template_name)
        if build is not None and request is None:
            html = build(context)
            if html is not None:
                return html.strip()
        return super().render(template_name, context, request=request)
