# ruff: noqa: E501 - the template's loop as it was, line for line
"""The attachment panel's rows, written by {% attachment_rows %}
(laowu/documents/templatetags/attachments.py), are the markup the template's {% for %} loop
wrote (kept here as it was): editable inside an owner form, editable alone (the supervision
pages), read-only; empty and required slots, several files, image slots, names and messages
that need escaping, messages beside a slot, a GET and a POST; and an owner page as served."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.template import engines
from django.test import RequestFactory

from laowu.core.placed_messages import beside
from laowu.documents.services import attachments_by_kind
from laowu.documents.templatetags.attachments import attachment_limit
from tests.factories import complete_basic_info

pytestmark = pytest.mark.django_db

FORMER_ROWS = """{% load laowu %}{% for group in attachment_groups %}
      <tr id="{{ group.anchor }}" class="attach-slot">
        <td class="col-kind">{% if group.required %}<span class="req">*</span>{% endif %}{{ group.label }}</td>
        <td class="attach-files">
          {% for a in group.attachments %}
          <div class="attach-item">
            <span class="attach-name">{{ a.name }}</span>
            <span class="attach-meta">{{ a.size|filesizeformat }} · {{ a.uploaded_at|date:"Y-m-d H:i" }}</span>
            <a href="{% url 'documents:attachment' a.id %}" target="_blank" rel="noopener">查看</a>
            {% if editable and owner_form %}<button type="submit" form="{{ owner_form }}" name="delete_attachment" value="{{ a.id }}" class="link-button danger" data-confirm="确定删除附件“{{ a.name }}”吗？">删除</button>{% elif editable %}<form method="post" action="{% url 'documents:attachment_delete' a.id %}" class="inline-form" data-confirm="确定删除附件“{{ a.name }}”吗？">{% csrf_token %}<input type="hidden" name="next" value="{% if request.method == "GET" %}{{ request.get_full_path }}{% else %}{{ filing.get_absolute_url }}{% endif %}"><button type="submit" class="link-button danger">删除</button></form>{% endif %}
          </div>
          {% empty %}<span class="muted">未上传</span>{% endfor %}
          <div class="upload-results">{% for m in messages|messages_beside:group.anchor %}<div class="msg msg-{{ m.level_tag }}">{{ m }}</div>{% endfor %}</div>
        </td>
        {% if editable %}
        <td class="col-upload">
          <form method="post" enctype="multipart/form-data" action="{% url 'documents:upload' filing_type filing.pk %}" class="upload-form" data-slot="{{ group.anchor }}" data-max-bytes="{{ limit.bytes }}" data-images="{% if group.images %}1{% endif %}">
            {% csrf_token %}<input type="hidden" name="kind" value="{{ group.code }}"><input type="hidden" name="next" value="{% if request.method == "GET" %}{{ request.get_full_path }}{% else %}{{ filing.get_absolute_url }}{% endif %}">
            <label class="btn btn-default btn-small file-pick">选择<input type="file" {% if owner_form %}form="{{ owner_form }}" name="file-{{ group.code }}"{% else %}name="file"{% endif %} multiple accept="{% if group.images %}application/pdf,.pdf,image/jpeg,image/png,.jpg,.jpeg,.png{% else %}application/pdf,.pdf{% endif %}" class="file-input"></label>
            <span class="file-chosen muted">未选择文件</span>
            <button type="submit" class="btn btn-primary btn-small"{% if owner_form %} form="{{ owner_form }}" name="upload" value="{{ group.code }}"{% endif %}>上传</button>
          </form>
          <div class="upload-state"></div>
        </td>
        {% endif %}
      </tr>
    {% endfor %}"""

ROWS = "{% load attachments %}{% attachment_rows limit %}"

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def render(template: str, context: dict[str, Any], request: Any) -> str:
    return TOKEN.sub("csrf", engines["django"].from_string(template).render(context, request))


def groups_of(filing: Any) -> list[dict[str, Any]]:
    """The filing's real slots, and an image slot with files whose names need escaping."""
    groups = attachments_by_kind(filing)
    groups.append(
        {
            "code": "photos",
            "label": "现场<照片>&记录",
            "required": True,
            "images": True,
            "missing": False,
            "anchor": "att-test-1-photos",
            "attachments": [
                {
                    "id": 900 + i,
                    "name": f'现场"{i}"<b>&.jpg',
                    "size": size,
                    "sha256": "0" * 64,
                    "uploaded_at": dt.datetime(2026, 3, 1, 23, 59, 30, tzinfo=dt.UTC),
                    "is_image": True,
                }
                for i, size in enumerate((0, 1023, 5 * 1024 * 1024 + 17))
            ],
        }
    )
    groups.append({**groups[-1], "code": "empty", "label": "空", "required": False, "attachments": [], "anchor": "x"})
    return groups


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(
    ("editable", "owner_form"), [(True, "owner-form"), (True, ""), (False, ""), (False, "owner-form")]
)
def test_rows_are_the_templates_former_markup(enterprise_a: Any, method: str, editable: bool, owner_form: str) -> None:
    info = complete_basic_info(enterprise_a.enterprise, actor=enterprise_a)
    groups = groups_of(info)
    request = getattr(RequestFactory(), method)("/enterprise/basic-info/?a=1&b=<2>")
    request.user = enterprise_a
    messages = [
        Message(constants.ERROR, "文件<太大>&", extra_tags=beside(groups[0]["anchor"])),
        Message(constants.SUCCESS, "已上传", extra_tags=beside(groups[0]["anchor"])),
        Message(constants.INFO, "页面上方的消息"),
        Message(constants.WARNING, "照片", extra_tags=beside("att-test-1-photos")),
    ]
    context = {
        "attachment_groups": groups,
        "filing": info,
        "filing_type": "basic_info",
        "editable": editable,
        "owner_form": owner_form,
        "limit": attachment_limit(),
        "messages": messages,
    }
    ours = render(ROWS, context, request)
    assert ours == render(FORMER_ROWS, context, request)
    assert "文件&lt;太大&gt;&amp;" in ours and "现场&lt;照片&gt;&amp;记录" in ours
    assert "2026-03-02 07:59" in ours  # shown in the site's time zone
    assert ("/enterprise/basic-info/?a=1&amp;b=" in ours) is (editable and method == "get")


def test_an_owner_page_as_served(as_user: Any, enterprise_a: Any) -> None:
    info = complete_basic_info(enterprise_a.enterprise, actor=enterprise_a)
    response = as_user(enterprise_a).get("/enterprise/basic-info/")
    page = TOKEN.sub("csrf", response.content.decode())
    body = page[page.index('<table class="table attach-table">') :]
    body = body[body.index("<tbody>") + len("<tbody>\n    ") : body.index("\n    </tbody>")]
    context = {
        "attachment_groups": attachments_by_kind(info),
        "filing": info,
        "filing_type": response.context["filing_type"],
        "editable": info.is_editable,
        "owner_form": response.context["owner_form"],
        "limit": attachment_limit(),
        "messages": [],
    }
    assert info.is_editable and context["owner_form"]
    assert body == render(FORMER_ROWS, context, response.wsgi_request)
