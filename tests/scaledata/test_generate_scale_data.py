"""`manage.py generate_scale_data` (laowu.generator.generator) on a small dataset.

PostgreSQL only (COPY, the generator's own tables), except the refusals that must also hold
on SQLite. One dataset is generated for the module and read by most tests (each in a
transaction rolled back afterwards); the transactional tests start from an empty database
and make their own.
"""

from __future__ import annotations

import io
import re
import types
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, Max, Min, Q
from django.test import Client
from django.urls import reverse

from laowu.accounts.models import Role, User
from laowu.contracts.models import CatalogueContract, ProjectFiling
from laowu.core.validators import (
    is_valid_credit_code,
    is_valid_id_number,
    is_valid_mobile,
    safety_cert_category,
    validate_qualification_no,
    validate_safety_cert_no,
    validate_safety_license_no,
)
from laowu.documents.kinds import AttachmentKind
from laowu.documents.models import Attachment, Blob
from laowu.documents.storage import open_blob
from laowu.enterprises.models import BasicInfo, Enterprise
from laowu.personnel.models import PersonClaim, SafetyOfficer, WageManager
from laowu.review.models import State, Submission, SubmissionStatus
from laowu.review.registry import filing_models
from laowu.review.snapshots import build_snapshot, diff
from laowu.scaledata import generator
from laowu.supervision import models as sv
from tests.conftest import client_for

SIZES = {"enterprises": 200, "people": 2000, "contracts": 4000}
GENERATOR_TABLES = (generator.PROGRESS_TABLE, generator.DATASET_TABLE, generator.INDEX_TABLE)
PG = pytest.mark.postgres_only


def args(enterprises: int, people: int, contracts: int, *extra: str) -> list[str]:
    return ["--enterprises", str(enterprises), "--people", str(people), "--contracts", str(contracts), *extra]


def index_names() -> set[str]:
    """The application's indexes (not those of the generator's own tables)."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = 'public' AND tablename <> ALL(%s)",
            [list(GENERATOR_TABLES)],
        )
        return {r[0] for r in cur.fetchall()}


def drop_generator_tables() -> None:
    """Leave the test database as migrate made it: indexes back, the generator's tables gone."""
    if connection.vendor != "postgresql":
        return
    for name, _ in generator.saved_indexes():
        generator.build_index(name)
    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS " + ", ".join(GENERATOR_TABLES))


@pytest.fixture
def fresh_database(transactional_db: Any) -> Iterator[None]:
    """A database as migrate leaves it. pytest-django runs the module dataset's (non-transactional)
    tests first, and that dataset lives until the module ends: start these tests without it."""
    drop_generator_tables()
    call_command("flush", interactive=False, verbosity=0)
    yield
    drop_generator_tables()


# ---------------------------------------------------------------- refusals (SQLite too)


@pytest.mark.django_db
def test_refuses_other_database_vendors(monkeypatch: Any) -> None:
    if connection.vendor == "postgresql":  # on SQLite the refusal is real; here, pretend
        monkeypatch.setattr(generator, "connection", types.SimpleNamespace(vendor="sqlite"))
    with pytest.raises(CommandError, match="PostgreSQL"):
        call_command("generate_scale_data", *args(20, 100, 100))


@pytest.mark.django_db
def test_refused_under_production_settings(settings: Any) -> None:
    settings.LAOWU_DEMO_DATA_ALLOWED = False
    with pytest.raises(CommandError, match="生产环境"):
        call_command("generate_scale_data", *args(20, 100, 100))


# ---------------------------------------------------------------- PostgreSQL: own databases


@PG
@pytest.mark.django_db(transaction=True)
def test_refuses_a_database_holding_other_data(fresh_database: None, enterprise_a: Any) -> None:
    for extra in ((), ("--reset",)):
        with pytest.raises(CommandError, match="不是本命令生成"):
            call_command("generate_scale_data", *args(20, 100, 100, *extra))
    assert Enterprise.objects.filter(pk=enterprise_a.enterprise_id).exists()  # nothing was touched
    with connection.cursor() as cur:  # and a refused run leaves nothing a later --reset could trust
        cur.execute("SELECT count(*) FROM pg_tables WHERE tablename = ANY(%s)", [list(GENERATOR_TABLES)])
        assert cur.fetchone()[0] == 0


