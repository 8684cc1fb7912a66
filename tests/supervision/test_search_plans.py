"""Supervision's searches stay indexed at province scale, checked on generated data.

The method of tests/scaledata/test_scale_plans.py, applied to supervision's lists: every SELECT a
search page runs is re-planned with sequential scans and sorts priced out, and a rare term's
page is run under EXPLAIN ANALYZE to count the rows it reads. The generated committee records
are a few per hundred enterprises, so for the second each table is first given a few hundred
more (copies of generated rows with their own numbers and names): enough that reading a list
whole would be told apart from reading a term's matches.
"""

from __future__ import annotations

import copy
import itertools
import secrets
from typing import Any

import pytest
from django.db import connection
from django.db.models import Model, Q
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from laowu.accounts.models import User
from laowu.contracts.models import ProjectFiling
from laowu.core import search
from laowu.enterprises.models import Enterprise
from laowu.personnel.models import SafetyOfficer
from laowu.supervision.awards import ENTERPRISE_TITLE_CHOICES
from laowu.supervision.models import (
    Award,
    AwardStatus,
    BadBehaviour,
    Inspection,
    Notice,
    RemovalApplication,
    RemovalStatus,
)
from tests.scaledata import test_scale_plans as scale
from tests.scaledata.test_scale_plans import analyzed_reads, check_page, dataset, login, reviewer, sample_term

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db]

# Fixtures of tests/scaledata/test_scale_plans.py used here by name.
__all__ = ["dataset", "reviewer"]

# Generated committee records are copied up to this many rows per table.
RECORDS = 400
SUPERVISION_TABLES = {
    "supervision_award",
    "supervision_badbehaviour",
    "supervision_inspection",
    "supervision_notice",
    "supervision_removalapplication",
}


def copies(model: type[Model], n: int, **vary: Any) -> list[Any]:
    """`n` unsaved copies of the model's generated rows, round robin; `vary` maps a field to a
    function of the copy's number giving its value."""
    originals = list(model._default_manager.order_by("id"))
    rows = []
    for i, original in zip(range(n), itertools.cycle(originals), strict=False):
        row = copy.copy(original)
        row.pk = None
        for name, value in vary.items():
            setattr(row, name, value(i))
        rows.append(row)
    return rows


@pytest.fixture
def records(dataset: None) -> None:
    """The generated records, and RECORDS of each kind more, analyzed."""
    enterprises = list(Enterprise.objects.order_by("id").values_list("id", flat=True))
    projects = list(
        ProjectFiling.objects.filter(approved_submission__isnull=False)
        .order_by("id")
        .values_list("id", "enterprise_id")
    )
    names = list(SafetyOfficer.objects.order_by("id").values_list("name", flat=True)[:RECORDS])
    # Numbers and years no generated row has: 〔1990〕…, XCZG-1990-…, awards of the 1700s and 1800s.
    bad = BadBehaviour.objects.bulk_create(
        copies(
            BadBehaviour,
            RECORDS,
            enterprise_id=lambda i: enterprises[i % len(enterprises)],
            decision_no=lambda i: f"相劳专罚〔{1990 + i % 10}〕{i:05d}号",
            person_name=lambda i: names[i % len(names)] if i % 3 else "",
        )
    )
    author = User.objects.get(username="scale_shenhe01")
    now = timezone.now()
    RemovalApplication.objects.bulk_create(
        RemovalApplication(
            record=row,
            enterprise_id=row.enterprise_id,
            rectification="已按要求完成整改。",
            status=RemovalStatus.PENDING if i % 2 else RemovalStatus.REJECTED,
            created_by=author,
            submitted_at=now,
        )
        for i, row in enumerate(bad)
    )
    Inspection.objects.bulk_create(
        copies(
            Inspection,
            RECORDS,
            project_id=lambda i: projects[i % len(projects)][0],
            enterprise_id=lambda i: projects[i % len(projects)][1],
            notice_no=lambda i: f"XCZG-{1990 + i % 10}-{i:05d}",
            # Each issued notice has its own verification token.
            verify_token=lambda i: secrets.token_urlsafe(24),
        )
    )
    titles = [code for code, _ in ENTERPRISE_TITLE_CHOICES]
    Award.objects.bulk_create(
        # One nomination per (year, title, enterprise).
        Award(
            year=1700 + i // len(titles),
            title=titles[i % len(titles)],
            enterprise_id=enterprises[i % len(enterprises)],
            reasons="劳务管理规范。",
            status=AwardStatus.NOMINATED,
            created_by=author,
        )
        for i in range(RECORDS)
    )
    Notice.objects.bulk_create(copies(Notice, RECORDS, title=lambda i: f"关于第{i:04d}批劳务企业信息核查的通知"))
    rebuild_and_analyze()


