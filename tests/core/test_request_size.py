"""Oversized request bodies are refused before Django reads (and spools) them."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse


def test_oversized_body_is_refused_before_it_is_read(db: Any, settings: Any) -> None:
    settings.LAOWU_MAX_REQUEST_BYTES = 1024
    client = Client()
    resp = client.post(reverse("accounts:login"), data=b"x" * 2048, content_type="application/octet-stream")
    assert resp.status_code == 413 and "提交的内容过大" in resp.content.decode()
    # A body within the limit goes through as usual (here: the login form's own errors).
    assert client.post(reverse("accounts:login"), {"username": "a"}).status_code == 200


def test_default_limit_leaves_room_for_the_catalogue_upload(settings: Any) -> None:
    from laowu.contracts.catalogue_views import MAX_UPLOAD_BYTES

    assert MAX_UPLOAD_BYTES < settings.LAOWU_MAX_REQUEST_BYTES
