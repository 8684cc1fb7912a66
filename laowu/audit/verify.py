"""Checking the hash chain (laowu/audit/chain.py): the table, and archive files.

The walk goes in id order from the anchor and stops at the first broken link, saying what
is wrong with it: a row whose content no longer matches its hash (modified), a row whose MAC
the server key did not make (forged), missing rows (a gap in `seq`), rows out of order, a
link to a previous hash that is not the previous row's, or a head that does not match the
last row (rows removed at the end, or written past it)."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from . import chain
from .models import AuditEvent


@dataclasses.dataclass
class Problem:
    kind: str  # forged, modified, deleted, reordered, link, head, archive
    row_id: int | None
    message: str

    def __str__(self) -> str:
        where = f"id={self.row_id} 的记录：" if self.row_id is not None else ""
        return f"[{self.kind}] {where}{self.message}"


@dataclasses.dataclass
class Outcome:
    checked: int = 0
    seconds: float = 0.0
    problem: Problem | None = None
    last_seq: int = 0
    last_hash: str = chain.GENESIS

    @property
    def ok(self) -> bool:
        return self.problem is None


class _Walk:
    """Follows the chain row by row; `check` returns the first problem of a row, if any."""

    def __init__(self, seq: int, prev_hash: str, keys: dict[str, bytes]) -> None:
        self.seq, self.prev_hash, self.keys = seq, prev_hash, keys

    def check(self, row: dict[str, Any], where: Any = None) -> Problem | None:
        row_id = row.get("id")
        if row["seq"] is None or not row["row_hash"]:
            return Problem("forged", row_id, "没有哈希链字段（不是经应用写入的记录）。")
        if row["alg"] not in chain.ALGORITHMS:
            return Problem("forged", row_id, f"未知的哈希算法 {row['alg']!r}。")
        if chain.row_hash(row) != row["row_hash"]:
            if chain.mac_valid(row, self.keys):
                return Problem("modified", row_id, "内容与写入时的哈希不符：记录写入后被修改。")
            return Problem("forged", row_id, "哈希与内容不符，且消息认证码无效：记录被篡改或伪造。")
        if row["key_id"] not in self.keys:
            return Problem("forged", row_id, f"密钥编号 {row['key_id']!r} 不是本系统的密钥（或旧密钥未配置）。")
        if not chain.mac_valid(row, self.keys):
            return Problem("forged", row_id, "消息认证码（MAC）无效：记录不是由持有密钥的应用写入的（伪造的插入）。")
        expected = self.seq + 1
        if row["seq"] > expected:
            return self._gap(row, expected, where)
        if row["seq"] < expected:
            return Problem("reordered", row_id, f"链序号为 {row['seq']}，应为 {expected}：记录顺序被调换或记录被复制。")
        if row["prev_hash"] != self.prev_hash:
            return Problem("link", row_id, "前一条哈希与上一条记录不符：上一条记录被替换。")
        self.seq, self.prev_hash = row["seq"], row["row_hash"]
        return None

    def _gap(self, row: dict[str, Any], expected: int, where: Any) -> Problem:
        row_id = row.get("id")
        elsewhere = where(expected) if where else None
        if elsewhere is not None:
            return Problem(
                "reordered",
                row_id,
                f"链序号为 {row['seq']}，应为 {expected}；序号 {expected} 的记录在 id={elsewhere}：记录顺序被调换。",
            )
        missing = row["seq"] - expected
        span = f"{expected}" if missing == 1 else f"{expected}–{row['seq'] - 1}"
        return Problem("deleted", row_id, f"此前缺少 {missing} 条记录（链序号 {span}）：记录被删除。")


def _id_of_seq(seq: int, using: str) -> int | None:
    return AuditEvent._base_manager.using(using).filter(seq=seq).values_list("id", flat=True).first()


def verify_table(using: str = "default") -> Outcome:
    """Walk the table's chain from the anchor to the head."""
    started = time.monotonic()
    keys = chain.keys()
    outcome = Outcome()
    head = chain.read_head(using)
    has_rows = AuditEvent._base_manager.using(using).exists()
    if head is None:
        if has_rows:
            outcome.problem = Problem("head", None, "哈希链头记录缺失，但表中有审计日志：链头被删除。")
        outcome.seconds = time.monotonic() - started
        return outcome
    if not head.mac_valid(keys):
        outcome.problem = Problem("head", None, "哈希链头的消息认证码无效：链头被改动。")
        outcome.seconds = time.monotonic() - started
        return outcome
    before_anchor = (
        AuditEvent._base_manager.using(using).filter(id__lte=head.anchor_id).values_list("id", flat=True).first()
    )
    if before_anchor is not None:
        # archive_audit deleted everything up to the anchor: a row there came afterwards.
        outcome.problem = Problem("forged", before_anchor, "位于已归档部分（归档锚点之前）的记录：在应用之外插入。")
        outcome.seconds = time.monotonic() - started
        return outcome
    walk = _Walk(head.anchor_seq, head.anchor_hash, keys)
    last_id = head.anchor_id
    # Rows appended while the walk runs move the head on: read it again after the walk and
    # follow the chain further until both agree (ids, seq and commits go in the same order).
    for _ in range(100):
        for row in chain.rows_after(AuditEvent, last_id, using):
            problem = walk.check(row, where=lambda seq: _id_of_seq(seq, using))
            outcome.checked += 1
            if problem:
                outcome.problem = problem
                outcome.seconds = time.monotonic() - started
                return outcome
            last_id = row["id"]
        head = chain.read_head(using) or chain.Head()
        if head.seq <= walk.seq:
            break
    outcome.last_seq, outcome.last_hash = walk.seq, walk.prev_hash
    if not head.mac_valid(keys):
        outcome.problem = Problem("head", None, "哈希链头的消息认证码无效：链头被改动。")
    elif head.seq > walk.seq:
        outcome.problem = Problem(
            "deleted", None, f"链头记到第 {head.seq} 条，表中只到第 {walk.seq} 条：最新的记录被删除。"
        )
    elif head.seq < walk.seq or head.last_hash != walk.prev_hash:
        outcome.problem = Problem("forged", last_id, f"链头记到第 {head.seq} 条，其后还有记录：在应用之外追加的记录。")
    outcome.seconds = time.monotonic() - started
    return outcome


