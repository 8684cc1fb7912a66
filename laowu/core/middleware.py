from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.conf.urls.i18n import is_language_prefix_patterns_used
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.functional import empty

from .http import client_ip
from .logs import request_id_from, request_id_var

request_log = logging.getLogger("laowu.request")


class RequestLogMiddleware:
    """Gives each request an id — the proxy's X-Request-ID when well-formed (nginx sets it,
    deploy/nginx/), else a new one — returns it in the X-Request-ID header, has every log
    record written while serving the request carry it (laowu/core/logs.py), and writes one
    "laowu.request" line per request: user, client IP, method, path, status, duration."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_from(request.META.get("HTTP_X_REQUEST_ID"))
        token = request_id_var.set(request_id)
        start = time.perf_counter()
        try:
            response = self.get_response(request)
            response.headers["X-Request-ID"] = request_id
            status = response.status_code
            level = logging.ERROR if status >= 500 else logging.WARNING if status >= 400 else logging.INFO
            request_log.log(
                level,
                "%s %s %s",
                request.method,
                request.path,
                status,
                extra={
                    "user_id": _user_id(request),
                    "client_ip": client_ip(request),
                    "method": request.method,
                    "path": request.path,
                    "status": status,
                    "duration_ms": round((time.perf_counter() - start) * 1000, 1),
                },
            )
            return response
        finally:
            request_id_var.reset(token)


def _user_id(request: HttpRequest) -> int | None:
    # Only a user some layer already loaded: looking it up here would cost /healthz and the
    # static files a session read each.
    user = getattr(request, "user", None)
    if user is None or getattr(user, "_wrapped", None) is empty:
        return None
    return user.pk if user.is_authenticated else None


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # Content-Security-Policy comes from django-csp (CONTENT_SECURITY_POLICY in settings).
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if request.user.is_authenticated if hasattr(request, "user") else False:
            # Pages behind login must not linger in shared computers' caches.
            response.headers.setdefault("Cache-Control", "no-store")
        return response


class LocaleMiddleware(DjangoLocaleMiddleware):
    """Django's, without looking for a language prefix in the path where no URL has one.

    Django's middleware asks `get_language_from_path` twice a request but uses the answer only
    when the URLs use `i18n_patterns` (laowu/urls.py does not). For a path such as /help/ that
    lookup reads "help" as a language code, fails, and a failure is not remembered: each call
    walks all of LANGUAGES. The language chosen (cookie, Accept-Language, LANGUAGE_CODE), the
    Content-Language and Vary headers are Django's, decided by the same calls; with
    `i18n_patterns` in use, Django's own methods run."""

    def process_request(self, request: HttpRequest) -> None:
        if is_language_prefix_patterns_used(getattr(request, "urlconf", settings.ROOT_URLCONF))[0]:
            return super().process_request(request)  # type: ignore[no-any-return]
        translation.activate(translation.get_language_from_request(request, check_path=False))
        request.LANGUAGE_CODE = translation.get_language()
        return None

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if is_language_prefix_patterns_used(getattr(request, "urlconf", settings.ROOT_URLCONF))[0]:
            return super().process_response(request, response)  # type: ignore[no-any-return]
        patch_vary_headers(response, ("Accept-Language",))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


class RequestSizeLimitMiddleware:
    """Refuse a request whose declared body exceeds LAOWU_MAX_REQUEST_BYTES before anything
    reads it: Django would otherwise spool any upload to disk (CSRF checking parses the body
    even of anonymous POSTs) before a view could check the size. A front proxy's body limit
    (nginx `client_max_body_size`) should match."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.shortcuts import render

        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.LAOWU_MAX_REQUEST_BYTES
        if length > limit:
            text = f"提交的内容过大（超过{limit // 1024 // 1024}MB），请压缩文件或分批上传。"
            return render(request, "core/error.html", {"code": 413, "title": "内容过大", "text": text}, status=413)
        return self.get_response(request)
