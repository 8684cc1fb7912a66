"""`{% static %}` and `{% url %}` for the layout's fixed links (laowu/templates/base.html), which
every page renders: the same answers, worked out once per process instead of on every page.

A static file's URL depends only on the storage (its manifest is read once per process) and
STATIC_URL; a named URL without arguments only on the URL configuration and script prefix.
Those are the cache keys, so a test that changes them still gets the right answer. For
links with arguments or per-page values, use Django's own tags.
"""

from __future__ import annotations

import functools

from django import template
from django.conf import settings
from django.templatetags.static import static
from django.urls import get_script_prefix, get_urlconf, reverse

register = template.Library()


@register.simple_tag
def layout_static(path: str) -> str:
    return _static(path, settings.STATIC_URL, repr(settings.STORAGES.get("staticfiles")))


@functools.lru_cache(maxsize=64)
def _static(path: str, static_url: str | None, storage: str) -> str:
    del static_url, storage  # part of the key only
    return static(path)


@register.simple_tag
def layout_url(name: str) -> str:
    return _url(name, get_script_prefix(), get_urlconf())


@functools.lru_cache(maxsize=64)
def _url(name: str, prefix: str, urlconf: str | None) -> str:
    del prefix  # part of the key only: reverse() reads it itself
    return reverse(name, urlconf=urlconf)
