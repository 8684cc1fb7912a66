"""Serving a page as it is now and as a former code path made it.

A faster path for a page (rows written in Python, fewer columns read, a query's SQL kept) must
write the same bytes as the path it replaced: the tests that prove it serve the page twice, the
second time with the former functions patched back, and compare the two.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import pytest


def unmarked(html: bytes) -> str:
    """The page's text with what differs on every response replaced: the CSRF token's mask and
    the CSP nonce."""
    text = html.decode()
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", text)
    return re.sub(r'nonce="[^"]+"', "NONCE", text)


def served_both_ways(
    client: Any,
    monkeypatch: pytest.MonkeyPatch,
    url: str,
    former: Iterable[tuple[Any, str, Any]],
    *,
    params: dict[str, str] | None = None,
    data: dict[str, str] | None = None,
    status: int = 200,
) -> str:
    """The page at `url` (a GET with `params`, or a POST of `data`, answered with `status`) now
    and with each (object, attribute, value) of `former` patched in, asserted identical;
    returns it."""

    def serve() -> str:
        response = client.post(url, data) if data else client.get(url, params or {})
        assert response.status_code == status, url
        return unmarked(response.content)

    now = serve()
    with monkeypatch.context() as m:
        for target, name, value in former:
            m.setattr(target, name, value)
        then = serve()
    assert now == then, (url, params, data)
    return now
