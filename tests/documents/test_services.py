from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import Storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory

from laowu.audit.models import AuditEvent
from laowu.audit.services import Action
from laowu.documents import services
from laowu.documents.models import Attachment, Blob
from laowu.documents.services import (
    add_attachment,
    add_attachments,
    attachments_by_kind,
    clean_original_name,
    missing_required_kinds,
    remove_attachment,
)
from laowu.documents.storage import open_blob
from laowu.enterprises.models import BasicInfo
from laowu.review.models import State
from tests.documents import pdfs
from tests.documents.conftest import stored_files
from tests.factories import EnterpriseUserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner() -> Any:
    return EnterpriseUserFactory()


@pytest.fixture
def info(owner: Any) -> BasicInfo:
    return BasicInfo.objects.create(enterprise=owner.enterprise)


def upload(data: bytes, name: str = "营业执照.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def in_state(filing: BasicInfo, state: str) -> BasicInfo:
    # The state field is protected (only workflow transitions change it); tests set it directly.
    BasicInfo.objects.filter(pk=filing.pk).update(state=state)
    return BasicInfo.objects.get(pk=filing.pk)


def audit_rows(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def assert_nothing_stored(storage: Storage) -> None:
    assert Blob.objects.count() == 0
    assert Attachment.objects.count() == 0
    assert stored_files(storage) == []
    assert audit_rows(Action.ATTACHMENT_UPLOAD) == []


# ---------------------------------------------------------------- upload


def test_upload_stores_the_file_under_its_hash(info: BasicInfo, owner: Any, storage: Storage) -> None:
    data = pdfs.valid_pdf("license")
    sha = hashlib.sha256(data).hexdigest()
    request = RequestFactory().post("/", REMOTE_ADDR="203.0.113.9")
    att = add_attachment(filing=info, kind="business_license", upload=upload(data), actor=owner, request=request)

    assert att.filing == info and att.kind == "business_license"
    assert att.original_name == "营业执照.pdf" and att.uploaded_by == owner
    assert att.blob.sha256 == sha and att.blob.size == len(data)
    assert stored_files(storage) == [f"blobs/{sha[:2]}/{sha[2:4]}/{sha}.pdf"]
    assert open_blob(att.blob) == data

    [event] = audit_rows(Action.ATTACHMENT_UPLOAD)
    assert event.user == owner and event.ip == "203.0.113.9"
    assert event.object_type == "enterprises.basicinfo" and event.object_id == str(info.pk)
    assert event.detail == {"kind": "business_license", "name": "营业执照.pdf", "sha256": sha, "size": len(data)}


def test_same_file_same_slot_is_not_duplicated(info: BasicInfo, owner: Any, storage: Storage) -> None:
    data = pdfs.valid_pdf("dup")
    first = add_attachment(filing=info, kind="business_license", upload=upload(data), actor=owner)
    again = add_attachment(filing=info, kind="business_license", upload=upload(data, "副本.pdf"), actor=owner)
    assert again.pk == first.pk and again.original_name == "营业执照.pdf"
    assert Attachment.objects.count() == 1 and Blob.objects.count() == 1
    assert len(stored_files(storage)) == 1
    assert len(audit_rows(Action.ATTACHMENT_UPLOAD)) == 1


def test_same_file_in_another_slot_or_filing_shares_the_blob(info: BasicInfo, owner: Any, storage: Storage) -> None:
    data = pdfs.valid_pdf("shared")
    other_owner = EnterpriseUserFactory()
    other = BasicInfo.objects.create(enterprise=other_owner.enterprise)
    a = add_attachment(filing=info, kind="business_license", upload=upload(data), actor=owner)
    b = add_attachment(filing=info, kind="other", upload=upload(data), actor=owner)
    c = add_attachment(filing=other, kind="business_license", upload=upload(data), actor=other_owner)
    assert len({a.pk, b.pk, c.pk}) == 3
    assert a.blob_id == b.blob_id == c.blob_id
    assert Blob.objects.count() == 1 and len(stored_files(storage)) == 1


def test_several_files_in_one_slot(info: BasicInfo, owner: Any) -> None:
    for n in range(3):
        add_attachment(filing=info, kind="other", upload=upload(pdfs.valid_pdf(f"p{n}"), f"第{n}页.pdf"), actor=owner)
    assert Attachment.objects.filter(kind="other").count() == 3


def test_several_files_at_once_each_stored_or_refused_on_its_own(info: BasicInfo, owner: Any, storage: Storage) -> None:
    # A refused file in the middle keeps neither the one before nor the one after out.
    chosen = [
        upload(pdfs.valid_pdf("a"), "第一页.pdf"),
        upload(pdfs.png_bytes(), "照片.pdf"),
        upload(pdfs.valid_pdf("b"), "第二页.pdf"),
        upload(pdfs.padded_pdf(5 * 1024 * 1024 + 1), "太大.pdf"),
    ]
    outcomes = add_attachments(filing=info, kind="other", uploads=chosen, actor=owner)
    assert [(o.name, o.stored, o.code) for o in outcomes] == [
        ("第一页.pdf", True, ""),
        ("照片.pdf", False, "not_pdf"),
        ("第二页.pdf", True, ""),
        ("太大.pdf", False, "too_large"),
    ]
    assert "只能上传PDF格式的文件" in outcomes[1].error and "文件大小超过5MB" in outcomes[3].error
    assert outcomes[0].error == outcomes[2].error == ""
    stored = [o.attachment for o in outcomes if o.attachment is not None]
    assert sorted(a.original_name for a in Attachment.objects.filter(kind="other")) == ["第一页.pdf", "第二页.pdf"]
    assert {a.pk for a in stored} == set(Attachment.objects.values_list("pk", flat=True))
    assert len(stored_files(storage)) == 2
    # One audit row per stored file, each naming its file.
    assert [e.detail["name"] for e in audit_rows(Action.ATTACHMENT_UPLOAD)] == ["第一页.pdf", "第二页.pdf"]


def test_several_files_refused_together_when_the_record_is_not_editable(
    info: BasicInfo, owner: Any, storage: Storage
) -> None:
    locked = in_state(info, State.DECLARED)
    chosen = [upload(pdfs.valid_pdf("a"), "a.pdf"), upload(pdfs.valid_pdf("b"), "b.pdf")]
    outcomes = add_attachments(filing=locked, kind="other", uploads=chosen, actor=owner)
    assert [(o.name, o.stored, o.code) for o in outcomes] == [
        ("a.pdf", False, "not_editable"),
        ("b.pdf", False, "not_editable"),
    ]
    assert all(o.error.startswith("当前状态不能修改附件") for o in outcomes)
    assert_nothing_stored(storage)


def test_unknown_kind_is_refused(info: BasicInfo, owner: Any, storage: Storage) -> None:
    with pytest.raises(ValidationError) as exc:
        add_attachment(filing=info, kind="id_card", upload=upload(pdfs.valid_pdf()), actor=owner)
    assert exc.value.code == "invalid_kind" and "附件类型不正确" in exc.value.messages[0]
    assert_nothing_stored(storage)


@pytest.mark.parametrize(
    ("state", "hint"), [(State.DECLARED, "请先撤回"), (State.APPROVED, "变更")], ids=["declared", "approved"]
)
def test_refused_unless_editable(info: BasicInfo, owner: Any, storage: Storage, state: str, hint: str) -> None:
    locked = in_state(info, state)
    with pytest.raises(ValidationError) as exc:
        add_attachment(filing=locked, kind="business_license", upload=upload(pdfs.valid_pdf()), actor=owner)
    assert exc.value.messages[0].startswith("当前状态不能修改附件") and hint in exc.value.messages[0]
    assert_nothing_stored(storage)


def test_state_is_checked_again_under_the_lock(info: BasicInfo, owner: Any, storage: Storage) -> None:
    # The caller's copy still says draft, but a 申报 committed meanwhile: the row decides.
    in_state(info, State.DECLARED)
    assert info.is_editable
    with pytest.raises(ValidationError, match="当前状态不能修改附件"):
        add_attachment(filing=info, kind="business_license", upload=upload(pdfs.valid_pdf()), actor=owner)
    assert_nothing_stored(storage)


def test_rejected_filing_is_editable(info: BasicInfo, owner: Any) -> None:
    rejected = in_state(info, State.REJECTED)
    add_attachment(filing=rejected, kind="business_license", upload=upload(pdfs.valid_pdf()), actor=owner)
    assert Attachment.objects.count() == 1


BAD_UPLOADS: dict[str, tuple[Callable[[], bytes], str]] = {
    "png renamed": (pdfs.png_bytes, "只能上传PDF格式的文件"),
    "text renamed": (lambda: pdfs.TEXT_BYTES, "只能上传PDF格式的文件"),
    "header not at 0": (pdfs.pdf_not_at_start, "只能上传PDF格式的文件"),
    "empty": (lambda: b"", "文件为空"),
    "over 5MB": (lambda: pdfs.padded_pdf(5 * 1024 * 1024 + 1), "文件大小超过5MB"),
    "encrypted": (pdfs.encrypted_pdf, "加密"),
    "owner password": (pdfs.owner_only_encrypted_pdf, "加密"),
    "javascript open action": (pdfs.javascript_open_action_pdf, "JavaScript"),
    "javascript annotation /AA": (pdfs.javascript_annotation_aa_pdf, "JavaScript"),
    "launch": (pdfs.launch_action_pdf, "启动外部程序"),
    "embedded file": (pdfs.embedded_file_pdf, "内嵌了其他文件"),
    "file attachment annotation": (pdfs.file_attachment_annotation_pdf, "内嵌了其他文件"),
    "truncated": (lambda: pdfs.truncated_pdf(0.6), "文件已损坏或不完整"),
}


@pytest.mark.parametrize(("make", "words"), BAD_UPLOADS.values(), ids=BAD_UPLOADS.keys())
def test_refused_upload_stores_nothing(
    info: BasicInfo, owner: Any, storage: Storage, make: Callable[[], bytes], words: str
) -> None:
    with pytest.raises(ValidationError) as exc:
        add_attachment(filing=info, kind="business_license", upload=upload(make(), "看起来是.pdf"), actor=owner)
    assert words in exc.value.messages[0]
    assert_nothing_stored(storage)


def test_oversized_upload_is_refused_before_reading(
    info: BasicInfo, owner: Any, storage: Storage, settings: Any
) -> None:
    class Unreadable(SimpleUploadedFile):
        def chunks(self, chunk_size: int | None = None) -> Any:
            raise AssertionError("the upload was read")

        def read(self, *args: Any) -> bytes:
            raise AssertionError("the upload was read")

    big = Unreadable("big.pdf", b"%PDF-", content_type="application/pdf")
    big.size = settings.LAOWU_ATTACHMENT_MAX_BYTES + 1
    with pytest.raises(ValidationError, match="文件大小超过5MB"):
        add_attachment(filing=info, kind="business_license", upload=big, actor=owner)
    assert_nothing_stored(storage)


def test_upload_whose_size_understates_its_content(
    info: BasicInfo, owner: Any, storage: Storage, settings: Any
) -> None:
    settings.LAOWU_ATTACHMENT_MAX_BYTES = 100_000
    lying = upload(pdfs.padded_pdf(150_000))
    lying.size = 10
    with pytest.raises(ValidationError, match="文件大小超过98KB"):
        add_attachment(filing=info, kind="business_license", upload=lying, actor=owner)
    assert_nothing_stored(storage)


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("营业执照.pdf", "营业执照.pdf"),
        ("C:\\Users\\王五\\Desktop\\资质证书.pdf", "资质证书.pdf"),
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("bad\x00name\r\n.pdf", "badname.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ("  ", "附件.pdf"),
        ("", "附件.pdf"),
        ("..", "附件.pdf"),
        ("长" * 300 + ".pdf", "长" * 196 + ".pdf"),
    ],
)
def test_original_name_is_cleaned(given: str, kept: str) -> None:
    assert clean_original_name(given) == kept
    assert len(clean_original_name(given)) <= 200


def test_cleaned_name_is_what_is_stored(info: BasicInfo, owner: Any) -> None:
    att = add_attachment(
        filing=info, kind="other", upload=upload(pdfs.valid_pdf(), "C:\\fakepath\\扫描件\t1.pdf"), actor=owner
    )
    assert att.original_name == "扫描件1.pdf"


# ---------------------------------------------------------------- remove


def test_remove_keeps_the_blob_and_audits(info: BasicInfo, owner: Any, storage: Storage) -> None:
    att = add_attachment(filing=info, kind="business_license", upload=upload(pdfs.valid_pdf()), actor=owner)
    remove_attachment(attachment=att, actor=owner, request=RequestFactory().post("/", REMOTE_ADDR="198.51.100.7"))
    assert not Attachment.objects.filter(pk=att.pk).exists()
    # A frozen submission may still point at the file by its hash.
    assert Blob.objects.filter(pk=att.blob_id).exists()
    assert stored_files(storage) == [att.blob.storage_name]
    [event] = audit_rows(Action.ATTACHMENT_DELETE)
    assert event.user == owner and event.ip == "198.51.100.7" and event.object_id == str(info.pk)
    assert event.detail == {
        "kind": "business_license",
        "name": "营业执照.pdf",
        "sha256": att.blob_id,
        "attachment_id": att.pk,
    }


def test_remove_twice_is_harmless(info: BasicInfo, owner: Any) -> None:
    att = add_attachment(filing=info, kind="other", upload=upload(pdfs.valid_pdf()), actor=owner)
    remove_attachment(attachment=att, actor=owner)
    remove_attachment(attachment=att, actor=owner)
    assert len(audit_rows(Action.ATTACHMENT_DELETE)) == 1


def test_remove_refused_unless_editable(info: BasicInfo, owner: Any) -> None:
    att = add_attachment(filing=info, kind="business_license", upload=upload(pdfs.valid_pdf()), actor=owner)
    in_state(info, State.DECLARED)
    with pytest.raises(ValidationError, match="当前状态不能修改附件"):
        remove_attachment(attachment=att, actor=owner)
    assert Attachment.objects.filter(pk=att.pk).exists()
    assert audit_rows(Action.ATTACHMENT_DELETE) == []


def test_reupload_after_remove(info: BasicInfo, owner: Any) -> None:
    data = pdfs.valid_pdf()
    att = add_attachment(filing=info, kind="business_license", upload=upload(data), actor=owner)
    remove_attachment(attachment=att, actor=owner)
    again = add_attachment(filing=info, kind="business_license", upload=upload(data), actor=owner)
    assert again.pk != att.pk and again.blob_id == att.blob_id
    assert len(audit_rows(Action.ATTACHMENT_UPLOAD)) == 2


# ---------------------------------------------------------------- reads


def test_attachments_by_kind(info: BasicInfo, owner: Any) -> None:
    lic = add_attachment(filing=info, kind="business_license", upload=upload(pdfs.valid_pdf("l")), actor=owner)
    groups = attachments_by_kind(info)
    assert [g["code"] for g in groups] == [k.code for k in BasicInfo.ATTACHMENT_KINDS]
    assert [g["label"] for g in groups] == ["营业执照", "施工劳务资质证书", "安全生产许可证", "其他"]
    assert [g["required"] for g in groups] == [True, True, True, False]
    # Each slot's row id on the page, unique even where several records' slots are shown.
    assert [g["anchor"] for g in groups] == [f"att-basic_info-{info.pk}-{k.code}" for k in BasicInfo.ATTACHMENT_KINDS]
    assert [g["missing"] for g in groups] == [False, True, True, False]
    assert groups[0]["attachments"] == [
        {
            "id": lic.pk,
            "name": "营业执照.pdf",
            "size": lic.blob.size,
            "sha256": lic.blob_id,
            "uploaded_at": lic.uploaded_at,
            "is_image": False,
        }
    ]
    assert all(g["attachments"] == [] for g in groups[1:])


def test_attachments_by_kind_keeps_filings_apart(info: BasicInfo, owner: Any) -> None:
    other_owner = EnterpriseUserFactory()
    other = BasicInfo.objects.create(enterprise=other_owner.enterprise)
    add_attachment(filing=other, kind="business_license", upload=upload(pdfs.valid_pdf()), actor=other_owner)
    assert all(g["attachments"] == [] for g in attachments_by_kind(info))


def test_missing_required_kinds(info: BasicInfo, owner: Any) -> None:
    assert [k.code for k in missing_required_kinds(info)] == ["business_license", "qualification", "safety_license"]
    add_attachment(filing=info, kind="qualification", upload=upload(pdfs.valid_pdf("q")), actor=owner)
    add_attachment(filing=info, kind="other", upload=upload(pdfs.valid_pdf("o")), actor=owner)
    assert [k.code for k in missing_required_kinds(info)] == ["business_license", "safety_license"]
    for code in ("business_license", "safety_license"):
        add_attachment(filing=info, kind=code, upload=upload(pdfs.valid_pdf(code)), actor=owner)
    assert missing_required_kinds(info) == []


def test_query_counts(info: BasicInfo, owner: Any, django_assert_max_num_queries: Any) -> None:
    for code in ("business_license", "qualification", "other"):
        add_attachment(filing=info, kind=code, upload=upload(pdfs.valid_pdf(code)), actor=owner)
    with django_assert_max_num_queries(2):
        attachments_by_kind(info)
    with django_assert_max_num_queries(2):
        services.missing_required_kinds(info)
