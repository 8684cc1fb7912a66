"""The owner's page of a filing (laowu/review/editing.py) reads its attachments once, for the
panel and for the 申报 checklist both, with only the columns the panel shows: the checklist
still says exactly what `declare_problems` says on its own, and changes as attachments come
and go."""

from __future__ import annotations

from typing import Any

import lxml.html
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from laowu.documents.models import Attachment
from laowu.documents.services import add_attachment, attachments_by_kind, remove_attachment
from laowu.personnel.models import SafetyOfficer
from laowu.review import services
from tests.factories import complete_basic_info, complete_person, make_id_number, make_pdf_bytes

pytestmark = pytest.mark.django_db


def checklist(html: str) -> list[str]:
    return [li.text_content() for li in lxml.html.fromstring(html).xpath("//div[@id='filing-problems']//li")]


def test_the_checklist_is_declare_problems_without_a_query_of_its_own(as_user: Any, enterprise_a: Any) -> None:
    person = complete_person(SafetyOfficer, enterprise_a, id_number=make_id_number(), name="王安")
    url = person.get_absolute_url()
    c = as_user(enterprise_a)
    c.get(url)
    before = services.declare_problems(person)
    assert checklist(c.get(url).content.decode()) == before
    assert not any(p.startswith("请上传") for p in before)

    # A required attachment removed: the page says so, as `declare_problems` reading the kinds itself.
    required = next(k for k in person.ATTACHMENT_KINDS if k.required)
    removed = Attachment.objects.get(filing_id=person.pk, kind=required.code)
    remove_attachment(attachment=removed, actor=enterprise_a)
    with CaptureQueriesContext(connection) as queries:
        page = c.get(url).content.decode()
    fresh = services.declare_problems(SafetyOfficer.objects.get(pk=person.pk))
    assert checklist(page) == fresh == [f"请上传{required.label}", *before]
    # The attachments are read once (the panel's query): no DISTINCT kinds for the checklist.
    assert sum("documents_attachment" in q["sql"] for q in queries) == 1, [q["sql"][:80] for q in queries]

    # Uploaded again: the checklist is empty at once.
    add_attachment(
        filing=person,
        kind=required.code,
        upload=SimpleUploadedFile("again.pdf", make_pdf_bytes("again"), "application/pdf"),
        actor=enterprise_a,
    )
    assert checklist(c.get(url).content.decode()) == before


def test_present_kinds_give_the_same_problems_as_reading_them(enterprise_a: Any) -> None:
    info = complete_basic_info(enterprise_a.enterprise, actor=enterprise_a)
    for attachment in list(Attachment.objects.filter(filing_id=info.pk))[:2]:
        remove_attachment(attachment=attachment, actor=enterprise_a)
    present = {g["code"] for g in attachments_by_kind(info) if g["attachments"]}
    read = services.declare_problems(info)
    assert any(p.startswith("请上传") for p in read)
    assert services.declare_problems(info, present_kinds=present) == read


def test_attachments_read_only_what_the_panel_shows(enterprise_a: Any) -> None:
    info = complete_basic_info(enterprise_a.enterprise, actor=enterprise_a)
    attachments_by_kind(info)  # the SQL written once
    with CaptureQueriesContext(connection) as queries:
        groups = attachments_by_kind(info)
    assert len(queries) == 1
    (sql,) = (q["sql"] for q in queries)
    assert "storage_name" not in sql and "uploaded_by_id" not in sql
    files = {a["id"]: a for g in groups for a in g["attachments"]}
    assert len(files) == 3
    for attachment in Attachment.objects.filter(pk__in=files).select_related("blob"):
        shown = files[attachment.pk]
        assert shown["name"] == attachment.original_name
        assert shown["size"] == attachment.blob.size
        assert shown["sha256"] == attachment.blob_id
        assert shown["uploaded_at"] == attachment.uploaded_at
        assert shown["is_image"] is attachment.blob.content_type.startswith("image/")
