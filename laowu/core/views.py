from __future__ import annotations

from django.http import HttpRequest, HttpResponse


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness for load balancers, and the benchmarks' hello-world floor: no DB, no template."""
    return HttpResponse("ok", content_type="text/plain")
