"""Files served inline: PDFs and photos, never sniffed, never framed by other sites."""

from __future__ import annotations

from urllib.parse import quote

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from .storage import MSG_STORAGE_FULL


def pdf_response(data: bytes, filename: str, *, frameable: bool = False) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(filename)}"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    if frameable:
        # The reviewer's page embeds attachments; still no framing by other sites.
        response["X-Frame-Options"] = "SAMEORIGIN"
        response["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'self'"
    return response


def file_response(data: bytes, filename: str, content_type: str) -> HttpResponse:
    """An attachment inline: PDFs as above, photos as images (nosniff, no framing by others)."""
    if content_type == "application/pdf":
        return pdf_response(data, filename, frameable=True)
    if content_type not in ("image/jpeg", "image/png"):
        raise Http404
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(filename)}"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'self'"
    return response


# A file the record says exists but the storage cannot give back is the server's fault and
# can be mended (restored from backup, re-uploaded): 503, not 404 — a 404 would tell the
# user the record is gone and be logged as a refused request (laowu/audit/middleware.py).
UNAVAILABLE_STATUS = 503
# 507 Insufficient Storage: the uploader script (laowu/static/laowu/upload.js) reports it
# with the same words as the page.
STORAGE_FULL_STATUS = 507


def _back_link(request: HttpRequest) -> str:
    """Where 返回 goes: the page the user came from, if it is this site's, else the home page."""
    referer = request.headers.get("Referer", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer
    return reverse("workspace:home")


def _error_page(request: HttpRequest, *, status: int, title: str, text: str) -> HttpResponse:
    response = render(
        request,
        "documents/file_error.html",
        {"code": status, "title": title, "text": text, "back": _back_link(request)},
        status=status,
    )
    response["Cache-Control"] = "no-store"
    # Attachments open inside the reviewer's page (frameable above): the page that stands in
    # for one must show there too, still framed by no other site.
    response["X-Frame-Options"] = "SAMEORIGIN"
    response._csp_replace = {"frame-ancestors": ["'self'"]}  # type: ignore[attr-defined]  # read by django-csp
    return response


def unavailable_response(request: HttpRequest) -> HttpResponse:
    return _error_page(
        request,
        status=UNAVAILABLE_STATUS,
        title="文件暂不可用",
        text="该文件暂时无法读取，已通知系统管理员处理。请稍后再试；如急需，请联系区劳务专委会。",
    )


def storage_full_response(request: HttpRequest) -> HttpResponse:
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse({"results": [], "error": MSG_STORAGE_FULL}, status=STORAGE_FULL_STATUS)
    return _error_page(
        request,
        status=STORAGE_FULL_STATUS,
        title="存储空间不足",
        text=f"{MSG_STORAGE_FULL}请稍后重新上传；如问题持续，请联系区劳务专委会。",
    )
