"""A new filing type gets the shared machinery for free.

测试许可 (tests/minimal_filing) declares only its fields and class settings, and registers its
attachments from its AppConfig.ready(), as the real types do. Through the real services and
views it is saved, given an attachment, declared, found in the review queue, approved,
changed and approved again, printed and verified, every step on the audit log.

It is installed only inside `minimal_filing_installed()`: the app registry, the filing-type
cache, documents' registry and the URLs are put back afterwards, and its table exists only
for the test that uses it, so no other test sees a fifth type.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from typing import Any
from unittest import mock

import lxml.html
import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client, modify_settings, override_settings
from django.urls import NoReverseMatch, reverse
from pypdf import PdfReader

from laowu.audit.models import AuditEvent
from laowu.audit.services import Action
from laowu.documents import registry as documents_registry
from laowu.review.checks import filing_errors
from laowu.review.models import Filing, State, Submission, SubmissionStatus
from laowu.review.registry import filing_models
from laowu.review.selectors import filing_type_choices
from tests.documents.pdfs import valid_pdf

APP = "tests.minimal_filing"
CODE = "test_permit"
REAL_TYPES = {"basic_info", "safety_officer", "wage_manager", "project"}


@contextlib.contextmanager
def minimal_filing_installed() -> Iterator[type[Filing]]:
    """The test app in INSTALLED_APPS (its ready() runs) and its URLs mounted, for the block only."""
    filing_models.cache_clear()
    try:
        # Entered first, left last: documents' registry is put back after the app registry, whose
        # reloading runs every app's ready() again.
        with (
            mock.patch.dict(documents_registry._BY_CODE),
            mock.patch.dict(documents_registry._BY_MODEL),
            modify_settings(INSTALLED_APPS={"append": APP}),
            override_settings(ROOT_URLCONF="tests.minimal_filing.root_urls"),
        ):
            filing_models.cache_clear()
            yield apps.get_model("minimal_filing", "Permit")
    finally:
        filing_models.cache_clear()


@pytest.fixture
def permit_model(transactional_db: None) -> Iterator[type[Filing]]:
    """The installed type with its table, created by the schema editor (SQLite cannot change a
    schema inside the transaction a plain `db` test runs in) and dropped before the flush."""
    with minimal_filing_installed() as model:
        with connection.schema_editor() as editor:
            editor.create_model(model)
        try:
            yield model
        finally:
            with connection.schema_editor() as editor:
                editor.delete_model(model)


def test_the_type_exists_only_while_installed() -> None:
    with minimal_filing_installed() as model:
        assert set(filing_models()) == {*REAL_TYPES, CODE} and filing_models()[CODE] is model
        kind = documents_registry.attachable(CODE)
        assert kind is not None and kind.model is model
        assert reverse("minimal_filing:edit", args=[1]) == "/enterprise/test-permits/1/"
    assert set(filing_models()) == REAL_TYPES
    assert documents_registry.attachable(CODE) is None
    assert all(kind.model._meta.app_label != "minimal_filing" for kind in documents_registry._BY_CODE.values())
    with pytest.raises(NoReverseMatch):
        reverse("minimal_filing:edit", args=[1])


def _tabs(page: str) -> dict[str, str]:
    """The queue's type tabs: label → count."""
    tabs = {}
    for a in lxml.html.fromstring(page).xpath("//div[@class='tabs']/a"):
        count = a.xpath("./span[@class='count']")
        tabs[(a.text or "").strip()] = count[0].text_content() if count else ""
    return tabs


def _verify_status(page: str) -> str:
    [status] = lxml.html.fromstring(page).xpath("//div[contains(concat(' ', @class, ' '), ' verify-status ')]")
    return status.text_content().strip()


