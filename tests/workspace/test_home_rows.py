# ruff: noqa: E501 - the template's loops as they were, line for line
"""The enterprise home's 办理进度 rows, 站内消息 and 通知公告, written by laowu/workspace/views.py,
are the markup the template's {% for %} loops wrote (kept here as they were): a new enterprise
(no counts, nothing sent, nothing published), then one with every kind of step (counts, an
action, rejected records whose names and reasons hold HTML specials), read and unread messages
and pinned and plain notices with the same specials."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.template import engines
from django.utils import timezone

from laowu.personnel.models import SafetyOfficer, WageManager
from laowu.review import services as workflow
from laowu.supervision.messaging import send_message
from laowu.supervision.models import Notice
from tests.factories import complete_basic_info, complete_person, make_id_number

pytestmark = pytest.mark.django_db

STEP_ROWS = """    <tbody>
    {% for step in steps %}
      <tr class="step-{{ step.tone }}">
        <th scope="row"><a href="{{ step.url }}">{{ step.label }}</a></th>
        <td>{% for state, label, n in step.counts %}<span class="status status-{{ state }}">{{ label }} {{ n }}</span> {% empty %}<span class="note">暂无</span>{% endfor %}</td>
        <td>
          <span class="step-next">下一步：{{ step.next_step }}</span>
          {% if step.action_url %}<a class="step-action" href="{{ step.action_url }}">{{ step.action_label }}</a>{% endif %}
          {% if step.rejected %}<ul class="step-rejected-list">{% for r in step.rejected %}<li><a href="{{ r.url }}">{{ r.name }}</a>：{{ r.reason }}</li>{% endfor %}</ul>{% endif %}
        </td>
      </tr>
    {% endfor %}
    </tbody>"""

MESSAGES = """      <ul class="home-list">
      {% for m in latest_messages %}
        <li class="{% if not m.read_at %}unread{% endif %}"><span class="home-date">{{ m.created_at|date:"m-d" }}</span><a href="{% url 'supervision:message_open' m.pk %}">{% if not m.read_at %}<span class="dot" title="未读"></span>{% endif %}{{ m.title }}</a></li>
      {% empty %}<li class="muted">暂无站内消息。</li>{% endfor %}
      </ul>"""

NOTICES = """      <ul class="home-list">
      {% for n in notices %}
        <li><span class="home-date">{{ n.published_at|date:"m-d" }}</span><a href="{{ n.get_absolute_url }}">{% if n.pinned %}<span class="status notice-pin">置顶</span> {% endif %}{{ n.title }}</a></li>
      {% empty %}<li class="muted">暂无通知公告。</li>{% endfor %}
      </ul>"""

SPECIALS = "<b>&\"'"


def former(template: str, response: Any) -> str:
    context = response.context
    shown = {key: context[key] for key in ("steps", "latest_messages", "notices")}
    return engines["django"].from_string(template).render(shown, response.wsgi_request)


def assert_as_before(response: Any) -> str:
    page = response.content.decode()
    assert response.status_code == 200
    steps_html = former(STEP_ROWS, response)
    assert steps_html in page
    assert former(MESSAGES, response) in page
    # Two lists of the same markup: the notices' is the second.
    notices_html = former(NOTICES, response)
    assert notices_html in page[page.index("通知公告") :]
    return steps_html


def test_a_new_enterprises_home_is_as_before(enterprise_a: Any, as_user: Any) -> None:
    response = as_user(enterprise_a).get("/")
    html = assert_as_before(response)
    assert '<span class="note">暂无</span>' in html
    page = response.content.decode()
    assert '<li class="muted">暂无站内消息。</li>' in page
    assert '<li class="muted">暂无通知公告。</li>' in page


def test_every_kind_of_step_message_and_notice_is_as_before(enterprise_a: Any, as_user: Any, reviewer: Any) -> None:
    info = complete_basic_info(enterprise_a.enterprise, actor=enterprise_a)
    workflow.approve(submission=workflow.declare(filing=info, actor=enterprise_a), actor=reviewer)
    for i, model in enumerate((SafetyOfficer, WageManager)):
        person = complete_person(model, enterprise_a, id_number=make_id_number(), name=f"张{i}{SPECIALS}")
        workflow.reject(
            submission=workflow.declare(filing=person, actor=enterprise_a),
            actor=reviewer,
            reason=f"证书不清晰{SPECIALS}",
        )
    complete_person(SafetyOfficer, enterprise_a, id_number=make_id_number(), name="李四")
    read = send_message(enterprise=enterprise_a.enterprise, title=f"已读{SPECIALS}", body="正文")
    read.read_at = timezone.now()
    read.save()
    send_message(enterprise=enterprise_a.enterprise, title=f"未读{SPECIALS}", body="正文")
    for pinned in (True, False):
        Notice.objects.create(
            title=f"公告{pinned}{SPECIALS}",
            body="正文",
            pinned=pinned,
            is_published=True,
            # Another day than its creation's: the date shown is the publication's.
            published_at=timezone.now() - dt.timedelta(days=40),
            created_by=reviewer,
        )

    response = as_user(enterprise_a).get("/")

    html = assert_as_before(response)
    assert 'class="step-rejected-list"' in html
    assert 'class="step-action"' in html
    assert "&lt;b&gt;&amp;&quot;&#x27;" in html
    page = response.content.decode()
    assert '<span class="dot" title="未读"></span>未读&lt;b&gt;' in page
    assert '<span class="status notice-pin">置顶</span> 公告True' in page
