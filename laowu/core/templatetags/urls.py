"""`{% url %}` with its reversals remembered (installed as a template builtin in
laowu/settings/base.py, so it replaces Django's tag in every template).

A list page reverses tens of URLs (the menu's, two or three per row), and Django's `reverse`
walks the URL patterns each time: on a list page that was about a third of the template's time.
A URL depends only on the view name, the arguments, the current app, the URLconf and the script
prefix, never on data or on who asks: all of those are the cache's key, so a remembered URL is
the one `reverse` would give. Only plain str and int arguments are remembered (another object's
URL text is its `str()`, which its data may change). The URLconf is loaded once per process; a
test that changes settings (ROOT_URLCONF among them) empties the cache (`setting_changed`).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django import template
from django.conf import settings
from django.core.signals import setting_changed
from django.template import defaulttags
from django.template.base import Parser, Token
from django.template.context import Context
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString

register = template.Library()

# Per-row links of many pages: enough that the menu's and a few pages' rows stay.
CACHE_SIZE = 4096


@lru_cache(maxsize=CACHE_SIZE)
def _reverse(
    view_name: str,
    args: tuple[Any, ...],
    kwargs: tuple[tuple[str, Any], ...],
    current_app: Any,
    urlconf: Any,
    prefix: str,
) -> str:
    # `reverse` reads the script prefix itself: the one in the key, the current request's.
    del prefix
    return reverse(view_name, urlconf=urlconf, args=args, kwargs=dict(kwargs), current_app=current_app)


# A template's string literals are SafeStrings: the same text, and equal as keys. Not bool, which
# would share the key of 1 and 0 though it reverses to "True".
_PLAIN = (str, SafeString, int)


def _plain(value: Any) -> bool:
    return type(value) in _PLAIN


def _url_env(request: Any) -> tuple[Any, str]:
    """The URLconf and the script prefix `reverse` would use now. Both are thread/async-locals,
    whose reading costs about as much as a cached reversal; they are set when a request starts and
    do not change while its response is rendered, so they are read once per request."""
    env = getattr(request, "_laowu_url_env", None)
    if env is None:
        env = (get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())
        if request is not None:
            request._laowu_url_env = env
    return env  # type: ignore[no-any-return]


def cached_reverse(
    view_name: Any, args: list[Any], kwargs: dict[str, Any], current_app: Any, request: Any = None
) -> str:
    if (
        _plain(view_name)
        and all(_plain(a) for a in args)
        and all(_plain(v) for v in kwargs.values())
        and (current_app is None or _plain(current_app))
    ):
        urlconf, prefix = _url_env(request)
        return _reverse(view_name, tuple(args), tuple(kwargs.items()), current_app, urlconf, prefix)
    return reverse(view_name, args=args, kwargs=kwargs, current_app=current_app)


def _clear(**kwargs: Any) -> None:
    _reverse.cache_clear()


setting_changed.connect(_clear, dispatch_uid="laowu-cached-url-tag")


def current_app(context: Context) -> Any:
    """The application namespace `{% url %}` reverses in, found as Django's URLNode finds it."""
    try:
        return context.request.current_app  # type: ignore[attr-defined]
    except AttributeError:
        try:
            return context.request.resolver_match.namespace  # type: ignore[attr-defined]
        except AttributeError:
            return None


class CachedURLNode(defaulttags.URLNode):
    def render(self, context: Context) -> str:
        # Django's URLNode.render (django/template/defaulttags.py), reversing through the cache.
        args = [arg.resolve(context) for arg in self.args]
        kwargs = {k: v.resolve(context) for k, v in self.kwargs.items()}
        view_name = self.view_name.resolve(context)
        url = ""
        try:
            url = cached_reverse(view_name, args, kwargs, current_app(context), getattr(context, "request", None))
        except NoReverseMatch:
            if self.asvar is None:
                raise
        if self.asvar:
            context[self.asvar] = url
            return ""
        if context.autoescape:
            url = conditional_escape(url)
        return url


@register.tag
def url(parser: Parser, token: Token) -> CachedURLNode:
    node = defaulttags.url(parser, token)
    node.__class__ = CachedURLNode
    return node  # type: ignore[return-value]
