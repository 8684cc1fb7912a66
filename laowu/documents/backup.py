"""Back up and restore the database and the stored files together (docs/backup.md).

A backup is a folder: `database.dump` (PostgreSQL, `pg_dump -Fc`) or `database.sqlite3`
(SQLite, its online backup API), `files/` (every stored file, copied through
`default_storage`, so a local folder and an S3 bucket are backed up alike), and
`manifest.json`, written last: the time, the code's commit, the database engine, and the
size and SHA-256 of the dump and of each file. A folder without a manifest is an unfinished
backup. Restore checks every hash before it changes anything, then puts the files back
first and the database second (a file without its row is harmless; a row without its file
is not), into an empty database only.

The database is dumped before the files are copied: a row is written only after its file
(documents/storage.py), and stored files are never changed, so every file a dumped row
names is there by the time the files are copied.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sqlite3
import subprocess  # nosec B404  # pg_dump/pg_restore, with argument lists, no shell
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import Storage, storages
from django.db import connection

from laowu.core.storage import PARTIAL_PREFIX

from .storage_check import walk

MANIFEST = "manifest.json"
FILES = "files"
FORMAT = 1
CHUNK = 1024 * 1024
ENGINES = {"django.db.backends.postgresql": "postgresql", "django.db.backends.sqlite3": "sqlite"}
DUMPS = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}


class BackupError(Exception):
    """Said to the operator as is (Chinese); nothing was changed when restore raises it."""


def engine() -> str:
    name = ENGINES.get(connection.settings_dict["ENGINE"])
    if name is None:
        raise BackupError(f"不支持的数据库：{connection.settings_dict['ENGINE']}")
    return name


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _commit() -> str:
    if os.environ.get("LAOWU_COMMIT"):
        return os.environ["LAOWU_COMMIT"]
    try:
        out = subprocess.run(  # nosec B603  # fixed arguments
            ["git", "rev-parse", "HEAD"],  # noqa: S607  # nosec B607  # git from PATH, as make does
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip()


def _pg_env() -> tuple[list[str], dict[str, str]]:
    s = connection.settings_dict
    args = []
    if s.get("HOST"):
        args += ["--host", str(s["HOST"])]
    if s.get("PORT"):
        args += ["--port", str(s["PORT"])]
    if s.get("USER"):
        args += ["--username", str(s["USER"])]
    env = {**os.environ}
    if s.get("PASSWORD"):
        env["PGPASSWORD"] = str(s["PASSWORD"])
    if (s.get("OPTIONS") or {}).get("sslmode"):
        env["PGSSLMODE"] = str(s["OPTIONS"]["sslmode"])
    return args, env


def _run(command: list[str], *, env: dict[str, str], timeout: float) -> None:
    try:
        done = subprocess.run(  # noqa: S603  # nosec B603  # argument list from settings, no shell
            command, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
    except FileNotFoundError as exc:
        raise BackupError(f"找不到 {command[0]}：请安装与数据库服务器版本一致的 postgresql-client。") from exc
    except subprocess.TimeoutExpired as exc:
        raise BackupError(f"{command[0]} 超过 {timeout:.0f} 秒未完成。") from exc
    if done.returncode:
        raise BackupError(f"{command[0]} 失败（状态码 {done.returncode}）：{done.stderr.strip()[-2000:]}")


def _dump_database(target: Path, *, timeout: float) -> None:
    if engine() == "postgresql":
        args, env = _pg_env()
        name = str(connection.settings_dict["NAME"])
        _run(["pg_dump", "--format=custom", "--file", str(target), *args, "--dbname", name], env=env, timeout=timeout)
        return
    connection.ensure_connection()
    source = connection.connection
    with sqlite3.connect(target) as out:
        source.backup(out)
    out.close()


def backup(to: Path, *, timeout: float = 3600, say: Callable[[str], None] = lambda line: None) -> dict[str, Any]:
    """Write a backup into `to` (absent or empty) and return its manifest."""
    if to.exists() and any(to.iterdir()):
        raise BackupError(f"备份目录 {to} 不是空的，请指定新的目录。")
    to.mkdir(parents=True, exist_ok=True)
    started = dt.datetime.now(dt.UTC)
    kind = engine()
    dump = to / DUMPS[kind]
    _dump_database(dump, timeout=timeout)
    say(f"数据库已导出：{dump.name}（{dump.stat().st_size:,} 字节）")
    storage = storages["default"]
    files = []
    for item in walk(storage, top=""):
        if os.path.basename(item.name).startswith(PARTIAL_PREFIX):
            continue  # a write cut short: never a stored file
        files.append(_copy_out(storage, item.name, to / FILES))
    say(f"文件已复制：{len(files)} 个")
    manifest = {
        "format": FORMAT,
        "created_at": started.isoformat(timespec="seconds"),
        "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "commit": _commit(),
        "database": {"engine": kind, "file": dump.name, "size": dump.stat().st_size, "sha256": _sha256_of(dump)},
        "file_count": len(files),
        "files": files,
    }
    partial = to / f"{MANIFEST}.partial"
    partial.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(partial, to / MANIFEST)
    return manifest


def _local(root: Path, name: str) -> Path:
    path = (root / name).resolve()
    if not path.is_relative_to(root.resolve()):
        raise BackupError(f"文件名越出备份目录：{name}")
    return path


def _copy_out(storage: Storage, name: str, root: Path) -> dict[str, Any]:
    path = _local(root, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    with storage.open(name, "rb") as src, path.open("wb") as out:
        while chunk := src.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    return {"name": name, "size": size, "sha256": digest.hexdigest()}


def read_manifest(source: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise BackupError(f"{source} 中没有 {MANIFEST}：不是备份目录，或备份未完成。") from exc
    except ValueError as exc:
        raise BackupError(f"{MANIFEST} 已损坏：{exc}") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"不认识的备份格式：{manifest.get('format')}")
    return manifest


def verify(source: Path, manifest: dict[str, Any]) -> list[str]:
    """What in the backup does not match its manifest; [] when it is whole."""
    problems = []
    entries = [manifest["database"] | {"name": manifest["database"]["file"]}]
    paths = [source / manifest["database"]["file"]]
    for item in manifest["files"]:
        entries.append(item)
        paths.append(_local(source / FILES, item["name"]))
    if len(manifest["files"]) != manifest["file_count"]:
        problems.append(f"清单文件数 {manifest['file_count']} 与列出的 {len(manifest['files'])} 个不符")
    for item, path in zip(entries, paths, strict=True):
        if not path.is_file():
            problems.append(f"缺少：{item['name']}")
        elif path.stat().st_size != item["size"] or _sha256_of(path) != item["sha256"]:
            problems.append(f"与清单不符：{item['name']}")
    return problems


def _database_is_empty() -> bool:
    with connection.cursor() as cursor:
        return not connection.introspection.table_names(cursor)


def restore(source: Path, *, timeout: float = 3600, say: Callable[[str], None] = lambda line: None) -> dict[str, Any]:
    """Put a verified backup back: the files into `default_storage`, then the database into an
    empty database. Raises `BackupError` before changing anything when the backup is not whole
    or the target is not empty."""
    manifest = read_manifest(source)
    problems = verify(source, manifest)
    if problems:
        raise BackupError("备份校验未通过，未做任何恢复：" + "；".join(problems[:20]))
    say(f"备份校验通过：数据库及 {manifest['file_count']} 个文件与清单一致")
    kind = engine()
    if manifest["database"]["engine"] != kind:
        raise BackupError(f"备份的数据库是 {manifest['database']['engine']}，当前配置的是 {kind}。")
    if not _database_is_empty():
        raise BackupError("目标数据库不是空的：请先新建一个空数据库（PostgreSQL：createdb），再恢复。")
    storage = storages["default"]
    for item in manifest["files"]:
        _copy_in(storage, item, _local(source / FILES, item["name"]))
    say(f"文件已恢复：{manifest['file_count']} 个")
    dump = source / manifest["database"]["file"]
    if kind == "postgresql":
        args, env = _pg_env()
        name = str(connection.settings_dict["NAME"])
        connection.close()
        _run(
            ["pg_restore", "--exit-on-error", "--single-transaction", "--no-owner", *args, "--dbname", name, str(dump)],
            env=env,
            timeout=timeout,
        )
    else:
        connection.ensure_connection()
        with sqlite3.connect(dump) as src:
            src.backup(connection.connection)
        src.close()
    connection.close()
    say(f"数据库已恢复（备份于 {manifest['created_at']}，代码版本 {manifest['commit']}）")
    return manifest


def _copy_in(storage: Storage, item: dict[str, Any], path: Path) -> None:
    name = item["name"]
    if storage.exists(name):
        if storage.size(name) == item["size"] and _stored_sha256(storage, name) == item["sha256"]:
            return  # already there (a restore run again)
        storage.delete(name)
    with path.open("rb") as f:
        saved = storage.save(name, File(f, name=os.path.basename(name)))
    if saved != name:
        storage.delete(saved)
        raise BackupError(f"无法以原名恢复文件：{name}")


def _stored_sha256(storage: Storage, name: str) -> str:
    digest = hashlib.sha256()
    with storage.open(name, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