@PG
@pytest.mark.django_db(transaction=True)
def test_interrupted_generation_resumes_where_it_stopped(fresh_database: None, monkeypatch: Any) -> None:
    # Small chunks, so each stage has several and an interruption can fall inside one.
    for stage, size in (("enterprises", 25), ("safety_officers", 200), ("wage_managers", 200), ("contracts", 500)):
        monkeypatch.setitem(generator.CHUNK_SIZES, stage, size)
    sizes = generator.Sizes(enterprises=60, people=1000, contracts=2000)
    indexes_before = index_names()
    quiet: list[str] = []

    outcome = generator.generate(sizes, workers=1, stop_after=4, report=quiet.append)
    assert outcome.status == "stopped"
    assert Enterprise.objects.count() == 60  # 3 chunks of enterprises, then one of 安全员
    assert SafetyOfficer.objects.count() == 200
    assert not WageManager.objects.exists()

    # Killed in the middle of a chunk: its transaction rolls back, nothing of it stays.
    real_copy = generator._copy

    def crash(table: str, columns: tuple[str, ...], lines: list[str]) -> None:
        if table == "review_submission":
            raise RuntimeError("killed")
        real_copy(table, columns, lines)

    monkeypatch.setattr(generator, "_copy", crash)
    with pytest.raises(RuntimeError, match="killed"):
        generator.generate(sizes, workers=1, report=quiet.append)
    assert SafetyOfficer.objects.count() == 200
    monkeypatch.setattr(generator, "_copy", real_copy)

    outcome = generator.generate(sizes, workers=1, report=quiet.append)
    assert outcome.status == "complete"
    expected = {
        Enterprise: 60,
        SafetyOfficer: sizes.safety_officers,
        WageManager: sizes.wage_managers,
        CatalogueContract: 2000,
        ProjectFiling: 1000,
    }
    for model, n in expected.items():
        ids = model.objects.aggregate(n=Count("id"), low=Min("id"), high=Max("id"))
        assert ids == {"n": n, "low": 1, "high": n}, model  # every chunk once: no gap, no double
    assert index_names() == indexes_before
    assert generator.saved_indexes() == []

    # Done: running again changes nothing; other sizes are refused unless --reset.
    with connection.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {generator.PROGRESS_TABLE}")  # noqa: S608
        chunks = cur.fetchone()[0]
    assert generator.generate(sizes, workers=1, report=quiet.append).status == "already_complete"
    with connection.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {generator.PROGRESS_TABLE}")  # noqa: S608
        assert cur.fetchone()[0] == chunks
    with pytest.raises(CommandError, match="--reset"):
        call_command("generate_scale_data", *args(30, 300, 400), stdout=io.StringIO())
    call_command("generate_scale_data", *args(30, 300, 400, "--reset", "--workers", "1"), stdout=io.StringIO())
    assert Enterprise.objects.count() == 30
    assert SafetyOfficer.objects.count() + WageManager.objects.count() == 300
    assert CatalogueContract.objects.count() == 400
    assert index_names() == indexes_before


# ---------------------------------------------------------------- PostgreSQL: the module's dataset


