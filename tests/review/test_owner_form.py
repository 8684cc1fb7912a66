"""A filing's owner page as one form (laowu/review/editing.py): 上传, 删除 and 申报 pressed on it
send the fields on the screen along, which are saved first, so nothing typed is lost and 申报
declares what the clerk sees — the JavaScript-off path, and 申报 with JavaScript on."""

from __future__ import annotations

from typing import Any

import lxml.html
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from laowu.audit.models import AuditEvent
from laowu.audit.services import Action
from laowu.documents.services import slot_anchor
from laowu.enterprises.models import BasicInfo
from laowu.personnel.models import SafetyOfficer
from laowu.review.editing import DECLARED, UNSAVED_INVALID, UNSAVED_NOT_DECLARED
from laowu.review.models import State, Submission
from tests.enterprises.test_basic_info import form_data, messages_of
from tests.factories import complete_basic_info, complete_person, make_id_number, make_pdf_bytes

pytestmark = pytest.mark.django_db

PAGE = reverse("enterprises:basic_info")


def pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, make_pdf_bytes(name), "application/pdf")


@pytest.fixture
def info(enterprise_a: Any) -> BasicInfo:
    return complete_basic_info(enterprise_a.enterprise, actor=enterprise_a)


def saves(filing: Any) -> int:
    return AuditEvent.objects.filter(action=Action.FILING_SAVE, object_id=str(filing.pk)).count()


def test_upload_saves_what_was_typed_and_stores_every_slots_files(as_user: Any, enterprise_a: Any, info: Any) -> None:
    c = as_user(enterprise_a)
    data = form_data(info, office_address="苏州市相城区新址路8号")
    data.update({"upload": "other", "file-other": pdf("补充.pdf"), "file-business_license": pdf("执照.pdf")})
    resp = c.post(PAGE, data)
    assert resp.status_code == 302 and resp["Location"] == f"{PAGE}#{slot_anchor(info, 'other')}"
    info.refresh_from_db()
    assert info.office_address == "苏州市相城区新址路8号"
    names = dict(info.attachments.values_list("original_name", "kind"))
    assert names["补充.pdf"] == "other" and names["执照.pdf"] == "business_license"
    assert "“补充.pdf”上传成功。" in messages_of(resp) and "“执照.pdf”上传成功。" in messages_of(resp)


def test_upload_with_nothing_typed_changed_writes_no_save(as_user: Any, enterprise_a: Any, info: Any) -> None:
    before = saves(info)
    data = {**form_data(info), "upload": "other", "file-other": pdf("补充.pdf")}
    assert as_user(enterprise_a).post(PAGE, data).status_code == 302
    assert saves(info) == before and info.attachments.filter(original_name="补充.pdf").exists()


def test_upload_with_nothing_chosen_says_so_beside_the_slot(as_user: Any, enterprise_a: Any, info: Any) -> None:
    resp = as_user(enterprise_a).post(PAGE, {**form_data(info), "upload": "other"}, follow=True)
    doc = lxml.html.fromstring(resp.content.decode())
    [row] = doc.xpath(f"//tr[@id='{slot_anchor(info, 'other')}']")
    assert "请先点击“选择”选择要上传的文件。" in row.text_content()


def test_upload_with_invalid_typed_values_keeps_them_and_the_file(as_user: Any, enterprise_a: Any, info: Any) -> None:
    data = {**form_data(info, contact_phone="12345"), "upload": "other", "file-other": pdf("补充.pdf")}
    resp = as_user(enterprise_a).post(PAGE, data)
    # Shown again with the typed value and the reason; the file is stored all the same.
    assert resp.status_code == 200
    page = resp.content.decode()
    doc = lxml.html.fromstring(page)
    assert doc.xpath("//input[@name='contact_phone']")[0].get("value") == "12345"
    assert UNSAVED_INVALID in page and "“补充.pdf”上传成功。" in page
    info.refresh_from_db()
    assert info.contact_phone == "13800000000"
    assert info.attachments.filter(original_name="补充.pdf").exists()


def test_delete_saves_what_was_typed_first(as_user: Any, enterprise_a: Any, info: Any) -> None:
    attachment = info.attachments.get(kind="other") if info.attachments.filter(kind="other").exists() else None
    if attachment is None:
        from laowu.documents.services import add_attachment

        attachment = add_attachment(filing=info, kind="other", upload=pdf("旧.pdf"), actor=enterprise_a)
    data = {**form_data(info, office_address="新地址1号"), "delete_attachment": str(attachment.pk)}
    resp = as_user(enterprise_a).post(PAGE, data)
    assert resp.status_code == 302 and resp["Location"].endswith("#" + slot_anchor(info, "other"))
    info.refresh_from_db()
    assert info.office_address == "新地址1号" and not info.attachments.filter(pk=attachment.pk).exists()
    assert f"已删除附件“{attachment.original_name}”。" in messages_of(resp)


