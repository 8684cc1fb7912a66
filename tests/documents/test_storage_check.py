"""`manage.py storage_check`: rows without files, files without rows, what a killed writer or
upload left, repaired where it can be, reported (with enterprise and filing) where it cannot."""

from __future__ import annotations

import io
import os
import signal
import subprocess  # nosec B404
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.core.management import call_command
from django.db import connection, connections
from django.urls import reverse

from laowu.core.storage import PARTIAL_PREFIX
from laowu.documents.models import Attachment, Blob, RenderedPdf
from laowu.documents.storage import store_blob
from laowu.documents.storage_check import LOCK_KEY, exclusive_run
from laowu.review.models import State

pytestmark = pytest.mark.django_db

OLD = time.time() - 2 * 3600


def run(*args: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("storage_check", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    text = out.getvalue() + err.getvalue()
    # One summary line, last.
    assert text.strip().splitlines()[-1].startswith("storage_check: ")
    return code, text


def aged(path: Path, data: bytes = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.utime(path, (OLD, OLD))
    return path


@pytest.fixture
def disk(settings: Any, tmp_path: Path, storage: Storage) -> Path:
    root = tmp_path / "private"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "laowu.core.storage.AtomicFileSystemStorage", "OPTIONS": {"location": str(root)}},
    }
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "uploads")
    settings.DATA_DIR = tmp_path
    (tmp_path / "uploads").mkdir()
    return root


def test_a_clean_store_passes(disk: Path, filing_in_state: Any) -> None:
    filing_in_state(State.APPROVED)
    code, text = run()
    assert code == 0
    assert text.strip().splitlines()[-1].endswith("待处理问题 0。")


@pytest.mark.prints
def test_finds_repairs_and_reports(
    disk: Path, tmp_path: Path, filing_in_state: Any, as_user: Any, enterprise_a: Any
) -> None:
    info = filing_in_state(State.APPROVED)
    sub = info.approved_submission
    owner = as_user(enterprise_a)
    printed = owner.get(reverse("printing:print", args=[sub.pk])).content
    (sheet,) = RenderedPdf.objects.filter(submission=sub)
    lost = Attachment.objects.filter(filing_id=info.pk).select_related("blob").first()
    lost_bytes = (disk / lost.blob.storage_name).read_bytes()
    (disk / lost.blob.storage_name).unlink()
    (disk / sheet.blob.storage_name).unlink()
    # What crashes leave: a file whose row never came, a write cut short, a spooled upload.
    orphan = aged(disk / "blobs/ee/ee" / ("ee" * 32 + ".pdf"))
    partial = aged(disk / "blobs/ab/cd" / f"{PARTIAL_PREFIX}k1ll3d", b"%PDF-1.7 half")
    temp = aged(tmp_path / "uploads" / "tmpabc.upload.pdf")
    # The same, but young: an upload may be in flight.
    young = [
        disk / "blobs/ff/ff" / ("ff" * 32 + ".pdf"),
        disk / "blobs/ab/cd" / f"{PARTIAL_PREFIX}now",
        tmp_path / "uploads" / "tmpnow.upload.pdf",
    ]
    for path in young:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"y")

    code, text = run()
    assert code == 1
    assert f"文件缺失：{lost.blob.sha256}" in text and f"文件缺失：{sheet.blob.sha256}" in text
    assert str(orphan.relative_to(disk)) in text and PARTIAL_PREFIX + "k1ll3d" in text and str(temp) in text
    assert "待处理问题 5。" in text
    assert orphan.exists() and partial.exists() and temp.exists()  # looking changes nothing

    code, text = run("--repair")
    assert code == 1  # the lost attachment cannot be mended here
    assert not orphan.exists() and not partial.exists() and not temp.exists()
    assert all(p.exists() for p in young)
    # Staff learn whose file to ask for again.
    assert f"附件 #{lost.pk}“{lost.original_name}”：企业 {enterprise_a.enterprise.name}" in text
    assert "已删除 3 个文件，已清除打印表缓存 1 条；待处理问题 1。" in text
    assert not RenderedPdf.objects.exists() and not Blob.objects.filter(pk=sheet.blob_id).exists()

    # Idempotent: a second run finds only what it cannot mend.
    code, text = run("--repair")
    assert code == 1 and "已删除 0 个文件，已清除打印表缓存 0 条；待处理问题 1。" in text

    # Put back from a backup: clean, and the sheet prints again, the same.
    (disk / lost.blob.storage_name).write_bytes(lost_bytes)
    assert run("--repair")[0] == 0
    assert owner.get(reverse("printing:print", args=[sub.pk])).content == printed


