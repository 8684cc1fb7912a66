"""EXPLAIN ANALYZE of the committee 项目信息 search page for a sweep of terms.

Run under the settings and database of a generated dataset (manage.py generate_scale_data):

    DJANGO_SETTINGS_MODULE=laowu.settings.local DATABASE_URL=postgres://…/laowu_search_scale \\
        .venv/bin/python scripts/search_sweep.py --out before.json
    … (change the code) …
    .venv/bin/python scripts/search_sweep.py --out after.json --compare before.json

For every term the page (and its 下一页) is rendered as a reviewer through the test client, its SQL
captured, and every SELECT carrying the term (or the lower-cased term as a literal) EXPLAIN ANALYZEd
(once to warm the cache, then the least of three runs: scripts/bench_scale.py takes the second of
two, which on a shared machine is often another process's time). What a user sees — the rows' ids in
order and the count line, on both pages — is written out so that `--compare` proves two runs show
the same pages. Terms: the year-like 合同编号 pieces the province-scale run found slow, the moderately
common ones it found over 10 ms at a million filings (`5-03`: a Bitmap Heap Scan and a Sort of every
match for the count), rare full numbers, and random 2–4 character pieces of real 合同编号 and 项目名称
(seeded).

Filtered lists: the fixed terms and the first `--filtered` random ones are also searched on the
已通过 tab (状态), within a 签订日期 range, and as a reviewer limited to 相城区 (created on first use:
the generated reviewers cover every district), each reported as its own column.

`--lists` runs some of the lists only (by column label), `--extra-term 项目名称:家港市高` adds a
term (searched on every list run), and `--reuse-terms` takes a run's terms whichever lists it ran.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
FIXED_TERMS = [
    *("2025", "2024", "2026", "25-", "025-", "24-", "024-", "-020", "320", "LWFB-2025", "HT-3209-2024"),
    *("5-03", "4-04", "5-04", "-03", "2404", "4-01", "5-00"),
]
# The filtered cases: (label, extra query string, as the district-limited reviewer).
FILTERED = [
    ("已通过", "&state=approved", False),
    ("签订日期", "&signed_from=2025-03-01&signed_to=2025-08-31", False),
    ("相城区审核员", "", True),
    ("相城区审核员·已通过", "&state=approved", True),
]
DISTRICT_REVIEWER = "sweep_xiangcheng"
GOAL_MS = 10.0


def _terms(rng: random.Random, pieces: int) -> list[tuple[str, str]]:
    from laowu.contracts.models import ProjectFiling

    ids = list(ProjectFiling.objects.order_by("?").values_list("contract_no", "project_name")[: pieces * 2])
    terms: list[tuple[str, str]] = [("合同编号", t) for t in FIXED_TERMS]
    terms += [("合同编号（完整）", no) for no, _ in ids[:5]]
    for i, (no, name) in enumerate(ids):
        column, text = ("合同编号", no) if i % 5 < 3 else ("项目名称", name)
        length = rng.choice((2, 3, 4))
        if len(text) < length:
            continue
        start = rng.randrange(len(text) - length + 1)
        terms.append((column, text[start : start + length].strip()))
        if len(terms) >= pieces + len(FIXED_TERMS) + 5:
            break
    seen: set[str] = set()
    return [(c, t) for c, t in terms if t and not (t in seen or seen.add(t))]  # type: ignore[func-returns-value]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="结果 JSON 文件")
    parser.add_argument("--compare", help="与之比较页面内容的另一次结果")
    parser.add_argument("--terms", type=int, default=260, help="随机片段数")
    parser.add_argument("--seed", type=int, default=20261207)
    parser.add_argument("--runs", type=int, default=3, help="每条语句 EXPLAIN ANALYZE 的次数（取最小值）")
    parser.add_argument("--reuse-terms", help="沿用这次结果中的检索词")
    parser.add_argument("--filtered", type=int, default=40, help="另在筛选列表上检索的随机片段数")
    parser.add_argument(
        "--lists", help="只检索这些列表（逗号分隔的列名，如 相城区审核员,相城区审核员·已通过）；默认全部"
    )
    parser.add_argument(
        "--extra-term", action="append", default=[], metavar="COLUMN:TERM", help="另加的检索词（可重复）"
    )
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    import psycopg
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from laowu.accounts import otp
    from laowu.accounts.models import District, Role, User

    options = settings.DATABASES["default"].get("OPTIONS", {}).get("options", "")
    raw = psycopg.connect(os.environ["DATABASE_URL"].replace("postgres://", "postgresql://", 1), options=options)
    user = User.objects.filter(role=Role.REVIEWER, is_active=True).order_by("id").first()
    if user is None:
        raise SystemExit("no reviewer in this database: generate a dataset first")
    limited, created = User.objects.get_or_create(
        username=DISTRICT_REVIEWER,
        defaults={
            "role": Role.REVIEWER,
            "display_name": "审核员（相城区，检索扫描）",
            "password_changed_at": timezone.now(),
        },
    )
    if created:
        limited.districts.set(District.objects.filter(code="320507"))

    def logged_in(who: Any) -> Client:
        client = Client(SERVER_NAME="127.0.0.1")
        client.force_login(who)
        device = TOTPDevice.objects.filter(user=who, confirmed=True).first()
        device = device or TOTPDevice.objects.create(user=who, name=otp.TOTP_DEVICE_NAME, confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        return client

    client, limited_client = logged_in(user), logged_in(limited)

    if args.reuse_terms:
        reused = json.loads(Path(args.reuse_terms).read_text())["terms"]
        # Each term once, from whichever list searched it (a run of some lists has no unfiltered
        # row for the terms it searched on filtered lists). The filtered lists' first, in their
        # order: the fixed terms, then the random ones they searched, which are so again.
        filtered = {label for label, _, _ in FILTERED}
        reused.sort(key=lambda r: r["column"] not in filtered)  # stable: each group keeps its order
        terms = list(dict.fromkeys((r.get("source", r["column"]), r["term"]) for r in reused))
    else:
        terms = _terms(random.Random(args.seed), args.terms)  # noqa: S311 - sampling, not security

    def explain(statement: str) -> tuple[float, list[str]]:
        """The least of three warm runs: the machine is shared, and a run another process
        interrupted says nothing about the plan."""
        query = "EXPLAIN (ANALYZE, BUFFERS) " + statement
        runs = []
        with raw.transaction(force_rollback=True):
            raw.execute(query)  # warm the cache
            for _ in range(args.runs):
                lines = [r[0] for r in raw.execute(query)]
                ms = next((float(m.group(1)) for x in lines if (m := re.search(r"Execution Time: ([\d.]+)", x))), 0.0)
                runs.append((ms, lines[:8]))
        return min(runs, key=lambda run: run[0])

    def page(path: str, term: str, client: Client = client) -> dict[str, Any]:
        client.get(path)  # warm: templates, statistics caches
        with CaptureQueriesContext(connection) as ctx:
            resp = client.get(path)
        body = resp.content.decode()
        # The term, or the gram it is (a district list's walk of its bigram's postings, which is
        # written with the lower-cased gram only: laowu/core/search.py `_text_walk`).
        sqls = [
            q["sql"]
            for q in ctx.captured_queries
            if term in (q["sql"] or "") or f"'{term.lower()}'" in (q["sql"] or "")
        ]
        sqls = [s for s in sqls if s.lstrip().upper().startswith("SELECT")]
        plans = [explain(s) for s in sqls]
        info = re.search(r'<span class="page-info">(.*?)</span>', body)
        nxt = re.search(r'href="\?([^"]*after=[^"]*)"', body)
        return {
            "status": resp.status_code,
            "rows": [list(r) for r in re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td>", body)],
            "info": info.group(1) if info else "",
            "next": nxt.group(1).replace("&amp;", "&") if nxt else None,
            "db_ms": sum(ms for ms, _ in plans),
            "plan": max(plans, key=lambda p: p[0])[1] if plans else [],
        }

    extra_terms = [(column, text) for column, _, text in (t.partition(":") for t in args.extra_term) if text]
    terms += [t for t in extra_terms if t not in terms]
    cases = [(column, term, column, "", False) for column, term in terms]
    random_terms = [t for c, t in terms if c in ("合同编号", "项目名称") and t not in FIXED_TERMS][: args.filtered]
    random_terms += [t for _, t in extra_terms if t not in random_terms]  # searched on every list
    for label, extra, district in FILTERED:
        cases += [(label, term, column, extra, district) for column, term in terms if term in FIXED_TERMS]
        cases += [(label, term, column, extra, district) for column, term in terms if term in random_terms]

    if args.lists:
        # A subset of the lists (a quicker run of the ones a change concerns); --compare compares
        # the pages both runs have.
        wanted = set(args.lists.split(","))
        cases = [case for case in cases if case[0] in wanted]
    results = []
    for i, (label, term, column, extra, district) in enumerate(cases):
        who = limited_client if district else client
        base = f"/review/projects/?q={quote(term)}{extra}"
        first = page(base, term, who)
        second = page(f"/review/projects/?{first['next']}", term, who) if first["next"] else None
        results.append({"column": label, "term": term, "source": column, "page1": first, "page2": second})
        worst = max(first["db_ms"], second["db_ms"] if second else 0.0)
        print(f"{i + 1:4d} {label} {term!r}: {worst:.2f} ms {first['info']}", flush=True)
    Path(args.out).write_text(json.dumps({"terms": results}, ensure_ascii=False, indent=1))

    by_column: dict[str, list[float]] = {}
    for r in results:
        by_column.setdefault(r["column"], []).append(r["page1"]["db_ms"])
        if r["page2"]:
            by_column.setdefault(f"{r['column']} 下一页", []).append(r["page2"]["db_ms"])
    print("\n| column | terms | p50 ms | p95 ms | max ms | over 10 ms |\n|---|---:|---:|---:|---:|---:|")
    for column, values in by_column.items():
        values.sort()
        p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
        over = sum(v > GOAL_MS for v in values)
        print(f"| {column} | {len(values)} | {statistics.median(values):.2f} | {p95:.2f} | {values[-1]:.2f} | {over} |")
    slow = sorted(results, key=lambda r: -r["page1"]["db_ms"])[:8]
    print("\nslowest:", ", ".join(f"{r['column']} {r['term']!r} {r['page1']['db_ms']:.1f} ms" for r in slow))

    if args.compare:
        before = {(r["column"], r["term"]): r for r in json.loads(Path(args.compare).read_text())["terms"]}
        differ = []
        for r in results:
            b = before.get((r["column"], r["term"]))
            if b is None:
                continue
            for key in ("page1", "page2"):
                mine, theirs = r[key], b[key]
                if (mine is None) != (theirs is None) or (
                    mine and (mine["rows"], mine["info"]) != (theirs["rows"], theirs["info"])  # type: ignore[index]
                ):
                    differ.append(f"{r['column']} {r['term']!r} {key}")
        print(f"\ncompared with {args.compare}: {len(differ)} pages differ", *differ[:20], sep="\n  ")
        return 1 if differ else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
