# ruff: noqa: E501 - the templates' rows as they were, line for line
"""The personnel lists' rows, written by laowu/personnel/views.py, are the markup the
templates' {% for %} loops wrote (kept here as they were), for every kind of row: a draft
(删除), a declared one, an approved one (注销, its review link), an empty list."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import pytest
from django.template import engines
from django.urls import reverse

from laowu.personnel.models import SafetyOfficer, WageManager
from laowu.review import services
from laowu.review.models import State
from tests.factories import approved_person, complete_person, make_id_number

pytestmark = pytest.mark.django_db

OWN_ROWS = """{% load laowu %}    {% for p in page.object_list %}
      <tr>{% url 'personnel:edit' kind p.pk as edit_url %}
        <td><a href="{{ edit_url }}">{{ p.name }}</a></td><td class="nowrap">{{ p.id_number|mask_id }}</td><td class="nowrap">{{ p.mobile|mask_mobile|default:"—" }}</td>
        <td>{{ p.cert_no|default:"—" }}</td>{% if has_valid_until %}<td class="nowrap">{{ p.valid_until|date:"Y-m-d"|default:"—" }}</td>{% endif %}
        <td><span class="status status-{{ p.state }}">{{ p.state_label }}</span></td>
        <td class="nowrap row-actions">
          <a href="{{ edit_url }}">{% if p.is_editable %}编辑{% else %}查看{% endif %}</a>
          {# Without JavaScript the link opens the confirmation page; with it, the same question in a dialog. #}
          {% if p.deletable %}<a class="danger-text" href="{% url 'personnel:delete' kind p.pk %}" data-dialog="删除{{ label }}">删除</a>{% endif %}
          {% if p.state == "approved" %}<form method="post" action="{% url 'personnel:deregister' kind p.pk %}" class="inline-form" data-confirm="确定注销{{ label }}“{{ p.name }}”吗？注销后记录保留备查。">{% csrf_token %}<button type="submit" class="link-button danger">注销</button></form>{% endif %}
        </td>
      </tr>
    {% empty %}<tr><td colspan="7" class="empty">暂无{{ label }}，点击“新增”登记。</td></tr>{% endfor %}
    </tbody>"""

COMMITTEE_ROWS = """{% load laowu %}    {% for p in page.object_list %}
      <tr>
        <td>{{ p.name }}</td><td class="nowrap">{{ p.id_number|mask_id }}</td><td class="nowrap">{{ p.mobile|mask_mobile|default:"—" }}</td><td>{{ p.cert_no|default:"—" }}</td>
        {% if has_valid_until %}<td class="nowrap">{{ p.valid_until|date:"Y-m-d"|default:"—" }}</td>{% endif %}
        <td><a href="{% url 'directory:enterprise_detail' p.enterprise_id %}">{{ p.enterprise.name }}</a></td>
        <td><span class="status status-{{ p.state }}">{{ p.state_label }}</span></td>
        <td>{% if p.pending_submission_id %}<a href="{% url 'review:submission' p.pending_submission_id %}">审核</a>{% elif p.approved_submission_id %}<a href="{% url 'review:submission' p.approved_submission_id %}">查看</a>{% else %}—{% endif %}</td>
      </tr>
    {% empty %}<tr><td colspan="8" class="empty">没有符合条件的{{ label }}。</td></tr>{% endfor %}
    </tbody>"""

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def rows_of(page: str) -> str:
    """The table's body from its first row to its end."""
    body = page[page.index("<tbody>") + len("<tbody>\n") :]
    return TOKEN.sub("csrf", body[: body.index("</tbody>") + len("</tbody>")])


def former_rows(template: str, response: Any) -> str:
    """The former loop over the page's rows as model instances, as the list read them before: the
    committee's rows are now named tuples of their columns (laowu/personnel/views.py)."""
    context = response.context
    page = context["page"]
    model = context["model"]
    by_id = model.objects.select_related("enterprise").in_bulk([row.pk for row in page.object_list])
    instances = SimpleNamespace(object_list=[by_id[row.pk] for row in page.object_list])
    rendered = (
        engines["django"]
        .from_string(template)
        .render(
            {
                "page": instances,
                "kind": context["kind"],
                "label": context["label"],
                "has_valid_until": context["has_valid_until"],
            },
            response.wsgi_request,
        )
    )
    return TOKEN.sub("csrf", rendered)


@pytest.mark.parametrize("model", [SafetyOfficer, WageManager])
def test_rows_are_the_templates_former_markup(
    model: Any, filing_in_state: Any, as_user: Any, enterprise_a: Any, reviewer: Any
) -> None:
    kind = model.ROLE_URL
    own = as_user(enterprise_a)
    committee = as_user(reviewer)
    empty_own = own.get(reverse("personnel:list", args=[kind]))
    empty_committee = committee.get(reverse("personnel:committee_list", args=[kind]))
    assert rows_of(empty_own.content.decode()) == former_rows(OWN_ROWS, empty_own)
    assert rows_of(empty_committee.content.decode()) == former_rows(COMMITTEE_ROWS, empty_committee)

    filing_in_state(State.APPROVED)
    # A name to escape, in a cell, a link and a confirmation's attribute.
    complete_person(model, enterprise_a, id_number=make_id_number(), name='<王&"五">')
    declared = complete_person(model, enterprise_a, id_number=make_id_number(), name="赵六")
    services.declare(filing=declared, actor=enterprise_a)
    approved_person(model, enterprise_a, reviewer, id_number=make_id_number(), name="李四")
    no_cert = complete_person(model, enterprise_a, id_number=make_id_number(), name="钱七")
    model.objects.filter(pk=no_cert.pk).update(cert_no="", mobile="")
    if model is SafetyOfficer:
        model.objects.filter(pk=no_cert.pk).update(valid_until=None)

    for client, name, template in (
        (own, "personnel:list", OWN_ROWS),
        (committee, "personnel:committee_list", COMMITTEE_ROWS),
    ):
        response = client.get(reverse(name, args=[kind]))
        page = response.content.decode()
        assert rows_of(page) == former_rows(template, response)
        assert "&lt;王&amp;&quot;五&quot;&gt;" in page and '<王&"五">' not in page
    own_page = own.get(reverse("personnel:list", args=[kind])).content.decode()
    assert own_page.count("注销</button>") == 1 and own_page.count('class="danger-text"') == 2
    committee_page = committee.get(reverse("personnel:committee_list", args=[kind])).content.decode()
    assert ">审核</a>" in committee_page and ">查看</a>" in committee_page
    # The former rows came out of the same rows read as instances: every row's cells are there.
    assert committee_page.count("**********") == 4 and committee_page.count("<tr>") == 5
    assert all(f">{label}</span>" in committee_page for label in ("草稿", "已申报", "已通过"))
