"""通知公告 (reviewers publish; login page, enterprise home and public pages show) and 站内消息."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from laowu.audit.models import AuditEvent
from laowu.audit.services import Action
from laowu.supervision import notices
from laowu.supervision.messaging import local_link, send_message
from laowu.supervision.models import Message, Notice

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
PUBLIC_LIST = reverse("supervision:notice_public_list")


def _create(client: Client, **fields: Any) -> Notice:
    data = {"title": "关于开展2026年度劳务企业信息核查的通知", "body": "各劳务企业：\n请于5月底前完成核查。"}
    data.update(fields)
    resp = client.post(reverse("supervision:notice_new"), data)
    assert resp.status_code == 302, resp.content.decode()
    return Notice.objects.latest("id")


def _publish(client: Client, notice: Notice) -> None:
    resp = client.post(reverse("supervision:notice_publish", args=[notice.pk]))
    assert resp.status_code == 302


def _notice(reviewer: Any, title: str, *, published: bool = True, pinned: bool = False) -> Notice:
    notice = notices.create_notice(data={"title": title, "body": f"{title}正文", "pinned": pinned}, actor=reviewer)
    if published:
        notice = notices.publish_notice(notice=notice, actor=reviewer)
    return notice


# ---------------------------------------------------------------- publishing and where notices show


def test_only_published_notices_show_on_login_page_home_and_public_pages(
    as_user: Any, reviewer: Any, enterprise_a: Any
) -> None:
    staff = as_user(reviewer)
    notice = _create(staff)
    assert not notice.is_published and notice.created_by == reviewer
    detail = notice.get_absolute_url()
    assert detail == reverse("supervision:notice_detail", args=[notice.pk])

    anonymous = Client()
    enterprise = as_user(enterprise_a)
    assert notice.title not in anonymous.get(LOGIN).content.decode()
    assert notice.title not in anonymous.get(PUBLIC_LIST).content.decode()
    assert notice.title not in enterprise.get(reverse("workspace:home")).content.decode()
    assert anonymous.get(detail).status_code == 404
    assert enterprise.get(detail).status_code == 404

    _publish(staff, notice)
    notice.refresh_from_db()
    assert notice.is_published and notice.published_at is not None
    login_page = anonymous.get(LOGIN).content.decode()
    assert notice.title in login_page and f'href="{detail}"' in login_page
    assert notice.title in anonymous.get(PUBLIC_LIST).content.decode()
    home = enterprise.get(reverse("workspace:home")).content.decode()
    assert notice.title in home and f'href="{detail}"' in home
    page = anonymous.get(detail)
    assert page.status_code == 200
    assert "请于5月底前完成核查。" in page.content.decode()

    resp = staff.post(reverse("supervision:notice_unpublish", args=[notice.pk]))
    assert resp.status_code == 302
    assert notice.title not in anonymous.get(LOGIN).content.decode()
    assert notice.title not in enterprise.get(reverse("workspace:home")).content.decode()
    assert anonymous.get(detail).status_code == 404

    actions = list(AuditEvent.objects.filter(object_id=str(notice.pk)).values_list("action", flat=True))
    assert actions.count(Action.NOTICE_SAVE) == 1 and actions.count(Action.NOTICE_PUBLISH) == 2


def test_login_page_lists_the_latest_few_pinned_first(reviewer: Any) -> None:
    for i in range(7):
        _notice(reviewer, f"普通通知{i}")
    pinned = _notice(reviewer, "置顶的通知", pinned=True)
    _notice(reviewer, "草稿通知", published=False)
    # Published later than the pinned one, yet listed after it.
    newest = _notice(reviewer, "最新的通知")

    page = Client().get(LOGIN).content.decode()
    shown = [n for n in Notice.objects.all() if n.title in page]
    assert len(shown) == notices.LOGIN_PAGE_LATEST
    assert page.index(pinned.title) < page.index(newest.title)
    assert "草稿通知" not in page and "普通通知0" not in page


def test_body_is_plain_text_escaped_with_line_breaks(as_user: Any, reviewer: Any) -> None:
    staff = as_user(reviewer)
    notice = _create(staff, body='第一行<script>alert("x")</script>\n第二行\n\n第二段')
    _publish(staff, notice)
    html = Client().get(notice.get_absolute_url()).content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;<br>第二行" in html
    assert "<p>第二段</p>" in html


def test_public_list_search_and_pagination(reviewer: Any) -> None:
    for i in range(23):
        _notice(reviewer, f"关于第{i:02d}批次的通知")
    _notice(reviewer, "春节放假安排")
    anonymous = Client()
    first = anonymous.get(PUBLIC_LIST).content.decode()
    assert "共 24 条" in first and "第 1 / 2 页" in first
    assert "第 2 / 2 页" in anonymous.get(PUBLIC_LIST, {"page": 2}).content.decode()
    found = anonymous.get(PUBLIC_LIST, {"q": "春节"}).content.decode()
    assert "春节放假安排" in found and "关于第00批次" not in found


def test_public_pages_use_the_workspace_when_signed_in(as_user: Any, reviewer: Any, enterprise_a: Any) -> None:
    notice = _notice(reviewer, "企业菜单中的通知")
    page = as_user(enterprise_a).get(PUBLIC_LIST).content.decode()
    assert 'class="sidebar"' in page and notice.title in page
    assert 'class="sidebar"' not in Client().get(PUBLIC_LIST).content.decode()


# ---------------------------------------------------------------- managing


def test_reviewer_edits_searches_and_deletes(as_user: Any, reviewer: Any) -> None:
    staff = as_user(reviewer)
    notice = _create(staff)
    _notice(reviewer, "另一条通知", published=False)

    resp = staff.post(
        reverse("supervision:notice_edit", args=[notice.pk]),
        {"title": "更正后的标题", "body": "更正后的正文", "pinned": "on"},
    )
    assert resp.status_code == 302
    notice.refresh_from_db()
    assert (notice.title, notice.body, notice.pinned) == ("更正后的标题", "更正后的正文", True)
    assert AuditEvent.objects.filter(action=Action.NOTICE_SAVE, detail__changed=["title", "body", "pinned"]).exists()

    listing = staff.get(reverse("supervision:notice_list"), {"q": "更正"}).content.decode()
    assert "更正后的标题" in listing and "另一条通知" not in listing
    drafts = staff.get(reverse("supervision:notice_list"), {"status": "draft"}).content.decode()
    assert "更正后的标题" in drafts and "另一条通知" in drafts

    resp = staff.post(reverse("supervision:notice_delete", args=[notice.pk]))
    assert resp.status_code == 302 and not Notice.objects.filter(pk=notice.pk).exists()
    assert AuditEvent.objects.filter(action=Action.NOTICE_DELETE, detail__title="更正后的标题").exists()


def test_form_errors_are_shown_and_input_kept(as_user: Any, reviewer: Any) -> None:
    resp = as_user(reviewer).post(reverse("supervision:notice_new"), {"title": "只有标题", "body": "  "})
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "请填写正文。" in html and 'value="只有标题"' in html
    assert not Notice.objects.exists()


def test_publishing_twice_is_refused(as_user: Any, reviewer: Any) -> None:
    staff = as_user(reviewer)
    notice = _create(staff)
    _publish(staff, notice)
    resp = staff.post(reverse("supervision:notice_publish", args=[notice.pk]), follow=True)
    assert "该通知公告已发布" in resp.content.decode()
    assert AuditEvent.objects.filter(action=Action.NOTICE_PUBLISH).count() == 1


def test_supervisor_and_enterprise_cannot_manage_notices(
    as_user: Any, reviewer: Any, supervisor: Any, enterprise_a: Any
) -> None:
    notice = _notice(reviewer, "已发布的通知")
    draft = _notice(reviewer, "草稿", published=False)
    for user in (supervisor, enterprise_a):
        client = as_user(user)
        assert client.get(reverse("supervision:notice_list")).status_code == 403
        assert client.get(reverse("supervision:notice_new")).status_code == 403
        assert client.post(reverse("supervision:notice_new"), {"title": "越权", "body": "越权"}).status_code == 403
        assert (
            client.post(reverse("supervision:notice_edit", args=[notice.pk]), {"title": "改", "body": "改"}).status_code
            == 403
        )
        assert client.post(reverse("supervision:notice_publish", args=[draft.pk])).status_code == 403
        assert client.post(reverse("supervision:notice_unpublish", args=[notice.pk])).status_code == 403
        assert client.post(reverse("supervision:notice_delete", args=[notice.pk])).status_code == 403
        # Reading the published ones is for everybody.
        assert client.get(notice.get_absolute_url()).status_code == 200
    assert Notice.objects.count() == 2 and not Notice.objects.get(pk=draft.pk).is_published
    assert Notice.objects.get(pk=notice.pk).title == "已发布的通知"
    # Anonymous users are sent to log in for the management pages.
    assert Client().get(reverse("supervision:notice_new")).status_code == 302


def test_changing_uses_post_only(as_user: Any, reviewer: Any) -> None:
    notice = _notice(reviewer, "通知", published=False)
    staff = as_user(reviewer)
    for name in ("notice_publish", "notice_unpublish", "notice_delete"):
        assert staff.get(reverse(f"supervision:{name}", args=[notice.pk])).status_code == 405


# ---------------------------------------------------------------- 站内消息


def test_messages_are_the_enterprises_own(as_user: Any, enterprise_a: Any, enterprise_b: Any) -> None:
    mine = send_message(enterprise=enterprise_a.enterprise, title="A的消息", body="给A", link="/enterprise/basic-info/")
    theirs = send_message(enterprise=enterprise_b.enterprise, title="B的消息", body="给B")
    a, b = as_user(enterprise_a), as_user(enterprise_b)

    page = a.get(reverse("supervision:messages")).content.decode()
    assert "A的消息" in page and "B的消息" not in page

    # B can neither open nor mark A's message: 404, and it stays unread.
    assert b.get(reverse("supervision:message_open", args=[mine.pk])).status_code == 404
    assert b.post(reverse("supervision:message_mark_read", args=[mine.pk])).status_code == 404
    b.post(reverse("supervision:message_mark_all_read"))
    mine.refresh_from_db()
    assert mine.read_at is None
    theirs.refresh_from_db()
    assert theirs.read_at is not None


def test_opening_marks_read_and_follows_local_links_only(as_user: Any, enterprise_a: Any) -> None:
    enterprise = enterprise_a.enterprise
    linked = send_message(enterprise=enterprise, title="基本信息已退回", body="请修改", link="/enterprise/basic-info/")
    external = send_message(enterprise=enterprise, title="外链", body="不应跳转", link="https://example.com/x")
    client = as_user(enterprise_a)

    resp = client.get(reverse("supervision:message_open", args=[linked.pk]))
    assert resp.status_code == 302 and resp["Location"] == "/enterprise/basic-info/"
    linked.refresh_from_db()
    first_read = linked.read_at
    assert first_read is not None
    client.get(reverse("supervision:message_open", args=[linked.pk]))
    linked.refresh_from_db()
    assert linked.read_at == first_read  # the first reading counts

    resp = client.get(reverse("supervision:message_open", args=[external.pk]))
    assert resp.status_code == 200 and "不应跳转" in resp.content.decode()
    external.refresh_from_db()
    assert external.read_at is not None


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("/supervision/expiry/", "/supervision/expiry/"),
        ("", ""),
        ("//evil.example/", ""),
        ("https://evil.example/", ""),
        ("/\\evil.example", ""),
        ("javascript:alert(1)", ""),
    ],
)
def test_local_link(link: str, expected: str) -> None:
    assert local_link(link) == expected


def test_list_unread_first_search_filter_and_mark_read(as_user: Any, enterprise_a: Any) -> None:
    enterprise = enterprise_a.enterprise
    old_unread = send_message(enterprise=enterprise, title="较早的未读消息", body="一")
    read = send_message(enterprise=enterprise, title="已读的新消息", body="二")
    Message.objects.filter(pk=read.pk).update(read_at=read.created_at)
    client = as_user(enterprise_a)
    url = reverse("supervision:messages")

    page = client.get(url).content.decode()
    assert "（1条未读）" in page
    assert page.index("较早的未读消息") < page.index("已读的新消息")
    assert "已读的新消息" not in client.get(url, {"read": "unread"}).content.decode()
    assert "较早的未读消息" not in client.get(url, {"q": "新消息"}).content.decode()

    resp = client.post(reverse("supervision:message_mark_read", args=[old_unread.pk]), {"query": "read=unread"})
    assert resp.status_code == 302 and resp["Location"] == f"{url}?read=unread"
    old_unread.refresh_from_db()
    assert old_unread.read_at is not None

    for i in range(3):
        send_message(enterprise=enterprise, title=f"新消息{i}", body="x")
    resp = client.post(reverse("supervision:message_mark_all_read"), follow=True)
    assert "已将3条未读消息标为已读。" in resp.content.decode()
    assert not Message.objects.filter(enterprise=enterprise, read_at__isnull=True).exists()
    assert client.get(reverse("supervision:message_mark_all_read")).status_code == 405


def test_enterprise_home_shows_unread_count_and_latest_messages(as_user: Any, enterprise_a: Any) -> None:
    enterprise = enterprise_a.enterprise
    for i in range(7):
        send_message(enterprise=enterprise, title=f"消息标题{i}", body="x")
    home = as_user(enterprise_a).get(reverse("workspace:home")).content.decode()
    assert "7条未读" in home
    assert "消息标题6" in home and "消息标题2" in home and "消息标题1" not in home


def test_messages_page_is_for_enterprises(as_user: Any, reviewer: Any, supervisor: Any) -> None:
    for user in (reviewer, supervisor):
        assert as_user(user).get(reverse("supervision:messages")).status_code == 403


def test_notice_list_exports_to_excel(as_user: Any, reviewer: Any, supervisor: Any) -> None:
    import io

    import openpyxl

    from laowu.supervision.models import Notice

    Notice.objects.create(title="=关于复核的通知", body="正文", is_published=False, created_by=reviewer)
    resp = as_user(reviewer).get(reverse("supervision:notice_export"), {"status": "draft"})
    rows = list(openpyxl.load_workbook(io.BytesIO(resp.content)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("标题", "状态", "置顶") and rows[1][:2] == ("'=关于复核的通知", "草稿")
    assert rows[1][3] is None  # never published: an empty cell, not an apostrophe
    assert as_user(supervisor).get(reverse("supervision:notice_export")).status_code == 403


# ---------------------------------------------------------------- attachments


def _upload(client: Client, notice: Notice, name: str = "核查表.pdf", text: str = "form") -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.factories import make_pdf_bytes

    upload = SimpleUploadedFile(name, make_pdf_bytes(text), "application/pdf")
    edit = reverse("supervision:notice_edit", args=[notice.pk])
    return client.post(
        reverse("documents:upload", args=["notice", notice.pk]), {"kind": "file", "file": upload, "next": edit}
    )


def test_reviewer_attaches_files_and_the_public_reads_them_once_published(
    as_user: Any, reviewer: Any, enterprise_a: Any
) -> None:
    client = as_user(reviewer)
    notice = _create(client)
    edit = reverse("supervision:notice_edit", args=[notice.pk])
    assert "选择" in client.get(edit).content.decode() and "上传" in client.get(edit).content.decode()
    resp = _upload(client, notice)
    # Back to the edit page, at the slot where the upload's outcome is shown.
    assert resp.status_code == 302 and resp.url.split("#")[0] == edit
    attachment = notice.attachments.get()
    assert attachment.original_name == "核查表.pdf"
    assert AuditEvent.objects.filter(action=Action.ATTACHMENT_UPLOAD, object_id=str(notice.pk)).exists()
    assert "核查表.pdf" in client.get(edit).content.decode()
    public_file = reverse("supervision:notice_attachment", args=[notice.pk, attachment.pk])

    # A draft's files are nobody's but the reviewers'.
    anonymous = Client()
    assert anonymous.get(public_file).status_code == 404
    assert as_user(enterprise_a).get(reverse("documents:attachment", args=[attachment.pk])).status_code == 404
    assert client.get(reverse("documents:attachment", args=[attachment.pk])).status_code == 200

    _publish(client, notice)
    page = anonymous.get(notice.get_absolute_url()).content.decode()
    assert "核查表.pdf" in page and public_file in page
    served = anonymous.get(public_file)
    assert served.status_code == 200 and served["Content-Type"] == "application/pdf"
    assert served.content.startswith(b"%PDF")
    assert as_user(enterprise_a).get(reverse("documents:attachment", args=[attachment.pk])).status_code == 200

    # Withdrawn, the notice and its files are gone from the public again.
    client.post(reverse("supervision:notice_unpublish", args=[notice.pk]))
    assert anonymous.get(public_file).status_code == 404


def test_public_file_url_serves_only_that_notices_attachments(as_user: Any, reviewer: Any) -> None:
    client = as_user(reviewer)
    draft, published = _create(client, title="草稿通知"), _create(client, title="已发布通知")
    _publish(client, published)
    _upload(client, draft, "内部材料.pdf", "secret")
    secret = draft.attachments.get()
    # A published notice's URL does not reach another (draft) notice's file.
    assert Client().get(reverse("supervision:notice_attachment", args=[published.pk, secret.pk])).status_code == 404


def test_only_reviewers_attach_to_notices(as_user: Any, reviewer: Any, supervisor: Any, enterprise_a: Any) -> None:
    notice = _notice(reviewer, "通知")
    for user in (supervisor, enterprise_a):
        resp = _upload(as_user(user), notice)
        assert resp.status_code in (403, 404)
    assert not notice.attachments.exists()
    # Deleting the notice takes its attachments with it.
    _upload(as_user(reviewer), notice)
    assert notice.attachments.count() == 1
    notices.delete_notice(notice=notice, actor=reviewer)
    from laowu.documents.models import Attachment

    assert not Attachment.objects.exists()
