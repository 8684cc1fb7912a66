"""No 身份证号 or 手机号 rests in plain text (docs/security.md): after a person is filed, approved,
printed and named in a bad-behaviour record, a project filed with its site manager's phone and a
password-reset code sent to the account's phone, none of those numbers (the person's, the
account's, the contact's, the site manager's) is found in any column of any table, in the SQLite
database file itself, or in any stored file; the pages still show them to those who may see them.
`rotate_keys` moves everything to a new key, after which the old key can be dropped."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from laowu.accounts.models import SmsCode, phone_is
from laowu.accounts.services import request_password_reset_code
from laowu.core.crypto import current_prefix
from laowu.personnel.models import SafetyOfficer
from laowu.review import services
from laowu.review.models import Submission
from laowu.supervision import bad_behaviour as bb
from laowu.supervision.models import BadBehaviour
from tests.factories import approved_person, approved_project, complete_basic_info
from tests.supervision.test_bad_behaviour import record_data

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.prints]

ID = "320507198501010075"
OTHER_ID = "320507199002020038"
PHONE = "13912345678"  # tests/factories.py complete_person's mobile
SITE_PHONE = "13911112222"  # approved_project's 现场负责人电话
CONTACT_PHONE = "13800000000"  # complete_basic_info's 联系电话


def every_value() -> str:
    """Every value of every row of every table, as text (bytes both ways)."""
    parts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - names from the schema itself
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        value = bytes(value).decode("latin-1")
                    parts.append(str(value))
    return "\n".join(parts)


def stored_files(path: str = "") -> list[bytes]:
    """Every file in the blob store (the tests' in-memory storage), walked as storage sees it."""
    folders, files = default_storage.listdir(path)
    found = []
    for name in files:
        with default_storage.open(f"{path}/{name}" if path else name) as f:
            found.append(f.read())
    for folder in folders:
        found += stored_files(f"{path}/{folder}" if path else folder)
    return found


@pytest.fixture
def world(enterprise_a: Any, reviewer: Any, as_user: Any) -> Any:
    info = complete_basic_info(enterprise_a.enterprise, actor=enterprise_a)
    services.approve(submission=services.declare(filing=info, actor=enterprise_a), actor=reviewer)
    person = approved_person(SafetyOfficer, enterprise_a, reviewer, id_number=ID, name="周安")
    for user in (enterprise_a, reviewer):
        assert as_user(user).get(reverse("printing:print", args=[person.approved_submission_id])).status_code == 200
    bb.create_record(
        enterprise=enterprise_a.enterprise,
        data=record_data(person_name="张建国", person_id_number=OTHER_ID),
        actor=reviewer,
    )
    project = approved_project(enterprise_a, reviewer)
    assert project.site_manager_phone == SITE_PHONE
    request_password_reset_code(phone=enterprise_a.phone)
    assert SmsCode.objects.filter(**phone_is(enterprise_a.phone)).exists()
    return person


def test_no_number_rests_in_plain_text(world: Any, as_user: Any, reviewer: Any, enterprise_a: Any) -> None:
    secrets = (
        ID,
        OTHER_ID,
        PHONE,
        SITE_PHONE,
        CONTACT_PHONE,
        enterprise_a.phone,
        enterprise_a.enterprise.contact_phone,
    )
    text = every_value()
    for secret in secrets:
        assert secret not in text, f"{secret} found in the database"
    if connection.vendor == "sqlite":
        name = connection.settings_dict["NAME"]
        for path in (Path(name), Path(f"{name}-wal"), Path(f"{name}-journal")):
            data = path.read_bytes() if path.exists() else b""
            for secret in secrets:
                assert secret.encode() not in data and secret.encode("utf-16-le") not in data
    files = stored_files()
    assert len(files) >= 6  # attachments and the two cached sheets
    for blob in files:
        for secret in secrets:
            assert secret.encode() not in blob
    # Yet the numbers are there for those who may see them.
    assert ID in as_user(enterprise_a).get(world.get_absolute_url()).content.decode()
    assert BadBehaviour.objects.get().person_id_number == OTHER_ID
    assert SafetyOfficer.objects.get().mobile == PHONE


def test_rotate_keys_moves_everything_to_the_new_key(world: Any, settings: Any, as_user: Any, reviewer: Any) -> None:
    old = settings.LAOWU_DATA_KEYS
    new_entry = "rot2:sm4:" + base64.b64encode(b"r" * 16).decode()
    settings.LAOWU_DATA_KEYS = f"{new_entry},{old}"
    settings.LAOWU_DATA_KEY_ID = "rot2"
    out = io.StringIO()
    call_command("rotate_keys", stdout=out)
    report = out.getvalue()
    assert "personnel.SafetyOfficer：重新加密 1 行" in report and "supervision.BadBehaviour：重新加密 1 行" in report
    text = every_value()
    assert current_prefix() == "s1.rot2.sm4."
    assert "s1.test1." not in text and "s1.rot2.sm4." in text
    # Nothing left: a second run re-seals nothing.
    again = io.StringIO()
    call_command("rotate_keys", stdout=again)
    assert "共重新加密 0 项" in again.getvalue()
    # The old key dropped, everything still opens and prints.
    settings.LAOWU_DATA_KEYS = new_entry
    person = SafetyOfficer.objects.get()
    assert person.id_number == ID and person.mobile == PHONE
    assert ID in str(Submission.objects.get(pk=person.approved_submission_id).snapshot)
    assert BadBehaviour.objects.get().person_id_number == OTHER_ID
    resp = as_user(reviewer).get(reverse("printing:print", args=[person.approved_submission_id]))
    assert resp.status_code == 200 and resp.content.startswith(b"%PDF")
