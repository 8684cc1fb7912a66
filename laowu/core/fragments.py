"""Markup a process renders once: the parts of a page that depend on nothing but a key.

A list's filter or search fields as the page first shows them (no query string: no value, no
error) are the same markup on every request, for every user. The view keeps them in a store of
its own, keyed by whatever the markup is made of that is not fixed in code (nothing, or the
registered filing types); the view's comment says why nothing else can make them differ.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from django.template.loader import render_to_string
from django.utils.safestring import SafeString


def kept_markup(store: dict[Hashable, SafeString], key: Hashable, build: Callable[[], SafeString]) -> SafeString:
    """`store[key]`, built by `build` the first time it is asked for."""
    html = store.get(key)
    if html is None:
        html = store[key] = build()
    return html


def bar_markup(
    store: dict[Hashable, SafeString],
    template_name: str,
    context: dict[str, Any],
    *,
    as_first_shown: bool,
    key: Hashable = None,
) -> SafeString:
    """`template_name` rendered with `context` (a search or filter bar's form, or its values);
    while the bar is as the page first shows it (``as_first_shown``: nothing asked for), the
    markup kept in `store` under `key`."""
    if not as_first_shown:
        return render_to_string(template_name, context)
    return kept_markup(store, key, lambda: render_to_string(template_name, context))
