"""Nothing a clerk types is lost, on the owner page of every filing type, in Chromium: after
上传 the typed values are still there (kept on the screen with JavaScript, saved with the upload
without it), 申报/提交 after a 退回 declares what is on the screen, and leaving the page with
unsaved edits asks first (laowu/review/editing.py, laowu/static/laowu/laowu.js)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from playwright.sync_api import expect

from laowu.personnel.models import SafetyOfficer, WageManager
from laowu.review import services
from laowu.review.models import State, Submission
from tests.browser.conftest import SCREENS
from tests.browser.test_uploads import new_page
from tests.factories import (
    EnterpriseUserFactory,
    StaffFactory,
    approved_project,
    complete_basic_info,
    complete_person,
    make_id_number,
    make_pdf_bytes,
)

pytestmark = pytest.mark.django_db(transaction=True)

# Per filing type: a field the clerk types into, a value it accepts, and a slot to upload to.
TYPES = {
    "basic_info": ("office_address", "苏州市相城区阳澄湖大道新址18号", "other"),
    "safety_officer": ("mobile", "13700001111", "labour_contract"),
    "wage_manager": ("mobile", "13700002222", "social_insurance"),
    "project": ("site_manager", "周屏幕", "other"),
}


def rejected_filing(kind: str) -> Any:
    """A filing of `kind`, declared and sent back by the reviewer (退回): editable again."""
    owner = EnterpriseUserFactory()
    reviewer = StaffFactory()
    info = complete_basic_info(owner.enterprise, actor=owner)
    if kind == "basic_info":
        filing = info
    else:
        services.approve(submission=services.declare(filing=info, actor=owner), actor=reviewer)
        if kind == "project":
            filing = approved_project(owner, reviewer)
            filing = services.start_change(filing=filing, actor=owner)
        else:
            model = SafetyOfficer if kind == "safety_officer" else WageManager
            filing = complete_person(model, owner, id_number=make_id_number(), name="张三")
    submission = services.declare(filing=filing, actor=owner)
    services.reject(submission=submission, actor=reviewer, reason="请更正联系信息。")
    filing.refresh_from_db()
    assert filing.state == State.REJECTED and filing.is_editable
    return owner, filing


@pytest.fixture
def open_page(browser: Any, live_server: Any) -> Iterator[Callable[..., Any]]:
    contexts: list[Any] = []

    def open_as(user: Any, url: str, *, js: bool = True) -> Any:
        page = new_page(browser, js=js)
        contexts.append(page.context)
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        page.context.add_cookies(
            [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
        )
        page.goto(live_server.url + url)
        return page

    yield open_as
    for context in contexts:
        context.close()


def pdf_file(tmp_path: Path, name: str) -> str:
    path = tmp_path / name
    path.write_bytes(make_pdf_bytes(name))
    return str(path)


def slot(page: Any, filing: Any, code: str) -> Any:
    return page.locator(f"tr.attach-slot[id$='-{filing.pk}-{code}']")


@pytest.mark.parametrize("kind", list(TYPES))
@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_typed_values_survive_upload_and_are_declared(open_page: Any, tmp_path: Path, kind: str, js: bool) -> None:
    field, value, code = TYPES[kind]
    owner, filing = rejected_filing(kind)
    page = open_page(owner, filing.get_absolute_url(), js=js)
    box = page.locator(f"#owner-form [name='{field}']")
    box.fill(value)
    row = slot(page, filing, code)
    row.locator("input[type=file]").set_input_files(pdf_file(tmp_path, "补充材料.pdf"))
    row.locator("button", has_text="上传").click()
    expect(row.locator(".msg-success", has_text="“补充材料.pdf”上传成功。")).to_be_visible()
    # Still on the screen after 上传, with or without JavaScript.
    expect(page.locator(f"#owner-form [name='{field}']")).to_have_value(value)
    filing.refresh_from_db()
    if js:
        # Sent on its own: the typed value waits, unsaved, for 保存 or 申报.
        assert getattr(filing, field) != value
    else:
        # Sent with the page's form: saved along with the file.
        assert getattr(filing, field) == value
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"typed-kept-{kind}-{'js' if js else 'nojs'}.png"))
    # 申报/提交 declares what is on the screen.
    word = "申报" if kind == "basic_info" else "提交"
    page.on("dialog", lambda d: d.accept())
    page.locator(".filing-actions button", has_text=word).click()
    expect(page.locator(".msg-success", has_text="已申报")).to_be_visible()
    filing.refresh_from_db()
    assert filing.state == State.DECLARED and getattr(filing, field) == value
    latest = Submission.objects.filter(filing_id=filing.pk, enterprise=filing.enterprise).latest("revision")
    assert value in str(latest.snapshot)


def test_enter_in_a_field_saves_rather_than_declares(open_page: Any) -> None:
    owner, filing = rejected_filing("basic_info")
    page = open_page(owner, filing.get_absolute_url(), js=False)
    box = page.locator("#owner-form [name='office_address']")
    box.fill("回车保存的地址")
    box.press("Enter")
    expect(page.locator(".msg-success", has_text="已保存")).to_be_visible()
    filing.refresh_from_db()
    assert filing.state == State.REJECTED and filing.office_address == "回车保存的地址"


def test_leaving_with_unsaved_edits_asks_first(open_page: Any, live_server: Any) -> None:
    owner, filing = rejected_filing("safety_officer")
    url = filing.get_absolute_url()
    page = open_page(owner, url)
    # Nothing typed: leaving asks nothing.
    page.locator("nav a", has_text="首页").first.click()
    page.wait_for_url(lambda u: not u.endswith(url))
    page.goto(live_server.url + url)
    page.locator("#owner-form [name='mobile']").fill("13700003333")
    asked: list[str] = []

    def stay(dialog: Any) -> None:
        asked.append(dialog.type)
        dialog.dismiss()

    page.once("dialog", stay)
    page.locator("nav a", has_text="首页").first.click()
    page.wait_for_timeout(500)
    assert asked == ["beforeunload"] and page.url.endswith(url)
    expect(page.locator("#owner-form [name='mobile']")).to_have_value("13700003333")
    # 保存 is not leaving: no question, and the value is kept.
    page.locator("#owner-form button", has_text="保存").click()
    expect(page.locator(".msg-success", has_text="已保存")).to_be_visible()
    assert asked == ["beforeunload"]
    filing.refresh_from_db()
    assert filing.mobile == "13700003333"
