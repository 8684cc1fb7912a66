"""laowu.core.middleware.CSPMiddleware: django-csp's headers, its text built once per policy."""

from __future__ import annotations

from collections.abc import Callable
from unittest import mock

import pytest
from csp.constants import NONCE, SELF
from csp.exceptions import CSPNonceError
from csp.middleware import CSPMiddleware as DjangoCSPMiddleware
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory, override_settings

from laowu.core.middleware import CSPMiddleware

HEADERS = ("Content-Security-Policy", "Content-Security-Policy-Report-Only")


def plain(response: HttpResponse) -> None:
    return None


def own_header(response: HttpResponse) -> None:
    response["Content-Security-Policy"] = "default-src 'none'"


def exempt(response: HttpResponse) -> None:
    response._csp_exempt = True  # type: ignore[attr-defined]


def exempt_ro(response: HttpResponse) -> None:
    response._csp_exempt_ro = True  # type: ignore[attr-defined]


def replaced(response: HttpResponse) -> None:
    # What laowu/documents/responses.py does for a file shown inline.
    response._csp_replace = {"frame-ancestors": ["'self'"]}  # type: ignore[attr-defined]


def updated_ro(response: HttpResponse) -> None:
    response._csp_update_ro = {"img-src": ["https://example.org"]}  # type: ignore[attr-defined]


RESPONSES = [plain, own_header, exempt, exempt_ro, replaced, updated_ro]
POLICIES = {
    "project's": {},
    "with report-only": {
        "CONTENT_SECURITY_POLICY_REPORT_ONLY": {"DIRECTIVES": {"default-src": [SELF], "report-uri": "/csp/"}}
    },
    "only report-only": {
        "CONTENT_SECURITY_POLICY": None,
        "CONTENT_SECURITY_POLICY_REPORT_ONLY": {"DIRECTIVES": {"default-src": [SELF]}},
    },
    "with a nonce": {"CONTENT_SECURITY_POLICY": {"DIRECTIVES": {"default-src": [SELF], "script-src": [SELF, NONCE]}}},
    "excluded prefix": {
        "CONTENT_SECURITY_POLICY": {**settings.CONTENT_SECURITY_POLICY, "EXCLUDE_URL_PREFIXES": ["/help"]}
    },
}


def serve(
    middleware_class: type[DjangoCSPMiddleware],
    shape: Callable[[HttpResponse], None],
    path: str = "/help/",
    status: int = 200,
    use_nonce: bool = False,
) -> tuple[HttpRequest, HttpResponse]:
    request = RequestFactory().get(path)

    def view(req: HttpRequest) -> HttpResponse:
        if use_nonce:
            str(req.csp_nonce)  # type: ignore[attr-defined]
        response = HttpResponse("x", status=status)
        shape(response)
        return response

    return request, middleware_class(view)(request)


def headers(response: HttpResponse, nonce: str | None) -> dict[str, str | None]:
    # The nonce differs per request; the rest of the header must be the same.
    return {h: response.get(h, "").replace(nonce, "NONCE") if nonce else response.get(h) for h in HEADERS}


@pytest.mark.parametrize("policy", list(POLICIES))
@pytest.mark.parametrize("shape", RESPONSES)
@pytest.mark.parametrize("use_nonce", [False, True])
@pytest.mark.parametrize("status", [200, 404])
def test_headers_are_django_csp_s(policy: str, shape: Callable[[HttpResponse], None], use_nonce: bool, status: int):
    with override_settings(**POLICIES[policy]):
        theirs_request, theirs = serve(DjangoCSPMiddleware, shape, status=status, use_nonce=use_nonce)
        ours_request, ours = serve(CSPMiddleware, shape, status=status, use_nonce=use_nonce)
    assert headers(ours, getattr(ours_request, "_csp_nonce", None)) == headers(
        theirs, getattr(theirs_request, "_csp_nonce", None)
    )
    if shape is plain and policy == "project's":
        assert "img-src 'self' data:" in ours["Content-Security-Policy"].split("; ")


def test_a_changed_setting_is_seen_at_once():
    middleware = CSPMiddleware(lambda request: HttpResponse("x"))
    assert "img-src 'self' data:" in middleware(RequestFactory().get("/help/"))["Content-Security-Policy"]
    policy = {"DIRECTIVES": {**settings.CONTENT_SECURITY_POLICY["DIRECTIVES"], "img-src": [SELF]}}
    with override_settings(CONTENT_SECURITY_POLICY=policy):
        text = middleware(RequestFactory().get("/help/"))["Content-Security-Policy"]
        assert "img-src 'self'" in text.split("; ")
        # Changed in place, not replaced: seen too, since the kept copy no longer equals it.
        policy["DIRECTIVES"]["img-src"] = [SELF, "https://example.org"]
        text = middleware(RequestFactory().get("/help/"))["Content-Security-Policy"]
        assert "img-src 'self' https://example.org" in text.split("; ")
    assert "img-src 'self' data:" in middleware(RequestFactory().get("/help/"))["Content-Security-Policy"]


def test_built_once_per_policy_and_never_with_a_request_s_nonce():
    middleware = CSPMiddleware(lambda request: HttpResponse("x"))
    with mock.patch("laowu.core.middleware.build_policy", wraps=__import__("csp.utils").utils.build_policy) as built:
        for _ in range(3):
            middleware(RequestFactory().get("/help/"))
    assert built.call_count == 4  # the two policies, each with the two probe nonces, once

    nonce_policy = {"DIRECTIVES": {"default-src": [SELF], "script-src": [SELF, NONCE]}}
    with override_settings(CONTENT_SECURITY_POLICY=nonce_policy):
        nonces = []
        for _ in range(2):
            request, response = serve(CSPMiddleware, plain, use_nonce=True)
            nonces.append(request._csp_nonce)  # type: ignore[attr-defined]
            assert f"script-src 'self' 'nonce-{nonces[-1]}'" in response["Content-Security-Policy"].split("; ")
        assert nonces[0] != nonces[1]


def test_a_nonce_asked_for_after_the_header_is_refused():
    request, _ = serve(CSPMiddleware, plain)
    with pytest.raises(CSPNonceError):
        str(request.csp_nonce)  # type: ignore[attr-defined]


# The whole policy as django-csp builds it from settings.CONTENT_SECURITY_POLICY: no inline script
# or style, no plugins, no framing, forms and <base> to this site only.
POLICY = (
    "default-src 'self'",
    "img-src 'self' data:",
    "style-src 'self'",
    "script-src 'self'",
    "object-src 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
    "base-uri 'self'",
)


@pytest.mark.django_db
def test_a_page_carries_the_policy(client):
    response = client.get("/healthz")
    # django-csp orders the directives as a set of their names iterates: per process.
    assert set(response["Content-Security-Policy"].split("; ")) == set(POLICY)
    assert "Content-Security-Policy-Report-Only" not in response
