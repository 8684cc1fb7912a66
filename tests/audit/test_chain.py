"""The audit log's hash chain and `verify_audit` (laowu/audit/chain.py, verify.py)."""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from laowu.audit import chain, verify
from laowu.audit.models import AuditChainHead, AuditEvent
from laowu.audit.services import Action, record

pytestmark = pytest.mark.django_db


@contextmanager
def tampering() -> Iterator[None]:
    """What an intruder with the database owner's rights does: lift the triggers, write."""
    with transaction.atomic():
        saved = chain.suspend_guard()
        yield
        chain.restore_guard(saved)


def some_rows(user: Any, n: int = 5) -> list[AuditEvent]:
    return [
        record(
            action=Action.FILING_SAVE, user=user, detail={"i": i, "名称": "鑫达", "nested": {"b": [1, 2], "a": None}}
        )
        for i in range(n)
    ]


def run_verify(*args: str) -> tuple[int, str, str]:
    import io

    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_audit", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_rows_are_chained_with_sm3_and_a_mac(enterprise_a: Any) -> None:
    rows = some_rows(enterprise_a)
    stored = list(AuditEvent.objects.order_by("id"))
    assert [r.seq for r in stored] == list(range(1, len(rows) + 1))
    assert stored[0].prev_hash == chain.GENESIS
    for before, row in itertools.pairwise(stored):
        assert row.prev_hash == before.row_hash
    assert {r.alg for r in stored} == {"sm3"} and {r.key_id for r in stored} == {"k1"}
    # The stored hash is SM3 over the previous hash and the row's content as read back.
    row = AuditEvent.objects.values(*chain.ROW_FIELDS).get(pk=stored[2].pk)
    assert chain.digest("sm3", row["prev_hash"].encode() + chain.canonical(row)) == row["row_hash"]
    head = chain.read_head()
    assert head is not None and (head.seq, head.last_id, head.last_hash) == (5, stored[-1].pk, stored[-1].row_hash)
    outcome = verify.verify_table()
    assert outcome.ok and outcome.checked == 5 and outcome.last_seq == 5


def test_sha256_selectable_and_keys_rotate(enterprise_a: Any, settings: Any) -> None:
    some_rows(enterprise_a, 2)
    settings.LAOWU_AUDIT_HASH = "sha256"
    settings.LAOWU_AUDIT_HMAC_OLD_KEYS = {"k1": settings.LAOWU_AUDIT_HMAC_KEY}
    settings.LAOWU_AUDIT_HMAC_KEY, settings.LAOWU_AUDIT_HMAC_KEY_ID = "a-new-key-for-the-second-year-0123456789", "k2"
    some_rows(enterprise_a, 2)
    assert list(AuditEvent.objects.order_by("id").values_list("alg", "key_id")) == [
        ("sm3", "k1"),
        ("sm3", "k1"),
        ("sha256", "k2"),
        ("sha256", "k2"),
    ]
    assert verify.verify_table().ok
    # Without the retired key the older rows cannot be vouched for.
    settings.LAOWU_AUDIT_HMAC_OLD_KEYS = {}
    outcome = verify.verify_table()
    assert outcome.problem is not None and outcome.problem.kind == "forged" and "'k1'" in outcome.problem.message


def test_forged_insert_without_the_key_is_caught(enterprise_a: Any) -> None:
    some_rows(enterprise_a, 3)
    head = chain.read_head()
    assert head is not None
    # The forger knows the format and the algorithm, and links the row properly, but has no key.
    forged = {
        "created_at": AuditEvent.objects.latest("id").created_at,
        "user_id": enterprise_a.pk,
        "username": enterprise_a.username,
        "role": "enterprise",
        "ip": "10.0.0.9",
        "action": Action.FILING_APPROVE.value,
        "object_type": "",
        "object_id": "",
        "object_repr": "",
        "result": "success",
        "detail": {},
        "seq": head.seq + 1,
        "prev_hash": head.last_hash,
        "alg": "sm3",
        "key_id": "k1",
    }
    forged["row_hash"] = chain.row_hash(forged)
    forged["mac"] = chain.mac_of("sm3", b"a guessed key", forged["row_hash"])
    # bulk_create on the plain manager: an INSERT that skips the model's sealing, like raw SQL.
    (event,) = AuditEvent._base_manager.bulk_create([AuditEvent(**forged)])
    outcome = verify.verify_table()
    assert outcome.problem is not None
    assert (outcome.problem.kind, outcome.problem.row_id) == ("forged", event.pk)
    code, _, err = run_verify()
    assert code == 1 and "MAC" in err and f"id={event.pk}" in err and "已校验 4 条记录" in err


