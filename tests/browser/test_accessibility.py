"""Every page each role can reach passes axe-core: no critical or serious violation, one
`<main>`, one `<h1>`, the skip link first, and no template comment shown as text — crawled
from each role's home page through its menu and the links to detail pages, in the states the
flows drive (a form with its errors shown, the 选择项目 picker open, filings approved, declared
and rejected), and the public pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.a11y import Crawl, report
from tests.browser.conftest import new_page
from tests.browser.crawl_data import World, build_world
from tests.browser.test_basic_info_flow import login

# The crawl follows 打印 links, so the sheet fonts are built for it.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.prints]


@pytest.fixture
def world(enterprise_a: Any, reviewer: Any) -> World:
    return build_world(enterprise_a, reviewer)


def crawl_as(browser: Any, base: str, username: str | None) -> Crawl:
    page = new_page(browser)
    page.on("dialog", lambda d: d.accept())  # 申报/删除 confirmations on the forms submitted
    if username:
        login(page, base, username)
        expect(page.locator(".topbar", has_text="退出登录")).to_be_visible()
    return Crawl(page=page, base=base)


def finish(crawl: Crawl, minimum: int) -> None:
    crawl.page.context.close()
    assert len(crawl.visited) >= minimum, "crawl reached too few pages:\n" + "\n".join(crawl.visited)
    assert not crawl.problems, report(crawl.problems)


def submission(sub: Any) -> str:
    return reverse("review:submission", args=[sub.pk])


def test_enterprise_pages(live_server: Any, browser: Any, world: World, enterprise_a: Any) -> None:
    crawl = crawl_as(browser, live_server.url, enterprise_a.username)
    crawl.run(
        [
            "/",
            reverse("enterprises:basic_info"),  # approved
            reverse("personnel:edit", args=["safety", world.declared_person.pk]),  # declared
            reverse("personnel:edit", args=["wage", world.rejected_person.pk]),  # rejected
            reverse("contracts:edit", args=[world.project.pk]),
            reverse("supervision:inspection_detail", args=[world.inspection.pk]),
            reverse("supervision:bad_behaviour_detail", args=[world.bad_behaviour.pk]),
        ]
    )
    # The 选择项目 picker, open as a dialog over the new project page.
    crawl.page.goto(live_server.url + reverse("contracts:new"))
    crawl.page.click("a:has-text('选择项目')")
    expect(crawl.page.locator(".dialog tbody tr").first).to_be_visible()
    crawl.check(label="选择项目 dialog")
    for url, button in [
        (reverse("personnel:new", args=["safety"]), "保存"),
        (reverse("personnel:edit", args=["wage", world.rejected_person.pk]), "保存"),
        (reverse("accounts:password_change"), "保存"),
    ]:
        crawl.submit_empty(url, button)
    finish(crawl, 25)


def test_reviewer_pages(live_server: Any, browser: Any, world: World, reviewer: Any) -> None:
    crawl = crawl_as(browser, live_server.url, reviewer.username)
    crawl.run(
        [
            "/",
            submission(world.declared_submission),
            submission(world.approved_submission),
            submission(world.rejected_submission),
            reverse("supervision:inspection_detail", args=[world.inspection.pk]),
            reverse("supervision:bad_behaviour_detail", args=[world.bad_behaviour.pk]),
            reverse("supervision:award_detail", args=[world.award.pk]),
        ]
    )
    enterprise = world.project.enterprise_id
    for url, button in [
        (submission(world.declared_submission), "退回"),
        (reverse("supervision:notice_new"), "保存"),
        (reverse("supervision:bad_behaviour_new") + f"?enterprise={enterprise}", "保存"),
        (reverse("supervision:inspection_create", args=[world.project.pk]), "保存"),
        (reverse("supervision:award_new") + f"?enterprise={enterprise}", "推荐"),
        (reverse("supervision:credit_rules"), "保存"),
    ]:
        crawl.submit_empty(url, button)
    finish(crawl, 30)


def test_supervisor_pages(live_server: Any, browser: Any, world: World, supervisor: Any) -> None:
    crawl = crawl_as(browser, live_server.url, supervisor.username)
    crawl.run(["/", submission(world.approved_submission), submission(world.rejected_submission)])
    finish(crawl, 20)


@pytest.mark.parametrize("persona", ["sysadmin", "secadmin", "auditadmin"])
def test_admin_pages(live_server: Any, browser: Any, persona: str, request: pytest.FixtureRequest) -> None:
    user = request.getfixturevalue(persona)
    if persona == "sysadmin":
        # 短信发送记录 with a row, its 重新发送 button included.
        from django.utils import timezone

        from laowu.accounts.models import SmsKind, SmsMessage, SmsStatus

        now = timezone.now()
        SmsMessage.objects.create(
            kind=SmsKind.NOTICE,
            purpose="filing_approved",
            phone="13900001111",
            status=SmsStatus.FAILED,
            attempts=4,
            last_error="短信服务商繁忙",
            created_at=now,
            updated_at=now,
        )
    crawl = crawl_as(browser, live_server.url, user.username)
    crawl.run(["/", reverse("accounts:password_change")])
    if persona == "sysadmin":
        crawl.submit_empty(reverse("accounts:staff_create"), "保存")
    finish(crawl, 2)


def test_public_pages(live_server: Any, browser: Any, world: World) -> None:
    world.approved_submission.refresh_from_db()
    token = world.approved_submission.verify_token
    assert token, "an approved submission has a verification token"
    crawl = crawl_as(browser, live_server.url, None)
    crawl.run(
        [
            reverse("accounts:login"),
            reverse("accounts:register"),
            reverse("accounts:password_forgot"),
            reverse("supervision:public_bad_behaviour"),
            reverse("supervision:notice_public_list"),
            reverse("printing:verify", args=[token]),
        ]
    )
    crawl.page.goto(live_server.url + "/no-such-page/")
    crawl.check(label="404")
    for url, button in [
        (reverse("accounts:login"), "登录"),
        (reverse("accounts:register"), "注册"),
        (reverse("accounts:password_forgot"), "获取验证码"),
    ]:
        crawl.submit_empty(url, button)
    finish(crawl, 8)


def focused_inside(page: Any, selector: str) -> bool:
    return bool(page.evaluate("s => !!document.activeElement && !!document.activeElement.closest(s)", selector))


def test_picker_dialog_keyboard(live_server: Any, browser: Any, world: World, enterprise_a: Any) -> None:
    """选择项目 opens a named dialog that keeps the keyboard inside, closes on Esc and gives
    focus back to the link that opened it."""
    page = new_page(browser)
    login(page, live_server.url, enterprise_a.username)
    page.goto(live_server.url + reverse("contracts:new"))
    opener = page.locator("a:has-text('选择项目')")
    opener.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="选择项目")
    expect(dialog).to_be_visible()
    expect(dialog.locator("tbody tr").first).to_be_visible()
    expect(dialog.locator("input[name=q]")).to_be_focused()
    stops = dialog.locator("a[href], button, input:not([type=hidden])").count()
    for _ in range(stops + 2):  # once round and on: Tab wraps from the last control to the first
        page.keyboard.press("Tab")
        assert focused_inside(page, ".dialog"), "Tab left the open dialog"
    dialog.locator(".dialog-close").focus()
    page.keyboard.press("Shift+Tab")
    assert focused_inside(page, ".dialog"), "Shift+Tab left the open dialog"
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(opener).to_be_focused()
    # The close button does the same.
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog", name="选择项目")).to_be_visible()
    page.locator(".dialog-close").click()
    expect(page.locator(".dialog")).to_have_count(0)
    expect(opener).to_be_focused()
    page.context.close()


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_skip_link_and_file_focus(live_server: Any, browser: Any, world: World, enterprise_a: Any, js: bool) -> None:
    """The first Tab reaches “跳到主要内容”, shown on screen; following it, the next Tab is in
    the main content, not the menu; the 选择 file control shows its focus."""
    page = new_page(browser, js=js)
    login(page, live_server.url, enterprise_a.username)
    page.goto(live_server.url + reverse("personnel:edit", args=["wage", world.rejected_person.pk]))
    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_have_text("跳到主要内容")
    box = skip.bounding_box()
    assert box and box["y"] >= 0 and box["height"] > 10, "the focused skip link is on screen"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert focused_inside(page, "main"), "after the skip link the next Tab is in the main content"
    pick = page.locator(".file-pick").first
    pick.locator("input[type=file]").focus()
    outline = pick.evaluate("el => [getComputedStyle(el).outlineStyle, parseFloat(getComputedStyle(el).outlineWidth)]")
    assert outline[0] != "none" and outline[1] >= 2, f"选择 shows no focus: {outline}"
    page.context.close()
