"""Uploads at the same moment, each on its own PostgreSQL connection."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import Storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction

from laowu.audit.models import AuditEvent
from laowu.audit.services import Action
from laowu.documents.models import Attachment, Blob
from laowu.documents.services import add_attachment
from laowu.enterprises.models import BasicInfo
from laowu.review.models import State
from tests.concurrency import race
from tests.documents import pdfs
from tests.documents.conftest import stored_files
from tests.factories import EnterpriseUserFactory

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def upload(data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("营业执照.pdf", data, content_type="application/pdf")


@pytest.mark.parametrize("repeat", range(3))
def test_same_file_same_slot_at_once_makes_one_attachment(repeat: int, storage: Storage) -> None:
    owner = EnterpriseUserFactory()
    info = BasicInfo.objects.create(enterprise=owner.enterprise)
    data = pdfs.valid_pdf(f"race {repeat}")
    results = race(
        *[lambda: add_attachment(filing=info, kind="business_license", upload=upload(data), actor=owner)] * 4
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert len({r.pk for r in results}) == 1
    assert Attachment.objects.count() == 1 and Blob.objects.count() == 1
    assert len(stored_files(storage)) == 1
    assert AuditEvent.objects.filter(action=Action.ATTACHMENT_UPLOAD).count() == 1


def test_same_file_to_two_enterprises_at_once_shares_one_blob(storage: Storage) -> None:
    owners = [EnterpriseUserFactory(), EnterpriseUserFactory()]
    filings = [BasicInfo.objects.create(enterprise=o.enterprise) for o in owners]
    data = pdfs.valid_pdf("shared")
    results = race(
        *[
            (lambda f=f, o=o: add_attachment(filing=f, kind="business_license", upload=upload(data), actor=o))
            for f, o in zip(filings, owners, strict=True)
        ]
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert Attachment.objects.count() == 2 and Blob.objects.count() == 1
    assert len(stored_files(storage)) == 1


def test_upload_waits_for_a_concurrent_state_change(storage: Storage) -> None:
    """An upload that starts while 申报 holds the filing row sees the declared state and stores nothing."""
    owner = EnterpriseUserFactory()
    info = BasicInfo.objects.create(enterprise=owner.enterprise)
    locked = threading.Event()
    release = threading.Event()

    def declare() -> None:
        try:
            with transaction.atomic():
                BasicInfo.objects.select_for_update().get(pk=info.pk)
                locked.set()
                release.wait(10)
                BasicInfo.objects.filter(pk=info.pk).update(state=State.DECLARED)
        finally:
            connection.close()

    outcome: list[Any] = []

    def do_upload() -> None:
        try:
            outcome.append(
                add_attachment(filing=info, kind="business_license", upload=upload(pdfs.valid_pdf()), actor=owner)
            )
        except ValidationError as exc:
            outcome.append(exc)
        finally:
            connection.close()

    declarer = threading.Thread(target=declare)
    declarer.start()
    assert locked.wait(10)
    uploader = threading.Thread(target=do_upload)
    uploader.start()
    uploader.join(0.5)
    assert uploader.is_alive()  # blocked on the row lock
    release.set()
    declarer.join(10)
    uploader.join(10)
    [result] = outcome
    assert isinstance(result, ValidationError) and "当前状态不能修改附件" in result.messages[0]
    assert Attachment.objects.count() == 0 and Blob.objects.count() == 0
    assert stored_files(storage) == []
