from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def client_ip(request: HttpRequest | None) -> str | None:
    """The caller's IP: REMOTE_ADDR, or the right hop of X-Forwarded-For behind a known
    number of our own proxies (never trust a client-supplied header blindly).

    django-axes calls this too (AXES_CLIENT_IP_CALLABLE), so a lockout, the audit row of the
    same request and the SMS per-IP limit always name the same address.
    """
    if request is None:
        return None
    proxies = getattr(settings, "LAOWU_PROXY_COUNT", 0) or 0
    if proxies:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
        if len(hops) >= proxies and _is_ip(hops[-proxies]):
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR") or None


def _is_ip(value: str) -> bool:
    # A malformed hop (a misconfigured proxy's "unknown") must not reach the IP columns of
    # the audit log and the lockout records, which would refuse it mid-request.
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def is_safe_redirect(url: str, request: HttpRequest | None = None) -> bool:
    """Whether `url` stays on this site: a path, or a URL naming the request's own host (with
    https when the request came over https). Every redirect to a target taken from the request
    or from stored data goes through here (or `redirect_target`), so that `next=https://evil…`
    never sends a user to a look-alike login page."""
    if not url:
        return False
    if request is None:
        return url_has_allowed_host_and_scheme(url, allowed_hosts=None)
    return url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=request.is_secure())


def redirect_target(request: HttpRequest, default: str, *, field: str = "next") -> str:
    """The POST (else GET) parameter `field` if it is a safe local target, else `default`."""
    target = request.POST.get(field) or request.GET.get(field) or ""
    return target if is_safe_redirect(target, request) else default
