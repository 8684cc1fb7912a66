from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


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


class RequestSizeLimitMiddleware:
    """Refuse a request whose declared body exceeds LAOWU_MAX_REQUEST_BYTES before anything
    reads it: Django would otherwise spool any upload to disk (CSRF checking parses the body
    even of anonymous POSTs) before a view could check the size. A front proxy's body limit
    (nginx `client_max_body_size`) should match."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.conf import settings
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
