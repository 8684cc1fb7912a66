"""Files served inline: PDFs and photos, never sniffed, never framed by other sites."""

from __future__ import annotations

from urllib.parse import quote

from django.http import Http404, HttpResponse


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
