from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(
        request, "core/error.html", {"code": 403, "title": "无权访问", "text": "您的账号无权访问此页面。"}, status=403
    )


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(
        request,
        "core/error.html",
        {"code": 404, "title": "页面不存在", "text": "您访问的页面或记录不存在。"},
        status=404,
    )


def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors that could fail again: a plain page only.
    from django.template import loader

    html = loader.get_template("core/error_500.html").render()
    return HttpResponse(html, status=500)
