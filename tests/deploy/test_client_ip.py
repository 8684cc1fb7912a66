"""Whose address a request is: forwarding headers count only from our own proxies
(LAOWU_TRUSTED_PROXIES), for lockouts, the audit log, rate limits and the request log alike."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.test import Client, RequestFactory

from laowu.core.http import client_ip

rf = RequestFactory()


def ip(remote: str, **headers: str) -> str | None:
    return client_ip(rf.get("/", REMOTE_ADDR=remote, **headers))


def test_without_trusted_proxies_headers_are_ignored(settings: Any) -> None:
    settings.LAOWU_TRUSTED_PROXIES = []
    assert ip("10.4.4.4", HTTP_X_FORWARDED_FOR="1.1.1.1", HTTP_X_REAL_IP="2.2.2.2") == "10.4.4.4"


def test_a_request_not_from_a_trusted_proxy_is_its_remote_addr(settings: Any) -> None:
    settings.LAOWU_TRUSTED_PROXIES = ["127.0.0.1"]
    assert ip("203.0.113.9", HTTP_X_FORWARDED_FOR="1.1.1.1", HTTP_X_REAL_IP="1.1.1.1") == "203.0.113.9"


def test_through_a_trusted_proxy_the_nearest_untrusted_hop_is_the_client(settings: Any) -> None:
    settings.LAOWU_TRUSTED_PROXIES = ["127.0.0.1", "10.0.0.0/8"]
    # The client sent a forged hop; nginx appended what it saw; a load balancer in 10/8 too.
    assert ip("127.0.0.1", HTTP_X_FORWARDED_FOR="9.9.9.9, 1.1.1.1, 10.0.0.5") == "1.1.1.1"
    assert ip("127.0.0.1", HTTP_X_FORWARDED_FOR="1.1.1.1") == "1.1.1.1"
    # No X-Forwarded-For: nginx's X-Real-IP.
    assert ip("127.0.0.1", HTTP_X_REAL_IP="2001:db8::1") == "2001:db8::1"
    # Garbage ends the trusted chain at the proxy itself, never in the IP columns.
    assert ip("127.0.0.1", HTTP_X_FORWARDED_FOR="1.1.1.1, unknown") == "127.0.0.1"
    assert ip("127.0.0.1", HTTP_X_REAL_IP="unknown") == "127.0.0.1"
    # Every hop ours: the request began inside.
    assert ip("127.0.0.1", HTTP_X_FORWARDED_FOR="10.1.1.1, 10.0.0.5") == "10.1.1.1"


def test_the_request_log_and_axes_use_the_same_rule(settings: Any, caplog: pytest.LogCaptureFixture) -> None:
    settings.LAOWU_TRUSTED_PROXIES = ["127.0.0.1"]
    assert settings.AXES_CLIENT_IP_CALLABLE == "laowu.core.http.client_ip"
    caplog.set_level(logging.INFO, logger="laowu.request")
    Client(REMOTE_ADDR="127.0.0.1").get("/healthz", HTTP_X_FORWARDED_FOR="8.8.8.8, 1.1.1.1")
    assert [r.client_ip for r in caplog.records if r.name == "laowu.request"] == ["1.1.1.1"]
