"""Every redirect target read from the request stays on this site (laowu/core/http.py)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import RequestFactory
from django.urls import reverse

from laowu.core.http import is_safe_redirect, redirect_target
from tests.conftest import PASSWORD
from tests.factories import EnterpriseUserFactory

EVIL = (
    "https://evil.example/login",
    "//evil.example/x",
    "/\\evil.example",
    "javascript:alert(1)",
    "http:///evil.example",
)


@pytest.mark.parametrize("target", EVIL)
def test_foreign_targets_fall_back_to_the_default(target: str) -> None:
    request = RequestFactory().post("/x/", {"next": target})
    assert not is_safe_redirect(target, request)
    assert redirect_target(request, "/home/") == "/home/"


def test_local_paths_and_own_host_are_kept() -> None:
    request = RequestFactory().post("/x/", {"next": "/accounts/users/?page=2"})
    assert redirect_target(request, "/home/") == "/accounts/users/?page=2"
    own = RequestFactory().get("/x/", {"next": "http://testserver/a/"})
    assert redirect_target(own, "/home/") == "http://testserver/a/"
    # Over https, a plain-http URL of the same host would downgrade the user.
    secure = RequestFactory().get("/x/", {"next": "http://testserver/a/"}, secure=True)
    assert redirect_target(secure, "/home/") == "/home/"
    # Without a request (stored links) only paths pass.
    assert is_safe_redirect("/a/") and not is_safe_redirect("http://testserver/a/")


@pytest.mark.django_db
@pytest.mark.parametrize("target", EVIL)
def test_account_activation_ignores_a_foreign_next(target: str, as_user: Any, sysadmin: Any) -> None:
    account = EnterpriseUserFactory()
    resp = as_user(sysadmin).post(
        reverse("accounts:user_set_active", args=[account.pk]), {"active": "0", "next": target}
    )
    assert resp.status_code == 302 and resp["Location"] == reverse("accounts:user_list")
    account.refresh_from_db()
    assert account.is_active is False


@pytest.mark.django_db
def test_account_activation_keeps_a_local_next(as_user: Any, sysadmin: Any) -> None:
    account = EnterpriseUserFactory()
    back = reverse("accounts:user_list") + "?q=abc"
    resp = as_user(sysadmin).post(reverse("accounts:user_set_active", args=[account.pk]), {"active": "0", "next": back})
    assert resp["Location"] == back


def _login(client: Any, user: Any, next_url: str) -> Any:
    data = {"username": user.username, "password": PASSWORD, "captcha_0": "k", "captcha_1": "PASSED"}
    return client.post(reverse("accounts:login"), {**data, "next": next_url})


@pytest.mark.django_db
@pytest.mark.parametrize("target", EVIL)
def test_login_ignores_a_foreign_next(target: str, client: Any, enterprise_a: Any) -> None:
    resp = _login(client, enterprise_a, target)
    assert resp.status_code == 302 and resp["Location"] == "/"


@pytest.mark.django_db
def test_login_follows_a_local_next(client: Any, enterprise_a: Any) -> None:
    resp = _login(client, enterprise_a, "/enterprise/messages/")
    assert resp.status_code == 302 and resp["Location"] == "/enterprise/messages/"


@pytest.mark.django_db
@pytest.mark.parametrize("target", EVIL)
def test_logout_ignores_a_foreign_next(target: str, as_user: Any, enterprise_a: Any) -> None:
    resp = as_user(enterprise_a).post(reverse("accounts:logout"), {"next": target})
    assert resp.status_code == 302 and resp["Location"] == reverse("accounts:login")
