"""The restore drill (docs/backup.md): back up a filing with its printed sheet, lose the
database and the files, restore into a fresh database and storage, and the old sheet still
verifies, prints the same bytes, and the audit chain still holds.

Runs on both engines: pg_dump/pg_restore in the PostgreSQL pass, SQLite's backup API in the
other. The restore goes into a database of its own (`<test database>_drill`)."""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from PIL import Image
from pypdf import PdfReader

from laowu.documents.backup import DUMPS, FILES, MANIFEST
from laowu.review.models import State
from tests.conftest import basic_info_in_state, client_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.prints]


def qr_url(pdf_bytes: bytes) -> str:
    found = []
    for image in PdfReader(io.BytesIO(pdf_bytes)).pages[0].images:
        img = Image.open(io.BytesIO(image.data)).convert("L")
        img = img.resize((img.width * 4, img.height * 4), Image.NEAREST)
        found += [b.text for b in zxingcpp.read_barcodes(img)]
    [url] = found
    return url.removeprefix("http://testserver")


def use_files_in(settings: Any, root: Path) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "laowu.core.storage.AtomicFileSystemStorage", "OPTIONS": {"location": str(root)}},
    }


@pytest.fixture
def drill_database(tmp_path: Path) -> Iterator[Callable[[], None]]:
    """Yields a function that points the default connection at a new, empty database; the
    test database is pointed at again (and the drill's dropped) afterwards."""
    original = connection.settings_dict["NAME"]
    pg = connection.vendor == "postgresql"
    drill = f"{original}_drill" if pg else str(tmp_path / "drill.sqlite3")

    def switch() -> None:
        if pg:
            with connection._nodb_cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{drill}"')
                cursor.execute(f'CREATE DATABASE "{drill}"')
        connection.close()
        connection.settings_dict["NAME"] = drill

    yield switch
    connection.close()
    connection.settings_dict["NAME"] = original
    if pg:
        with connection._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{drill}" WITH (FORCE)')


def test_restore_drill(settings: Any, tmp_path: Path, enterprise_a: Any, reviewer: Any, drill_database: Any) -> None:
    use_files_in(settings, tmp_path / "files")
    info = basic_info_in_state(State.APPROVED, owner=enterprise_a, reviewer=reviewer)
    sub = info.approved_submission
    printed = client_for(enterprise_a).get(reverse("printing:print", args=[sub.pk]))
    assert printed.status_code == 200
    verify = qr_url(printed.content)
    assert "已通过（有效）" in Client().get(verify).content.decode()

    backup = tmp_path / "backup"
    call_command("backup", "--to", str(backup), stdout=io.StringIO())
    manifest = json.loads((backup / MANIFEST).read_text())
    engine = "postgresql" if connection.vendor == "postgresql" else "sqlite"
    assert manifest["database"]["engine"] == engine and manifest["database"]["file"] == DUMPS[engine]
    stored = sorted(str(p.relative_to(tmp_path / "files")) for p in (tmp_path / "files").rglob("*") if p.is_file())
    assert sorted(f["name"] for f in manifest["files"]) == stored and manifest["file_count"] == len(stored) > 0
    assert manifest["commit"] and manifest["created_at"]

    # The disaster: files and database gone; a fresh, empty database and folder instead.
    shutil.rmtree(tmp_path / "files")
    use_files_in(settings, tmp_path / "restored")
    drill_database()
    call_command("restore", "--from", str(backup), stdout=io.StringIO())

    # The old paper still verifies, prints the same, and the audit chain still holds.
    page = Client().get(verify)
    assert page.status_code == 200 and "已通过（有效）" in page.content.decode()
    owner = get_user_model().objects.get(pk=enterprise_a.pk)
    again = client_for(owner).get(reverse("printing:print", args=[sub.pk]))
    assert again.status_code == 200 and again.content == printed.content
    call_command("verify_audit", stdout=io.StringIO())
    call_command("storage_check", stdout=io.StringIO())

    # Restoring again refuses: the database is no longer empty.
    with pytest.raises(CommandError, match="目标数据库不是空的"):
        call_command("restore", "--from", str(backup), stdout=io.StringIO())


def test_a_damaged_backup_is_refused_before_anything_changes(
    settings: Any, tmp_path: Path, enterprise_a: Any, reviewer: Any, drill_database: Any
) -> None:
    use_files_in(settings, tmp_path / "files")
    basic_info_in_state(State.APPROVED, owner=enterprise_a, reviewer=reviewer)
    backup = tmp_path / "backup"
    call_command("backup", "--to", str(backup), stdout=io.StringIO())
    manifest = json.loads((backup / MANIFEST).read_text())
    damaged = backup / FILES / manifest["files"][0]["name"]
    damaged.write_bytes(damaged.read_bytes()[:-1] + b"\0")
    use_files_in(settings, tmp_path / "restored")
    drill_database()
    with pytest.raises(CommandError, match="备份校验未通过") as exc:
        call_command("restore", "--from", str(backup), stdout=io.StringIO())
    assert manifest["files"][0]["name"] in str(exc.value)
    assert not (tmp_path / "restored").exists()
    with connection.cursor() as cursor:
        assert connection.introspection.table_names(cursor) == []
    # And a folder that already holds something is not written into.
    with pytest.raises(CommandError, match="不是空的"):
        call_command("backup", "--to", str(backup), stdout=io.StringIO())
