"""The QR verification page on the phone that scanned the sheet: every verdict fits a 390 px
screen without horizontal scrolling and is read on the first screen, and the page still
looks right at 1366×768."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.urls import reverse

from laowu.core.ratelimit import allow
from laowu.personnel.models import SafetyOfficer
from laowu.review import services
from laowu.review.models import State, Submission, SubmissionStatus
from tests.browser.conftest import SCREENS, VIEWPORT
from tests.conftest import client_for
from tests.factories import approved_person

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}
# A long enterprise name, as some are: it must wrap, not widen the page.
LONG_NAME = "苏州市相城区元和街道阳澄湖生态休闲旅游度假区建筑劳务分包工程有限责任公司第一分公司"


def session_for(user: Any) -> str:
    # Past both factors, as a staff account must be (laowu/accounts/otp.py).
    client = client_for(user)
    return client.cookies["sessionid"].value


def _valid(filing_in_state: Any, **_: Any) -> str:
    approved = filing_in_state(State.APPROVED)
    return approved.approved_submission.verify_token


def _changed(filing_in_state: Any, enterprise_a: Any, reviewer: Any, **_: Any) -> str:
    approved = filing_in_state(State.APPROVED)
    first = approved.approved_submission
    services.start_change(filing=approved, actor=enterprise_a)
    services.approve(submission=services.declare(filing=approved, actor=enterprise_a), actor=reviewer)
    return first.verify_token


def _deregistered(filing_in_state: Any, enterprise_a: Any, reviewer: Any, **_: Any) -> str:
    filing_in_state(State.APPROVED)
    person = approved_person(SafetyOfficer, enterprise_a, reviewer, id_number="11010519491231002X", name="王建军")
    services.deregister(filing=person, actor=enterprise_a)
    return person.approved_submission.verify_token


def _invalid(filing_in_state: Any, **_: Any) -> str:
    # A sheet whose submission is no longer approved for any other reason reads 无效.
    approved = filing_in_state(State.APPROVED)
    sub = approved.approved_submission
    Submission.objects.filter(pk=sub.pk).update(status=SubmissionStatus.WITHDRAWN)
    return sub.verify_token


def _not_found(**_: Any) -> str:
    return "x" * 32


def _limited(filing_in_state: Any, settings: Any, **_: Any) -> str:
    # The browser comes from 127.0.0.1; its minute's one allowed look is already used up.
    settings.LAOWU_VERIFY_RATE_PER_MINUTE = 1
    token = _valid(filing_in_state)
    allow("verify:127.0.0.1", limit=1, window_seconds=60, fail_open=True)
    allow("verify:127.0.0.1", limit=1, window_seconds=60, fail_open=True)
    return token


VERDICTS: dict[str, tuple[Callable[..., str], str]] = {
    "valid": (_valid, "已通过（有效）"),
    "changed": (_changed, "已变更"),
    "deregistered": (_deregistered, "已注销"),
    "invalid": (_invalid, "无效"),
    "not-found": (_not_found, "未找到"),
    "limited": (_limited, "访问过于频繁"),
}


@pytest.mark.parametrize("case", list(VERDICTS))
def test_every_verdict_fits_a_phone_and_is_on_the_first_screen(
    case: str,
    live_server: Any,
    browser: Any,
    filing_in_state: Any,
    enterprise_a: Any,
    reviewer: Any,
    settings: Any,
) -> None:
    cache.clear()
    signed_in = case == "valid"
    ent = enterprise_a.enterprise
    ent.name = LONG_NAME
    ent.save(update_fields=["name"])
    make, verdict = VERDICTS[case]
    token = make(filing_in_state=filing_in_state, enterprise_a=enterprise_a, reviewer=reviewer, settings=settings)
    url = live_server.url + reverse("printing:verify", args=[token])
    for name, viewport in (("phone", PHONE), ("desktop", VIEWPORT)):
        ctx = browser.new_context(
            viewport=viewport, locale="zh-CN", is_mobile=name == "phone", has_touch=name == "phone"
        )
        if signed_in:
            # A committee member scanning while signed in: the top bar carries her name and 退出登录.
            ctx.add_cookies([{"name": "sessionid", "value": session_for(reviewer), "url": live_server.url}])
        page = ctx.new_page()
        page.goto(url)
        if signed_in:
            assert page.locator("button", has_text="退出登录").is_visible()
        status = page.locator(".verify-status")
        assert status.inner_text().strip() == verdict
        SCREENS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENS / f"verify-{case}-{name}.png"), full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], f"{case} at {name}: {width}px wide, scrolls sideways"
        box = status.bounding_box()
        assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"], (
            f"{case} at {name}: the verdict is not on the first screen ({box})"
        )
        # Readable without zooming: the verdict is large and the body text no smaller than 14 px.
        assert float(status.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 22
        sizes = page.evaluate(
            "Array.from(document.querySelectorAll('.verify-wrap td, .verify-wrap th, .verify-wrap p'))"
            ".map(e => parseFloat(getComputedStyle(e).fontSize))"
        )
        assert sizes and min(sizes) >= 14
        if case in ("valid", "changed", "deregistered", "invalid"):
            # The details wrap inside the screen too, not only the page.
            table_right = page.evaluate("document.querySelector('.verify-wrap table').getBoundingClientRect().right")
            assert table_right <= viewport["width"]
        ctx.close()
    cache.clear()