def test_deleted_row_is_a_gap(enterprise_a: Any) -> None:
    rows = some_rows(enterprise_a)
    with tampering(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [rows[2].pk])
    outcome = verify.verify_table()
    assert outcome.problem is not None
    assert (outcome.problem.kind, outcome.problem.row_id) == ("deleted", rows[3].pk)
    assert "缺少 1 条记录（链序号 3）" in outcome.problem.message


def test_deleted_newest_rows_are_caught_by_the_head(enterprise_a: Any) -> None:
    rows = some_rows(enterprise_a)
    with tampering(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id >= %s", [rows[3].pk])
    outcome = verify.verify_table()
    assert outcome.problem is not None and outcome.problem.kind == "deleted"
    assert "最新的记录被删除" in outcome.problem.message


def test_swapped_rows_are_reordered(enterprise_a: Any) -> None:
    rows = some_rows(enterprise_a)
    a, b = (AuditEvent.objects.values(*chain.ROW_FIELDS[1:]).get(pk=r.pk) for r in rows[1:3])
    with tampering():
        AuditEvent._base_manager.filter(pk=rows[1].pk).update(**b)
        AuditEvent._base_manager.filter(pk=rows[2].pk).update(**a)
    outcome = verify.verify_table()
    assert outcome.problem is not None
    assert (outcome.problem.kind, outcome.problem.row_id) == ("reordered", rows[1].pk)


def test_modified_field_is_caught(enterprise_a: Any) -> None:
    rows = some_rows(enterprise_a)
    with tampering():
        AuditEvent._base_manager.filter(pk=rows[1].pk).update(result="failure")
    outcome = verify.verify_table()
    assert outcome.problem is not None
    assert (outcome.problem.kind, outcome.problem.row_id) == ("modified", rows[1].pk)
    code, _, err = run_verify()
    assert code == 1 and "被修改" in err


def test_a_recomputed_hash_without_the_key_is_caught(enterprise_a: Any) -> None:
    rows = some_rows(enterprise_a, 2)
    row = AuditEvent.objects.values(*chain.ROW_FIELDS).get(pk=rows[1].pk)
    row["action"] = Action.FILING_APPROVE.value
    with tampering():
        AuditEvent._base_manager.filter(pk=rows[1].pk).update(action=row["action"], row_hash=chain.row_hash(row))
    outcome = verify.verify_table()
    assert outcome.problem is not None and (outcome.problem.kind, outcome.problem.row_id) == ("forged", rows[1].pk)


def test_command_reports_an_intact_chain(enterprise_a: Any) -> None:
    some_rows(enterprise_a, 3)
    code, out, _ = run_verify()
    assert code == 0 and "哈希链完整（最后链序号 3）" in out and "已校验 3 条记录，用时" in out


@pytest.mark.django_db(transaction=True)
def test_state_file_notices_an_emptied_log(enterprise_a: Any, tmp_path: Path) -> None:
    # An emptied table starts a new, valid chain: only what the last run remembered shows it.
    some_rows(enterprise_a, 3)
    state = tmp_path / "audit-state.json"
    assert run_verify("--state", str(state))[0] == 0
    assert json.loads(state.read_text())["seq"] == 3
    call_command("flush", interactive=False, verbosity=0)
    record(action=Action.LOGIN_FAILED, username="x", result="failure")
    code, _, err = run_verify("--state", str(state))
    assert code == 1 and "被清空或截断" in err


def test_rows_written_without_seals_are_sealed_by_the_owner(enterprise_a: Any) -> None:
    # What migration 0004 does to the rows from before the chain, and the scale-data generator
    # to its bulk load: seal them in id order.
    some_rows(enterprise_a, 2)
    bare = [AuditEvent(action=Action.LOGIN, username=f"u{i}", detail={"n": i}) for i in range(3)]
    AuditEvent._base_manager.bulk_create(bare)
    outcome = verify.verify_table()
    assert outcome.problem is not None and outcome.problem.kind == "forged"
    assert chain.rechain(AuditEvent) == 5
    assert verify.verify_table().ok
    assert list(AuditEvent.objects.order_by("id").values_list("seq", flat=True)) == [1, 2, 3, 4, 5]


def test_appending_is_three_statements_once_the_head_exists(enterprise_a: Any) -> None:
    # The head is read and locked by one statement, the row inserted, the head updated: no
    # savepoint, no separate lock statement, no delete-and-insert of the head.
    record(action=Action.FILING_SAVE, user=enterprise_a)
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        record(action=Action.FILING_SAVE, user=enterprise_a)
    sqls = [q["sql"] for q in queries.captured_queries]
    assert len(sqls) == 3, sqls
    assert sqls[0].startswith("SELECT seq,") and sqls[2].startswith("UPDATE audit_auditchainhead")
    if connection.vendor == "postgresql":
        assert sqls[0].endswith("FOR UPDATE")
    assert verify.verify_table().ok


def test_a_missing_head_is_created_again(enterprise_a: Any) -> None:
    # A new or flushed database has no head row: the first append inserts it.
    AuditChainHead.objects.all().delete()
    record(action=Action.FILING_SAVE, user=enterprise_a)
    head = chain.read_head()
    assert head is not None and head.seq == 1
    record(action=Action.FILING_SAVE, user=enterprise_a)
    assert AuditChainHead.objects.count() == 1
    assert verify.verify_table().ok


def test_a_failed_append_leaves_neither_row_nor_head(enterprise_a: Any, monkeypatch: Any) -> None:
    # append has no savepoint of its own: a failure after the row's INSERT fails the caller's
    # transaction, which rolls back the row with it.
    record(action=Action.FILING_SAVE, user=enterprise_a)
    before = chain.read_head()

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("head not written")

    monkeypatch.setattr(chain, "write_head", broken)
    with pytest.raises(RuntimeError), transaction.atomic():
        record(action=Action.FILING_SAVE, user=enterprise_a, detail={"kept": True})
    monkeypatch.undo()
    assert chain.read_head() == before
    assert not AuditEvent.objects.filter(detail__kept=True).exists()
    assert verify.verify_table().ok


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("head_exists", [True, False], ids=["head-row-locked", "no-head-yet"])
def test_concurrent_writers_keep_one_chain(head_exists: bool) -> None:
    # With a head row, writers queue on its row lock; without one (a flushed database), the
    # first ones on the advisory lock, the later ones on the row the first created.
    if head_exists:
        record(action=Action.FILING_SAVE, username="first")
    else:
        AuditChainHead.objects.all().delete()
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def write(n: int) -> None:
        try:
            start.wait()
            for i in range(10):
                with transaction.atomic(durable=True):
                    record(action=Action.FILING_SAVE, username=f"writer{n}", detail={"i": i})
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    outcome = verify.verify_table()
    assert outcome.ok and outcome.checked == 40 + head_exists


def test_a_row_is_inserted_as_the_orm_would_insert_it(enterprise_a: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The INSERT is written once per database (laowu/audit/models.py): the row it stores is
    the row `Model.save` stores, every column, and it joins the chain the same way."""
    from laowu.audit import models as audit_models

    detail = {"sheet": "企业基本信息", "masked": False, "名称": "鑫达", "nested": {"b": [1, 2.5], "a": None}}
    content = {
        "user": enterprise_a,
        "username": enterprise_a.username,
        "role": "enterprise",
        "ip": "2001:db8::1",
        "action": Action.SHEET_PRINT,
        "object_type": "review.submission",
        "object_id": "5",
        "object_repr": "张三 第1版",
        "detail": detail,
    }
    through_orm = AuditEvent(**content)
    through_orm.save(force_update=False)  # an option of Model.save's own: it writes the row
    monkeypatch.setattr(audit_models, "_INSERTS", {})
    orm_saves: list[Any] = []
    monkeypatch.setattr(
        audit_models.models.Model, "save", lambda *a, **kw: orm_saves.append(a) or pytest.fail("Model.save used")
    )
    with CaptureQueriesContext(connection) as ctx:
        written = AuditEvent.objects.create(**content)
    assert orm_saves == [] and len(audit_models._INSERTS) == 1
    assert [q["sql"].startswith('INSERT INTO "audit_auditevent"') for q in ctx.captured_queries].count(True) == 1
    assert written.pk is not None and not written._state.adding and written._state.db == "default"
    assert written.pk > through_orm.pk
    columns = [f.attname for f in AuditEvent._meta.concrete_fields]
    a, b = (AuditEvent.objects.filter(pk=pk).values(*columns).get() for pk in (through_orm.pk, written.pk))
    differ = {c for c in columns if a[c] != b[c]}
    assert differ == {"id", "created_at", "seq", "prev_hash", "row_hash", "mac"}
    assert b["detail"] == detail and b["ip"] == "2001:db8::1" and b["seq"] == a["seq"] + 1
    assert b["prev_hash"] == a["row_hash"]
    assert verify.verify_table().ok
