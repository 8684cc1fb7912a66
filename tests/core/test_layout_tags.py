"""The layout's cached `{% static %}` and `{% url %}` (laowu/core/templatetags/layout.py): Django's
answers, and new ones when what they depend on changes."""

from __future__ import annotations

from django.template import engines
from django.test import override_settings

TAGS = "{% load layout %}{% layout_static 'laowu/laowu.css' %} {% url 'workspace:help' %}"
DJANGO = "{% load static %}{% static 'laowu/laowu.css' %} {% url 'workspace:help' %}"


def render(text: str) -> str:
    return engines["django"].from_string(text).render({})


def test_same_as_djangos_tags() -> None:
    assert render(TAGS) == render(DJANGO)
    assert render(TAGS) == render(DJANGO)  # from the cache


def test_a_new_static_url_or_script_prefix_is_followed() -> None:
    render(TAGS)
    with override_settings(STATIC_URL="/elsewhere/"):
        assert render(TAGS) == render(DJANGO)
        assert render(TAGS).startswith("/elsewhere/laowu/laowu.css")
    from django.urls import set_script_prefix

    try:
        set_script_prefix("/laowu/")
        assert render(TAGS) == render(DJANGO)
        assert render(TAGS).endswith(" /laowu/help/")
    finally:
        set_script_prefix("/")
    assert render(TAGS) == render(DJANGO)
