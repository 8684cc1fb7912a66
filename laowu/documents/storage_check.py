"""`manage.py storage_check`: the stored files against their rows, and what crashes left.

Four kinds of trouble (docs/backup.md):

- a row without its file: a Blob whose file is missing, of the wrong size or (with
  `verify_hashes`, which reads every file) of the wrong content;
- a file without a row: under `blobs/` but named by no Blob (a transaction that rolled back
  after its write, a crash between the two), once older than the grace period so an
  upload in flight is not touched;
- a partial file: a `.partial-` name the atomic writer (laowu/core/storage.py) never
  renamed, because its process was killed;
- a stale upload temp file in FILE_UPLOAD_TEMP_DIR, left by a killed worker.

`repair` deletes the last three and, for a lost printed sheet, clears its cache row (the next
打印 renders it again from its snapshot, identical) and then the sheet's own Blob row. A lost
attachment cannot be mended here: it is listed with its enterprise and filing so the
committee can ask for the file again, or the operator can restore it from a backup.

Everything goes through `default_storage` (so an S3 bucket is checked the same way); the
local file system takes a faster path through `os.walk` and `os.stat`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.db import connection
from django.utils import timezone

from laowu.core.storage import PARTIAL_PREFIX

from .models import Attachment, Blob, RenderedPdf
from .storage import BlobUnavailable, open_blob

BLOB_ROOT = "blobs"
# Cached sheets are stored sealed, as this type (laowu/review/sheets.py); attachments never are.
SHEET_CONTENT_TYPE = "application/octet-stream"
# Any number, the same in every process: the PostgreSQL advisory lock one run holds.
LOCK_KEY = 0x1A0_5701
BATCH = 500


@dataclasses.dataclass
class StoredFile:
    name: str
    size: int | None = None
    modified: dt.datetime | None = None


@dataclasses.dataclass
class Report:
    blobs: int = 0
    missing: int = 0
    wrong_size: int = 0
    wrong_hash: int = 0
    orphans: int = 0
    partial: int = 0
    upload_temp: int = 0
    deleted: int = 0
    sheets_cleared: int = 0
    unrepaired: list[str] = dataclasses.field(default_factory=list)

    def summary(self, *, repair: bool) -> str:
        head = (
            f"storage_check: 文件记录 {self.blobs} 条，缺失 {self.missing}，大小不符 {self.wrong_size}，"
            f"内容不符 {self.wrong_hash}；无记录文件 {self.orphans}，未写完的临时文件 {self.partial}，"
            f"过期上传临时文件 {self.upload_temp}"
        )
        if repair:
            head += f"；已删除 {self.deleted} 个文件，已清除打印表缓存 {self.sheets_cleared} 条"
        return f"{head}；待处理问题 {self.remaining(repair=repair)}。"

    def remaining(self, *, repair: bool) -> int:
        if repair:
            return len(self.unrepaired)
        return self.missing + self.wrong_size + self.wrong_hash + self.orphans + self.partial + self.upload_temp


class AlreadyRunning(Exception):
    pass


@contextmanager
def exclusive_run() -> Iterator[None]:
    """One run at a time: a PostgreSQL advisory lock (good across servers), else a file lock."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY])
            if not cursor.fetchone()[0]:
                raise AlreadyRunning
            try:
                yield
            finally:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])
        return
    folder = Path(settings.DATA_DIR) / "tmp"
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / "storage_check.lock", os.O_CREAT | os.O_RDWR, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise AlreadyRunning from exc
        yield
    finally:
        os.close(fd)  # closing releases the lock


def walk(storage: Storage, top: str = BLOB_ROOT) -> Iterator[StoredFile]:
    """Every file under `top`, recursively; on the local file system with its size and time."""
    if isinstance(storage, FileSystemStorage):
        root = storage.path(top)
        for folder, _, files in os.walk(root):
            for f in files:
                path = os.path.join(folder, f)
                try:
                    st = os.stat(path)
                except FileNotFoundError:
                    continue  # renamed or removed while we looked
                name = os.path.relpath(path, storage.location).replace(os.sep, "/")
                yield StoredFile(name, st.st_size, dt.datetime.fromtimestamp(st.st_mtime, tz=dt.UTC))
        return
    try:
        dirs, files = storage.listdir(top)
    except FileNotFoundError:
        return
    prefix = f"{top}/" if top else ""
    for f in files:
        yield StoredFile(prefix + f)
    for d in dirs:
        yield from walk(storage, prefix + d)


def _modified(storage: Storage, item: StoredFile) -> dt.datetime:
    if item.modified is None:
        item.modified = storage.get_modified_time(item.name)
        if timezone.is_naive(item.modified):
            item.modified = timezone.make_aware(item.modified)
    return item.modified


def _blob_state(storage: Storage, blob: Blob, *, verify_hashes: bool) -> str:
    """ "ok", "missing", "wrong_size" or "wrong_hash"."""
    if isinstance(storage, FileSystemStorage):
        try:
            size = os.stat(storage.path(blob.storage_name)).st_size
        except FileNotFoundError:
            return "missing"
    else:
        if not storage.exists(blob.storage_name):
            return "missing"
        size = storage.size(blob.storage_name)
    if size != blob.size:
        return "wrong_size"
    if verify_hashes:
        try:
            open_blob(blob)
        except BlobUnavailable:
            return "wrong_hash"
    return "ok"


