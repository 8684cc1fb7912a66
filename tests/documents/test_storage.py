from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import Storage

from laowu.documents.models import Blob
from laowu.documents.storage import BlobUnavailable, blob_storage_name, open_blob, open_blob_file, store_blob
from tests.documents.conftest import stored_files
from tests.documents.pdfs import valid_pdf

pytestmark = pytest.mark.django_db


def test_stored_under_its_sha256(storage: Storage) -> None:
    data = valid_pdf("a")
    sha = hashlib.sha256(data).hexdigest()
    blob = store_blob(data)
    assert blob.sha256 == sha
    assert blob.size == len(data)
    assert blob.content_type == "application/pdf"
    assert blob.storage_name == f"blobs/{sha[:2]}/{sha[2:4]}/{sha}.pdf" == blob_storage_name(sha)
    assert stored_files(storage) == [blob.storage_name]
    assert open_blob(blob) == data
    with open_blob_file(blob) as f:
        assert f.read() == data


def test_same_bytes_stored_once(storage: Storage, monkeypatch: pytest.MonkeyPatch) -> None:
    data = valid_pdf("once")
    first = store_blob(data)
    saves: list[str] = []
    real_save = storage.save
    monkeypatch.setattr(
        storage, "save", lambda name, content, **kw: saves.append(name) or real_save(name, content, **kw)
    )
    second = store_blob(data)
    assert second.pk == first.pk
    assert Blob.objects.count() == 1
    assert saves == []  # the file is not written again
    assert stored_files(storage) == [first.storage_name]


def test_different_bytes_different_blobs(storage: Storage) -> None:
    a, b = store_blob(valid_pdf("a")), store_blob(valid_pdf("b"))
    assert a.pk != b.pk
    assert stored_files(storage) == sorted([a.storage_name, b.storage_name])


def test_concurrent_writer_leaves_one_file(storage: Storage, monkeypatch: pytest.MonkeyPatch) -> None:
    # Both uploads saw "not there yet"; the storage gives the second a different name,
    # which store_blob removes: one file per hash.
    data = valid_pdf("race")
    name = blob_storage_name(hashlib.sha256(data).hexdigest())
    storage.save(name, ContentFile(data))
    monkeypatch.setattr(storage, "exists", lambda n: False)
    blob = store_blob(data)
    monkeypatch.undo()
    assert blob.storage_name == name
    assert stored_files(storage) == [name]


def test_row_created_by_a_concurrent_transaction(monkeypatch: pytest.MonkeyPatch) -> None:
    # get_or_create lost the race and could not see the winner's row yet: re-read it.
    from django.db import IntegrityError

    data = valid_pdf("row race")
    existing = store_blob(data)

    def lose_race(**kwargs: Any) -> Any:
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr(Blob.objects, "get_or_create", lose_race)
    assert store_blob(data).pk == existing.pk


def test_file_cut_short_in_storage_is_rewritten(storage: Storage) -> None:
    data = valid_pdf("crash")
    name = blob_storage_name(hashlib.sha256(data).hexdigest())
    storage.save(name, ContentFile(data[:100]))  # a crash mid-write left a partial file
    blob = store_blob(data)
    assert open_blob(blob) == data
    assert stored_files(storage) == [name]


def test_open_blob_refuses_a_missing_or_altered_file(storage: Storage) -> None:
    blob = store_blob(valid_pdf("x"))
    storage.delete(blob.storage_name)
    storage.save(blob.storage_name, ContentFile(valid_pdf("y")))
    with pytest.raises(BlobUnavailable):
        open_blob(blob)
    storage.delete(blob.storage_name)
    with pytest.raises(BlobUnavailable):
        open_blob(blob)
    with pytest.raises(BlobUnavailable):
        open_blob_file(blob)
