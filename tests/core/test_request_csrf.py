"""The request's CSRF token masked once (laowu/core/csrf.py): one valid token per request for
every form of the page, a new one once the secret is rotated (a login)."""

from __future__ import annotations

import re
from typing import Any

from django.middleware.csrf import _unmask_cipher_token, get_token, rotate_token
from django.test import RequestFactory
from django.urls import reverse

from laowu.core import csrf as request_csrf
from laowu.core.csrf import csrf, request_token

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]*)"')


def test_one_token_per_request_and_secret() -> None:
    request = RequestFactory().get("/")
    first = request_token(request)
    secret = request.META["CSRF_COOKIE"]
    assert _unmask_cipher_token(first) == secret and request.META["CSRF_COOKIE_NEEDS_UPDATE"]
    assert request_token(request) == first
    assert str(csrf(request)["csrf_token"]) == first
    assert _unmask_cipher_token(get_token(request)) == secret  # Django's own answer: the same secret
    rotate_token(request)
    rotated = request_token(request)
    assert rotated != first and _unmask_cipher_token(rotated) == request.META["CSRF_COOKIE"] != secret


def test_a_list_page_and_its_layout_share_one_token(
    as_user: Any, enterprise_a: Any, reviewer: Any, filing_in_state: Any, monkeypatch: Any
) -> None:
    """A list's row forms (laowu/core/rows.py `csrf_input`) and the logout form of the layout."""
    from laowu.personnel.models import SafetyOfficer
    from laowu.review.models import State
    from tests.factories import approved_person, make_id_number

    filing_in_state(State.APPROVED)
    approved_person(SafetyOfficer, enterprise_a, reviewer, id_number=make_id_number(), name="王五")
    calls: list[Any] = []

    def counted(request: Any) -> str:
        calls.append(request)
        return get_token(request)

    monkeypatch.setattr(request_csrf, "get_token", counted)
    client = as_user(enterprise_a)
    client.get("/")
    calls.clear()
    page = client.get(reverse("personnel:list", args=["safety"])).content.decode()
    assert len(calls) == 1
    tokens = TOKEN.findall(page)
    assert len(tokens) == 2 and len(set(tokens)) == 1  # the row's 注销 and the logout form
    assert _unmask_cipher_token(tokens[0]) == client.cookies["csrftoken"].value
