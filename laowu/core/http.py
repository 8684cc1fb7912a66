from __future__ import annotations

import functools
import ipaddress

from django.conf import settings
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def client_ip(request: HttpRequest | None) -> str | None:
    """The caller's IP: REMOTE_ADDR, unless REMOTE_ADDR is one of our own proxies
    (LAOWU_TRUSTED_PROXIES); then the nearest hop of X-Forwarded-For that is not one of them
    (each proxy appends the address it saw, so anything further left was sent by the client
    and is not trusted), else X-Real-IP.

    django-axes calls this too (AXES_CLIENT_IP_CALLABLE), and so does the request log
    (laowu/core/logs.py), so a lockout, the audit row and the log line of the same request and
    the SMS per-IP limit always name the same address.
    """
    if request is None:
        return None
    remote = request.META.get("REMOTE_ADDR") or None
    trusted = _trusted_networks(tuple(getattr(settings, "LAOWU_TRUSTED_PROXIES", ()) or ()))
    if not remote or not _is_trusted(remote, trusted):
        return remote
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if not _is_ip(hop):
            # A malformed hop (a misconfigured proxy's "unknown") ends the trusted chain.
            return remote
        if not _is_trusted(hop, trusted):
            return hop
    if hops:
        return hops[0]  # every hop is one of ours: the request started inside
    real = request.META.get("HTTP_X_REAL_IP", "").strip()
    return real if _is_ip(real) else remote


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@functools.lru_cache(maxsize=8)
def _trusted_networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    # Checked when production settings load (laowu/settings/production.py); parsed once here.
    return tuple(ipaddress.ip_network(e.strip(), strict=False) for e in entries if e.strip())


def _is_trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def _is_ip(value: str) -> bool:
    # A malformed address must not reach the IP columns of the audit log and the lockout
    # records, which would refuse it mid-request.
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