def rebuild_and_analyze() -> None:
    """Earlier tests' rows, rolled back, stay in the indexes until a VACUUM, which cannot run in
    a test's transaction: several times this data, they would price the gram indexes as if their
    lists were that long. Rebuilt, the searched tables' indexes hold this data only."""
    with connection.cursor() as cursor:
        for table in ("enterprises_enterprise", "contracts_projectfiling", *sorted(SUPERVISION_TABLES)):
            cursor.execute(f'REINDEX TABLE "{table}"')
        cursor.execute("ANALYZE")
    search._catalog_cache.clear()


@pytest.fixture
def generated(dataset: None) -> None:
    """The generated data as it is, its indexes rebuilt."""
    rebuild_and_analyze()


@pytest.fixture
def nested_loops(records: None) -> None:
    """Joins as at province scale: each of a few rows looks up the row it points to by its key.
    Here the copied records outnumber the 60 enterprises, so the planner would rather read every
    enterprise once (a merge or hash join) to join a page's matches to them, e.g. to sort
    nominations by their enterprise's name; at province scale the enterprises outnumber the
    committee's records a hundredfold and it looks them up instead."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_mergejoin = off")
        cursor.execute("SET LOCAL enable_hashjoin = off")


@pytest.fixture
def big_records(monkeypatch: pytest.MonkeyPatch) -> None:
    """The committee's record tables counted with the big ones: a read of one whole is a failure."""
    monkeypatch.setattr(scale, "BIG_TABLES", scale.BIG_TABLES | SUPERVISION_TABLES)


class WithParams:
    """A client adding `params` to each GET (analyzed_reads sends only the term)."""

    def __init__(self, client: Client, params: dict[str, str]) -> None:
        self.client, self.params = client, params

    def get(self, url: str, data: dict[str, str]) -> Any:
        return self.client.get(url, {**self.params, **data})


def plain(listed: Any, columns: tuple[str, ...], term: str) -> int:
    condition = Q()
    for column in columns:
        condition |= Q(**{f"{column}__icontains": term})
    return int(listed.filter(condition).count())


ENTERPRISE = ("name", "credit_code")
ENTERPRISE_OF = ("enterprise__name", "enterprise__credit_code")
PROJECT = ("project_name", "contract_no", "project_code")