def test_wrong_size_and_with_verify_hashes_wrong_content(disk: Path) -> None:
    short = store_blob(b"%PDF-1.7 short file")
    (disk / short.storage_name).write_bytes(b"%PDF-1.7 sho")
    swapped = store_blob(b"%PDF-1.7 other file")
    (disk / swapped.storage_name).write_bytes(b"%PDF-1.7 OTHER file")
    code, text = run()
    assert code == 1 and f"文件大小不符：{short.sha256}" in text and swapped.sha256 not in text
    code, text = run("--verify-hashes")
    assert f"文件内容与哈希不符：{swapped.sha256}" in text and "待处理问题 2。" in text


@contextmanager
def another_run() -> Iterator[None]:
    """The lock held as another process would hold it: from another database session on
    PostgreSQL (a session may take its own advisory lock twice), else this process's file lock."""
    if connection.vendor != "postgresql":
        with exclusive_run():
            yield
        return
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [LOCK_KEY])
            yield
            # Unlocked before closing: the server ends a closed session (and frees its
            # locks) only some time after the client has moved on.
            cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])
    finally:
        other.close()


def test_two_runs_do_not_overlap(disk: Path) -> None:
    with another_run():
        out, err = io.StringIO(), io.StringIO()
        with pytest.raises(SystemExit) as exc:
            call_command("storage_check", stdout=out, stderr=err)
    assert exc.value.code == 2 and "正在运行" in err.getvalue()
    assert run()[0] == 0  # released afterwards


def test_any_django_storage_is_walked(storage: Storage, settings: Any, tmp_path: Path) -> None:
    """Through listdir/size/get_modified_time only, as for an S3 bucket (here: in memory)."""
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    settings.DATA_DIR = tmp_path
    kept = store_blob(b"%PDF-1.7 kept")
    backend = storages["default"]
    backend.save("blobs/00/00/" + "00" * 32 + ".pdf", ContentFile(b"orphan"))
    code, text = run("--grace-minutes", "0")
    assert code == 1 and "无记录文件：blobs/00/00/" in text and kept.sha256 not in text
    code, text = run("--repair", "--grace-minutes", "0")
    assert code == 0 and not backend.exists("blobs/00/00/" + "00" * 32 + ".pdf")
    assert backend.exists(kept.storage_name)
    backend.delete(kept.storage_name)
    code, text = run()
    assert code == 1 and f"文件缺失：{kept.sha256}" in text


# A worker writing a blob through the atomic storage, killed (SIGKILL) in the middle of it.
WRITER = """
import sys, time
from django.conf import settings
settings.configure()
from laowu.core.storage import AtomicFileSystemStorage

class Slow:
    def chunks(self):
        yield b"%PDF-1.7 " + b"a" * 65536
        open(sys.argv[2], "w").close()
        time.sleep(60)
        yield b"%%EOF"

AtomicFileSystemStorage(location=sys.argv[1]).save(sys.argv[3], Slow())
"""


def test_a_writer_killed_mid_write_leaves_nothing_visible_and_is_swept(disk: Path, tmp_path: Path) -> None:
    name = "blobs/ab/cd/" + "ab" * 32 + ".pdf"
    ready = tmp_path / "ready"
    repo = Path(__file__).resolve().parents[2]
    writer = subprocess.Popen(  # this interpreter, a fixed script
        [sys.executable, "-c", WRITER, str(disk), str(ready), name], cwd=repo
    )
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert writer.poll() is None and time.monotonic() < deadline, "the writer did not start writing"
            time.sleep(0.05)
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=10)
    finally:
        if writer.poll() is None:
            writer.kill()
    assert not (disk / name).exists() and not storages["default"].exists(name)
    [partial] = (disk / "blobs/ab/cd").iterdir()
    assert partial.name.startswith(PARTIAL_PREFIX)

    # Young, it may be a write in flight: left alone.
    code, text = run("--repair")
    assert code == 0 and partial.exists()
    os.utime(partial, (OLD, OLD))
    code, text = run()
    assert code == 1 and f"未写完的临时文件：blobs/ab/cd/{partial.name}" in text
    code, text = run("--repair")
    assert code == 0 and not partial.exists()
