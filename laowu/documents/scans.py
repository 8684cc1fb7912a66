"""The record of each visit to a QR verification page (`VerificationScan`), whatever sheet it is for."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from laowu.core.http import client_ip

from .models import VerificationScan


def record_scan(
    request: HttpRequest,
    *,
    token: str,
    found: bool,
    submission: Any = None,
    sheet_type: str = "",
    sheet_id: int | None = None,
) -> VerificationScan:
    """One visit: which sheet (if the token named one), the token's first characters, who asked."""
    return VerificationScan.objects.create(
        submission=submission,
        sheet_type=sheet_type,
        sheet_id=sheet_id,
        token_prefix=token[:8],
        found=found,
        ip=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
    )
