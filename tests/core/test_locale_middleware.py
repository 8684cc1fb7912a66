"""laowu.core.middleware.LocaleMiddleware: Django's language choice and headers, without its
lookups of a language prefix in the path, which no URL of the project has."""

from __future__ import annotations

import itertools
from unittest import mock

import pytest
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.test import RequestFactory
from django.utils import translation

from laowu.core.middleware import LocaleMiddleware

PATHS = ["/help/", "/en/help/", "/zh-hans/", "/healthz", "/"]
ACCEPT = [None, "en", "zh-CN,zh;q=0.9,en;q=0.8", "fr-FR", "xx"]
COOKIE = [None, "en", "de", "nonsense"]


def run(middleware_class: type[DjangoLocaleMiddleware], path: str, accept: str | None, cookie: str | None, status: int):
    rf = RequestFactory()
    headers = {"accept-language": accept} if accept else {}
    request = rf.get(path, headers=headers)
    if cookie:
        request.COOKIES[settings.LANGUAGE_COOKIE_NAME] = cookie
    seen: list[str] = []

    def view(req: HttpRequest) -> HttpResponse:
        seen.append(translation.get_language())
        return HttpResponse("x", status=status)

    with translation.override(None):
        response = middleware_class(view)(request)
    return request.LANGUAGE_CODE, seen, response.get("Content-Language"), response.get("Vary"), response.status_code


@pytest.mark.parametrize("status", [200, 404])
def test_the_same_language_and_headers_as_djangos(status: int) -> None:
    for path, accept, cookie in itertools.product(PATHS, ACCEPT, COOKIE):
        ours = run(LocaleMiddleware, path, accept, cookie, status)
        assert ours == run(DjangoLocaleMiddleware, path, accept, cookie, status), (path, accept, cookie)


def test_an_english_browser_still_gets_english() -> None:
    assert run(LocaleMiddleware, "/help/", "en-US,en;q=0.9", None, 200)[:3] == ("en", ["en"], "en")
    assert run(LocaleMiddleware, "/help/", None, None, 200)[:3] == ("zh-hans", ["zh-hans"], "zh-hans")


def test_the_path_is_not_read_for_a_language() -> None:
    with mock.patch.object(translation, "get_language_from_path", side_effect=AssertionError("path read")):
        assert run(LocaleMiddleware, "/help/", None, None, 200)[2] == "zh-hans"
