"""The audit log's hash chain (docs/audit.md).

Every row is sealed when it is appended: `seq` is its place in the chain, `prev_hash` the
`row_hash` of the row before it, `row_hash` = H(prev_hash ‖ canonical content) and `mac` =
HMAC-H(server key, row_hash). H is SM3 (GB/T 32905) unless `LAOWU_AUDIT_HASH` says
`sha256`. The hash alone shows that rows were changed, removed or reordered; the MAC shows
that a row was written by the application, since a forger without the key cannot seal one.

One row, `AuditChainHead`, holds the last sealed row (and, after `archive_audit`, the last
archived one, the anchor the rest of the chain starts from), so removing the newest rows is
seen too. Appends are serialised: on PostgreSQL by the row lock on the head
(`SELECT … FOR UPDATE`, which also reads it), or, while there is no head row yet (a new or
flushed database), by a transaction-scoped advisory lock; on SQLite by the write lock every
transaction takes (`transaction_mode: IMMEDIATE`, see laowu/settings/base.py). The lock is
held until the caller's transaction commits, so ids, `seq` and commit order agree.

This module works on a model class passed in where a migration needs it (its historical
model), and with raw SQL for the owner's rewrite (`rechain`), so it imports no model itself.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hmac as std_hmac
import json
from collections.abc import Callable, Iterator
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, transaction
from django.utils import timezone
from django.utils.ipv6 import clean_ipv6_address

from laowu.core.plans import plan_keeping_cursor

GENESIS = "0" * 64
ALGORITHMS: dict[str, Callable[[], hashes.HashAlgorithm]] = {"sm3": hashes.SM3, "sha256": hashes.SHA256}
HEAD_PK = 1
# Any constant: the advisory lock every appending transaction takes on PostgreSQL.
ADVISORY_LOCK_KEY = 0x1A0D17
TABLE = "audit_auditevent"
CONTENT_FIELDS = (
    "seq",
    "created_at",
    "user_id",
    "username",
    "role",
    "ip",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "result",
    "detail",
    "alg",
    "key_id",
)
SEAL_FIELDS = ("prev_hash", "row_hash", "mac")
ROW_FIELDS = ("id", *CONTENT_FIELDS, *SEAL_FIELDS)


# ---------------------------------------------------------------- settings


def current_alg() -> str:
    alg = getattr(settings, "LAOWU_AUDIT_HASH", "sm3")
    if alg not in ALGORITHMS:
        raise ImproperlyConfigured(f"LAOWU_AUDIT_HASH 只能是 {'、'.join(ALGORITHMS)}，当前为 {alg!r}。")
    return alg


def current_key_id() -> str:
    return getattr(settings, "LAOWU_AUDIT_HMAC_KEY_ID", "") or "k1"


def keys() -> dict[str, bytes]:
    """Every key a row may have been sealed with: the current one, and the retired ones kept
    (LAOWU_AUDIT_HMAC_OLD_KEYS) so rows sealed before a rotation still verify."""
    current = getattr(settings, "LAOWU_AUDIT_HMAC_KEY", "")
    if not current:
        raise ImproperlyConfigured("未配置审计日志密钥 LAOWU_AUDIT_HMAC_KEY。")
    found = {str(k): str(v).encode() for k, v in (getattr(settings, "LAOWU_AUDIT_HMAC_OLD_KEYS", None) or {}).items()}
    found[current_key_id()] = current.encode()
    return found


# ---------------------------------------------------------------- hashing


def canonical(row: dict[str, Any]) -> bytes:
    """The row's content as one byte string, the same whether read back from SQLite or
    PostgreSQL: UTC time with microseconds, normalised IPv6, JSON with sorted keys."""
    created = row["created_at"]
    if isinstance(created, str):
        created = dt.datetime.fromisoformat(created)
    if timezone.is_naive(created):
        created = timezone.make_aware(created, dt.UTC)
    ip = row["ip"] or None
    if ip and ":" in ip:
        ip = clean_ipv6_address(ip)
    detail = row["detail"]
    if isinstance(detail, str):
        detail = json.loads(detail)
    content = {f: row[f] for f in CONTENT_FIELDS}
    content.update(
        created_at=created.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        ip=ip,
        user_id=None if row["user_id"] is None else int(row["user_id"]),
        seq=int(row["seq"]),
        # Through JSON once: a tuple comes back a list, an int key a string, as the database returns them.
        detail=json.loads(json.dumps(detail or {})),
    )
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def digest(alg: str, data: bytes) -> str:
    h = hashes.Hash(ALGORITHMS[alg]())
    h.update(data)
    return h.finalize().hex()


def mac_of(alg: str, key: bytes, data: str) -> str:
    h = crypto_hmac.HMAC(key, ALGORITHMS[alg]())
    h.update(data.encode())
    return h.finalize().hex()


def row_hash(row: dict[str, Any]) -> str:
    return digest(row["alg"], row["prev_hash"].encode() + canonical(row))


def seal(row: dict[str, Any], *, seq: int, prev_hash: str) -> None:
    """Fill in a new row's place in the chain and its seals, with the current algorithm and key."""
    alg, key_id = current_alg(), current_key_id()
    row.update(seq=seq, prev_hash=prev_hash, alg=alg, key_id=key_id)
    row["row_hash"] = row_hash(row)
    row["mac"] = mac_of(alg, keys()[key_id], row["row_hash"])