def test_delete_of_another_filings_attachment_is_not_found(
    as_user: Any, enterprise_a: Any, info: Any, enterprise_b: Any
) -> None:
    person = complete_person(SafetyOfficer, enterprise_a, id_number=make_id_number(), name="张三")
    theirs = person.attachments.first()
    resp = as_user(enterprise_a).post(PAGE, {**form_data(info), "delete_attachment": str(theirs.pk)})
    assert resp.status_code == 404 and person.attachments.filter(pk=theirs.pk).exists()
    other = BasicInfo.objects.get(pk=complete_basic_info(enterprise_b.enterprise, actor=enterprise_b).pk)
    resp = as_user(enterprise_a).post(PAGE, {**form_data(info), "delete_attachment": str(other.attachments.first().pk)})
    assert resp.status_code == 404


def test_declare_declares_what_is_on_the_screen(as_user: Any, enterprise_a: Any, info: Any) -> None:
    data = {**form_data(info, office_address="屏幕上的地址9号"), "do": "declare"}
    resp = as_user(enterprise_a).post(PAGE, data)
    assert resp.status_code == 302 and DECLARED in messages_of(resp)
    info.refresh_from_db()
    assert info.state == State.DECLARED
    [submission] = Submission.objects.filter(filing_id=info.pk, enterprise=info.enterprise)
    assert "屏幕上的地址9号" in str(submission.snapshot)


def test_declare_with_invalid_typed_values_is_refused_and_keeps_them(
    as_user: Any, enterprise_a: Any, info: Any
) -> None:
    resp = as_user(enterprise_a).post(PAGE, {**form_data(info, contact_phone="12345"), "do": "declare"})
    assert resp.status_code == 200
    page = resp.content.decode()
    assert UNSAVED_NOT_DECLARED in page
    assert lxml.html.fromstring(page).xpath("//input[@name='contact_phone']")[0].get("value") == "12345"
    info.refresh_from_db()
    assert info.state == State.DRAFT and not Submission.objects.filter(enterprise=info.enterprise).exists()


def test_declare_unchanged_writes_no_save(as_user: Any, enterprise_a: Any, info: Any) -> None:
    before = saves(info)
    resp = as_user(enterprise_a).post(PAGE, {**form_data(info), "do": "declare"})
    assert resp.status_code == 302 and saves(info) == before
    info.refresh_from_db()
    assert info.state == State.DECLARED


def test_declare_blocked_still_keeps_the_saved_values(as_user: Any, enterprise_a: Any, info: Any) -> None:
    info.attachments.filter(kind="business_license").delete()
    resp = as_user(enterprise_a).post(PAGE, {**form_data(info, office_address="已保存的地址"), "do": "declare"})
    assert resp.status_code == 302 and any("营业执照" in m for m in messages_of(resp))
    info.refresh_from_db()
    assert info.state == State.DRAFT and info.office_address == "已保存的地址"


def test_person_declare_takes_the_typed_values(as_user: Any, enterprise_a: Any, reviewer: Any) -> None:
    from laowu.review import services

    info = complete_basic_info(enterprise_a.enterprise, actor=enterprise_a)
    services.approve(submission=services.declare(filing=info, actor=enterprise_a), actor=reviewer)
    person = complete_person(SafetyOfficer, enterprise_a, id_number=make_id_number(), name="张三")
    c = as_user(enterprise_a)
    doc = lxml.html.fromstring(c.get(person.get_absolute_url()).content.decode())
    [form] = doc.xpath("//form[@id='owner-form']")
    data = {k: v for k, v in form.form_values()}
    data.update(mobile="13700001111", do="declare")
    resp = c.post(person.get_absolute_url(), data)
    assert resp.status_code == 302, messages_of(resp)
    person.refresh_from_db()
    assert person.state == State.DECLARED and person.mobile == "13700001111"


def test_the_page_is_one_form_while_editable(as_user: Any, enterprise_a: Any, info: Any) -> None:
    doc = lxml.html.fromstring(as_user(enterprise_a).get(PAGE).content.decode())
    [form] = doc.xpath("//form[@id='owner-form']")
    assert form.get("enctype") == "multipart/form-data" and form.get("data-keep-typed") is not None
    joined = doc.xpath("//*[@form='owner-form']")
    names = [(el.tag, el.get("name"), el.get("value")) for el in joined]
    # The hidden default first, so Enter in a field saves rather than declares.
    assert names[0] == ("button", "do", "save") and ("button", "do", "declare") in names
    assert {("input", f"file-{k.code}", None) for k in info.ATTACHMENT_KINDS} <= set(names)
    assert {("button", "upload", k.code) for k in info.ATTACHMENT_KINDS} <= set(names)
