"""Nothing half-written: a local file appears whole or not at all, and a full disk tells the
user 存储空间不足，文件未保存 beside the upload, with nothing of the file left behind."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from laowu.core import storage as core_storage
from laowu.core.storage import PARTIAL_PREFIX, AtomicFileSystemStorage
from laowu.documents.models import Attachment, Blob
from laowu.enterprises.models import BasicInfo
from laowu.enterprises.services import ensure_basic_info
from tests.conftest import client_for
from tests.documents import pdfs

PAGE = reverse("enterprises:basic_info")
JSON = {"HTTP_ACCEPT": "application/json", "HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}


def files_under(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def full_disk(*args: Any, **kwargs: Any) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.fixture
def disk(settings: Any, tmp_path: Path, storage: Storage) -> Path:
    """The default storage on the local file system, as in production, under tmp_path."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "laowu.core.storage.AtomicFileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    assert isinstance(storages["default"], AtomicFileSystemStorage)
    return tmp_path


def test_a_saved_file_is_whole_under_its_name_and_nothing_else_is_left(tmp_path: Path) -> None:
    fs = AtomicFileSystemStorage(location=tmp_path)
    name = fs.save("blobs/ab/cd/x.pdf", ContentFile(b"%PDF-1.7 whole"))
    assert name == "blobs/ab/cd/x.pdf"
    assert (tmp_path / name).read_bytes() == b"%PDF-1.7 whole"
    assert files_under(tmp_path) == [name]
    # The mode Django gives a saved file, not mkstemp's 0600.
    assert (tmp_path / name).stat().st_mode & 0o777 == 0o644
    # Django's contract: an existing name is not overwritten, another name is chosen.
    other = fs.save("blobs/ab/cd/x.pdf", ContentFile(b"other"))
    assert other != name and (tmp_path / name).read_bytes() == b"%PDF-1.7 whole"


@pytest.mark.parametrize("error", [errno.ENOSPC, errno.EDQUOT])
def test_a_failed_write_leaves_no_partial_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: int) -> None:
    fs = AtomicFileSystemStorage(location=tmp_path)

    def fail(fd: int) -> None:
        raise OSError(error, os.strerror(error))

    # The bytes are written to the temporary file; it is the flush to disk that fails.
    monkeypatch.setattr(core_storage.os, "fsync", fail)
    with pytest.raises(OSError) as exc:
        fs.save("blobs/ab/cd/x.pdf", ContentFile(b"x" * 100_000))
    assert core_storage.is_storage_full(exc.value)
    assert files_under(tmp_path) == []


def test_a_write_cut_short_is_invisible(tmp_path: Path) -> None:
    """What a kill -9 mid-write leaves is a temporary name, never the final one."""
    fs = AtomicFileSystemStorage(location=tmp_path)
    folder = tmp_path / "blobs" / "ab" / "cd"
    folder.mkdir(parents=True)
    (folder / f"{PARTIAL_PREFIX}k1ll3d").write_bytes(b"%PDF-1.7 half")
    assert not fs.exists("blobs/ab/cd/x.pdf")


@pytest.fixture
def info(enterprise_a: Any) -> BasicInfo:
    return ensure_basic_info(enterprise=enterprise_a.enterprise)


@pytest.mark.django_db
def test_full_disk_is_told_beside_the_upload_and_nothing_is_kept(
    disk: Path, as_user: Any, enterprise_a: Any, info: BasicInfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(core_storage.os, "fsync", full_disk)
    owner: Client = as_user(enterprise_a)
    url = reverse("documents:upload", args=["basic_info", info.pk])
    upload = SimpleUploadedFile("执照.pdf", pdfs.valid_pdf("执照"), content_type="application/pdf")
    # upload.js: an answer it shows beside the slot.
    resp = owner.post(url, {"kind": "business_license", "file": [upload]}, **JSON)
    assert resp.status_code == 200
    [result] = resp.json()["results"]
    assert result == {"name": "执照.pdf", "stored": False, "message": "“执照.pdf”上传失败：存储空间不足，文件未保存。"}
    # JavaScript off: back to the slot, the same words there.
    upload.seek(0)
    page = owner.post(url, {"kind": "business_license", "file": [upload], "next": PAGE}, follow=True)
    assert page.status_code == 200
    assert "“执照.pdf”上传失败：存储空间不足，文件未保存。" in page.content.decode()
    assert not Attachment.objects.exists() and not Blob.objects.exists()
    assert files_under(disk) == []


@pytest.mark.django_db
def test_full_disk_anywhere_else_is_a_page_not_a_500(
    as_user: Any, enterprise_a: Any, info: BasicInfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Met outside the attachment service (Django spooling the upload to its temp folder):
    507, which upload.js words as the page does."""
    from laowu.documents import feedback, views

    monkeypatch.setattr(views, "add_attachments", full_disk)
    monkeypatch.setattr(feedback, "add_attachments", full_disk)
    owner: Client = as_user(enterprise_a)
    url = reverse("documents:upload", args=["basic_info", info.pk])
    upload = SimpleUploadedFile("执照.pdf", pdfs.valid_pdf("执照"), content_type="application/pdf")
    resp = owner.post(url, {"kind": "business_license", "file": [upload]}, **JSON)
    assert resp.status_code == 507 and resp.json()["error"] == "存储空间不足，文件未保存。"
    upload.seek(0)
    resp = owner.post(url, {"kind": "business_license", "file": [upload], "next": PAGE})
    assert resp.status_code == 507 and "存储空间不足，文件未保存。" in resp.content.decode()
    js = (Path(__file__).parents[2] / "laowu/static/laowu/upload.js").read_text()
    assert "status === 507) { return '存储空间不足，文件未保存。'" in js


def test_large_uploads_are_spooled_under_the_data_folder(settings: Any) -> None:
    assert Path(settings.FILE_UPLOAD_TEMP_DIR).is_dir()
    assert Path(settings.FILE_UPLOAD_TEMP_DIR).is_relative_to(settings.DATA_DIR)


@pytest.mark.django_db
@pytest.mark.urls("tests.contracts.urls")
def test_full_disk_on_the_catalogue_import_is_a_form_error(
    disk: Path, reviewer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.contracts.files import csv_bytes, rows

    monkeypatch.setattr(core_storage.os, "fsync", full_disk)
    client: Client = client_for(reviewer)
    resp = client.post("/review/catalogue/", {"file": SimpleUploadedFile("catalogue.csv", csv_bytes(rows(2)))})
    assert resp.status_code == 200
    assert "存储空间不足，文件未保存。" in resp.content.decode()
    assert "catalogue_upload" not in client.session
    assert files_under(disk) == []
