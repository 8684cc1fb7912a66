# ruff: noqa: E501 - the template's rows as they were, line for line
"""The review queue's rows, written by laowu/review/views.py, are the markup the template's
{% for %} loop wrote (kept here as it was): pending (审核 for a reviewer, 查看 for a
supervisor), approved, a name to escape, an empty queue."""

from __future__ import annotations

from typing import Any

import pytest
from django.template import engines
from django.urls import reverse

from laowu.enterprises.models import Enterprise
from laowu.review.models import State, Submission
from tests.conftest import basic_info_in_state
from tests.factories import EnterpriseUserFactory

pytestmark = pytest.mark.django_db

FORMER_ROWS = """    {% for s in page.object_list %}
      <tr>{% url 'review:submission' s.pk as submission_url %}<td>{{ s.snapshot_label|default_if_none:"" }}</td><td><a href="{{ submission_url }}">{{ s.title }}</a></td><td>{{ s.enterprise.name }}</td>
      <td>第{{ s.revision }}版</td><td class="nowrap">{{ s.declared_at|date:"Y-m-d H:i" }}</td>
      <td><span class="status status-sub-{{ s.status }}">{{ s.get_status_display }}</span></td>
      <td><a href="{{ submission_url }}">{% if s.status == "pending" and user.role == "reviewer" %}审核{% else %}查看{% endif %}</a></td></tr>
    {% empty %}<tr><td colspan="7" class="empty">没有符合条件的申报。</td></tr>{% endfor %}
    </tbody>"""


def rows_of(page: str) -> str:
    body = page[page.index("<tbody>") + len("<tbody>\n") :]
    return body[: body.index("</tbody>") + len("</tbody>")]


def test_rows_are_the_templates_former_markup(as_user: Any, reviewer: Any, supervisor: Any) -> None:
    owners = [EnterpriseUserFactory() for _ in range(3)]
    Enterprise.objects.filter(pk=owners[0].enterprise_id).update(name='<建&"筑">有限公司')
    basic_info_in_state(State.DECLARED, owner=owners[0], reviewer=reviewer)
    basic_info_in_state(State.DECLARED, owner=owners[1], reviewer=reviewer)
    basic_info_in_state(State.APPROVED, owner=owners[2], reviewer=reviewer)
    Submission.objects.filter(enterprise_id=owners[1].enterprise_id).update(title='<申\'报&"表">')
    for user in (reviewer, supervisor):
        client = as_user(user)
        for params in ({}, {"status": "approved"}, {"status": ""}, {"q": "没有这家企业"}):
            response = client.get(reverse("review:queue"), params)
            page = response.content.decode()
            expected = (
                engines["django"]
                .from_string(FORMER_ROWS)
                .render({"page": response.context["page"]}, response.wsgi_request)
            )
            assert rows_of(page) == expected, (user.role, params)
    reviewer_page = as_user(reviewer).get(reverse("review:queue")).content.decode()
    assert reviewer_page.count(">审核</a>") == 2 and "&lt;建&amp;&quot;筑&quot;&gt;有限公司" in reviewer_page
    assert "&lt;申&#x27;报&amp;&quot;表&quot;&gt;" in reviewer_page and "<申'报" not in reviewer_page
    assert ">审核</a>" not in as_user(supervisor).get(reverse("review:queue")).content.decode()
