"""上传 and 删除 over HTTP: several files per slot, stored or refused file by file; the page
returns to the slot and says what happened there, or answers in JSON when upload.js asks."""

from __future__ import annotations

from typing import Any

import lxml.html
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from laowu.audit.models import AuditEvent
from laowu.audit.services import Action
from laowu.documents.models import Attachment
from laowu.documents.services import add_attachment
from laowu.enterprises.models import BasicInfo
from laowu.enterprises.services import ensure_basic_info
from laowu.review.models import State
from tests.documents import pdfs

pytestmark = pytest.mark.django_db

PAGE = reverse("enterprises:basic_info")
JSON = {"HTTP_ACCEPT": "application/json", "HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}


@pytest.fixture
def info(enterprise_a: Any) -> BasicInfo:
    return ensure_basic_info(enterprise=enterprise_a.enterprise)


@pytest.fixture
def owner(as_user: Any, enterprise_a: Any) -> Client:
    return as_user(enterprise_a)


def pdf(name: str, text: str | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdfs.valid_pdf(text or name), content_type="application/pdf")


def upload_url(info: BasicInfo) -> str:
    return reverse("documents:upload", args=["basic_info", info.pk])


def anchor(info: BasicInfo, kind: str) -> str:
    return f"att-basic_info-{info.pk}-{kind}"


def by_class(el: Any, cls: str) -> list[Any]:
    return el.xpath(f".//*[contains(concat(' ', normalize-space(@class), ' '), ' {cls} ')]")


def slot_messages(page: str, slot: str) -> list[tuple[str, str]]:
    """(level, text) of each message shown in the slot's row."""
    [row] = lxml.html.fromstring(page).xpath(f"//tr[@id='{slot}']")
    [box] = by_class(row, "upload-results")
    return [(m.get("class").split("msg-")[-1], m.text_content()) for m in by_class(box, "msg")]


def top_messages(page: str) -> list[str]:
    doc = lxml.html.fromstring(page)
    return [m.text_content() for box in by_class(doc, "messages") for m in by_class(box, "msg")]


def test_several_files_in_one_post_each_reported_beside_the_slot(owner: Client, info: BasicInfo) -> None:
    files = [pdf("第一页.pdf"), SimpleUploadedFile("照片.pdf", pdfs.png_bytes()), pdf("第二页.pdf")]
    resp = owner.post(upload_url(info), {"kind": "other", "file": files, "next": PAGE})
    # Back to the slot's row, on the page the form came from.
    assert resp.status_code == 302 and resp.url == f"{PAGE}#{anchor(info, 'other')}"
    assert sorted(info.attachments.filter(kind="other").values_list("original_name", flat=True)) == [
        "第一页.pdf",
        "第二页.pdf",
    ]
    assert AuditEvent.objects.filter(action=Action.ATTACHMENT_UPLOAD).count() == 2
    page = owner.get(PAGE).content.decode()
    shown = slot_messages(page, anchor(info, "other"))
    assert [level for level, _ in shown] == ["success", "error", "success"]
    assert shown[0][1] == "“第一页.pdf”上传成功。" and shown[2][1] == "“第二页.pdf”上传成功。"
    assert shown[1][1].startswith("“照片.pdf”上传失败：只能上传PDF格式的文件")
    # Said once, beside the slot, not again at the top of the page, and gone on the next visit.
    assert top_messages(page) == []
    assert all(slot_messages(page, anchor(info, k.code)) == [] for k in info.ATTACHMENT_KINDS if k.code != "other")
    assert slot_messages(owner.get(PAGE).content.decode(), anchor(info, "other")) == []


def test_the_slot_takes_several_files_and_states_the_limit(owner: Client, info: BasicInfo, settings: Any) -> None:
    settings.LAOWU_ATTACHMENT_MAX_BYTES = 3 * 1024 * 1024
    doc = lxml.html.fromstring(owner.get(PAGE).content.decode())
    forms = doc.xpath("//form[contains(@class, 'upload-form')]")
    assert len(forms) == len(info.ATTACHMENT_KINDS)
    for form, kind in zip(forms, info.ATTACHMENT_KINDS, strict=True):
        [field] = form.xpath(".//input[@type='file']")
        # Joined to the owner page's form, so that without JavaScript 上传 sends the typed values too.
        assert field.get("name") == f"file-{kind.code}" and field.get("multiple") is not None
        assert field.get("form") == "owner-form"
        assert field.get("accept") == "application/pdf,.pdf"
        # What the browser checks before sending: the setting, and this slot's row.
        assert form.get("data-max-bytes") == str(3 * 1024 * 1024) and form.get("data-images") == ""
        assert form.get("data-slot") == anchor(info, kind.code)
        assert doc.xpath(f"//tr[@id='{anchor(info, kind.code)}']")
        assert [b.text_content() for b in form.xpath(".//button")] == ["上传"]
        assert form.xpath(".//label")[0].text_content().strip() == "选择"
    [note] = by_class(by_class(doc, "attachments")[0], "note")
    assert "每个文件大小需在3MB以内" in note.text_content()


def test_json_answer_for_upload_js(owner: Client, info: BasicInfo) -> None:
    resp = owner.post(upload_url(info), {"kind": "business_license", "file": [pdf("执照.pdf")], "next": PAGE}, **JSON)
    assert resp.status_code == 200 and resp["Content-Type"] == "application/json"
    assert resp.json() == {
        "results": [{"name": "执照.pdf", "stored": True, "message": "“执照.pdf”上传成功。"}],
        "error": "",
    }
    fake = SimpleUploadedFile("假的.pdf", b"not a pdf at all")
    [result] = owner.post(upload_url(info), {"kind": "business_license", "file": fake}, **JSON).json()["results"]
    assert result["stored"] is False and result["message"].startswith("“假的.pdf”上传失败：只能上传PDF")
    assert owner.post(upload_url(info), {"kind": "business_license"}, **JSON).json() == {
        "results": [],
        "error": "请先点击“选择”选择要上传的文件。",
    }
    # The script shows the outcome itself: nothing is left over for the next page.
    assert info.attachments.count() == 1
    page = owner.get(PAGE).content.decode()
    assert slot_messages(page, anchor(info, "business_license")) == [] and top_messages(page) == []


def test_nothing_chosen_is_said_beside_the_slot(owner: Client, info: BasicInfo) -> None:
    resp = owner.post(upload_url(info), {"kind": "qualification", "next": PAGE}, follow=True)
    assert resp.redirect_chain == [(f"{PAGE}#{anchor(info, 'qualification')}", 302)]
    shown = slot_messages(resp.content.decode(), anchor(info, "qualification"))
    assert shown == [("error", "请先点击“选择”选择要上传的文件。")]


def test_an_unknown_slot_is_refused_at_the_top(owner: Client, info: BasicInfo) -> None:
    resp = owner.post(upload_url(info), {"kind": "no_such_kind", "file": [pdf("a.pdf")], "next": PAGE}, follow=True)
    assert resp.redirect_chain == [(PAGE, 302)]
    [text] = top_messages(resp.content.decode())
    assert text.startswith("“a.pdf”上传失败：附件类型不正确")
    assert not Attachment.objects.exists()


def test_a_record_no_longer_editable_refuses_every_file(owner: Client, info: BasicInfo) -> None:
    BasicInfo.objects.filter(pk=info.pk).update(state=State.DECLARED)
    resp = owner.post(upload_url(info), {"kind": "other", "file": [pdf("a.pdf"), pdf("b.pdf")], "next": PAGE})
    page = owner.get(resp.url).content.decode()
    shown = slot_messages(page, anchor(info, "other"))
    assert [level for level, _ in shown] == ["error", "error"]
    assert all("当前状态不能修改附件" in text for _, text in shown)
    assert not Attachment.objects.exists()


def test_next_outside_the_site_is_ignored(owner: Client, info: BasicInfo) -> None:
    resp = owner.post(upload_url(info), {"kind": "other", "file": [pdf("a.pdf")], "next": "https://evil.example/"})
    assert resp.url == f"{info.get_absolute_url()}#{anchor(info, 'other')}"


def test_delete_returns_to_the_slot(owner: Client, info: BasicInfo, enterprise_a: Any) -> None:
    attachment = add_attachment(filing=info, kind="other", upload=pdf("旧.pdf"), actor=enterprise_a)
    resp = owner.post(reverse("documents:attachment_delete", args=[attachment.pk]), {"next": PAGE}, follow=True)
    assert resp.redirect_chain == [(f"{PAGE}#{anchor(info, 'other')}", 302)]
    assert slot_messages(resp.content.decode(), anchor(info, "other")) == [("success", "已删除附件“旧.pdf”。")]
    assert not Attachment.objects.exists()


def test_delete_ignores_a_next_outside_the_site(owner: Client, info: BasicInfo, enterprise_a: Any) -> None:
    attachment = add_attachment(filing=info, kind="other", upload=pdf("旧.pdf"), actor=enterprise_a)
    resp = owner.post(reverse("documents:attachment_delete", args=[attachment.pk]), {"next": "//evil.example/x"})
    assert resp.url == f"{info.get_absolute_url()}#{anchor(info, 'other')}"
    assert not Attachment.objects.exists()
