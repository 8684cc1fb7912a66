from __future__ import annotations

import copy
import http.client
import logging
import time
from collections.abc import Callable
from typing import Any

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as DjangoCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.conf.urls.i18n import is_language_prefix_patterns_used
from django.http import HttpRequest, HttpResponse, HttpResponseBase
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


# The attributes through which a view changes its own response's policy (django-csp's
# decorators; laowu/documents/responses.py): such a response gets django-csp's own handling.
_CSP_OVERRIDES = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
)
# Two nonces no request has: a policy whose text does not change between them does not use a nonce.
_NONCE_PROBES = ("laowu-probe-a", "laowu-probe-b")


class CSPMiddleware(DjangoCSPMiddleware):
    """django-csp's middleware (the version pinned in requirements.txt), with the header text
    built once per policy setting rather than twice per response (the enforced and the
    report-only policy, each from the settings again).

    The texts are kept with a copy of the two settings they were built from and rebuilt as soon
    as either setting differs from that copy (override_settings, a test changing it in place),
    so they cannot go stale. Nothing of a request is in them: a policy that uses a nonce (its
    text differs with the nonce) and a response carrying its own policy (_CSP_OVERRIDES) are
    left to django-csp's own `process_response`. Whether a header is set — the response's own
    header kept, the exemption and excluded prefixes honoured — and the guard on a nonce asked
    for after the header is written are django-csp's code, repeated here."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        super().__init__(get_response)
        # (enforced setting, report-only setting, their texts or None when they use a nonce)
        self._built: tuple[Any, Any, tuple[str, str] | None] | None = None

    def _policy_texts(self) -> tuple[str, str] | None:
        enforced = getattr(settings, "CONTENT_SECURITY_POLICY", None)
        report_only = getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
        built = self._built
        if built is not None and built[0] == enforced and built[1] == report_only:
            return built[2]
        texts: list[str] = []
        for ro in (False, True):
            first, second = (build_policy(nonce=nonce, report_only=ro) for nonce in _NONCE_PROBES)
            if first != second:
                break
            texts.append(first)
        result = (texts[0], texts[1]) if len(texts) == 2 else None
        self._built = (copy.deepcopy(enforced), copy.deepcopy(report_only), result)
        return result

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        texts = self._policy_texts()
        if texts is None or any(getattr(response, name, None) is not None for name in _CSP_OVERRIDES):
            return super().process_response(request, response)  # type: ignore[no-any-return]
        exempted_debug_codes = (http.client.INTERNAL_SERVER_ERROR, http.client.NOT_FOUND)
        if response.status_code in exempted_debug_codes and settings.DEBUG:
            return response
        for text, header, exempt_attr, setting in (
            (texts[0], HEADER, "_csp_exempt", "CONTENT_SECURITY_POLICY"),
            (texts[1], HEADER_REPORT_ONLY, "_csp_exempt_ro", "CONTENT_SECURITY_POLICY_REPORT_ONLY"),
        ):
            if not text or header in response or getattr(response, exempt_attr, False) is not False:
                continue
            prefixes = (getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES", None) or ()
            if not request.path_info.startswith(tuple(prefixes)):
                response[header] = text
        if getattr(request, "_csp_nonce", None) is None:
            request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)  # type: ignore[attr-defined]
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
