"""The layout's tags (laowu/templates/base.html), which every page renders: `{% layout_static %}`
for its fixed links, `{% kept %}` around its markup that is the same on every page, `{% userbox %}`
for the signed-in user's part of the top bar. The same answers as Django's tags, worked out once
per process (or in one go) instead of node by node on every page. (Fixed `{% url %}`s are
remembered by the project's `url` tag, laowu/core/templatetags/urls.py.)

A static file's URL depends only on the storage (its manifest is read once per process) and
STATIC_URL: those are the cache keys, so a test that changes them still gets the right answer. For
links with arguments or per-page values, use Django's own tags.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Hashable
from typing import Any

from django import template
from django.conf import settings
from django.core.signals import setting_changed
from django.template import defaulttags
from django.template.base import NodeList, Parser, Token
from django.template.context import Context
from django.templatetags.static import static
from django.utils.functional import LazyObject, empty
from django.utils.safestring import SafeString

from laowu.core.fragments import kept_markup
from laowu.core.rows import esc
from laowu.core.templatetags.urls import _url_env, cached_reverse, current_app

register = template.Library()


@register.simple_tag
def layout_static(path: str) -> str:
    return _static(path, settings.STATIC_URL, repr(settings.STORAGES.get("staticfiles")))


@functools.lru_cache(maxsize=64)
def _static(path: str, static_url: str | None, storage: str) -> str:
    del static_url, storage  # part of the key only
    return static(path)


class KeptNode(template.Node):
    """`{% kept %}…{% endkept %}`: markup that depends only on the URL configuration, the script
    prefix, the current app and the settings (fixed links: `{% url %}` without arguments, `{% layout_static %}`),
    rendered once per process for each URL configuration and prefix instead of node by node on
    every page. Nothing from the page's context may go inside: the first render is reused."""

    def __init__(self, nodelist: NodeList) -> None:
        self.nodelist = nodelist
        self.store: dict[Hashable, SafeString] = {}
        _kept_nodes.add(self)

    def render(self, context: Context) -> SafeString:
        # The key is what a `{% url %}` inside reverses with (laowu/core/templatetags/urls.py).
        request = getattr(context, "request", None)
        return kept_markup(
            self.store,
            (_url_env(request), current_app(context)),
            lambda: self.nodelist.render(context),
        )


# Every `{% kept %}` of the loaded templates, emptied when a setting changes (a test's
# override_settings of STATIC_URL, ROOT_URLCONF, STORAGES…) as the `{% url %}` cache is.
_kept_nodes: weakref.WeakSet[KeptNode] = weakref.WeakSet()


def _forget_kept(**kwargs: Any) -> None:
    for node in list(_kept_nodes):
        node.store.clear()


setting_changed.connect(_forget_kept, dispatch_uid="laowu-kept-layout-markup")


@register.tag
def kept(parser: Parser, token: Token) -> KeptNode:
    nodelist = parser.parse(("endkept",))
    parser.delete_first_token()
    return KeptNode(nodelist)


_CSRF_TOKEN = defaulttags.CsrfTokenNode()


@register.simple_tag(takes_context=True)
def userbox(context: Context) -> SafeString:
    """The signed-in user's name, role and logout form in the top bar of base.html (nothing for
    an anonymous page), written in one go rather than by a dozen nodes on every page: what

        {% if user.is_authenticated %}
        <div class="userbox">
          <span class="user-name">{{ user }}</span><span class="role-tag">{{ user.role_label }}</span>
          <form method="post" action="{% url 'accounts:logout' %}" class="inline-form">{% csrf_token %}<button …
        </div>
        {% endif %}

    wrote, the same bytes (tests/workspace/test_layout_bytes.py)."""
    user = context.get("user")
    if isinstance(user, LazyObject):
        # Each attribute read through `request.user`'s wrapper costs more than the read.
        if user._wrapped is empty:
            user._setup()
        user = user._wrapped
    if user is None or not user.is_authenticated:
        return SafeString("")
    logout = esc(cached_reverse("accounts:logout", [], {}, current_app(context), getattr(context, "request", None)))
    return SafeString(  # nosec B703  # esc()-escaped values, Django's CSRF field and our own markup
        '\n    <div class="userbox">\n'
        f'      <span class="user-name">{esc(user)}</span><span class="role-tag">{esc(user.role_label)}</span>\n'
        f'      <form method="post" action="{logout}" class="inline-form">{_CSRF_TOKEN.render(context)}'
        '<button type="submit" class="link-button">退出登录</button></form>\n'
        "    </div>\n    "
    )
