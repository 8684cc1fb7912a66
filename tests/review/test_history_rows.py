# ruff: noqa: E501 - the template's loop as it was, line for line
"""The 申报记录 rows, written by {% history_rows %} (laowu/review/templatetags/history.py), are
the markup the template's {% for %} loop wrote (kept here as it was): pending, rejected with a
reason that needs escaping, approved, a user shown by display name or username, and no rows;
read as the owner's page reads them and as the reviewer's page does; and pages as served."""

from __future__ import annotations

from typing import Any

import pytest
from django.template import engines
from django.test import RequestFactory
from django.urls import reverse

from laowu.review import services as workflow
from laowu.review.selectors import filing_history, history
from tests.factories import complete_basic_info

pytestmark = pytest.mark.django_db

FORMER_ROWS = """{% for s in history %}
    <tr><td>第{{ s.revision }}版</td><td class="nowrap">{{ s.declared_at|date:"Y-m-d H:i" }}</td><td>{{ s.declared_by }}</td>
    <td><span class="status status-sub-{{ s.status }}">{{ s.get_status_display }}</span></td><td>{{ s.decided_by|default:"—" }}</td>
    <td class="nowrap">{{ s.decided_at|date:"Y-m-d H:i"|default:"—" }}</td><td>{{ s.reason|default:"—" }}</td></tr>
  {% endfor %}"""

ROWS = "{% load history %}{% history_rows history %}"


def render(template: str, rows: Any) -> str:
    return engines["django"].from_string(template).render({"history": rows}, RequestFactory().get("/"))


def test_rows_are_the_templates_former_markup(enterprise_a: Any, reviewer: Any) -> None:
    info = complete_basic_info(enterprise_a.enterprise, actor=enterprise_a)
    assert render(ROWS, filing_history(info)) == render(FORMER_ROWS, []) == ""
    workflow.reject(
        submission=workflow.declare(filing=info, actor=enterprise_a), actor=reviewer, reason='营业执照<不清晰> & "模糊"'
    )
    info.refresh_from_db()
    reviewer.display_name = ""
    reviewer.save()
    workflow.approve(submission=workflow.declare(filing=info, actor=enterprise_a), actor=reviewer)
    info.refresh_from_db()
    workflow.start_change(filing=info, actor=enterprise_a)
    info.refresh_from_db()
    workflow.declare(filing=info, actor=enterprise_a)  # pending, not decided
    for rows in (filing_history(info), list(history(info))):
        ours = render(ROWS, rows)
        assert ours == render(FORMER_ROWS, rows)
        assert "营业执照&lt;不清晰&gt; &amp; &quot;模糊&quot;" in ours and reviewer.username in ours
        assert ours.count("<tr>") == len(rows) == 3


def test_owner_and_reviewer_pages_as_served(as_user: Any, enterprise_a: Any, reviewer: Any) -> None:
    info = complete_basic_info(enterprise_a.enterprise, actor=enterprise_a)
    submission = workflow.declare(filing=info, actor=enterprise_a)
    for user, url in (
        (enterprise_a, "/enterprise/basic-info/"),
        (reviewer, reverse("review:submission", args=[submission.pk])),
    ):
        response = as_user(user).get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        body = page[page.index('<table class="table table-compact">') :]
        body = body[body.index("<tbody>\n  ") + len("<tbody>\n  ") : body.index("\n  </tbody>")]
        assert body == render(FORMER_ROWS, response.context["history"])
        assert "第1版" in body
