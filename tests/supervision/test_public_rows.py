# ruff: noqa: E501 - the template's rows as they were, line for line
"""The 不良行为公示 rows, written by laowu/supervision/views/bad_behaviour.py, are the markup the
template's {% for %} loop wrote (kept here as it was): a person's masked name and none, every
grade, texts to escape, a second page, a search, a filter, and both empty lists."""

from __future__ import annotations

from typing import Any

import pytest
from django.template import engines
from django.test import Client
from django.urls import reverse

from laowu.core import fragments
from laowu.enterprises.models import Enterprise
from laowu.supervision.forms.bad_behaviour import PublicSearchForm
from tests.factories import make_id_number
from tests.supervision.test_bad_behaviour import START, at, make_record

pytestmark = pytest.mark.django_db

FORMER_ROWS = """{% load laowu %}      {% for r in page.object_list %}
        <tr>
          <td>{{ r.enterprise.name }}</td>
          <td class="nowrap">{{ r.enterprise.credit_code }}</td>
          <td class="nowrap">{% if r.person_name %}{{ r.person_name|mask_name }}{% else %}—{% endif %}</td>
          <td class="nowrap"><span class="bb-grade bb-grade-{{ r.grade }}">{{ r.get_grade_display }}</span></td>
          <td>{{ r.get_category_display }}</td>
          <td>{{ r.decision_no }}</td>
          <td class="nowrap">{{ r.publicity_start|date:"Y-m-d" }}<br>至 {{ r.publicity_end|date:"Y-m-d" }}</td>
          <td class="nowrap"><a href="{% url 'supervision:public_bad_behaviour_detail' r.pk %}">查看</a></td>
        </tr>
      {% empty %}<tr><td colspan="8" class="empty">{% if form.is_bound %}没有符合条件的公示记录。{% else %}当前没有正在公示的不良行为记录。{% endif %}</td></tr>{% endfor %}
      </tbody>"""


def rows_of(page: str) -> str:
    body = page[page.index("<tbody>") + len("<tbody>\n") :]
    return body[: body.index("</tbody>") + len("</tbody>")]


def former_rows(response: Any, params: dict[str, str]) -> str:
    """The former loop over the page the view read, with the form as the view bound it."""
    form = PublicSearchForm(params or None)
    return engines["django"].from_string(FORMER_ROWS).render({"page": response.context["page"], "form": form})


def test_public_rows_are_the_templates_former_markup(reviewer: Any, enterprise_a: Any, enterprise_b: Any) -> None:
    url = reverse("supervision:public_bad_behaviour")
    with at(START):
        client = Client()
        # Nothing in publicity yet: the plain list's empty row, and a search's.
        for params in ({}, {"q": "建筑"}):
            response = client.get(url, params)
            assert rows_of(response.content.decode()) == former_rows(response, params), params
        Enterprise.objects.filter(pk=enterprise_a.enterprise.pk).update(
            name="<建&\"筑'>有限公司", credit_code="<91&'\">"
        )
        for n, (grade, category, person) in enumerate(
            [
                ("A", "wage_arrears", ""),
                ("B", "real_name", "张三丰"),
                ("C", "other", "李<&'\">"),
                ("A", "certificate", "王"),
                ("B", "wage_arrears", "欧阳"),
            ]
            * 4
        ):
            make_record(
                reviewer,
                enterprise_a if n % 2 else enterprise_b,
                publish=True,
                grade=grade,
                category=category,
                person_name=person,
                person_id_number=make_id_number() if person else "",
                decision_no=f"相劳专〔2026〕<{n}>&'\"号",
            )
        pages = 0
        for params in (
            {},
            {"page": "2"},
            {"grade": "C"},
            {"category": "wage_arrears"},
            {"q": enterprise_b.enterprise.name},
            {"q": "没有这家企业"},
            {"grade": "X"},
        ):
            response = client.get(url, params)
            page = response.content.decode()
            assert rows_of(page) == former_rows(response, params), params
            pages += "<tr>\n" in rows_of(page)
        assert pages == 6
    with at(START):
        shown = client.get(url).content.decode()
    # Escaped, and the names masked before they are escaped.
    assert "&lt;建&amp;&quot;筑&#x27;&gt;有限公司" in shown and '<建&"筑' not in shown
    assert "&lt;91&amp;&#x27;&quot;&gt;" in shown and "〔2026〕&lt;19&gt;&amp;&#x27;&quot;号" in shown
    assert "李****&gt;" in shown and "张*丰" in shown and "欧*" in shown and "张三丰" not in shown


def test_the_public_list_opens_no_sealed_value(
    reviewer: Any, enterprise_a: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page shows a person's masked name only: neither the record's sealed ID number nor the
    enterprise's sealed phone is read, let alone opened."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.core.unseal_probe import unsealed

    with at(START):
        make_record(reviewer, enterprise_a, publish=True, person_name="张三丰", person_id_number=make_id_number())
        client = Client()
        client.get(reverse("supervision:public_bad_behaviour"))
        for params in ({}, {"q": enterprise_a.enterprise.name}):
            with unsealed(monkeypatch) as counts, CaptureQueriesContext(connection) as queries:
                page = client.get(reverse("supervision:public_bad_behaviour"), params).content.decode()
            assert "张*丰" in page
            assert not counts, counts
            for query in queries.captured_queries:
                assert "person_id_number" not in query["sql"] and "contact_phone" not in query["sql"], query["sql"]


FORMER_SEARCH = """{% for field in form %}<span class="search-field{% if field.errors %} has-error{% endif %}"><label for="{{ field.id_for_label }}">{{ field.label }}</label>{{ field }}{% for e in field.errors %}<span class="error">{{ e }}</span>{% endfor %}</span>{% endfor %}"""


def test_the_public_search_fields_are_the_former_markup_and_rendered_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from laowu.supervision.views import bad_behaviour as views

    monkeypatch.setattr(views, "_plain_public_search", {})
    rendered: list[str] = []
    real = fragments.render_to_string
    monkeypatch.setattr(fragments, "render_to_string", lambda *a, **k: rendered.append(a[0]) or real(*a, **k))
    template = engines["django"].from_string(FORMER_SEARCH)
    url = reverse("supervision:public_bad_behaviour")

    def bar(fields: str) -> str:
        return f'<form method="get" class="search-bar" novalidate>\n      {fields}\n      <button type="submit"'

    plain = template.render({"form": PublicSearchForm(None)})
    # A query string's values and errors first: they are never what the plain page shows after.
    for params in ({"q": "<某&'\"企业>", "grade": "B"}, {"grade": "X", "category": "nope"}, {"page": "2"}):
        page = Client().get(url, params).content.decode()
        assert bar(template.render({"form": PublicSearchForm(params)})) in page, params
    assert "&lt;某&amp;&#x27;&quot;企业&gt;" in Client().get(url, {"q": "<某&'\"企业>"}).content.decode()
    assert "has-error" in Client().get(url, {"grade": "X"}).content.decode()
    rendered.clear()
    for _ in range(3):
        assert bar(plain) in Client().get(url).content.decode()
    assert rendered.count(views.PUBLIC_SEARCH_TEMPLATE) == 1
    assert 'value="B" selected' not in plain and "has-error" not in plain and 'name="q"' in plain
