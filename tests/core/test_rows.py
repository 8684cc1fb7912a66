"""laowu/core/rows.py's `esc` writes what Django's `conditional_escape` writes, for every kind
of value a row writer hands it; `ymd` and `csrf_input` write what `|date:"Y-m-d"` and
`{% csrf_token %}` write."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.middleware.csrf import _unmask_cipher_token, get_token
from django.template import engines
from django.test import RequestFactory
from django.utils.functional import lazy
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from laowu.core.rows import csrf_input, esc, ymd, ymd_hm
from laowu.review.models import State

lazy_str = lazy(lambda text: text, str)

VALUES: list[Any] = [
    "",
    "plain",
    "中文名称",
    "<script>alert('x')</script>",
    "a \"quoted\" & 'single' value",
    "&amp; already escaped",
    "&#x27;",
    "\u00a0\u3000\t\n",
    "`backtick` =equals=",
    None,
    0,
    -12,
    10**20,
    True,
    Decimal("1280.5000"),
    dt.date(2026, 3, 1),
    mark_safe("<b>safe</b> & kept"),
    format_html("<i>{}</i>", "<x>"),
    State.APPROVED,
    State.APPROVED.label,
    gettext_lazy("<lazy & 'text'>"),
    lazy_str('<made "lazy">'),
    lazy_str(mark_safe("<b>lazy safe</b>")),
]


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_esc_is_djangos_conditional_escape(value: Any) -> None:
    assert esc(value) == str(conditional_escape(value))


# A template localizes dates and numbers first; the row writers format those themselves (ymd, format_amount).
@pytest.mark.parametrize("value", [v for v in VALUES if not isinstance(v, (dt.date, Decimal))], ids=repr)
def test_esc_is_what_a_template_writes_for_a_value(value: Any) -> None:
    assert esc(value) == engines["django"].from_string("{{ v }}").render({"v": value})


def test_ymd_is_the_date_filter() -> None:
    template = engines["django"].from_string('{{ v|date:"Y-m-d" }}')
    for value in (dt.date(2026, 3, 1), dt.date(999, 1, 2), dt.date(2026, 12, 31), None):
        assert ymd(value) == template.render({"v": value})


def test_ymd_hm_is_the_date_filter_in_local_time(settings: Any) -> None:
    template = engines["django"].from_string('{{ v|date:"Y-m-d H:i" }}')
    values = (
        dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC),  # the next day in Asia/Shanghai
        dt.datetime(2026, 12, 31, 16, 5, 59, tzinfo=dt.UTC),
        dt.datetime(2026, 1, 2, 3, 4, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
        None,
    )
    for value in values:
        assert ymd_hm(value) == template.render({"v": value})
    settings.TIME_ZONE = "UTC"
    assert ymd_hm(values[0]) == template.render({"v": values[0]}) == "2026-03-01 23:30"


def test_csrf_input_is_the_csrf_token_tag() -> None:
    request = RequestFactory().get("/")
    rendered = engines["django"].from_string("{% csrf_token %}").render({}, request)
    written = csrf_input(request)
    # Each writing masks the request's secret anew: the same field, a token for the same secret.
    field = re.compile(r'^<input type="hidden" name="csrfmiddlewaretoken" value="([A-Za-z0-9]{64})">$')
    first, second = field.fullmatch(written), field.fullmatch(rendered)
    assert first and second
    secret = _unmask_cipher_token(get_token(request))
    assert _unmask_cipher_token(first[1]) == _unmask_cipher_token(second[1]) == secret
