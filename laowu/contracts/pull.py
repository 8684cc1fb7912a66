"""Pulling the catalogue from the 省合同归集系统's JSON interface.

The interface pages its answer: ``{"code": 0, "data": {"items": [...], "next": <url or null>}}``
with items keyed by the same Chinese headers as the exported file. Every item goes
through the file's row check, so a pull accepts exactly what an upload would.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import urllib.parse
from decimal import Decimal
from typing import Any

import requests

from .catalogue import ParseResult, RowError, validate_items

logger = logging.getLogger("laowu.catalogue")

MAX_PAGES = 1000
# A page is read into memory; an interface sending more than this is misbehaving.
MAX_PAGE_BYTES = 50 * 1024 * 1024


class CataloguePullError(Exception):
    """The pull failed; nothing should be imported. ``errors`` holds item problems, if any."""

    def __init__(self, message: str, errors: list[RowError] | None = None, error_count: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or []
        self.error_count = error_count or len(self.errors)


def _origin(url: str) -> tuple[str, str]:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def _with_since(url: str, since: dt.date) -> str:
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    query = [(k, v) for k, v in query if k != "since"] + [("since", since.isoformat())]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def _get_page(session: requests.Session, url: str, timeout: float) -> tuple[list[Any], str | None]:
    try:
        with session.get(url, timeout=timeout, stream=True, allow_redirects=False) as resp:
            if resp.status_code != 200:
                raise CataloguePullError(f"省合同归集接口返回 HTTP {resp.status_code}（{url}）")
            body = bytearray()
            for chunk in resp.iter_content(64 * 1024):
                body += chunk
                if len(body) > MAX_PAGE_BYTES:
                    raise CataloguePullError(f"省合同归集接口的单页应答超过{MAX_PAGE_BYTES // 1024 // 1024}MB（{url}）")
    except requests.Timeout as exc:
        raise CataloguePullError(f"省合同归集接口超时（{timeout:g}秒）（{url}）") from exc
    except requests.RequestException as exc:
        raise CataloguePullError(f"无法连接省合同归集接口：{type(exc).__name__}（{url}）") from exc
    try:
        # Decimal keeps 合同金额 exactly as sent instead of rounding it through a float.
        payload = json.loads(bytes(body).decode("utf-8"), parse_float=Decimal)
    except (UnicodeDecodeError, ValueError) as exc:
        raise CataloguePullError(f"省合同归集接口返回的不是JSON（{url}）") from exc
    if not isinstance(payload, dict):
        raise CataloguePullError(f"省合同归集接口的应答格式不正确（{url}）")
    code = payload.get("code")
    if code != 0:
        reason = payload.get("msg") or payload.get("message") or ""
        raise CataloguePullError(f"省合同归集接口拒绝请求：code={code} {reason}".rstrip())
    data = payload.get("data")
    items = data.get("items") if isinstance(data, dict) else None
    next_url = data.get("next") if isinstance(data, dict) else None
    if not isinstance(items, list) or not (next_url is None or isinstance(next_url, str)):
        raise CataloguePullError(f"省合同归集接口的应答缺少 data.items 或 data.next 格式不正确（{url}）")
    return items, next_url or None


def pull_catalogue(*, url: str, token: str, timeout: float, since: dt.date | None = None) -> list[dict[str, Any]]:
    """All pages' items, checked and cleaned like a file's rows (keyed by field name).

    Raises ``CataloguePullError`` for transport or format failures, and for item problems
    (``errors`` then names each item by its number across all pages, from 1).
    """
    if not url:
        raise CataloguePullError("未配置省合同归集接口地址（LAOWU_CATALOGUE_PULL_URL）")
    first = _with_since(url, since) if since else url
    origin = _origin(first)
    items: list[Any] = []
    seen: set[str] = set()
    with requests.Session() as session:
        session.headers.update({"Accept": "application/json"})
        if token:
            session.headers["Authorization"] = f"Bearer {token}"
        page_url: str | None = first
        pages = 0
        while page_url is not None:
            if pages >= MAX_PAGES:
                raise CataloguePullError(f"省合同归集接口的分页超过{MAX_PAGES}页，已停止")
            if page_url in seen:
                raise CataloguePullError(f"省合同归集接口的分页出现循环（{page_url}）")
            seen.add(page_url)
            page_items, next_url = _get_page(session, page_url, timeout)
            items.extend(page_items)
            pages += 1
            if next_url is not None:
                next_url = urllib.parse.urljoin(page_url, next_url)
                # The token must never be sent to a host the next link happens to name.
                if _origin(next_url) != origin:
                    raise CataloguePullError(f"省合同归集接口的下一页指向其他站点，已拒绝：{next_url}")
            page_url = next_url
    logger.info("catalogue pull: %d items in %d pages", len(items), pages)
    result: ParseResult = validate_items(items)
    if result.error_count:
        raise CataloguePullError(
            f"省合同归集接口的数据有{result.error_count}处错误，未导入任何数据", result.errors, result.error_count
        )
    return result.rows