def _messages(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def _owner_action(client: Client, permit: Any, action: str) -> Any:
    return client.post(reverse("review:owner_action", args=[CODE, permit.pk, action]), follow=True)


@pytest.mark.django_db(transaction=True)
@pytest.mark.prints
def test_a_new_filing_type_gets_the_shared_machinery(
    permit_model: Any, enterprise_a: Any, reviewer: Any, supervisor: Any, as_user: Any
) -> None:
    Permit = permit_model
    owner, committee = as_user(enterprise_a), as_user(reviewer)
    assert (CODE, "测试许可") in filing_type_choices()
    # The start-up check accepts its settings, as `manage.py check` does for the real types.
    assert filing_errors([Permit]) == []

    # 保存: the type's own page and service.
    fields = {"permit_no": "CSXK-2026-001", "holder": "李明", "holder_mobile": "13912345678"}
    resp = owner.post(reverse("minimal_filing:new"), fields)
    permit = Permit.objects.get(enterprise=enterprise_a.enterprise)
    assert resp.status_code == 302 and resp["Location"] == permit.get_absolute_url()
    page = owner.get(permit.get_absolute_url()).content.decode()
    upload_url = reverse("documents:upload", args=[CODE, permit.pk])
    assert upload_url in page and "许可证扫描件" in page and "请上传许可证扫描件" in page

    # 申报 is refused while the required attachment is missing.
    resp = _owner_action(owner, permit, "declare")
    assert "请上传许可证扫描件" in _messages(resp) and Permit.objects.get(pk=permit.pk).state == State.DRAFT

    # 上传: documents' upload view, found by the type's code.
    scan = SimpleUploadedFile("许可证.pdf", valid_pdf("permit"), content_type="application/pdf")
    resp = owner.post(upload_url, {"kind": "permit", "file": scan})
    assert resp.status_code == 302 and permit.attachments.get().original_name == "许可证.pdf"

    # 申报 through the shared owner action.
    resp = _owner_action(owner, permit, "declare")
    permit = Permit.objects.get(pk=permit.pk)
    assert permit.state == State.DECLARED, _messages(resp)
    first = Submission.objects.get(pk=permit.pending_submission_id)
    assert first.snapshot["label"] == "测试许可" and first.title == "CSXK-2026-001"

    # The reviewer's queue: a tab of its own, and the row under its label.
    page = committee.get(reverse("review:queue")).content.decode()
    assert _tabs(page)["测试许可"] == "1"
    [row] = lxml.html.fromstring(page).xpath("//table[@class='table']/tbody/tr")
    assert [td.text_content().strip() for td in row.xpath("./td")][:2] == ["测试许可", "CSXK-2026-001"]
    page = committee.get(reverse("review:queue"), {"type": CODE}).content.decode()
    assert reverse("review:submission", args=[first.pk]) in page

    # The submission page renders its fields; the sensitive one in full for the reviewer only.
    submission_url = reverse("review:submission", args=[first.pk])
    page = committee.get(submission_url).content.decode()
    for text in ("测试许可：CSXK-2026-001（第1版）", "许可证编号", "负责人手机号", "李明", "13912345678", "许可证.pdf"):
        assert text in page
    page = as_user(supervisor).get(submission_url).content.decode()
    assert "139****5678" in page and "13912345678" not in page

    # 通过.
    resp = committee.post(reverse("review:decide", args=[first.pk, "approve"]))
    assert resp.status_code == 302 and resp["Location"] == reverse("review:queue")
    permit = Permit.objects.get(pk=permit.pk)
    assert permit.state == State.APPROVED and permit.approved_submission_id == first.pk

    # 变更, edit a field on the type's page, 申报 again.
    _owner_action(owner, permit, "change")
    resp = owner.post(permit.get_absolute_url(), {**fields, "holder": "王芳"})
    assert resp.status_code == 302, _messages(resp)
    resp = _owner_action(owner, permit, "declare")
    permit = Permit.objects.get(pk=permit.pk)
    assert permit.state == State.DECLARED and permit.changing, _messages(resp)
    second = Submission.objects.get(pk=permit.pending_submission_id)

    # The submission page shows the change against the approved revision.
    page = committee.get(reverse("review:submission", args=[second.pk])).content.decode()
    assert "与已通过的第1版相比的变化" in page
    diff_rows = lxml.html.fromstring(page).xpath("//table[contains(@class, 'diff')]/tbody/tr")
    assert [[td.text_content() for td in tr.xpath("./td")] for tr in diff_rows] == [["负责人", "李明", "王芳"]]

    resp = committee.post(reverse("review:decide", args=[second.pk, "approve"]))
    assert resp.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == SubmissionStatus.SUPERSEDED and second.status == SubmissionStatus.APPROVED

    # 打印: the owner's page offers the approved revision's sheet, a PDF with the type's title.
    page = owner.get(permit.get_absolute_url()).content.decode()
    assert reverse("printing:print", args=[second.pk]) in page
    resp = owner.get(reverse("printing:print", args=[second.pk]))
    assert resp.status_code == 200 and resp["Content-Type"] == "application/pdf"
    assert resp.content.startswith(b"%PDF-")
    # The title is letter-spaced on the sheet; compare without white space.
    text = "".join("".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(resp.content)).pages)
    assert "测试许可登记表" in text and "CSXK-2026-001" in text and "王芳" in text
    # Only the valid revision prints.
    assert owner.get(reverse("printing:print", args=[first.pk])).status_code == 404

    # 扫码核验: the first sheet is superseded, the second valid, its sensitive field masked.
    page = Client().get(reverse("printing:verify", args=[first.verify_token])).content.decode()
    assert _verify_status(page) == "已变更"
    page = Client().get(reverse("printing:verify", args=[second.verify_token])).content.decode()
    assert _verify_status(page) == "已通过（有效）" and "CSXK-2026-001" in page
    assert "139****5678" in page and "13912345678" not in page

    # An audit row per action, on the filing.
    actions = AuditEvent.objects.filter(object_type="minimal_filing.permit", object_id=str(permit.pk))
    assert list(actions.order_by("id").values_list("action", flat=True)) == [
        Action.FILING_SAVE,
        Action.ATTACHMENT_UPLOAD,
        Action.FILING_DECLARE,
        Action.FILING_APPROVE,
        Action.FILING_CHANGE,
        Action.FILING_SAVE,
        Action.FILING_DECLARE,
        Action.FILING_APPROVE,
    ]
    # Each full view of the personal data is on record too: the reviewer's two, not the supervisor's masked one.
    views = AuditEvent.objects.filter(action=Action.PERSONAL_DATA_VIEW, object_type="review.submission")
    assert list(views.order_by("id").values_list("object_id", "username")) == [
        (str(first.pk), reviewer.username),
        (str(second.pk), reviewer.username),
    ]
