"""`{% grid_fields %}`: a filing form's fields in the grid of the owner pages (基本信息归集,
人员信息, 项目信息), one cell per field.

Each cell was a template include per field (enterprises/_grid_field.html): the include, its
context and its tags cost more than the widget inside it. The cell is built here instead, the
same markup byte for byte (tests/enterprises/test_grid_fields.py renders the project's three
forms both ways, with values, errors and read-only fields).

A text-like input or a textarea is written by the form renderer's own builder
(laowu/core/form_renderer.py) from the context `{{ field }}` would hand it, made here
(`_widget`): `{{ field }}` goes through `BoundField.as_widget`, `build_widget_attrs` (which reads
the field's errors three times, each an `ErrorList` made anew), the widget's `render` and
`get_context`, and the escaping of the result, which cost more than the markup. Any other widget
(a select, a checkbox, a class of the project's own, a localized one) is rendered as before.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from django import forms, template
from django.forms import BoundField
from django.forms.widgets import Input
from django.utils.safestring import SafeString, mark_safe

from laowu.core.form_renderer import FormRenderer, field_errors
from laowu.core.form_renderer import template_value as out

register = template.Library()

# Cells that take the grid's whole width: the long texts.
WIDE = frozenset({"business_scope", "registered_address", "office_address"})
# Beside the label of a field the provider confirmed (`BasicInfo.provider_fields`).
CONFIRMED_TAG = '<span class="source-tag" title="天眼查核验">天眼查</span>'
REQUIRED_MARK = '<span class="req">*</span>'


# The widgets `_widget` writes: exactly these classes (a subclass may render otherwise), each
# the context `Widget.get_context` gives (with `Input`'s type) and none asking for its value
# itself (`PasswordInput`) or hidden.
WRITTEN_WIDGETS = frozenset(
    {
        forms.TextInput,
        forms.NumberInput,
        forms.EmailInput,
        forms.URLInput,
        forms.SearchInput,
        forms.TelInput,
        forms.DateInput,
        forms.DateTimeInput,
        forms.TimeInput,
        forms.Textarea,
    }
)


def _widget(field: BoundField, errors: Any) -> str:
    """`{{ field }}`: for a widget of `WRITTEN_WIDGETS` under the project's form renderer, the
    attributes `BoundField.as_widget` and `build_widget_attrs` give it, in their order, and
    the renderer's builder of its template; anything else through `{{ field }}` itself."""
    form_field = field.field
    widget = form_field.widget
    form = field.form
    renderer = form.renderer
    if (
        type(widget) not in WRITTEN_WIDGETS
        or form_field.localize
        or widget.is_localized
        or form_field.show_hidden_initial
        or not isinstance(renderer, FormRenderer)
    ):
        return out(field)
    build = renderer.builders().get(widget.template_name)
    if build is None:
        return out(field)
    auto_id = field.auto_id
    widget_attrs = widget.attrs
    # build_widget_attrs: none of these widgets is hidden, nor a fieldset.
    attrs: dict[str, Any] = {}
    if form_field.required and form.use_required_attribute:
        attrs["required"] = True
    if form_field.disabled:
        attrs["disabled"] = True
    if errors:
        attrs["aria-invalid"] = "true"
    if auto_id and not widget_attrs.get("aria-describedby"):
        described = []
        if form_field.help_text:
            described.append(f"{auto_id}_helptext")
        if errors:
            described.append(f"{auto_id}_error")
        if described:
            attrs["aria-describedby"] = " ".join(described)
    if auto_id and "id" not in widget_attrs:
        attrs["id"] = auto_id
    context: dict[str, Any] = {
        "name": field.html_name,
        "value": widget.format_value(field.value()),
        "attrs": {**widget_attrs, **attrs},
    }
    if isinstance(widget, Input):
        context["type"] = widget.input_type
    html = build({"widget": context})
    # As the renderer hands a builder's markup back (`FormRenderer.render`).
    return out(field) if html is None else html.strip()


def grid_cell(field: BoundField, confirmed: Collection[str] = ()) -> str:
    """One field's cell: label (with the required mark and the provider's tag), widget, help
    text and each error, on the lines the template had."""
    # The field's errors read once: `BoundField.errors` makes an empty `ErrorList` each time.
    errors = field.form.errors.get(field.name)
    form_field = field.field
    name = field.name
    help_text = field.help_text
    error_html = field_errors(field) if errors else ""
    return "".join(
        (
            '<div class="grid-cell',
            " grid-wide" if name in WIDE else "",
            " has-error" if errors else "",
            '">\n  <label for="',
            out(field.id_for_label),
            '">',
            REQUIRED_MARK if form_field.required and not form_field.disabled else "",
            out(field.label),
            CONFIRMED_TAG if name in confirmed else "",
            "</label>\n  ",
            _widget(field, errors),
            "\n  ",
            f'<div class="help">{out(help_text)}</div>' if help_text else "",
            "\n  ",
            error_html,
            "\n</div>\n",
        )
    )


@register.simple_tag
def grid_fields(fields: Iterable[BoundField], confirmed: Collection[str] | None = None, skip: str = "") -> SafeString:
    """The cells of ``fields`` but the one named ``skip``; ``confirmed``: the names the provider
    confirmed (marked 天眼查)."""
    marked = confirmed or ()
    cells = "".join(grid_cell(field, marked) for field in fields if field.name != skip)
    return mark_safe(cells)  # noqa: S308  # nosec B308 B703  # escaped values, rendered widgets and our own markup
