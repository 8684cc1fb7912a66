"""Refused requests (403, 404) go to the audit log: one place for every view, since the
access helpers refuse by raising PermissionDenied or Http404 (laowu/accounts/permissions.py
and each app's permissions.py) and Django turns those into the response seen here."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse

from .services import REFUSAL_RECORDED, Action, record_refusal

# Browsers ask for these by themselves; a missing one is not an access attempt.
IGNORED_PATHS = ("/favicon.ico", "/robots.txt", "/apple-touch-icon")


class RefusalAuditMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code in (403, 404) and not getattr(request, REFUSAL_RECORDED, False):
            self.log(request, response)
        return response

    def log(self, request: HttpRequest, response: HttpResponse) -> None:
        path = request.path
        static = "/" + settings.STATIC_URL.lstrip("/")
        if path.startswith(static) or path.startswith(IGNORED_PATHS):
            return
        match = getattr(request, "resolver_match", None)
        detail = {
            "path": path[:300],
            "method": request.method,
            "status": response.status_code,
            "view": match.view_name if match else "",
        }
        action = Action.ACCESS_DENIED if response.status_code == 403 else Action.NOT_FOUND
        with transaction.atomic(durable=True):
            record_refusal(action=action, request=request, detail=detail)