def mac_valid(row: dict[str, Any], available: dict[str, bytes]) -> bool:
    key = available.get(row["key_id"])
    if key is None or row["alg"] not in ALGORITHMS:
        return False
    return std_hmac.compare_digest(mac_of(row["alg"], key, row["row_hash"]), row["mac"])


# ---------------------------------------------------------------- the head


@dataclasses.dataclass
class Head:
    """The chain's state: the last sealed row, and the anchor (the last archived row) the
    table's rows start from. Sealed with the MAC too, so moving it back is seen."""

    seq: int = 0
    last_id: int = 0
    last_hash: str = GENESIS
    anchor_seq: int = 0
    anchor_id: int = 0
    anchor_hash: str = GENESIS
    alg: str = ""
    key_id: str = ""
    mac: str = ""

    STATE = ("seq", "last_id", "last_hash", "anchor_seq", "anchor_id", "anchor_hash", "alg", "key_id")

    def message(self) -> str:
        return json.dumps({f: getattr(self, f) for f in self.STATE}, sort_keys=True, separators=(",", ":"))

    def sign(self) -> None:
        self.alg, self.key_id = current_alg(), current_key_id()
        self.mac = mac_of(self.alg, keys()[self.key_id], self.message())

    def mac_valid(self, available: dict[str, bytes]) -> bool:
        key = available.get(self.key_id)
        if key is None or self.alg not in ALGORITHMS:
            return False
        return std_hmac.compare_digest(mac_of(self.alg, key, self.message()), self.mac)


HEAD_TABLE = "audit_auditchainhead"
HEAD_COLUMNS = ("id", *Head.STATE, "mac")
HEAD_SELECT = f"SELECT {', '.join(Head.STATE)}, mac FROM {HEAD_TABLE} WHERE id = %s"  # noqa: S608 - fixed names  # nosec B608


def lock_head(using: str = "default") -> Head | None:
    """Take the chain's lock until the caller's transaction ends (see the module docstring)
    and read the head under it: one statement when the head row exists.

    On PostgreSQL the head row is written with UPDATE, never deleted and inserted again, so
    a writer waiting for its lock reads the row its predecessor committed (read committed
    re-reads a locked row once the lock is released), never an empty result."""
    connection = connections[using]
    # By its fixed key, on every audited request: PostgreSQL keeps the plan (laowu/core/plans.py).
    with plan_keeping_cursor(connection) as cursor:
        if connection.vendor != "postgresql":
            cursor.execute(HEAD_SELECT, [HEAD_PK])
            found = cursor.fetchone()
        else:
            cursor.execute(HEAD_SELECT + " FOR UPDATE", [HEAD_PK])
            found = cursor.fetchone()
            if found is None:
                # No row to lock: the first writers take the advisory lock instead, and read
                # again under it, since the one before may have created the row meanwhile
                # (then this waits for that row's lock too, as later writers do).
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])
                cursor.execute(HEAD_SELECT + " FOR UPDATE", [HEAD_PK])
                found = cursor.fetchone()
    return None if found is None else Head(*found)


def read_head(using: str = "default") -> Head | None:
    """The head as committed (no lock): for checking the chain, not for appending to it."""
    with connections[using].cursor() as cursor:
        cursor.execute(HEAD_SELECT, [HEAD_PK])
        found = cursor.fetchone()
    return None if found is None else Head(*found)


