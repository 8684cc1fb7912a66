"""Helpers of the list rows views write in Python instead of a template's {% for %}.

A row written with `format_html` spends most of its time in Django's escaping wrappers, not in
the markup: `conditional_escape` calls `escape`, which `keep_lazy` wraps in a check of every
argument for a lazy string. A row writer escapes a dozen plain strings and ints per row, so it
joins f-strings of `esc()` values instead; `esc` gives the bytes `conditional_escape` gives
(tests/core/test_rows.py compares them), and hands lazy strings to Django itself.
"""

from __future__ import annotations

import html
from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from django.utils.functional import Promise
from django.utils.html import conditional_escape
from django.utils.timezone import template_localtime

from laowu.core.csrf import request_token
from laowu.core.templatetags.urls import cached_reverse


def esc(value: Any) -> str:
    """`conditional_escape(value)` as text: markup already safe (`__html__`) is kept, anything
    else is escaped as Django escapes it (`html.escape`, so ' becomes &#x27;)."""
    if isinstance(value, Promise):
        return str(conditional_escape(value))
    to_html = getattr(value, "__html__", None)
    if to_html is not None:
        return str(to_html())
    return html.escape(str(value))


def ymd(value: date | None) -> str:
    """`|date:"Y-m-d"`: a date's ISO form, nothing for none."""
    return value.isoformat() if value else ""


def ymd_hm(value: datetime | None) -> str:
    """`|date:"Y-m-d H:i"`: in the current time zone, as a template shows an aware time."""
    return template_localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def md(value: datetime | None) -> str:
    """`|date:"m-d"`: month and day in the current time zone, as a template shows an aware time."""
    return template_localtime(value).strftime("%m-%d") if value else ""


def row_url(request: HttpRequest, name: str, *args: Any) -> str:
    """`{% url %}` as the templates reverse it (laowu/core/templatetags/urls.py), escaped as the
    tag's output is."""
    match = request.resolver_match
    return esc(cached_reverse(name, list(args), {}, match.namespace if match else None, request))


def csrf_input(request: HttpRequest) -> str:
    """What `{% csrf_token %}` writes: the request's token in a hidden field (the one the
    layout's logout form shows too, laowu/core/csrf.py)."""
    return f'<input type="hidden" name="csrfmiddlewaretoken" value="{esc(request_token(request))}">'
