"""`{% form_fields form %}`, `{% form_field field %}` and `{% form_errors form %}`: a form's
fields in the project's field markup (laowu/templates/includes/fields.html, field.html and
form_errors.html, which now only call these tags).

Each field was an `{% include %}` of includes/field.html: the include, its context push and
its tags cost more than the widget inside it, which laowu/core/form_renderer.py already
builds in Python. The markup is built here instead, the same text byte for byte, line breaks
included (tests/core/test_field_tags.py renders the former templates, kept there as strings,
and these tags for the project's forms, bound and unbound, and compares).
"""

from __future__ import annotations

from typing import Any

from django import template
from django.forms import BaseForm, BoundField
from django.utils.safestring import SafeString, mark_safe

from laowu.core.form_renderer import field_errors
from laowu.core.form_renderer import template_value as out

register = template.Library()


def field_html(field: Any) -> str:
    """includes/field.html: one field's wrapper, label, widget, help text and errors."""
    if not isinstance(field, BoundField):
        # A missing variable (`{% with field=absent_form.x %}`): the template rendered its
        # wrapper around empty values; not a form page's case, so the template's own way.
        return _missing_field_html(field)
    errors = field.errors
    help_text = field.help_text
    error_html = field_errors(field)
    return "".join(
        (
            '<div class="field',
            " has-error" if errors else "",
            " required" if field.field.required else "",
            '">\n  <label for="',
            out(field.id_for_label),
            '">',
            out(field.label),
            '</label>\n  <div class="field-control">\n    ',
            out(field),
            "\n    ",
            f'<div class="help">{out(help_text)}</div>' if help_text else "",
            "\n    ",
            error_html,
            "\n  </div>\n</div>\n",
        )
    )


def _missing_field_html(field: Any) -> str:
    text = out(field)
    return (
        f'<div class="field">\n  <label for=""></label>\n  <div class="field-control">\n    {text}\n'
        "    \n    \n  </div>\n</div>\n"
    )


def form_errors_html(form: Any) -> str:
    """includes/form_errors.html: the form's own errors (not a field's), if any."""
    errors = form.non_field_errors() if isinstance(form, BaseForm) else None
    if not errors:
        return "\n"
    items = "".join(f"<p>{out(e)}</p>" for e in errors)
    return f'<div class="form-errors" role="alert">{items}</div>\n'


def form_fields_html(form: Any) -> str:
    """includes/fields.html: the form's errors, its hidden fields, then each visible field."""
    if isinstance(form, BaseForm):
        hidden = "".join(out(field) for field in form.hidden_fields())
        visible = "".join(field_html(field) for field in form.visible_fields())
    else:
        hidden = visible = ""
    return f"{form_errors_html(form)}\n{hidden}\n{visible}\n"


@register.simple_tag
def form_field(field: Any) -> SafeString:
    return mark_safe(field_html(field))  # noqa: S308  # nosec B308 B703  # escaped values, rendered widgets and our own markup


@register.simple_tag
def form_errors(form: Any) -> SafeString:
    return mark_safe(form_errors_html(form))  # noqa: S308  # nosec B308 B703  # escaped values and our own markup


@register.simple_tag
def form_fields(form: Any) -> SafeString:
    return mark_safe(form_fields_html(form))  # noqa: S308  # nosec B308 B703  # escaped values, rendered widgets and our own markup