def _where(item: Attachment) -> str:
    filing = item.filing
    if filing is None:
        return f"附件 #{item.pk}“{item.original_name}”：所属记录已不存在"
    enterprise = getattr(filing, "enterprise", None)
    who = f"{enterprise.name}（{getattr(enterprise, 'credit_code', '')}）" if enterprise else "—"
    kind = item.filing_type.model_class()._meta.verbose_name if item.filing_type.model_class() else "记录"
    return f"附件 #{item.pk}“{item.original_name}”：企业 {who}，{kind} #{item.filing_id}，附件类型 {item.kind}"


def check(
    *,
    repair: bool = False,
    verify_hashes: bool = False,
    grace: dt.timedelta = dt.timedelta(hours=1),
    say: Callable[[str], None] = lambda line: None,
) -> Report:
    """Look (and with `repair`, mend what can be mended); `say` gets one line per finding."""
    # default_storage is a lazy proxy; the fast paths need the backend itself.
    storage = storages["default"]
    report = Report()
    _check_rows(storage, report, repair=repair, verify_hashes=verify_hashes, say=say)
    cutoff = timezone.now() - grace
    _check_files(storage, report, repair=repair, cutoff=cutoff, say=say)
    _check_upload_temp(report, repair=repair, cutoff=cutoff, say=say)
    return report


def _check_rows(
    storage: Storage, report: Report, *, repair: bool, verify_hashes: bool, say: Callable[[str], None]
) -> None:
    for blob in Blob.objects.order_by("sha256").iterator(chunk_size=2000):
        report.blobs += 1
        state = _blob_state(storage, blob, verify_hashes=verify_hashes)
        if state == "ok":
            continue
        setattr(report, state, getattr(report, state) + 1)
        words = {"missing": "文件缺失", "wrong_size": "文件大小不符", "wrong_hash": "文件内容与哈希不符"}[state]
        say(f"{words}：{blob.sha256}（{blob.storage_name}）")
        sheets = RenderedPdf.objects.filter(blob=blob)
        attachments = list(Attachment.objects.filter(blob=blob).select_related("filing_type"))
        if repair and sheets.exists():
            cleared, _ = sheets.delete()
            report.sheets_cleared += cleared
            say(f"  已清除 {cleared} 条打印表缓存，下次打印时从申报快照重新生成")
        elif sheets.exists():
            say("  打印表缓存：--repair 清除后，下次打印时从申报快照重新生成")
        if blob.content_type == SHEET_CONTENT_TYPE and not attachments:
            if repair:
                # A sheet's blob is reached only through its cache row, gone now.
                Blob.objects.filter(pk=blob.pk, attachments=None).delete()
            continue
        for item in attachments:
            say(f"  无法修复，请企业重新上传或从备份恢复：{_where(item)}")
        if not attachments:
            say("  无法修复：未被当前附件引用，可能仍被历次申报快照引用；请从备份恢复")
        if repair:
            report.unrepaired.append(blob.sha256)


def _delete(storage: Storage, name: str, report: Report, say: Callable[[str], None]) -> None:
    try:
        storage.delete(name)
    except OSError as exc:
        say(f"  删除失败：{name}：{exc}")
        report.unrepaired.append(name)
    else:
        report.deleted += 1


def _check_files(
    storage: Storage, report: Report, *, repair: bool, cutoff: dt.datetime, say: Callable[[str], None]
) -> None:
    batch: list[StoredFile] = []

    def flush() -> None:
        shas = {_sha_of(f.name) for f in batch}
        known = dict(Blob.objects.filter(sha256__in=shas).values_list("sha256", "storage_name"))
        for item in batch:
            if known.get(_sha_of(item.name)) == item.name or _modified(storage, item) > cutoff:
                continue  # named by its row, or too young to judge: an upload may be in flight
            report.orphans += 1
            say(f"无记录文件：{item.name}")
            if repair:
                _delete(storage, item.name, report, say)
        batch.clear()

    for item in walk(storage):
        if os.path.basename(item.name).startswith(PARTIAL_PREFIX):
            if _modified(storage, item) <= cutoff:
                report.partial += 1
                say(f"未写完的临时文件：{item.name}")
                if repair:
                    _delete(storage, item.name, report, say)
            continue
        batch.append(item)
        if len(batch) >= BATCH:
            flush()
    flush()


def _sha_of(name: str) -> str:
    return os.path.basename(name).split(".", 1)[0]


def _check_upload_temp(report: Report, *, repair: bool, cutoff: dt.datetime, say: Callable[[str], None]) -> None:
    folder = getattr(settings, "FILE_UPLOAD_TEMP_DIR", None)
    if not folder or not os.path.isdir(folder):
        return
    with os.scandir(folder) as entries:
        for entry in entries:
            if not entry.is_file(follow_symlinks=False):
                continue
            try:
                modified = dt.datetime.fromtimestamp(entry.stat().st_mtime, tz=dt.UTC)
            except FileNotFoundError:
                continue  # the upload finished and Django removed it
            if modified > cutoff:
                continue
            report.upload_temp += 1
            say(f"过期上传临时文件：{entry.path}")
            if repair:
                try:
                    os.unlink(entry.path)
                except FileNotFoundError:
                    pass
                except OSError as exc:
                    say(f"  删除失败：{entry.path}：{exc}")
                    report.unrepaired.append(entry.path)
                else:
                    report.deleted += 1
