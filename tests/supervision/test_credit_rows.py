# ruff: noqa: E501 - the template's rows as they were, line for line
"""The credit list's rows, written by laowu/supervision/views/credit.py, are the markup the
template's {% for %} loop wrote (kept here as it was): deductions, additions, none, a name to
escape, a filtered (scored segments) page and an empty one."""

from __future__ import annotations

from typing import Any

import pytest
from django.template import engines
from django.urls import reverse

from laowu.accounts.models import District
from laowu.core import fragments
from laowu.enterprises.models import Enterprise
from tests.factories import EnterpriseFactory
from tests.supervision.test_credit_views import scored, today  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db

FORMER_ROWS = """    {% for e, s in rows %}
      <tr>
        <td><a href="{% url 'supervision:credit_detail' e.pk %}">{{ e.name }}</a></td>
        <td class="nowrap">{{ e.credit_code }}</td>
        <td class="nowrap">{{ e.district }}</td>
        <td class="num"><strong>{{ s.score }}</strong></td>
        <td class="nowrap"><span class="credit-badge credit-grade-{{ s.grade }}">{{ s.grade_label }}</span></td>
        <td class="num">{% if s.deductions %}<span class="credit-minus">−{{ s.deductions }}</span>{% else %}0{% endif %}</td>
        <td class="num">{% if s.additions %}<span class="credit-plus">+{{ s.additions }}</span>{% else %}0{% endif %}</td>
        <td class="nowrap"><a href="{% url 'supervision:credit_detail' e.pk %}">明细</a></td>
      </tr>
    {% empty %}<tr><td colspan="8" class="empty">没有符合条件的企业。</td></tr>{% endfor %}
    </tbody>"""


def rows_of(page: str) -> str:
    body = page[page.index("<tbody>") + len("<tbody>\n") :]
    return body[: body.index("</tbody>") + len("</tbody>")]


def test_rows_are_the_templates_former_markup(
    as_user: Any,
    reviewer: Any,
    enterprise_a: Any,
    scored: Any,  # noqa: F811
    django_assert_max_num_queries: Any,
) -> None:
    Enterprise.objects.filter(pk=enterprise_a.enterprise.pk).update(name='<建&"筑">有限公司')
    District.objects.filter(pk=enterprise_a.enterprise.district_id).update(name="<区'&县>")
    EnterpriseFactory(name="无记录建筑有限公司")
    client = as_user(reviewer)
    client.get(reverse("supervision:credit_list"))
    with django_assert_max_num_queries(14):
        client.get(reverse("supervision:credit_list"))
    for params in ({}, {"grade": "B"}, {"order": "score"}, {"q": "没有这家企业"}):
        response = client.get(reverse("supervision:credit_list"), params)
        page = response.content.decode()
        expected = engines["django"].from_string(FORMER_ROWS).render({"rows": response.context["rows"]})
        assert rows_of(page) == expected, params
    page = client.get(reverse("supervision:credit_list")).content.decode()
    assert 'class="credit-minus">−' in page and 'class="credit-plus">+5' in page and '<td class="num">0</td>' in page
    assert "&lt;建&amp;&quot;筑&quot;&gt;有限公司" in page and '<建&"筑">' not in page
    assert "&lt;区&#x27;&amp;县&gt;" in page and "<区'&县>" not in page


@pytest.mark.parametrize("params", [{}, {"grade": "B"}, {"order": "score"}, {"order": "-score"}, {"q": "建筑"}])
def test_the_list_reads_only_the_enterprises_shown_columns(
    params: dict[str, str],
    as_user: Any,
    reviewer: Any,
    scored: Any,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.core.unseal_probe import unsealed

    EnterpriseFactory(name="无记录建筑有限公司")
    client = as_user(reviewer)
    client.get(reverse("supervision:credit_list"), params)
    with unsealed(monkeypatch) as counts, CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("supervision:credit_list"), params).content.decode()
    assert "credit-grade-" in page
    selects = [
        q["sql"] for q in queries.captured_queries if q["sql"].startswith('SELECT "enterprises_enterprise"."id"')
    ]
    assert selects
    for sql in selects:
        # The columns before the list's own FROM: page 1's count rides in the select list as a
        # subquery with a FROM of its own (laowu/core/pagination.py `_with_count`).
        select = sql.rsplit(' FROM "enterprises_enterprise"', 1)[0]
        assert '"enterprises_enterprise"."name"' in select and '"accounts_district"."name"' in select
        assert "contact_phone" not in select and "provider_data" not in select
    assert counts["enterprises.enterprise.contact_phone"] == 0, counts


FORMER_SEARCH = """{% include "supervision/credit/_search.html" %}"""


def test_the_search_bar_is_rendered_once_for_the_plain_list(
    as_user: Any, reviewer: Any, supervisor: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from laowu.supervision.forms.credit import CreditSearchForm
    from laowu.supervision.views import credit as views

    monkeypatch.setattr(views, "_plain_search", {})
    rendered: list[str] = []
    real = fragments.render_to_string
    monkeypatch.setattr(fragments, "render_to_string", lambda *a, **k: rendered.append(a[0]) or real(*a, **k))
    template = engines["django"].from_string(FORMER_SEARCH)
    plain = template.render({"form": CreditSearchForm({})})
    # A query string's values and errors first: they are never what the plain list shows after.
    for params in ({"q": "<某&企业>", "grade": "B"}, {"grade": "X", "order": "score"}):
        page = as_user(reviewer).get(reverse("supervision:credit_list"), params).content.decode()
        assert template.render({"form": CreditSearchForm(params)}) in page and plain not in page
    assert (
        "&lt;某&amp;企业&gt;"
        in as_user(reviewer).get(reverse("supervision:credit_list"), {"q": "<某&企业>"}).content.decode()
    )
    rendered.clear()
    for user in (reviewer, supervisor, reviewer):
        assert (
            f'</div>\n  {plain}\n  <p class="note">'
            in as_user(user).get(reverse("supervision:credit_list")).content.decode()
        )
    assert rendered.count(views.SEARCH_TEMPLATE) == 1
    assert 'value="B" selected' not in plain and "has-error" not in plain
