"""The layout's fixed markup kept once per process and its userbox written in one tag
(`{% kept %}` and `{% userbox %}`, laowu/core/templatetags/layout.py), with the CSRF token masked
once per request (laowu/core/csrf.py): every role's pages, anonymous pages and pages with
messages of each level are the bytes the former base.html and Django's own `csrf_token` gave.

A masked CSRF token differs on every render by design; each one on a page is compared by the
secret it unmasks to, which must be the client's, so a token that would not pass is caught."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.middleware.csrf import _unmask_cipher_token
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse
from django.utils.safestring import mark_safe

from laowu.workspace.menus import MENUS

# laowu/templates/base.html as Django's own tags write it: without `{% kept %}`, and with the
# template the userbox tag replaced.
USERBOX = (
    "    {% if user.is_authenticated %}\n"
    '    <div class="userbox">\n'
    '      <span class="user-name">{{ user }}</span><span class="role-tag">{{ user.role_label }}</span>\n'
    '      <form method="post" action="{% url \'accounts:logout\' %}" class="inline-form">{% csrf_token %}'
    '<button type="submit" class="link-button">退出登录</button></form>\n'
    "    </div>\n"
    "    {% endif %}\n"
)
TAG = re.compile(r"    \{#[^#]*#\}\{% userbox %\}\n")
BASE = (Path(settings.BASE_DIR) / "laowu" / "templates" / "base.html").read_text()
FORMER_BASE = TAG.sub(lambda _: USERBOX, BASE.replace("{% kept %}", "").replace("{% endkept %}", ""))


def test_the_former_base_is_the_whole_layout() -> None:
    assert len(TAG.findall(BASE)) == 1 and BASE.count("{% kept %}") == 3
    assert "{% kept" not in FORMER_BASE and "userbox %}" not in FORMER_BASE


TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]*)"')
# The login page's captcha is a new challenge on each request.
CAPTCHA = re.compile(r"\b[0-9a-f]{40}\b")


def former_templates() -> list[dict[str, Any]]:
    """The project's template settings with the former base.html and Django's own csrf_token."""
    (engine,) = settings.TEMPLATES
    options = dict(engine["OPTIONS"])
    options["context_processors"] = [p for p in options["context_processors"] if p != "laowu.core.csrf.csrf"]
    options["loaders"] = [
        ("django.template.loaders.locmem.Loader", {"base.html": FORMER_BASE}),
        "django.template.loaders.filesystem.Loader",
        "django.template.loaders.app_directories.Loader",
    ]
    return [{**engine, "APP_DIRS": False, "OPTIONS": options}]


def unmasked(client: Client, html: str) -> str:
    """`html` with each CSRF token replaced by a mark of whether it unmasks to the client's secret."""
    secret = client.cookies[settings.CSRF_COOKIE_NAME].value if settings.CSRF_COOKIE_NAME in client.cookies else None

    def mark(match: re.Match[str]) -> str:
        ok = secret is not None and _unmask_cipher_token(match.group(1)) == secret
        return f'name="csrfmiddlewaretoken" value="{"SECRET" if ok else "OTHER:" + match.group(1)}"'

    return CAPTCHA.sub("CAPTCHA", TOKEN.sub(mark, html))


def get(client: Client, path: str, messages: list[Message] | None = None) -> str:
    if messages:
        client.cookies["messages"] = CookieStorage(RequestFactory().get("/"))._encode(messages)
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.content.decode()


def same_as_former(client: Client, path: str, messages: list[Message] | None = None) -> str:
    get(client, path)  # the CSRF cookie set, so both renders mask the same secret
    now = unmasked(client, get(client, path, messages))
    with override_settings(TEMPLATES=former_templates()):
        before = unmasked(client, get(client, path, messages))
    assert now == before, path
    assert "OTHER:" not in now
    return now


def test_every_roles_pages_are_the_former_bytes(
    as_user: Any, enterprise_a: Any, reviewer: Any, supervisor: Any, sysadmin: Any, secadmin: Any, auditadmin: Any
) -> None:
    reviewer.display_name = "<审核&员 \"甲'>"
    reviewer.save(update_fields=["display_name"])
    for user in (enterprise_a, reviewer, supervisor, sysadmin, secadmin, auditadmin):
        client = as_user(user)
        paths = [reverse("workspace:help"), reverse("accounts:password_change")]
        first_item = MENUS[user.role][0].items[0]
        if first_item.url_name != "audit:event_list":  # which logs each read of it: a new row each time
            paths.append(reverse(first_item.url_name, args=first_item.args))
        if client.get("/").status_code == 200:  # an administrator's home sends them on
            paths.append("/")
        for path in paths:
            page = same_as_former(client, path)
            assert 'class="userbox"' in page and page.count('value="SECRET"') >= 1, (user.role, path)
    assert "&lt;审核&amp;员 &quot;甲&#x27;&gt;" in same_as_former(as_user(reviewer), "/")


LEVELS = [constants.DEBUG, constants.INFO, constants.SUCCESS, constants.WARNING, constants.ERROR]


@pytest.mark.parametrize("level", LEVELS)
def test_pages_with_messages_are_the_former_bytes(as_user: Any, reviewer: Any, level: int) -> None:
    client = as_user(reviewer)
    messages = [Message(level, "已保存<b>&'\""), Message(level, mark_safe("<i>安全</i>"), extra_tags="extra")]
    page = same_as_former(client, reverse("workspace:help"), messages)
    if level >= constants.INFO:
        assert "已保存&lt;b&gt;" in page and "<i>安全</i>" in page


@pytest.mark.django_db
def test_anonymous_pages_are_the_former_bytes() -> None:
    client = Client()
    for path in (
        reverse("accounts:login"),
        reverse("supervision:public_bad_behaviour"),
        reverse("supervision:notice_public_list"),
    ):
        page = same_as_former(client, path)
        assert 'class="userbox"' not in page and "<footer" in page, path
