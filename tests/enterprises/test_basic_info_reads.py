"""基本信息归集 reads its record with the enterprise in one query, and
its attachments and history through SQL written once per process (laowu/core/prepared.py): a
bounded number of queries, and each view shows what was written just before (only SQL is kept,
never rows)."""

from __future__ import annotations

from typing import Any

import lxml.html
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from laowu.core import prepared
from laowu.documents.services import add_attachment, remove_attachment
from laowu.enterprises.models import BasicInfo
from laowu.review import services as workflow
from laowu.review.selectors import filing_history, history
from tests.factories import complete_basic_info, make_pdf_bytes

pytestmark = pytest.mark.django_db

PAGE = reverse("enterprises:basic_info")


def attachment_names(html: str) -> list[str]:
    return [el.text for el in lxml.html.fromstring(html).xpath("//span[@class='attach-name']")]


def history_rows(html: str) -> list[str]:
    doc = lxml.html.fromstring(html)
    return [
        " ".join(row.xpath(".//td//text()")) for row in doc.xpath("//table[contains(@class,'table-compact')]/tbody/tr")
    ]


def test_the_page_reads_in_few_queries_and_never_stale(as_user: Any, enterprise_a: Any, reviewer: Any) -> None:
    info = complete_basic_info(enterprise_a.enterprise, actor=enterprise_a)
    c = as_user(enterprise_a)
    c.get(PAGE)  # the SQL written once
    with CaptureQueriesContext(connection) as queries:
        page = c.get(PAGE).content.decode()
    # session, user; the record with its enterprise; attachments; history (the approved revision).
    # A draft's 申报 checklist reads no attachment kinds of its own: the panel's are used.
    assert len(queries) == 5, "\n".join(q["sql"][:70] for q in queries)
    assert not any("DISTINCT" in q["sql"] for q in queries)
    assert sorted(attachment_names(page)) == sorted(["营业执照.pdf", "施工劳务资质证书.pdf", "安全生产许可证.pdf"])
    assert not history_rows(page)

    # A new attachment, a removed one, a declared and approved revision: each shows at once.
    added = add_attachment(
        filing=info,
        kind="other",
        upload=SimpleUploadedFile("补充.pdf", make_pdf_bytes("x"), "application/pdf"),
        actor=enterprise_a,
    )
    assert "补充.pdf" in attachment_names(c.get(PAGE).content.decode())
    remove_attachment(attachment=added, actor=enterprise_a)
    assert "补充.pdf" not in attachment_names(c.get(PAGE).content.decode())
    workflow.approve(submission=workflow.declare(filing=info, actor=enterprise_a), actor=reviewer)
    page = c.get(PAGE).content.decode()
    assert [r.split()[0] for r in history_rows(page)] == ["第1版"]
    approved = BasicInfo.objects.get(pk=info.pk).approved_submission
    assert reverse("printing:print", args=[approved.pk]) in page
    with CaptureQueriesContext(connection) as queries:
        c.get(PAGE)
    assert len(queries) <= 5, "\n".join(q["sql"][:70] for q in queries)


def test_related_instances_read_as_the_orm_does(enterprise_a: Any, reviewer: Any) -> None:
    info = complete_basic_info(enterprise_a.enterprise, actor=enterprise_a)
    for _ in range(2):
        workflow.reject(
            submission=workflow.declare(filing=info, actor=enterprise_a), actor=reviewer, reason="营业执照不清晰"
        )
        info = BasicInfo.objects.get(pk=info.pk)
    workflow.approve(submission=workflow.declare(filing=info, actor=enterprise_a), actor=reviewer)
    expected = list(history(info))
    read = filing_history(info)
    assert [s.pk for s in read] == [s.pk for s in expected] and len(read) == 3
    for mine, theirs in zip(read, expected, strict=True):
        # What the history table shows is read with the rows (no query), users as they print;
        # the snapshot (decrypted on reading) and the users' other columns are not read.
        with CaptureQueriesContext(connection) as queries:
            for name in ("revision", "declared_at", "status", "decided_at", "reason"):
                assert getattr(mine, name) == getattr(theirs, name), name
            assert mine.get_status_display() == theirs.get_status_display()
            assert str(mine.declared_by) == str(theirs.declared_by) and mine.declared_by == theirs.declared_by
            assert str(mine.decided_by) == str(theirs.decided_by) and mine.decided_by == theirs.decided_by
        assert not queries
        assert {"snapshot", "title", "verify_token"} <= mine.get_deferred_fields()
        assert {"password", "phone"} <= mine.declared_by.get_deferred_fields()
        # Read on demand, another field is still right.
        assert mine.snapshot == theirs.snapshot

    def build(enterprise_id: int) -> Any:
        return BasicInfo.objects.filter(enterprise_id=enterprise_id).select_related("enterprise", "approved_submission")

    (got,) = prepared.related_instances(("test.basic_info",), build, enterprise_a.enterprise_id)
    orm = build(enterprise_a.enterprise_id).get()
    assert got.contact_phone == orm.contact_phone == "13800000000"  # the sealed field's converter ran
    with CaptureQueriesContext(connection) as queries:
        assert got.enterprise.provider_data == orm.enterprise.provider_data
        assert got.approved_submission.snapshot == orm.approved_submission.snapshot
        assert got.approved_submission.declared_at == orm.approved_submission.declared_at
    assert not queries
    # Another enterprise's value binds into the same SQL.
    assert prepared.related_instances(("test.basic_info",), build, enterprise_a.enterprise_id + 1000) == []
