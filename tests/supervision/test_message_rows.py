# ruff: noqa: E501 - the template's rows as they were, line for line
"""站内消息's rows, written by laowu/supervision/views/notices.py, are the markup the template's
{% for %} loop wrote (kept here as it was), for every kind of row: unread (标为已读) and read,
with and without a link, a body of several lines and values to escape, a search kept in the
forms' query; and both empty lists."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.template import engines
from django.urls import reverse
from django.utils import timezone

from laowu.supervision.messaging import send_message
from laowu.supervision.models import Message

pytestmark = pytest.mark.django_db

MESSAGE_ROWS = """    {% for m in page.object_list %}
      <tr class="{% if not m.read_at %}unread{% endif %}">
        <td>{% if m.read_at %}<span class="status status-draft">已读</span>{% else %}<span class="status status-declared">未读</span>{% endif %}</td>
        <td><a class="message-title" href="{% url 'supervision:message_open' m.pk %}">{{ m.title }}</a><div class="message-body">{{ m.body|linebreaksbr }}</div></td>
        <td class="nowrap">{{ m.created_at|date:"Y-m-d H:i" }}</td>
        <td class="nowrap row-actions">
          <a href="{% url 'supervision:message_open' m.pk %}">{% if m.link %}查看详情{% else %}查看{% endif %}</a>
          {% if not m.read_at %}<form method="post" action="{% url 'supervision:message_mark_read' m.pk %}" class="inline-form">{% csrf_token %}<input type="hidden" name="query" value="{{ query }}"><button type="submit" class="link-button">标为已读</button></form>{% endif %}
        </td>
      </tr>
    {% empty %}<tr><td colspan="4" class="empty">{% if q or read %}没有符合条件的消息。{% else %}暂无站内消息。审核结果、检查整改、证照到期等提醒会发送到这里。{% endif %}</td></tr>{% endfor %}
    </tbody>"""

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def rows_of(page: str) -> str:
    body = page[page.index("<tbody>") + len("<tbody>\n") :]
    return TOKEN.sub("csrf", body[: body.index("</tbody>") + len("</tbody>")])


def former_rows(response: Any) -> str:
    context = {key: response.context[key] for key in ("page", "query", "q", "read")}
    return TOKEN.sub("csrf", engines["django"].from_string(MESSAGE_ROWS).render(context, response.wsgi_request))


def test_message_rows_are_the_templates_former_markup(as_user: Any, enterprise_a: Any) -> None:
    client = as_user(enterprise_a)
    url = reverse("supervision:messages")
    for params in ({}, {"q": "无此消息"}, {"read": "read"}):
        response = client.get(url, params)
        assert rows_of(response.content.decode()) == former_rows(response)

    enterprise = enterprise_a.enterprise
    send_message(enterprise=enterprise, title='<审核&"结果">\'', body="第一行\n第二行\r\n<b>第三</b> & 'x'", link="/x/")
    blank = send_message(enterprise=enterprise, title="空", body="空", link="")
    Message.objects.filter(pk=blank.pk).update(title="", body="")
    read = send_message(enterprise=enterprise, title="已读消息", body="内容", link="")
    # Late in the UTC day: the next day in the site's time zone.
    Message.objects.filter(pk=read.pk).update(
        read_at=timezone.now(), created_at=dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC)
    )
    for params in (
        {},
        {"q": "消息"},
        {"read": "unread", "q": '"<&>'},
        {"read": "unread"},
        {"read": "read", "page": "1"},
    ):
        response = client.get(url, params)
        page = response.content.decode()
        assert rows_of(page) == former_rows(response)
        assert '<审核&"结果">' not in page
    page = client.get(url).content.decode()
    assert page.count("标为已读</button>") == 2 + 1  # two rows and 全部标为已读
    assert "&lt;审核&amp;&quot;结果&quot;&gt;&#x27;" in page and "第一行<br>第二行<br>&lt;b&gt;" in page
