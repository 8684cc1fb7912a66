"""`{% grid_fields %}`: a filing form's fields in the grid of the owner pages (基本信息归集,
人员信息, 项目信息), one cell per field.

Each cell was a template include per field (enterprises/_grid_field.html): the include, its
context and its tags cost more than the widget inside it. The cell is built here instead, the
same markup byte for byte (tests/enterprises/test_grid_fields.py renders the project's three
forms both ways, with values, errors and read-only fields); its widget still goes through the
form renderer (laowu/core/form_renderer.py).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from django import template
from django.forms import BoundField
from django.utils.safestring import SafeString, mark_safe

from laowu.core.form_renderer import field_errors
from laowu.core.form_renderer import template_value as out

register = template.Library()

# Cells that take the grid's whole width: the long texts.
WIDE = frozenset({"business_scope", "registered_address", "office_address"})
# Beside the label of a field the provider confirmed (`BasicInfo.provider_fields`).
CONFIRMED_TAG = '<span class="source-tag" title="天眼查核验">天眼查</span>'
REQUIRED_MARK = '<span class="req">*</span>'


def grid_cell(field: BoundField, confirmed: Collection[str] = ()) -> str:
    """One field's cell: label (with the required mark and the provider's tag), widget, help
    text and each error, on the lines the template had."""
    errors = field.errors
    form_field = field.field
    name = field.name
    help_text = field.help_text
    error_html = field_errors(field)
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
            out(field),
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
