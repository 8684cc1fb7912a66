"""Messages shown beside the part of the page they are about, rather than at its top.

A view that sends the user back to `page#part` (an attachment slot after 上传) brings that part
into view, and a message at the top of the page would then be off-screen. Such a view adds its
message with `extra_tags=beside(part)` and redirects to `with_fragment(url, part)`; the page's
own message list leaves it out (`page_messages`) and the element with that id shows it
(`messages_beside`). Both are template filters in `laowu/core/templatetags/laowu.py`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

PREFIX = "beside:"


def beside(part: str) -> str:
    """The extra_tags that place a message beside the element with id `part`."""
    return PREFIX + part


def page_messages(messages: Iterable[Any]) -> list[Any]:
    """The messages for the top of the page: all but those placed beside a part of it."""
    return [m for m in messages if not (m.extra_tags or "").startswith(PREFIX)]


def messages_beside(messages: Iterable[Any], part: str) -> list[Any]:
    """The messages placed beside the element with id `part`, in the order they were added."""
    tag = beside(part)
    return [m for m in messages if m.extra_tags == tag]


def with_fragment(url: str, fragment: str) -> str:
    """`url` pointing at the element with id `fragment`, replacing any fragment it had."""
    return urlunsplit(urlsplit(url)._replace(fragment=fragment))
