"""The workspace layout's messages (laowu/templates/workspace.html): shown at the top of the next
page once, then gone; a message placed beside a part of the page is not among them."""

from __future__ import annotations

from typing import Any

from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.test import RequestFactory

from laowu.core.placed_messages import beside


def test_messages_are_shown_once_at_the_top(as_user: Any, reviewer: Any) -> None:
    client = as_user(reviewer)
    storage = CookieStorage(RequestFactory().get("/"))
    queued = [Message(constants.SUCCESS, "已保存<b>"), Message(constants.INFO, "旁边的", extra_tags=beside("part"))]
    client.cookies["messages"] = storage._encode(queued)
    page = client.get("/help/").content.decode()
    assert '<div class="messages"><div class="msg msg-success">已保存&lt;b&gt;</div></div>' in page
    assert "旁边的" not in page
    again = client.get("/help/").content.decode()
    assert 'class="messages"' not in again and "已保存" not in again
