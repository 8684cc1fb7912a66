"""`{% static %}` for the layout's fixed links (laowu/templates/base.html), which every page
renders: the same answers, worked out once per process instead of on every page. (Its fixed
`{% url %}`s are remembered by the project's `url` tag, laowu/core/templatetags/urls.py.)

A static file's URL depends only on the storage (its manifest is read once per process) and
STATIC_URL: those are the cache keys, so a test that changes them still gets the right answer. For
links with arguments or per-page values, use Django's own tags.
"""

from __future__ import annotations

import functools

from django import template
from django.conf import settings
from django.templatetags.static import static

register = template.Library()


@register.simple_tag
def layout_static(path: str) -> str:
    return _static(path, settings.STATIC_URL, repr(settings.STORAGES.get("staticfiles")))


@functools.lru_cache(maxsize=64)
def _static(path: str, static_url: str | None, storage: str) -> str:
    del static_url, storage  # part of the key only
    return static(path)
