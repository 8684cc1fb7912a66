"""The list and search pages stay indexed and bounded, checked on generated data.

Each page is requested through the test client, every SQL statement it runs is captured,
and PostgreSQL's plan for it is inspected. A small dataset cannot show speed (the planner
rightly prefers a sequential scan of a few hundred rows), so plans are taken with
sequential scans and sorts priced out: a query that still scans a big table from end to
end, or sorts all its rows, has no index that can serve it, and would do the same on a
million rows. The timings on the full dataset are in the bench-scale report.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from laowu.accounts.models import User
from laowu.contracts.models import PROJECT_TEXT_GRAMS, ProjectFiling
from laowu.core import pagination, search
from laowu.enterprises.models import Enterprise
from laowu.personnel.models import SafetyOfficer, WageManager
from laowu.review.models import Submission
from laowu.supervision import reminders
from laowu.workspace import views as home_views
from tests.conftest import client_for

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db]

# Tables that hold province-scale row counts: never scanned whole, never sorted whole.
BIG_TABLES = {
    "enterprises_enterprise",
    "enterprises_basicinfo",
    "personnel_safetyofficer",
    "personnel_wagemanager",
    "contracts_projectfiling",
    "contracts_cataloguecontract",
    "review_submission",
    "documents_attachment",
    "audit_auditevent",
    "accounts_user",
}


@pytest.fixture
def dataset() -> None:
    call_command("generate_scale_data", enterprises=60, people=600, contracts=600, verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def nodes(node: dict[str, Any], ancestors: tuple[dict[str, Any], ...] = ()) -> Iterator[tuple[dict, tuple]]:
    yield node, ancestors
    for child in node.get("Plans", []):
        yield from nodes(child, (*ancestors, node))


def problems(root: dict[str, Any]) -> list[str]:
    """Why a plan would read a big table whole; empty when every read is index-bounded."""
    found = []
    for node, ancestors in nodes(root):
        table = node.get("Relation Name")
        kind = node["Node Type"]
        if kind == "Sort":
            # A top-N sort of a few matched rows is fine; a sort over a whole table is not.
            under = [n.get("Relation Name") for n, _ in nodes(node)]
            unbounded = [
                n
                for n, _ in nodes(node)
                if n.get("Relation Name") in BIG_TABLES and not (n.get("Index Cond") or n.get("Recheck Cond"))
            ]
            if unbounded:
                found.append(f"Sort over the whole of {under}")
        if table not in BIG_TABLES:
            continue
        if kind == "Seq Scan":
            found.append(f"Seq Scan on {table}")
        elif kind in ("Index Scan", "Index Only Scan") and not node.get("Index Cond"):
            # A full index walk is only fine when a LIMIT stops it early, with nothing
            # between them that must read every row first.
            stoppers = [a for a in ancestors if a["Node Type"] == "Limit"]
            blockers = [a for a in ancestors if a["Node Type"] in ("Sort", "Hash", "Aggregate", "Materialize")]
            if not stoppers or (blockers and ancestors.index(blockers[-1]) > ancestors.index(stoppers[-1])):
                found.append(f"full walk of index {node.get('Index Name')} on {table}")
    return found


def page_queries(client: Client, url: str, params: dict[str, str] | None = None) -> list[dict[str, Any]]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200, url
    return [q for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]


def check_page(client: Client, url: str, params: dict[str, str] | None = None) -> list[str]:
    """Every SELECT the page runs, re-planned: the list of problems (empty is good)."""
    found = []
    with connection.cursor() as cursor:
        for captured in page_queries(client, url, params):
            sql = captured["sql"]
            if "OFFSET" in sql.upper():
                offset = int(sql.upper().rsplit("OFFSET", 1)[1].split()[0])
                assert offset <= pagination.OFFSET_LIMIT, f"OFFSET {offset} in {sql}"
            # Captured SQL has its parameters inlined: plan it as written.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
            (raw,) = cursor.fetchone()
            data = raw if isinstance(raw, list) else json.loads(raw)
            found += [f"{p}\n    in: {sql[:300]}" for p in problems(data[0]["Plan"])]
    return found


def login(user: User) -> Client:
    # Past both factors for a staff account (laowu/accounts/otp.py).
    return client_for(user)


def sample_term(value: str, length: int) -> str:
    return value[1 : 1 + length] if len(value) > length + 1 else value[:length]


@pytest.fixture
def reviewer(dataset: None, monkeypatch: pytest.MonkeyPatch) -> Client:
    """A reviewer signed in. The lists here are small; searched as a province's are, each term
    gets the plan its gram statistics choose (through the indexes, or walking the list's order)."""
    monkeypatch.setattr(search, "WALK_MIN_ROWS", 0)
    search._catalog_cache.clear()
    return login(User.objects.get(username="scale_shenhe01"))


def test_committee_lists_and_searches_use_their_indexes(reviewer: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    person = SafetyOfficer.objects.order_by("id")[5]
    wage = WageManager.objects.order_by("id")[5]
    project = ProjectFiling.objects.order_by("id")[3]
    enterprise = Enterprise.objects.order_by("id")[7]
    submission = Submission.objects.filter(status="pending").order_by("id").first()
    assert submission is not None
    cases = [
        ("personnel:committee_list", ["safety"], {}),
        ("personnel:committee_list", ["safety"], {"q": sample_term(person.name, 2)}),
        ("personnel:committee_list", ["safety"], {"q": person.name}),
        ("personnel:committee_list", ["safety"], {"q": person.id_number[-6:]}),
        ("personnel:committee_list", ["safety"], {"q": sample_term(enterprise.name, 3)}),
        ("personnel:committee_list", ["wage"], {"q": wage.name}),
        ("contracts:committee_list", [], {}),
        ("contracts:committee_list", [], {"q": sample_term(project.project_name, 3)}),
        ("contracts:committee_list", [], {"q": project.contract_no[-7:]}),
        ("directory:enterprise_list", [], {}),
        ("directory:enterprise_list", [], {"q": sample_term(enterprise.name, 2)}),
        ("directory:enterprise_list", [], {"q": enterprise.credit_code[-6:]}),
        ("review:queue", [], {}),
        ("review:queue", [], {"q": sample_term(submission.title, 2)}),
        ("review:queue", [], {"status": "approved"}),
        ("review:queue", [], {"type": "safetyofficer"}),
        ("workspace:home", [], {}),
        ("supervision:expiry_list", [], {}),
        ("supervision:credit_list", [], {}),
        ("supervision:bad_behaviour_list", [], {}),
        ("supervision:removal_list", [], {}),
        ("supervision:removal_list", [], {"status": ""}),
        ("supervision:award_list", [], {}),
    ]
    failures = []
    for name, args, params in cases:
        failures += check_page(reviewer, reverse(name, args=args), params)
    # Both plans for every search, whatever the statistics say of this small data.
    for share in (0.0, 1.0):
        monkeypatch.setattr(search, "_match_share", lambda *a, share=share, **k: (share, share))
        for name, args, params in cases:
            if params.get("q"):
                failures += [f"[share {share}] {f}" for f in check_page(reviewer, reverse(name, args=args), params)]
    assert not failures, "\n".join(failures)


def test_deep_pages_are_keyset_bounded(dataset: None, monkeypatch: pytest.MonkeyPatch) -> None:
    reviewer = login(User.objects.get(username="scale_shenhe01"))
    url = reverse("personnel:committee_list", args=["safety"])
    response = reviewer.get(url)
    for _ in range(5):
        next_query = response.context["page"].next_query
        assert "after=" in next_query
        response = reviewer.get(f"{url}?{next_query}")
    queries = page_queries(reviewer, url, dict(pair.split("=", 1) for pair in next_query.split("&")))
    listing = [q["sql"] for q in queries if "personnel_safetyofficer" in q["sql"] and "LIMIT 21" in q["sql"]]
    assert listing and all("OFFSET" not in sql.upper() for sql in listing)
    assert not check_page(reviewer, url, dict(pair.split("=", 1) for pair in next_query.split("&")))


def test_enterprise_pages_use_their_indexes(dataset: None) -> None:
    user = User.objects.filter(role="enterprise", enterprise__isnull=False).order_by("id").first()
    assert user is not None
    client = login(user)
    failures = []
    own = (("personnel:list", ["safety"]), ("personnel:list", ["wage"]), ("contracts:list", []))
    for name, args in (*own, ("supervision:bad_behaviour_list", [])):
        failures += check_page(client, reverse(name, args=args))
        failures += check_page(client, reverse(name, args=args), {"q": "张"})
    assert not failures, "\n".join(failures)


def number_search(term: str) -> Any:
    ordered = ProjectFiling.objects.order_by("-signed_date", "-id")
    return search.search(ordered, term, text=("project_name", "contract_no"), walk_cost=search.COVERED_WALK_COST)


def plan_of(qs: Any) -> list[str]:
    sql, params = qs.values_list("id", flat=True)[:21].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return [line for (line,) in cursor.fetchall()]


def test_a_piece_of_a_contract_number_is_read_through_the_trigram_index(
    dataset: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Digits have 100 bigrams, each in most numbers: through bigrams, a number's tail walked all
    of a province's filings. Its rarest trigrams narrow it to the few that hold it."""
    monkeypatch.setattr(search, "WALK_MIN_ROWS", 0)
    search._catalog_cache.clear()
    ordered = list(ProjectFiling.objects.order_by("-signed_date", "-id").values_list("id", "contract_no"))
    for filing in ProjectFiling.objects.order_by("id")[:40:8]:
        tail = number_search(filing.contract_no[-7:])
        assert search.search_plan(tail) == "indexed" and "laowu_trigrams" in str(tail.query)
        plan = plan_of(tail)
        assert any("Bitmap Index Scan on contracts_projectfiling_contract_no_trigram" in line for line in plan), plan
        # Shorter pieces may be common in 600 filings ('0002') and walked: either way the same rows.
        for term in (filing.contract_no[-7:], filing.contract_no[-4:], filing.contract_no[3:9].lower()):
            qs = number_search(term)
            assert search.search_plan(qs) == "walk" or "laowu_trigrams" in str(qs.query), term
            want = [pk for pk, number in ordered if term.upper() in number.upper()]
            assert list(qs.values_list("id", flat=True)) == want, term
    # Shorter than a trigram, or Chinese: the bigram index, as before.
    assert "laowu_trigrams" not in str(number_search(ordered[0][1][-2:]).query)


def test_a_common_piece_only_in_old_filings_is_not_walked(dataset: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """A year ('024-') is in a sixth of the numbers but in none of the newest: walking newest
    first passed most of a province's filings before the first match. The statistics cannot see the
    order, so for a trigram search the walk's first rows decide."""
    monkeypatch.setattr(search, "WALK_MIN_ROWS", 0)
    ids = list(ProjectFiling.objects.order_by("-signed_date", "-id").values_list("id", flat=True))
    newest, oldest = ids[: len(ids) // 2], ids[-len(ids) // 10 :]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE contracts_projectfiling SET contract_no = 'NEW8-' || id WHERE id = ANY(%s)", [newest])
        cursor.execute("UPDATE contracts_projectfiling SET contract_no = 'OLD7-' || id WHERE id = ANY(%s)", [oldest])
        cursor.execute("ANALYZE contracts_projectfiling")
    search._catalog_cache.clear()
    # Whatever the statistics say, both are taken as common: the first rows decide, here the
    # first 20 (on a province's filings, 4,000 of a million).
    monkeypatch.setattr(search, "_match_share", lambda *a, **k: (0.5, 0.5))
    monkeypatch.setattr(search, "WALK_SAMPLE_ROWS", 20)
    monkeypatch.setattr(search, "WALK_SAMPLE_MAX_ROWS", 20)
    for term, plan, want in (("old7-", "indexed", oldest), ("NEW8", "walk", newest)):
        qs = number_search(term)
        assert search.search_plan(qs) == plan, term
        assert list(qs.values_list("id", flat=True)) == want, term


def former_gram_size(model: Any, column: str, term: str) -> int:
    """`search._gram_size` before 项目名称 had a trigram index: its bigrams for every term, 合同编号's
    trigrams for ASCII ones."""
    if column == "project_name" or len(term) < search.MIN_TRIGRAM_TERM or not term.isascii():
        return 2
    return 3 if search._stats(model._meta.db_table, model._meta.get_field(column).column, 3) is not None else 2


def joined_places(limit: int) -> list[str]:
    """Four characters across the end of a filing's district and the start of its place (山市元和 of
    昆山市元和…): each of their bigrams is common, the four together are not."""
    names = ProjectFiling.objects.order_by("id").values_list("project_name", flat=True)[:limit]
    return list(dict.fromkeys(name[1:5] for name in names))


def test_a_chinese_term_is_read_through_the_name_trigram_index(dataset: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """A place name's bigrams are each common (山市, 元和): a term joining two was looked up by bigrams
    that occur apart in many more filings than hold the term, each a heap row the recheck threw away.
    Its rarest trigrams, from 项目名称's trigram index, are about as rare as the term."""
    monkeypatch.setattr(search, "WALK_MIN_ROWS", 0)
    search._catalog_cache.clear()
    ordered = list(ProjectFiling.objects.order_by("-signed_date", "-id").values_list("id", "project_name"))
    indexed = 0
    for term in joined_places(40):
        qs = number_search(term)
        assert list(qs.values_list("id", flat=True)) == [pk for pk, name in ordered if term in name], term
        if search.search_plan(qs) == "indexed":
            indexed += 1
            assert 'laowu_trigrams("contracts_projectfiling"."project_name")' in str(qs.query), term
            plan = plan_of(qs)
            scan = "Bitmap Index Scan on contracts_projectfiling_project_name_trigram"
            assert any(scan in line for line in plan), plan
    assert indexed, "no term was read through the indexes"
    # Each trigram index serves the terms like its column's text: names Chinese terms, numbers ASCII
    # ones; a two-character term has no trigram. The plan is still chosen on the bigrams.
    assert search._gram_size(ProjectFiling, "project_name", "山市元") == 3
    assert search._gram_size(ProjectFiling, "project_name", "HT-3") == 2
    assert search._gram_size(ProjectFiling, "project_name", "山市") == 2
    assert search._gram_size(ProjectFiling, "contract_no", "山市元") == 2
    assert search._gram_size(ProjectFiling, "contract_no", "HT-3") == 3
    assert search._estimated_gram_size(ProjectFiling, "project_name", "山市元") == 2


def test_a_chinese_terms_pages_are_those_the_bigram_lookup_gave(
    reviewer: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The committee list searched by names, by pieces of numbers and by both kinds of term too short
    for a trigram: page 1 and its 下一页, byte for byte what the bigram lookups showed."""
    url = reverse("contracts:committee_list")
    filing = ProjectFiling.objects.order_by("id")[3]
    terms = [*joined_places(12), filing.project_name[2:5], filing.contract_no[-7:], "2025", "山市", "花园"]

    def pages(term: str) -> tuple[list[str], list[str]]:
        bodies, sqls = [], []
        query = urlencode({"q": term})
        for _ in range(2):
            with CaptureQueriesContext(connection) as ctx:
                response = reviewer.get(f"{url}?{query}")
            body = response.content.decode()
            bodies.append(re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body))
            sqls += [q["sql"] for q in ctx.captured_queries]
            following = re.search(r'href="\?([^"]*after=[^"]*)"', body)
            if following is None:
                break
            query = html.unescape(following.group(1))
        return bodies, sqls

    trigram_lookups = 0
    for term in terms:
        now, sqls = pages(term)
        trigram_lookups += any('laowu_trigrams("contracts_projectfiling"."project_name")' in sql for sql in sqls)
        with monkeypatch.context() as former:
            former.setattr(search, "_gram_size", former_gram_size)
            before, _ = pages(term)
        assert now == before, term
    assert trigram_lookups, "no term was looked up by 项目名称's trigrams"


def analyzed_reads(client: Client, url: str, term: str) -> tuple[int, float, list[str]]:
    """The rows the search page's statements read from the big tables under EXPLAIN ANALYZE
    (returned, removed by a filter or a recheck, over all loops), their execution time, and
    the scan nodes: the work that grows with the table when a search is not indexed."""
    rows, ms, scans = 0, 0.0, []
    with connection.cursor() as cursor:
        for captured in page_queries(client, url, {"q": term}):
            if term not in captured["sql"]:
                continue
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + captured["sql"])
            (raw,) = cursor.fetchone()
            data = (raw if isinstance(raw, list) else json.loads(raw))[0]
            ms += data["Execution Time"]
            for node, _ in nodes(data["Plan"]):
                if node.get("Relation Name") in BIG_TABLES:
                    loops = node.get("Actual Loops", 1)
                    removed = node.get("Rows Removed by Filter", 0) + node.get("Rows Removed by Index Recheck", 0)
                    rows += (node["Actual Rows"] + removed) * loops
                    scans.append(f"{node['Node Type']} {node.get('Index Name', node['Relation Name'])}")
    return rows, ms, scans


def test_rare_terms_read_only_their_matches_under_explain_analyze(reviewer: Client) -> None:
    """EXPLAIN ANALYZE of each search column's page on the generated data, searched as a
    province's list is: a term naming a few rows reads about those rows, not the list. (The
    milliseconds on the full dataset are the bench-scale report's; here the row counts are
    what a full scan could not fake.)"""
    enterprise = Enterprise.objects.order_by("id")[7]
    person = SafetyOfficer.objects.order_by("id")[5]
    filing = ProjectFiling.objects.order_by("id")[3]
    cases = [
        (
            reverse("directory:enterprise_list"),
            enterprise.name,
            Enterprise.objects.filter(name__icontains=enterprise.name),
        ),
        (
            reverse("personnel:committee_list", args=["safety"]),
            person.name,
            SafetyOfficer.objects.filter(name__icontains=person.name),
        ),
        (
            reverse("contracts:committee_list"),
            filing.project_name,
            ProjectFiling.objects.filter(project_name__icontains=filing.project_name),
        ),
        (
            reverse("contracts:committee_list"),
            filing.contract_no,
            ProjectFiling.objects.filter(contract_no__icontains=filing.contract_no),
        ),
        (
            reverse("contracts:committee_list"),
            filing.contract_no[-7:],
            ProjectFiling.objects.filter(contract_no__icontains=filing.contract_no[-7:]),
        ),
    ]
    for url, term, matching in cases:
        matches = matching.count()
        rows, ms, scans = analyzed_reads(reviewer, url, term)
        assert scans and not any(s.startswith("Seq Scan") for s in scans), (term, scans)
        # The matches (on the list, its page and the enterprise rows they show), a few candidates
        # the recheck drops, and nothing that grows with the table.
        assert 0 < rows <= 4 * matches + 30, f"{term}: {rows} rows read for {matches} matches in {ms:.2f} ms ({scans})"


def plan_scans(
    sql: str, table: str, priced_out: tuple[str, ...] = ("seqscan", "sort")
) -> list[tuple[dict[str, Any], tuple[dict[str, Any], ...]]]:
    """The nodes reading `table` in the executed plan of `sql` (captured, parameters inlined),
    planned with sequential scans and sorts priced out as `check_page` does, each with the nodes
    above it."""
    with connection.cursor() as cursor:
        for kind in priced_out:
            cursor.execute(f"SET LOCAL enable_{kind} = off")
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
        (raw,) = cursor.fetchone()
        for kind in priced_out:
            cursor.execute(f"RESET enable_{kind}")
    data = raw if isinstance(raw, list) else json.loads(raw)
    return [(node, above) for node, above in nodes(data[0]["Plan"]) if node.get("Relation Name") == table]


def scans_of(sql: str, table: str, priced_out: tuple[str, ...] = ("seqscan", "sort")) -> list[dict[str, Any]]:
    """`plan_scans`'s nodes."""
    return [node for node, _ in plan_scans(sql, table, priced_out)]


def test_enterprise_lists_read_only_their_own_rows(dataset: None) -> None:
    """An enterprise's list walks an index that starts with the enterprise, in the list's order:
    it reads its page's rows and no other enterprise's (an index of the order alone would be
    walked past every other enterprise's newer rows, a province's on a big enterprise's list)."""
    user = User.objects.filter(role="enterprise", enterprise__isnull=False).order_by("id").first()
    assert user is not None
    client = login(user)
    cases = [
        (reverse("personnel:list", args=["safety"]), "personnel_safetyofficer", "safety_enterprise_updated_idx"),
        (reverse("personnel:list", args=["wage"]), "personnel_wagemanager", "wage_enterprise_updated_idx"),
        (reverse("contracts:list"), "contracts_projectfiling", "project_enterprise_signed_idx"),
        (reverse("contracts:picker"), "contracts_cataloguecontract", "catalogue_credit_signed_idx"),
    ]
    for url, table, index in cases:
        listing = [
            q["sql"] for q in page_queries(client, url) if f'FROM "{table}"' in q["sql"] and "ORDER BY" in q["sql"]
        ]
        assert listing, url
        for scan, above in plan_scans(listing[0], table):
            if any(node.get("Parent Relationship") == "InitPlan" for node in (*above, scan)):
                # Page 1's bounded count, read in the same statement: this enterprise's rows
                # only, found by an index condition, none read and dropped.
                assert "Index Cond" in scan, url
                assert scan.get("Rows Removed by Filter", 0) == 0, url
                continue
            assert scan["Node Type"] in ("Index Scan", "Index Only Scan"), (url, scan["Node Type"])
            assert scan["Index Name"] == index, (url, scan["Index Name"])
            assert "Index Cond" in scan, url
            assert scan.get("Rows Removed by Filter", 0) == 0, url
            assert scan["Actual Rows"] <= pagination.PAGE_SIZE + 1, url


def test_a_one_character_search_counts_from_the_index(reviewer: Client) -> None:
    """A one-character term has no bigram to look up: its count tests every row's name and
    certificate number, which the enterprise index holds, so that it reads the index rather than
    the table. Where the table's pages are marked all-visible (by vacuum, as a production one's
    are) the planner prefers that by itself; a test's rows never are, so a bitmap scan is priced
    out here, as the sequential scan is."""
    for role, table in (("safety", "personnel_safetyofficer"), ("wage", "personnel_wagemanager")):
        url = reverse("personnel:committee_list", args=[role])
        counts = [q["sql"] for q in page_queries(reviewer, url, {"q": "王"}) if q["sql"].startswith("SELECT COUNT(*)")]
        assert counts, role
        (scan,) = scans_of(counts[0], table, ("seqscan", "bitmapscan"))
        assert scan["Node Type"] == "Index Only Scan", (role, scan["Node Type"])
        assert scan["Index Name"] == f"{role}_enterprise_updated_idx", role


@pytest.mark.django_db(transaction=True)
def test_a_district_reviewers_common_search_counts_from_the_index(dataset: None) -> None:
    """On a list limited to a reviewer's districts, any term (a Latin code piece, a name, on the
    状态 tab too) is read and counted from the district's postings of its rarest bigram in 项目名称 and
    合同编号's gram table (laowu/contracts/models.py PROJECT_TEXT_GRAMS), index-only, rather than
    by testing each of the district's filings. The table is vacuumed first (outside a transaction,
    so this test commits and is flushed): only pages marked all-visible, as a production table's
    are, make an index-only scan pay."""
    with connection.cursor() as cursor:
        cursor.execute(f'VACUUM ANALYZE "{PROJECT_TEXT_GRAMS.name}"')
    enterprise = Enterprise.objects.order_by("id").first()
    assert enterprise is not None
    limited = User.objects.create(username="plans_district_reviewer", role="reviewer", display_name="区审核员")
    limited.districts.set([enterprise.district_id])
    client = login(limited)
    filing = ProjectFiling.objects.filter(enterprise__district=enterprise.district_id).order_by("id").first()
    assert filing is not None
    latin = next(c + d for c, d in zip(filing.contract_no, filing.contract_no[1:], strict=False) if (c + d).isalpha())
    for term, params in (
        (latin.lower(), {}),
        (filing.project_name[-2:], {}),
        (filing.project_name[-3:], {}),
        (filing.project_name[-2:], {"state": "approved"}),
    ):
        queries = [q["sql"] for q in page_queries(client, reverse("contracts:committee_list"), {"q": term, **params})]
        assert not [sql for sql in queries if term in sql and "COUNT(" in sql and '"contracts_projectfiling"' in sql], (
            term,
            params,
        )
        # The page's walk, and the count where the page is not the only one.
        walks = [sql for sql in queries if PROJECT_TEXT_GRAMS.name in sql]
        assert walks, (term, params)
        for sql in walks:
            (scan,) = scans_of(sql, PROJECT_TEXT_GRAMS.name)
            assert scan["Node Type"] == "Index Only Scan", (term, params, scan["Node Type"], scan.get("Index Name"))
            assert scan["Index Name"] == f"{PROJECT_TEXT_GRAMS.name}_part", (term, params)
            assert scan["Heap Fetches"] == 0, (term, params)


def test_the_enterprise_home_counts_its_filings_from_the_index(dataset: None) -> None:
    """The home's standing (laowu/workspace/steps.py) counts each state's rows of each table and
    reads their approved revision: the (enterprise, state) index includes those columns, so the
    count reads only the enterprise's index entries. The latest rejected records are still looked
    up by the enterprise in an index (on a few rows each, as here, the planner may take the
    enterprise's foreign key index instead)."""
    tables = {
        "personnel_safetyofficer": "safety_enterprise_state_idx",
        "personnel_wagemanager": "wage_enterprise_state_idx",
        "contracts_projectfiling": "project_enterprise_state_idx",
    }
    user = User.objects.filter(role="enterprise", enterprise__isnull=False).order_by("id").first()
    assert user is not None
    client = login(user)
    client.get(reverse("workspace:home"))
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("workspace:home")).status_code == 200
    sqls = [q["sql"] for q in ctx.captured_queries]
    [standing] = [sql for sql in sqls if 'AS "state", COUNT(' in sql]
    # The rejected records are read only when something was rejected, with the home's other
    # short lists (laowu/workspace/views.py `_HomeLists`): planned for this enterprise as the
    # home would plan it with every type rejected.
    values = {"enterprise": user.enterprise_id, "district": user.enterprise.district_id}
    query = home_views._home_lists_query(values, (SafetyOfficer, WageManager, ProjectFiling)).query
    rejected = connection.ops.compose_sql(*query.sql_with_params())
    # The latest messages too, by the enterprise in an index.
    message_scans = scans_of(rejected, "supervision_message", priced_out=("seqscan", "bitmapscan"))
    assert message_scans
    assert all("enterprise_id" in scan["Index Cond"] for scan in message_scans)
    for table, index in tables.items():
        # Plain index scans priced out too: without autovacuum's visibility map (not kept within
        # a test's transaction) reading the index alone costs the planner as much as the rows,
        # and only an index holding every column the count reads can be read alone at all.
        # The standing's own arm; the same query's expiry counts read a person's table again.
        scans = scans_of(standing, table, priced_out=("seqscan", "bitmapscan", "indexscan"))
        [scan] = [s for s in scans if s["Node Type"] == "Index Only Scan" and s["Index Name"] == index]
        assert "enterprise_id" in scan["Index Cond"], table
        rejected_scans = scans_of(rejected, table, priced_out=("seqscan", "bitmapscan"))
        assert rejected_scans, table
        for scan in rejected_scans:
            assert scan["Node Type"] in ("Index Scan", "Index Only Scan"), table
            assert "enterprise_id" in scan["Index Cond"], table
    # The expiry counts of each kind of certificate, read in the same query: each by the
    # enterprise in an index, not every certificate of the province about to expire.
    for source in reminders.sources():
        table = source.model._meta.db_table
        scans = scans_of(standing, table, priced_out=("seqscan", "bitmapscan"))
        assert scans, table
        for scan in scans:
            assert scan["Node Type"] in ("Index Scan", "Index Only Scan"), table
            assert "enterprise_id" in scan["Index Cond"], (table, scan.get("Index Name"), scan["Index Cond"])


def test_the_committee_homes_capped_counts_read_the_expiry_indexes(reviewer: Client) -> None:
    """The committee home's expiry figures (laowu/supervision/reminders.py `expiry_summary`) are
    one statement of capped counts: each count still reads its kind's partial expiry index on
    the date's range, never the table, as each did in a query of its own."""
    reviewer.get(reverse("workspace:home"))
    with CaptureQueriesContext(connection) as ctx:
        assert reviewer.get(reverse("workspace:home")).status_code == 200
    [counts] = [q["sql"] for q in ctx.captured_queries if ") laowu_counted UNION ALL" in q["sql"]]
    assert counts.count("UNION ALL") == 2 * len(reminders.sources()) - 1
    for table in {source.model._meta.db_table for source in reminders.sources()}:
        scans = scans_of(counts, table, priced_out=("seqscan", "bitmapscan"))
        assert scans, table
        for scan in scans:
            assert scan["Node Type"] in ("Index Scan", "Index Only Scan"), (table, scan["Node Type"])
            assert "expiry" in scan["Index Name"] and "valid_until" in scan["Index Cond"], (table, scan)


def test_review_and_person_edit_pages_use_their_indexes(reviewer: Client) -> None:
    """The review page reads a filing's history and the approved revision it compares against
    in one query (laowu/review/selectors.py `review_history`); the person edit page takes the
    approved revision from its history rows. Both stay on the (filing type, filing id) index."""
    later = Submission.objects.filter(revision__gt=1).order_by("id")
    cases = [
        later.filter(status="pending").first(),
        later.first(),
        Submission.objects.filter(status="pending").order_by("id").first(),
        Submission.objects.filter(status="approved", filing_type__model="safetyofficer").order_by("id").first(),
    ]
    failures = []
    for submission in filter(None, cases):
        failures += check_page(reviewer, reverse("review:submission", args=[submission.pk]))
    person = SafetyOfficer.objects.filter(approved_submission__isnull=False).order_by("id").first()
    assert person is not None
    owner = User.objects.filter(role="enterprise", enterprise_id=person.enterprise_id).order_by("id").first()
    assert owner is not None
    failures += check_page(login(owner), person.get_absolute_url())
    assert not failures, "\n".join(failures)