@pytest.fixture(scope="module")
def dataset(django_db_setup: Any, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    with django_db_blocker.unblock():
        if connection.vendor != "postgresql":
            pytest.skip("PostgreSQL only")  # not reached: the tests using it are deselected on SQLite
        indexes = index_names()
        out = io.StringIO()
        call_command("generate_scale_data", *args(**SIZES), "--workers", "2", stdout=out)
        yield {"output": out.getvalue(), "indexes": indexes}
        drop_generator_tables()
        call_command("flush", interactive=False, verbosity=0)


def reviewer_client() -> Client:
    # Past both factors, as a staff account must be (laowu/accounts/otp.py).
    return client_for(User.objects.get(username="scale_shenhe01"))


@PG
@pytest.mark.django_db  # in a transaction rolled back after the test; the dataset is committed
def test_counts_match_the_sizes(dataset: dict[str, Any]) -> None:
    e, people, contracts = SIZES["enterprises"], SIZES["people"], SIZES["contracts"]
    assert Enterprise.objects.count() == e
    assert BasicInfo.objects.count() == e
    assert User.objects.filter(role=Role.ENTERPRISE).count() == e
    assert SafetyOfficer.objects.count() == round(people * 0.55)
    assert WageManager.objects.count() == people - round(people * 0.55)
    assert CatalogueContract.objects.count() == contracts
    assert ProjectFiling.objects.count() == contracts // 2
    active = Q(state=State.DECLARED) | (Q(approved_submission__isnull=False) & ~Q(state=State.DEREGISTERED))
    assert PersonClaim.objects.count() == sum(m.objects.filter(active).count() for m in (SafetyOfficer, WageManager))
    # People are spread unevenly: some enterprises have many.
    per = list(SafetyOfficer.objects.values("enterprise").annotate(n=Count("id")).values_list("n", flat=True))
    assert max(per) >= 5 * (sum(per) / len(per))
    staff = User.objects.filter(username__startswith="scale_").exclude(role=Role.ENTERPRISE)
    expected = {f"scale_shenhe{k:02d}" for k in range(1, 21)} | {"scale_jianguan"}
    assert set(staff.values_list("username", flat=True)) == expected
    assert set(staff.values_list("role", flat=True)) == {Role.REVIEWER, Role.SUPERVISOR}
    from laowu.accounts.models import District

    for user in staff:
        assert user.districts.count() == District.objects.count() > 20
        assert user.check_password(generator.PASSWORD)
    with connection.cursor() as cur:
        cur.execute(f"SELECT enterprises, people, contracts, completed_at FROM {generator.DATASET_TABLE}")  # noqa: S608
        row = cur.fetchone()
    assert row[:3] == (e, people, contracts) and row[3] is not None


@PG
@pytest.mark.django_db  # in a transaction rolled back after the test; the dataset is committed
def test_every_workflow_state_of_every_filing_type(dataset: dict[str, Any]) -> None:
    for code, model in filing_models().items():
        states = set(model.objects.values_list("state", flat=True))
        expected = {State.DRAFT, State.DECLARED, State.APPROVED, State.REJECTED}
        if model in (SafetyOfficer, WageManager):
            expected.add(State.DEREGISTERED)
        assert expected <= states, code
        # A 变更 being edited, and one under review, alongside the valid approved revision.
        assert model.objects.filter(state=State.DRAFT, approved_submission__isnull=False).exists(), code
        assert model.objects.filter(state=State.DECLARED, approved_submission__isnull=False).exists(), code
        statuses = set(
            Submission.objects.filter(filing_type__model=model._meta.model_name).values_list("status", flat=True)
        )
        assert {"pending", "approved", "rejected", "superseded"} <= statuses, code
        approved = model.objects.filter(approved_submission__isnull=False).exclude(state=State.DEREGISTERED).count()
        assert 0.6 < approved / model.objects.count() < 0.9, code  # a realistic mix, mostly approved
    assert {s.value for s in SubmissionStatus} == set(Submission.objects.values_list("status", flat=True))


@PG
@pytest.mark.django_db  # in a transaction rolled back after the test; the dataset is committed
def test_filings_and_submissions_are_consistent(dataset: dict[str, Any]) -> None:
    for model in filing_models().values():
        subs = {s.pk: s for s in Submission.objects.filter(filing_type__model=model._meta.model_name)}
        by_filing: dict[int, list[Submission]] = {}
        for s in subs.values():
            by_filing.setdefault(s.filing_id, []).append(s)
        for f in model.objects.all():
            history = sorted(by_filing.get(f.pk, []), key=lambda s: s.revision)
            assert [s.revision for s in history] == list(range(1, f.revision + 1))
            assert all(s.enterprise_id == f.enterprise_id == s.declared_by_id for s in history)
            if f.state == State.DECLARED:
                assert subs[f.pending_submission_id].status == SubmissionStatus.PENDING
                assert f.pending_submission_id == history[-1].pk
            else:
                assert f.pending_submission_id is None
            if f.approved_submission_id:
                status = SubmissionStatus.REVOKED if f.state == State.DEREGISTERED else SubmissionStatus.APPROVED
                assert subs[f.approved_submission_id].status == status
            else:
                assert f.state != State.APPROVED
            if f.state == State.REJECTED:
                assert f.last_reject_reason and history[-1].reason == f.last_reject_reason
            for s in history:
                assert (s.decided_at is None) == (s.status in ("pending", "withdrawn"))
                assert (s.decided_by_id is None) == (s.decided_at is None)
                assert s.declared_at <= (s.decided_at or s.declared_at) <= s.status_changed_at
                assert f.created_at <= s.declared_at
    tokens = list(Submission.objects.exclude(verify_token=None).values_list("verify_token", "status"))
    assert {status for _, status in tokens} == {"approved", "superseded", "revoked"}
    assert len({t for t, _ in tokens}) == len(tokens)
    assert all(len(t) >= 32 for t, _ in tokens)  # secrets.token_urlsafe(24): 192 bits


@PG
@pytest.mark.django_db  # in a transaction rolled back after the test; the dataset is committed
def test_every_column_of_every_model_is_written(dataset: dict[str, Any]) -> None:
    """A field added to a model later must be generated too, not left NULL or empty unnoticed."""
    from django.apps import apps

    by_table = {m._meta.db_table: m for m in apps.get_models(include_auto_created=True)}
    written: dict[str, tuple[str, ...]] = {}
    for stage in generator.STAGES:
        out = generator.WRITERS[stage](generator._PLAN, 0)
        written.update(out.columns)
    assert len(written) >= 17
    for table, columns in written.items():
        expected = {f.column for f in by_table[table]._meta.concrete_fields}
        assert set(columns) == expected, table


@PG
@pytest.mark.django_db  # in a transaction rolled back after the test; the dataset is committed
def test_approved_copies_hold_the_approved_revisions_values(dataset: dict[str, Any]) -> None:
    for model in filing_models().values():
        copies = getattr(model, "APPROVED_COPIES", {})
        for filing in model.objects.all():
            if filing.approved_submission_id is None:
                assert all(getattr(filing, copy) is None for copy in copies.values())
                continue
            snapshot = Submission.objects.get(pk=filing.approved_submission_id).snapshot
            values = {row["name"]: row["value"] for row in snapshot["fields"]}
            for field, copy in copies.items():
                value = getattr(filing, copy)
                assert (value.isoformat() if value else None) == (values[field] or None)


@PG
@pytest.mark.django_db  # in a transaction rolled back after the test; the dataset is committed
def test_identifiers_validate_and_are_unique(dataset: dict[str, Any]) -> None:
    codes = list(Enterprise.objects.values_list("credit_code", flat=True))
    assert all(is_valid_credit_code(c) for c in codes) and len(set(codes)) == len(codes)
    names = list(Enterprise.objects.values_list("name", flat=True))
    assert len(set(names)) == len(names)
    assert all(re.search("劳务.*公司$", n) for n in names)
    for user in User.objects.filter(role=Role.ENTERPRISE).select_related("enterprise"):
        assert user.username == user.enterprise.credit_code
        assert user.phone == user.enterprise.contact_phone and is_valid_mobile(user.phone)
    assert User.objects.filter(role=Role.ENTERPRISE).first().check_password(generator.PASSWORD)
    ids = list(SafetyOfficer.objects.values_list("id_number", flat=True))
    ids += list(WageManager.objects.values_list("id_number", flat=True))
    assert all(is_valid_id_number(i) for i in ids) and len(set(ids)) == len(ids)
    assert all(i.startswith("32") for i in ids)  # 江苏
    for number, category in SafetyOfficer.objects.values_list("cert_no", "cert_category"):
        validate_safety_cert_no(number)
        assert safety_cert_category(number) == category
    for mobile in SafetyOfficer.objects.values_list("mobile", flat=True):
        assert is_valid_mobile(mobile)
    for qualification, licence in BasicInfo.objects.exclude(qualification_no="").values_list(
        "qualification_no", "safety_license_no"
    ):
        validate_qualification_no(qualification)
        validate_safety_license_no(licence)
    # Certificates run out at every distance from today: expired, and within 30 / 60 / 90 days.
    from django.utils import timezone

    today = timezone.localdate()
    valid = SafetyOfficer.objects.filter(state=State.APPROVED)
    for low, high in ((-3650, -1), (0, 30), (31, 60), (61, 90)):
        window = (today + timezone.timedelta(days=low), today + timezone.timedelta(days=high))
        assert valid.filter(valid_until__range=window).exists(), (low, high)


@PG
@pytest.mark.django_db  # in a transaction rolled back after the test; the dataset is committed
def test_snapshots_are_what_declaring_would_have_frozen(dataset: dict[str, Any]) -> None:
    """The live record of a filing not being changed equals its last submission's snapshot,
    built by the workflow's own `build_snapshot` (fields, labels, display values, attachments)."""
    for code, model in filing_models().items():
        checked = 0
        for filing in model.objects.exclude(state=State.DRAFT).exclude(state=State.DEREGISTERED).order_by("id")[:150]:
            last = Submission.objects.filter(filing_type__model=model._meta.model_name, filing_id=filing.pk)
            snapshot = last.order_by("-revision").first().snapshot
            assert build_snapshot(filing) == snapshot, (code, filing.pk)
            checked += 1
        assert checked > 20, code
        # A 变更 in progress differs from the approved revision the reviewer compares against.
        changing = model.objects.filter(state=State.DRAFT, approved_submission__isnull=False).first()
        approved = Submission.objects.get(pk=changing.approved_submission_id).snapshot
        assert diff(approved, build_snapshot(changing))["fields"]


@PG
@pytest.mark.django_db  # in a transaction rolled back after the test; the dataset is committed
def test_attachments_point_at_real_pdfs(dataset: dict[str, Any]) -> None:
    blobs = list(Blob.objects.all())
    assert 3 <= len(blobs) <= 10
    for blob in blobs:
        data = open_blob(blob)  # stored through default_storage, and matching its hash
        assert data.startswith(b"%PDF-") and len(data) == blob.size
    for model in filing_models().values():
        required = [k.code for k in model.ATTACHMENT_KINDS if isinstance(k, AttachmentKind) and k.required]
        for filing in model.objects.exclude(state=State.DRAFT).order_by("id")[:100]:
            kinds = set(
                Attachment.objects.filter(filing_type__model=model._meta.model_name, filing_id=filing.pk).values_list(
                    "kind", flat=True
                )
            )
            assert set(required) <= kinds


@PG
@pytest.mark.django_db  # in a transaction rolled back after the test; the dataset is committed
def test_pages_render_the_generated_data(dataset: dict[str, Any]) -> None:
    client = reviewer_client()
    for code, model in filing_models().items():
        subs = Submission.objects.filter(filing_type__model=model._meta.model_name)
        pending = subs.filter(status=SubmissionStatus.PENDING).first()
        page = client.get(reverse("review:submission", args=[pending.pk]))
        assert page.status_code == 200 and pending.title in page.content.decode(), code
        approved = subs.filter(status=SubmissionStatus.APPROVED).first()
        page = Client().get(reverse("printing:verify", args=[approved.verify_token]))
        assert page.status_code == 200 and "有效" in page.content.decode(), code
        superseded = subs.filter(status=SubmissionStatus.SUPERSEDED).first()
        page = Client().get(reverse("printing:verify", args=[superseded.verify_token]))
        assert page.status_code == 200 and "已变更" in page.content.decode(), code
    for name, kwargs in (
        ("review:queue", {}),
        ("directory:enterprise_list", {}),
        ("personnel:committee_list", {"kind": "safety"}),
        ("contracts:committee_list", {}),
        ("supervision:statistics", {}),
        ("supervision:credit_list", {}),
        ("supervision:bad_behaviour_list", {}),
        ("supervision:inspection_list", {}),
        ("supervision:award_list", {}),
        ("supervision:expiry_list", {}),
    ):
        assert client.get(reverse(name, kwargs=kwargs)).status_code == 200, name
    owner = User.objects.get(enterprise=ProjectFiling.objects.filter(state=State.APPROVED).first().enterprise_id)
    client = Client()
    client.force_login(owner)
    for name, kwargs in (
        ("enterprises:basic_info", {}),
        ("personnel:list", {"kind": "safety"}),
        ("personnel:list", {"kind": "wage"}),
        ("contracts:list", {}),
        ("supervision:messages", {}),
        ("supervision:my_credit", {}),
    ):
        assert client.get(reverse(name, kwargs=kwargs)).status_code == 200, name


@PG
@pytest.mark.django_db  # in a transaction rolled back after the test; the dataset is committed
def test_supervision_records_keep_their_rules(dataset: dict[str, Any]) -> None:
    assert sv.BadBehaviour.objects.exists() and sv.Inspection.objects.exists() and sv.Award.objects.exists()
    assert sv.Notice.objects.filter(is_published=True).exists()
    for model in (sv.BadBehaviour, sv.RemovalApplication, sv.Inspection, sv.Rectification, sv.Award, sv.Notice):
        for obj in model.objects.all():
            obj.full_clean()
    for inspection in sv.Inspection.objects.all():
        # Inspected projects are approved, and belong to the inspected enterprise.
        assert (
            inspection.project.approved_submission_id and inspection.project.enterprise_id == inspection.enterprise_id
        )
        assert bool(inspection.notice_no) == (inspection.needs_rectification and inspection.status != "draft")
        submitted = inspection.replies.exclude(status="draft").count()
        assert inspection.rounds == submitted
    # A few messages per enterprise, and an audit trail of registrations and decisions.
    from laowu.audit.models import AuditEvent

    assert sv.Message.objects.count() > SIZES["enterprises"]
    assert AuditEvent.objects.filter(action="account.register").count() == SIZES["enterprises"]
    # Sealed into the hash chain at the end of the load: the generated log verifies.
    from laowu.audit import verify

    outcome = verify.verify_table()
    assert outcome.ok, outcome.problem
    assert outcome.checked == AuditEvent.objects.count()


@PG
@pytest.mark.django_db  # in a transaction rolled back after the test; the dataset is committed
def test_sequences_indexes_and_rerun(dataset: dict[str, Any]) -> None:
    # New rows get fresh ids after the generated ones.
    from tests.factories import EnterpriseFactory

    assert EnterpriseFactory().pk > SIZES["enterprises"]
    # The indexes dropped for the load are all back.
    assert index_names() == dataset["indexes"]
    assert generator.saved_indexes() == []
    # Progress was reported: stage, done / total, rate and ETA.
    output = dataset["output"]
    for stage in ("[enterprises]", "[safety_officers]", "[wage_managers]", "[contracts]", "[indexes]"):
        assert stage in output
    assert re.search(r"\[contracts\] 4,000/4,000 \(100%\)，[\d,.]+/s，写入 [\d,]+ 行", output)
    assert "预计剩余" in output and "完成" in output
    # The same sizes again: a quick no-op.
    counts = Submission.objects.count(), Attachment.objects.count()
    out = io.StringIO()
    call_command("generate_scale_data", *args(**SIZES), stdout=out)
    assert "无需生成" in out.getvalue()
    assert (Submission.objects.count(), Attachment.objects.count()) == counts


@PG
@pytest.mark.django_db  # in a transaction rolled back after the test; the dataset is committed
def test_the_ordered_gram_table_is_filled_after_the_load(dataset: dict[str, Any]) -> None:
    # The load runs without triggers (session_replication_role = replica): finalize fills it.
    from laowu.contracts.models import CONTRACT_NO_GRAMS
    from laowu.core.search import grams_of

    numbers = dict(ProjectFiling.objects.values_list("pk", "contract_no"))
    dates = dict(ProjectFiling.objects.values_list("pk", "signed_date"))
    # The filters the committee list tests in the index: the state and the enterprise's district.
    carried = {pk: (s, d) for pk, s, d in ProjectFiling.objects.values_list("pk", "state", "enterprise__district")}
    with connection.cursor() as cur:
        sql = f'SELECT gram, signed_date, row_id, code, state, district_id FROM "{CONTRACT_NO_GRAMS.name}"'  # noqa: S608
        cur.execute(sql)
        rows = cur.fetchall()
    want = {(g, dates[pk], pk, no, *carried[pk]) for pk, no in numbers.items() for g in grams_of(no, 3)}
    assert len(rows) == len(want) and set(rows) == want


@PG
@pytest.mark.django_db
def test_the_name_and_number_bigram_table_is_filled_after_the_load(dataset: dict[str, Any]) -> None:
    # As 合同编号's table: the committee list limited to some districts reads it (PROJECT_TEXT_GRAMS).
    from laowu.contracts.models import PROJECT_TEXT_GRAMS
    from laowu.core.search import grams_of

    rows = ProjectFiling.objects.values_list("pk", "project_name", "contract_no", "signed_date", "state")
    districts = dict(ProjectFiling.objects.values_list("pk", "enterprise__district"))
    want = {
        (g, signed, pk, f"{name}\n{no}", state, districts[pk])
        for pk, name, no, signed, state in rows
        for g in grams_of(f"{name}\n{no}", 2)
    }
    with connection.cursor() as cur:
        sql = f'SELECT gram, signed_date, row_id, code, state, district_id FROM "{PROJECT_TEXT_GRAMS.name}"'  # noqa: S608
        cur.execute(sql)
        found = cur.fetchall()
    assert want and len(found) == len(want) and set(found) == want
