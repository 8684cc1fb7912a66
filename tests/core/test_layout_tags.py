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


KEPT = "{% load layout %}{% kept %}" + TAGS.removeprefix("{% load layout %}") + "{% endkept %}"


def test_kept_markup_is_the_markup_and_follows_what_it_depends_on() -> None:
    """`{% kept %}` renders its content once per URL configuration and prefix; a setting changed
    (a test's override_settings) forgets what it kept."""
    assert render(KEPT) == render(DJANGO)
    kept = engines["django"].from_string(KEPT)
    assert kept.render({}) == render(DJANGO)
    with override_settings(STATIC_URL="/elsewhere/"):
        assert kept.render({}) == render(DJANGO)
        assert kept.render({}).startswith("/elsewhere/laowu/laowu.css")
    assert kept.render({}) == render(DJANGO)
    from django.urls import set_script_prefix

    try:
        set_script_prefix("/laowu/")
        assert kept.render({}) == render(DJANGO)
        assert kept.render({}).endswith(" /laowu/help/")
    finally:
        set_script_prefix("/")
    assert kept.render({}) == render(DJANGO)
