# ruff: noqa: E501 - the template's rows as they were, line for line
"""The review queue's rows, written by laowu/review/views.py, are the markup the template's
{% for %} loop wrote (kept here as it was): pending (审核 for a reviewer, 查看 for a
supervisor), approved, a name to escape, an empty queue."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.db.models.fields.json import KT
from django.template import engines
from django.urls import reverse

from laowu.core import fragments
from laowu.enterprises.models import Enterprise
from laowu.review.forms import QueueFilterForm
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
            # The former loop over the same rows read as instances (the view reads named tuples).
            rows = response.context["page"].object_list
            by_id = (
                Submission.objects.select_related("enterprise")
                .annotate(snapshot_label=KT("snapshot__label"))
                .in_bulk([row.pk for row in rows])
            )
            expected = (
                engines["django"]
                .from_string(FORMER_ROWS)
                .render({"page": SimpleNamespace(object_list=[by_id[row.pk] for row in rows])}, response.wsgi_request)
            )
            assert rows_of(page) == expected, (user.role, params)
    reviewer_page = as_user(reviewer).get(reverse("review:queue")).content.decode()
    assert reviewer_page.count(">审核</a>") == 2 and "&lt;建&amp;&quot;筑&quot;&gt;有限公司" in reviewer_page
    assert "&lt;申&#x27;报&amp;&quot;表&quot;&gt;" in reviewer_page and "<申'报" not in reviewer_page
    assert ">审核</a>" not in as_user(supervisor).get(reverse("review:queue")).content.decode()


FORMER_FIELDS = """{% for field in form %}<span class="search-field{% if field.errors %} has-error{% endif %}"><label for="{{ field.id_for_label }}">{{ field.label }}</label>{{ field }}{% for e in field.errors %}<span class="error">{{ e }}</span>{% endfor %}</span>{% endfor %}"""


def fields_of(page: str) -> str:
    body = page[page.index('<form method="get" class="search-bar" novalidate>') :]
    return body[: body.index('<button type="submit"')]


def test_the_filter_fields_are_the_templates_former_markup(
    as_user: Any, reviewer: Any, supervisor: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from laowu.review import views

    monkeypatch.setattr(views, "_unbound_filters", {})
    rendered: list[str] = []
    real = fragments.render_to_string
    monkeypatch.setattr(fragments, "render_to_string", lambda *a, **k: rendered.append(a[0]) or real(*a, **k))
    unbound = (
        engines["django"].from_string(FORMER_FIELDS).render({"form": QueueFilterForm(initial={"status": "pending"})})
    )
    for params in ({"status": "approved", "q": "<某&企业>"}, {"date_from": "2026-03-02", "date_to": "2026-03-01"}):
        response = as_user(reviewer).get(reverse("review:queue"), params)
        form = QueueFilterForm(params, initial={"status": "pending"})
        expected = engines["django"].from_string(FORMER_FIELDS).render({"form": form})
        assert expected in fields_of(response.content.decode()) and unbound not in fields_of(response.content.decode())
    assert "&lt;某&amp;企业&gt;" in fields_of(
        as_user(reviewer).get(reverse("review:queue"), {"q": "<某&企业>"}).content.decode()
    )
    # The plain page, after the bound ones and for either role: the unbound fields, rendered once.
    rendered.clear()
    for user in (reviewer, supervisor, reviewer):
        assert fields_of(as_user(user).get(reverse("review:queue")).content.decode()).endswith(f"\n    {unbound}\n    ")
    assert rendered.count(views.QUEUE_FILTERS_TEMPLATE) == 1
    assert "截止日期不能早于起始日期" not in unbound and 'value="pending" selected' in unbound