def write_head(head: Head, using: str = "default") -> None:
    """Store the head, under the lock `lock_head` took: UPDATE, or INSERT the first time."""
    head.sign()
    values = [getattr(head, f) for f in (*Head.STATE, "mac")]
    with plan_keeping_cursor(connections[using]) as cursor:
        cursor.execute(
            f"UPDATE {HEAD_TABLE} SET {', '.join(f'{c} = %s' for c in (*Head.STATE, 'mac'))} WHERE id = %s",  # noqa: S608 - fixed names  # nosec B608
            [*values, HEAD_PK],
        )
        if cursor.rowcount == 0:
            cursor.execute(
                f"INSERT INTO {HEAD_TABLE} ({', '.join(HEAD_COLUMNS)}) "  # noqa: S608 - fixed names  # nosec B608
                f"VALUES ({', '.join(['%s'] * len(HEAD_COLUMNS))})",
                [HEAD_PK, *values],
            )


def append(row: dict[str, Any], insert: Callable[[], int], using: str = "default") -> None:
    """Seal `row` as the chain's next link and insert it (`insert` returns the new id), then
    move the head, all in the caller's transaction (or one of its own outside any).

    No savepoint: a failure here leaves the caller's transaction to roll back (Django marks
    it so), and it must, since the chain's lock is held to its end either way and a row
    without its head (or the reverse) must never commit."""
    with transaction.atomic(using=using, savepoint=False):
        head = lock_head(using) or Head()
        seal(row, seq=head.seq + 1, prev_hash=head.last_hash)
        new_id = insert()
        head.seq, head.last_id, head.last_hash = row["seq"], new_id, row["row_hash"]
        write_head(head, using)


# ---------------------------------------------------------------- the owner's rewrite


def rows_after(model: Any, after_id: int, using: str = "default", batch: int = 2000) -> Iterator[dict[str, Any]]:
    """Rows in id order after `after_id`, as dicts of ROW_FIELDS, read in batches (keyset)."""
    last = after_id
    while True:
        chunk = list(model._base_manager.using(using).filter(id__gt=last).order_by("id").values(*ROW_FIELDS)[:batch])
        if not chunk:
            return
        yield from chunk
        last = chunk[-1]["id"]


def suspend_guard(using: str = "default") -> list[str]:
    """Lift the append-only triggers for the current transaction only (the caller's atomic
    block): the owner's act, like `manage.py flush`. Returns what `restore_guard` needs."""
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # ALTER TABLE refuses while deferred foreign-key checks of this transaction are
            # pending (the user column's): run them now; restore_guard defers them again.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER USER")
            return []
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [TABLE])
        triggers = cursor.fetchall()
        for name, _ in triggers:
            cursor.execute(f'DROP TRIGGER "{name}"')
        return [sql for _, sql in triggers]


def restore_guard(saved: list[str], using: str = "default") -> None:
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER USER")
            # Django's foreign keys are all INITIALLY DEFERRED: back to that for the rest.
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        for sql in saved:
            cursor.execute(sql)


def rechain(model: Any, using: str = "default", report: Callable[[str], None] | None = None) -> int:
    """Seal every row after the anchor again, in id order, and move the head to the last.

    For rows written without seals: the rows that existed before the chain (migration 0004)
    and the scale-data generator's bulk load (laowu/scaledata/generator.py). It rewrites
    history, so it is the database owner's act, never the application's: it lifts the
    triggers for its own transaction. Returns the number of rows sealed."""
    sql = (
        f"UPDATE {TABLE} SET seq = %s, prev_hash = %s, row_hash = %s, mac = %s, alg = %s, key_id = %s "  # noqa: S608 - fixed names  # nosec B608
        "WHERE id = %s"
    )
    count = 0
    with transaction.atomic(using=using):
        head = lock_head(using) or Head()
        head.seq, head.last_id, head.last_hash = head.anchor_seq, head.anchor_id, head.anchor_hash
        saved = suspend_guard(using)
        pending: list[list[Any]] = []
        with connections[using].cursor() as cursor:
            for row in rows_after(model, head.anchor_id, using):
                seal(row, seq=head.seq + 1, prev_hash=head.last_hash)
                head.seq, head.last_id, head.last_hash = row["seq"], row["id"], row["row_hash"]
                pending.append([row[f] for f in ("seq", "prev_hash", "row_hash", "mac", "alg", "key_id", "id")])
                count += 1
                if len(pending) >= 5000:
                    cursor.executemany(sql, pending)
                    pending = []
                    if report:
                        report(f"[audit] 已为 {count:,} 条审计日志计算哈希链")
            if pending:
                cursor.executemany(sql, pending)
        restore_guard(saved, using)
        write_head(head, using)
    return count
