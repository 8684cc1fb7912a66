"""The owner's page of a filing (laowu/review/editing.py) reads its attachments with only the
columns the panel shows."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from laowu.documents.models import Attachment
from laowu.documents.services import attachments_by_kind
from tests.factories import complete_basic_info

pytestmark = pytest.mark.django_db


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
