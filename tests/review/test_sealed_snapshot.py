"""A submission's snapshot keeps its personal values sealed at rest (laowu/review/fields.py): the
database holds no 身份证号 or 手机号 of it in plain text, the code reads them plain, and snapshots
written before sealing are sealed by the migration."""

from __future__ import annotations

import importlib
import json
from typing import Any

import pytest
from django.apps import apps
from django.db import connection

from laowu.core.crypto import SealError, is_sealed
from laowu.personnel.models import SafetyOfficer
from laowu.review import services
from laowu.review.models import Submission
from tests.factories import complete_basic_info, complete_person

pytestmark = pytest.mark.django_db

ID = "320507198501010075"
PHONE = "13912345678"


@pytest.fixture
def submission(enterprise_a: Any, reviewer: Any) -> Submission:
    info = complete_basic_info(enterprise_a.enterprise, actor=enterprise_a)
    services.approve(submission=services.declare(filing=info, actor=enterprise_a), actor=reviewer)
    person = complete_person(SafetyOfficer, enterprise_a, id_number=ID, name="周安")
    return services.declare(filing=person, actor=enterprise_a)


def raw(pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT snapshot FROM review_submission WHERE id = %s", [pk])
        value = cursor.fetchone()[0]
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def rows(snapshot: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in snapshot["fields"]}


def test_personal_values_are_sealed_in_the_database(submission: Submission) -> None:
    text = raw(submission.pk)
    assert ID not in text and PHONE not in text
    assert json.loads(text)["title"] == "周安"  # the rest stays plain JSON
    loaded = Submission.objects.get(pk=submission.pk).snapshot
    assert rows(loaded)["id_number"]["display"] == ID and rows(loaded)["mobile"]["value"] == PHONE


def test_a_tampered_value_does_not_open(submission: Submission) -> None:
    token = rows(Submission.objects.values_list("snapshot", flat=True).get(pk=submission.pk))["id_number"]
    assert token["display"] == ID  # opened on load
    text = raw(submission.pk)
    sealed = [t for t in text.split('"') if is_sealed(t)]
    assert len(sealed) == 4  # value and display of both personal rows
    forged = text.replace(sealed[0], sealed[0][:-4] + ("AAAA" if not sealed[0].endswith("AAAA") else "BBBB"))
    with connection.cursor() as cursor:
        cursor.execute("UPDATE review_submission SET snapshot = %s WHERE id = %s", [forged, submission.pk])
    with pytest.raises(SealError):
        Submission.objects.get(pk=submission.pk)


def test_the_migration_seals_snapshots_written_before(submission: Submission) -> None:
    plain = raw(submission.pk)
    opened = Submission.objects.get(pk=submission.pk).snapshot

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE review_submission SET snapshot = %s WHERE id = %s",
            [json.dumps(opened, ensure_ascii=False), submission.pk],
        )
    assert ID in raw(submission.pk) and plain != raw(submission.pk)
    # Read as it is before the migration ran.
    assert rows(Submission.objects.get(pk=submission.pk).snapshot)["id_number"]["value"] == ID
    migration = importlib.import_module("laowu.review.migrations.0005_seal_snapshots")
    migration.seal_existing(apps, None)
    assert ID not in raw(submission.pk) and PHONE not in raw(submission.pk)
    assert Submission.objects.get(pk=submission.pk).snapshot == opened