def check_state(outcome: Outcome, state: dict[str, Any], using: str = "default") -> Problem | None:
    """Against what the previous run saw (verify_audit --state): the chain must still hold
    that row, or have archived past it. An emptied table (flush, TRUNCATE) starts a new,
    valid chain; only this memory outside the database shows that it happened."""
    seq, row_hash = int(state["seq"]), state["row_hash"]
    if seq == 0:
        return None
    head = chain.read_head(using) or chain.Head()
    if seq <= head.anchor_seq:
        if seq == head.anchor_seq and row_hash != head.anchor_hash:
            return Problem("head", None, f"上次检查到的第 {seq} 条与归档锚点不符：链被重写。")
        return None
    found = AuditEvent._base_manager.using(using).filter(seq=seq).values_list("row_hash", flat=True).first()
    if found is None:
        return Problem(
            "deleted", None, f"上次检查时链已到第 {seq} 条，现在没有这一条：日志被清空或截断（flush/TRUNCATE）。"
        )
    if found != row_hash:
        return Problem("head", None, f"第 {seq} 条的哈希与上次检查时不同：链被重写。")
    return None


# ---------------------------------------------------------------- archives


def archive_lines(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def verify_archives(paths: Iterable[Path]) -> Outcome:
    """Archive files (archive_audit --out), each a header, its rows and a sealed footer; given
    in the order they were made, each must continue the one before."""
    started = time.monotonic()
    keys = chain.keys()
    outcome = Outcome()
    walk: _Walk | None = None
    for path in paths:
        lines = list(archive_lines(path))
        if len(lines) < 2 or lines[0].get("type") != "header" or lines[-1].get("type") != "footer":
            outcome.problem = Problem("archive", None, f"{path}：不是完整的审计日志归档文件（缺少文件头或文件尾）。")
            break
        header, footer, rows = lines[0], lines[-1], lines[1:-1]
        if walk is None:
            walk = _Walk(header["anchor_seq"], header["anchor_hash"], keys)
        elif (header["anchor_seq"], header["anchor_hash"]) != (walk.seq, walk.prev_hash):
            outcome.problem = Problem("archive", None, f"{path}：没有接上前一个归档文件的最后一条记录。")
            break
        for row in rows:
            problem = walk.check(row)
            outcome.checked += 1
            if problem:
                problem.message = f"{path}：{problem.message}"
                outcome.problem = problem
                break
        if outcome.problem:
            break
        sealed = {k: footer[k] for k in ("rows", "last_seq", "last_hash", "anchor_seq", "anchor_hash")}
        message = json.dumps(sealed, sort_keys=True, separators=(",", ":"))
        key = keys.get(footer.get("key_id", ""))
        if (
            key is None
            or footer.get("alg") not in chain.ALGORITHMS
            or chain.mac_of(footer["alg"], key, message) != footer.get("mac")
        ):
            outcome.problem = Problem("archive", None, f"{path}：文件尾的消息认证码无效。")
            break
        if (footer["rows"], footer["last_seq"], footer["last_hash"]) != (len(rows), walk.seq, walk.prev_hash):
            outcome.problem = Problem("deleted", None, f"{path}：文件尾记有 {footer['rows']} 条，与文件内容不符。")
            break
    if walk is not None:
        outcome.last_seq, outcome.last_hash = walk.seq, walk.prev_hash
    outcome.seconds = time.monotonic() - started
    return outcome
