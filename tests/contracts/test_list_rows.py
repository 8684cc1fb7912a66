# ruff: noqa: E501 - the templates' rows as they were, line for line
"""The project lists' rows, written by laowu/contracts/views.py, are the markup the templates'
{% for %} loops wrote (kept here as they were; the enterprise's own list's in
tests/contracts/test_own_list_bytes.py), for every kind of row: a draft (删除), a
change under way (打印PDF, no 删除), a declared one (审核), an approved one (查看), values to
escape, an empty list; and the picker's rows, with and without a filing to choose for."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.template import engines
from django.urls import reverse

from laowu.contracts.models import ProjectFiling
from laowu.contracts.services import select_contract
from laowu.review import services
from laowu.review.models import State
from tests.factories import CatalogueFactory, approved_project

pytestmark = pytest.mark.django_db

COMMITTEE_ROWS = """{% load laowu %}    {% for f in page.object_list %}
      <tr><td>{{ f.project_name }}</td><td>{{ f.contract_no }}</td><td><a href="{% url 'directory:enterprise_detail' f.enterprise_id %}">{{ f.enterprise.name }}</a></td>
      <td class="nowrap">{{ f.signed_date|date:"Y-m-d" }}</td><td>{{ f.amount|amount }}</td><td><span class="status status-{{ f.state }}">{{ f.state_label }}</span></td>
      <td>{% if f.pending_submission_id %}<a href="{% url 'review:submission' f.pending_submission_id %}">审核</a>{% elif f.approved_submission_id %}<a href="{% url 'review:submission' f.approved_submission_id %}">查看</a>{% else %}—{% endif %}</td></tr>
    {% empty %}<tr><td colspan="7" class="empty">没有符合条件的项目信息。</td></tr>{% endfor %}
    </tbody>"""

PICKER_ROWS = """{% load laowu workspace_steps %}  {% for c in page.object_list %}
    <tr><td>{{ c.project_code }}</td><td>{{ c.project_name }}</td><td>{{ c.contract_no }}</td><td>{{ c.builder }}</td><td class="nowrap">{{ c.signed_date|date:"Y-m-d" }}</td><td>{{ c.amount|amount }}</td>
    <td><form method="post" action="{% url 'contracts:select' %}" class="inline-form">{% csrf_token %}<input type="hidden" name="catalogue" value="{{ c.pk }}">{% if filing_id %}<input type="hidden" name="filing" value="{{ filing_id }}">{% endif %}<button type="submit" class="btn btn-primary btn-small">选择</button></form></td></tr>
  {% empty %}<tr><td colspan="7" class="empty">{% if q %}没有符合条件的合同。{% else %}没有可选择的合同。省合同归集系统中劳务分包单位为本企业、且尚未申报的合同才会出现在这里。{% step_gates "picker" %}{% endif %}</td></tr>{% endfor %}
  </tbody>"""

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
TRICKY = '<王&"五">\'s'


def rows_of(page: str) -> str:
    """The table's body from its first row to its end."""
    body = page[page.index("<tbody>") + len("<tbody>\n") :]
    return TOKEN.sub("csrf", body[: body.index("</tbody>") + len("</tbody>")])


def former_rows(template: str, response: Any) -> str:
    context = {key: response.context[key] for key in ("page", "q", "filing_id") if key in response.context}
    rendered = engines["django"].from_string(template).render(context, response.wsgi_request)
    return TOKEN.sub("csrf", rendered)


def test_rows_are_the_templates_former_markup(as_user: Any, enterprise_a: Any, reviewer: Any) -> None:
    own = as_user(enterprise_a)
    committee = as_user(reviewer)
    empty_committee = committee.get(reverse("contracts:committee_list"))
    assert rows_of(empty_committee.content.decode()) == former_rows(COMMITTEE_ROWS, empty_committee)

    approved = approved_project(enterprise_a, reviewer, project_name=TRICKY, contract_no="A&B-'1'")
    # An empty value, as an imported row may hold, though the form requires one.
    ProjectFiling.objects.filter(pk=approved.pk).update(builder="")
    changing = approved_project(enterprise_a, reviewer, amount="356.0000")
    services.start_change(filing=changing, actor=enterprise_a)
    declared = approved_project(enterprise_a, reviewer, amount="0.1234")
    services.declare(filing=services.start_change(filing=declared, actor=enterprise_a), actor=enterprise_a)
    enterprise = enterprise_a.enterprise
    draft = select_contract(
        enterprise=enterprise,
        catalogue_id=CatalogueFactory(
            subcontractor=enterprise.name, subcontractor_credit_code=enterprise.credit_code, project_name="一期\"'"
        ).pk,
        actor=enterprise_a,
    )
    rejected = select_contract(
        enterprise=enterprise,
        catalogue_id=CatalogueFactory(
            subcontractor=enterprise.name, subcontractor_credit_code=enterprise.credit_code
        ).pk,
        actor=enterprise_a,
    )
    ProjectFiling.objects.filter(pk=rejected.pk).update(state=State.REJECTED)
    type(enterprise).objects.filter(pk=enterprise.pk).update(name="<苏州&“劳务”'公司'>")

    # The enterprise's own rows, read as tuples, are compared with their former loop by
    # tests/contracts/test_own_list_bytes.py.
    for client, name in ((own, "contracts:list"), (committee, "contracts:committee_list")):
        response = client.get(reverse(name))
        page = response.content.decode()
        if client is committee:
            assert rows_of(page) == former_rows(COMMITTEE_ROWS, response)
        assert "&lt;王&amp;&quot;五&quot;&gt;&#x27;s" in page and TRICKY not in page
    own_page = own.get(reverse("contracts:list")).content.decode()
    assert own_page.count("删除</button>") == 2 and own_page.count("打印PDF") == 3
    assert reverse("contracts:delete", args=[draft.pk]) in own_page
    committee_page = committee.get(reverse("contracts:committee_list")).content.decode()
    assert committee_page.count(">审核</a>") == 1 and committee_page.count(">查看</a>") == 2
    assert reverse("review:submission", args=[approved.approved_submission_id]) in committee_page


@pytest.mark.parametrize("partial", ["1", ""])
def test_picker_rows_are_the_templates_former_markup(partial: str, as_user: Any, enterprise_a: Any) -> None:
    client = as_user(enterprise_a)
    url = reverse("contracts:picker")
    for query in ({}, {"q": "无此合同"}):
        response = client.get(url, {**query, "partial": partial})
        assert rows_of(response.content.decode()) == former_rows(PICKER_ROWS, response)

    enterprise = enterprise_a.enterprise
    mine = {"subcontractor": enterprise.name, "subcontractor_credit_code": enterprise.credit_code}
    tricky = CatalogueFactory(**mine, project_name=TRICKY, project_code="A&B", amount="12.5000")
    type(tricky).objects.filter(pk=tricky.pk).update(builder="")
    CatalogueFactory(**mine, contract_no="\"'<>&")
    CatalogueFactory(**mine, amount="0")
    # The whole page links 返回 to the filing: only the fragment takes any text for it.
    odd_filing = '"><b>x' if partial else "8"
    for query in ({}, {"q": "王&"}, {"filing": odd_filing}, {"q": "无此合同", "filing": "7"}):
        response = client.get(url, {**query, "partial": partial})
        page = response.content.decode()
        assert rows_of(page) == former_rows(PICKER_ROWS, response)
        assert TRICKY not in page and "<b>x" not in page
    page = client.get(url, {"partial": partial, "filing": "7"}).content.decode()
    assert page.count('name="filing" value="7"') == 4 and page.count("选择</button>") == 3