def search_pages() -> list[tuple[str, dict[str, str], Any, tuple[str, ...], str]]:
    """(url, other parameters, the list unsearched, its columns, a rare term) for every
    supervision search page: the term names one or a few of the newest rows."""
    enterprise = Enterprise.objects.filter(awards__isnull=False).order_by("id").first()
    enterprise = enterprise or Enterprise.objects.order_by("id")[7]
    filing = ProjectFiling.objects.filter(approved_submission__isnull=False).order_by("id")[3]
    inspection = Inspection.objects.exclude(notice_no="").order_by("-id").first()
    record = BadBehaviour.objects.order_by("-id").first()
    person = BadBehaviour.objects.exclude(person_name="").order_by("-id").first()
    notice = Notice.objects.order_by("-id").first()
    assert inspection is not None and record is not None and notice is not None
    on_file = ProjectFiling.objects.filter(approved_submission__isnull=False)
    inspected = ("project__project_name", "project__contract_no", "project__project_code", "notice_no")
    recorded = (*ENTERPRISE_OF, "decision_no", "person_name")
    pages = [
        (reverse("supervision:credit_list"), {}, Enterprise.objects.all(), ENTERPRISE, enterprise.name),
        (reverse("supervision:credit_list"), {}, Enterprise.objects.all(), ENTERPRISE, enterprise.credit_code[5:13]),
        (reverse("supervision:bad_behaviour_new"), {}, Enterprise.objects.all(), ENTERPRISE, enterprise.name),
        (reverse("supervision:award_new"), {}, Enterprise.objects.all(), ENTERPRISE, enterprise.credit_code[-7:]),
        (
            reverse("supervision:award_new"),
            {"kind": "project"},
            on_file,
            (*PROJECT, "enterprise__name"),
            filing.project_code[-9:],
        ),
        (
            reverse("supervision:inspection_new"),
            {},
            on_file.exclude(state="deregistered"),
            (*PROJECT, *ENTERPRISE_OF),
            filing.contract_no,
        ),
        (reverse("supervision:inspection_list"), {}, Inspection.objects.all(), inspected, inspection.notice_no),
        (
            reverse("supervision:inspection_list"),
            {},
            Inspection.objects.all(),
            inspected,
            inspection.project.project_name,
        ),
        (reverse("supervision:bad_behaviour_list"), {}, BadBehaviour.objects.all(), recorded, record.decision_no),
        (
            reverse("supervision:removal_list"),
            {"status": ""},
            RemovalApplication.objects.exclude(status=RemovalStatus.DRAFT),
            (*ENTERPRISE_OF, "record__decision_no"),
            record.decision_no,
        ),
        (reverse("supervision:award_list"), {"year": ""}, Award.objects.all(), ENTERPRISE_OF, enterprise.name),
        (reverse("supervision:notice_list"), {}, Notice.objects.all(), ("title", "body"), notice.title),
    ]
    if person is not None:
        url = reverse("supervision:bad_behaviour_list")
        pages.append((url, {}, BadBehaviour.objects.all(), recorded, person.person_name))
    return pages


def test_supervision_searches_use_their_indexes(
    generated: None, reviewer: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every supervision search page, searched as a province's list is, with either plan: no
    big table (enterprises, projects) is scanned whole or sorted whole for it. On the generated
    records as they are: a few, against many more enterprises and projects, as at province scale."""
    enterprise = Enterprise.objects.order_by("id")[7]
    failures = []
    for url, params, _, _, term in search_pages():
        for q in (term, sample_term(term, 2), sample_term(enterprise.name, 3)):
            failures += check_page(reviewer, url, {**params, "q": q})
    for share in (0.0, 1.0):
        monkeypatch.setattr(search, "_match_share", lambda *a, share=share, **k: (share, share))
        for url, params, _, _, term in search_pages():
            failures += [f"[share {share}] {f}" for f in check_page(reviewer, url, {**params, "q": term})]
    # The enterprise's own messages, through its index whatever the term.
    user = User.objects.filter(role="enterprise", enterprise__isnull=False).order_by("id").first()
    assert user is not None
    failures += check_page(login(user), reverse("supervision:messages"), {"q": "整改"})
    assert not failures, "\n".join(failures)


def test_rare_terms_read_only_their_matches_under_explain_analyze(
    records: None, nested_loops: None, reviewer: Client, big_records: None
) -> None:
    """EXPLAIN ANALYZE of every supervision search page for a term naming a few rows: it reads
    about those rows (through the gram indexes of the searched columns and the foreign keys'
    indexes to the rows they point to), not the list, the enterprises or the projects."""
    for url, params, everything, columns, term in search_pages():
        matches = plain(everything, columns, term)
        rows, ms, scans = analyzed_reads(WithParams(reviewer, params), url, term)
        assert scans and not any(s.startswith("Seq Scan") for s in scans), (url, term, scans)
        assert 0 < rows <= 4 * matches + 30, (
            f"{url} {term}: {rows} rows read for {matches} matches in {ms:.2f} ms ({scans})"
        )
