"""A printed sheet's QR code points at LAOWU_PUBLIC_BASE_URL, whatever Host the print was
requested from (laowu/review/sheets.py, laowu/supervision/rectification_notice.py)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from laowu.review.models import State
from laowu.supervision import rectification_notice
from tests.review.test_print_and_verify import qr_urls

pytestmark = pytest.mark.django_db


@pytest.mark.prints
def test_the_qr_code_names_the_public_address_not_the_request_host(
    settings: Any, filing_in_state: Any, as_user: Any, enterprise_a: Any
) -> None:
    settings.LAOWU_PUBLIC_BASE_URL = "https://laowu.example.cn"
    settings.ALLOWED_HOSTS = ["*"]
    sub = filing_in_state(State.APPROVED).approved_submission
    owner = as_user(enterprise_a)
    expected = "https://laowu.example.cn" + reverse("printing:verify", args=[sub.verify_token])
    # The first print comes from an address only the server itself knows, the second through
    # the public name: both sheets send a scan to the public address.
    for host in ("localhost:8280", "laowu.example.cn"):
        resp = owner.get(reverse("printing:print", args=[sub.pk]), HTTP_HOST=host)
        assert resp.status_code == 200
        assert qr_urls(resp.content) == [expected], host


def test_the_rectification_notice_uses_the_public_address_too(settings: Any) -> None:
    settings.LAOWU_PUBLIC_BASE_URL = "https://laowu.example.cn"

    class Issued:
        verify_token = "t0ken"

    url = rectification_notice.verify_url(Issued(), "http://localhost:8280/")  # type: ignore[arg-type]
    assert url.startswith("https://laowu.example.cn/")
