"""`{% url %}` remembers its reversals (laowu/core/templatetags/urls.py): it must give exactly
what Django's tag gives, under the current URLconf and script prefix."""

from __future__ import annotations

from typing import Any

import pytest
from django.template import Context, RequestContext, Template, TemplateSyntaxError, engines
from django.test import RequestFactory, override_settings
from django.urls import NoReverseMatch, reverse, set_script_prefix

from laowu.core.templatetags import urls as url_tag

pytestmark = pytest.mark.django_db


def render(text: str, **context: Any) -> str:
    return engines["django"].from_string(text).render(context)


def test_the_project_templates_use_the_cached_tag() -> None:
    template = engines["django"].engine.get_template("supervision/credit/list.html")
    nodes = template.nodelist.get_nodes_by_type(url_tag.CachedURLNode)
    assert nodes and all(type(n) is url_tag.CachedURLNode for n in nodes)


def test_same_urls_as_reverse_and_remembered() -> None:
    url_tag._reverse.cache_clear()
    for pk in (1, 22, 333):
        expected = reverse("supervision:credit_detail", args=[pk])
        assert render("{% url 'supervision:credit_detail' pk %}", pk=pk) == expected
        assert render("{% url 'supervision:credit_detail' pk=pk %}", pk=pk) == expected
        assert render("{% url 'supervision:credit_detail' pk as u %}[{{ u }}]", pk=pk) == f"[{expected}]"
    assert render("{% url name kind %}", name="personnel:list", kind="safety") == reverse(
        "personnel:list", args=["safety"]
    )
    assert render("{% url 'personnel:list' 'wage' %}") == reverse("personnel:list", args=["wage"])
    before = url_tag._reverse.cache_info().hits
    render("{% url 'supervision:credit_detail' 22 %}{% url 'personnel:list' 'wage' %}")
    assert url_tag._reverse.cache_info().hits == before + 2


def test_failures_and_unusual_arguments_behave_as_django() -> None:
    with pytest.raises(NoReverseMatch):
        render("{% url 'supervision:credit_detail' 'x' %}")
    assert render("{% url 'supervision:credit_detail' 'x' as u %}[{{ u }}]") == "[]"
    with pytest.raises(TemplateSyntaxError):
        Template("{% url %}")
    # A boolean reverses to "True": it must not share the remembered URL of 1.
    with pytest.raises(NoReverseMatch):
        render("{% url 'supervision:credit_detail' flag %}", flag=True)
    assert render("{% url 'supervision:credit_detail' 1 %}") == reverse("supervision:credit_detail", args=[1])


def test_the_script_prefix_and_the_urlconf_are_part_of_the_key() -> None:
    template = engines["django"].from_string("{% url 'supervision:credit_detail' 7 %}")
    plain = reverse("supervision:credit_detail", args=[7])
    try:
        set_script_prefix("/laowu/")
        request = RequestFactory().get("/")
        assert template.render({}, request) == "/laowu" + plain
        assert Template("{% url 'supervision:credit_detail' 7 %}").render(Context()) == "/laowu" + plain
    finally:
        set_script_prefix("/")
    assert template.render({}, RequestFactory().get("/")) == plain
    with override_settings(ROOT_URLCONF="laowu.core.urls"), pytest.raises(NoReverseMatch):
        template.render({})
    assert template.render({}) == plain
    assert (
        Template("{% url 'supervision:credit_detail' 7 %}").render(RequestContext(RequestFactory().get("/"))) == plain
    )
