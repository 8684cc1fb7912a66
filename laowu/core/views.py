from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse

from .health import run_checks


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness for load balancers, and the benchmarks' hello-world floor: no DB, no template.
    Answered over plain HTTP too (SECURE_REDIRECT_EXEMPT, laowu/settings/production.py)."""
    return HttpResponse("ok", content_type="text/plain")


# Seconds each readiness check may take; the probe answers within about this long.
READINESS_TIMEOUT = 2.0


def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness for load balancers and the rolling restart (deploy/rolling-restart.sh): 200 when
    the database, Redis (when configured) and the attachment storage all answer within
    READINESS_TIMEOUT, else 503; the body names each check and its result, nothing more."""
    results = run_checks(READINESS_TIMEOUT)
    ready = all(r.ok for r in results)
    body = {"status": "ok" if ready else "failed", "checks": {r.name: r.as_json() for r in results}}
    response = JsonResponse(body, status=200 if ready else 503, json_dumps_params={"ensure_ascii": False})
    response.headers["Cache-Control"] = "no-store"
    return response
