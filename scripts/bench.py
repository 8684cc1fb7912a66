"""Benchmark the app as production runs it: gunicorn, several workers, PostgreSQL, production settings.

Usage: .venv/bin/python scripts/bench.py [--requests N] [--concurrency C] ...   (or `make bench`)

Each run creates a throw-away PostgreSQL database, migrates and seeds it, starts gunicorn on a free
loopback port, measures every target in TARGETS against that one server, prints a table and appends
it to docs/benchmarks/bench.md. Exits non-zero if any request of any target failed.
See docs/benchmarks/README.md for how to read the numbers.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from math import ceil
from pathlib import Path
from urllib.parse import quote

from benchlib import (
    ROOT,
    admin_connect,
    analyze,
    bench_envs,
    cpu_model,
    create_sessions,
    django_snippet,
    drop_database,
    fetch,
    git_commit,
    manage,
    markdown_table,
    ms,
    ratio,
    start_gunicorn,
    stop,
    text_table,
    wait_healthy,
)
from psycopg import sql

ENTERPRISE_USERNAME = "91320507MA1XWL000C"  # seed_demo's enterprise (README: demo accounts)
REVIEWER_USERNAME = "shenhe"  # seed_demo's reviewer
REVIEW_QUEUE = 200  # other enterprises, each with a 基本信息 declared and waiting for review
FRESH_SHEETS = 10  # approved submissions whose sheet is printed for the first time, one request each


@dataclass(frozen=True)
class Target:
    """One page to measure.

    `marker` must appear in every response body (str is matched as UTF-8, bytes as is; with
    `marker_at_start` the body must start with it), so that a redirect to the login page or an
    error page that still answers 200 cannot pass as a fast page. With `auth`, requests are sent
    logged in as `user` (one session per client).

    Hook for pages that need data: `setup` is Python run by `manage.py shell -c` under local
    settings against the bench database (and the server's LAOWU_DATA_DIR, so stored files are
    served) after seed_demo and before the server starts; BENCH_WORKERS in its environment is the
    number of gunicorn workers. Every stdout line it prints as `BENCH key=value` fills `{key}` in
    `path` and `user` of every target, e.g.
        setup="p = make_project(...); print(f'BENCH project_id={p.pk}')",
        path="/w/enterprise/projects/{project_id}/",

    `each` measures first requests instead (e.g. a PDF before it is cached): it names a BENCH key
    whose value is a JSON list of objects, each filling `{key}`s in `path` and `user` for one page
    that is requested exactly once. The first BENCH_WORKERS pages are requested concurrently and
    not measured (they pay each worker's one-off costs, such as loading fonts), then the rest one
    at a time on an otherwise idle server.

    `requests` lowers the measured requests of a slow page below --requests (which still applies
    when smaller), so that the whole run stays within a few minutes.
    """

    name: str
    path: str
    auth: bool
    marker: str | bytes
    setup: str | None = None
    user: str = ENTERPRISE_USERNAME
    marker_at_start: bool = False
    each: str | None = None
    requests: int | None = None

    @property
    def marker_bytes(self) -> bytes:
        return self.marker if isinstance(self.marker, bytes) else self.marker.encode()


# Setup snippets build their data through the app's services (and the test factories that use
# them), so the records are in the states the app itself produces. Enterprise accounts beyond the
# demo one get no password: nobody logs in with it, and hashing 200 would cost ~20 s.
SEED_HELPERS = """
import json, os
from laowu.accounts.models import Role, User
from laowu.accounts.services import default_district
from laowu.enterprises.models import Enterprise
from laowu.review.services import approve, declare
from tests.factories import complete_basic_info, make_credit_code, make_mobile

def declared_enterprise(n):
    code = make_credit_code(n)
    enterprise = Enterprise.objects.create(
        name=f"苏州相城基准{n}号建筑劳务有限公司", credit_code=code, district=default_district(),
        contact_name="王五", contact_phone=make_mobile(n),
    )
    user = User(username=code, role=Role.ENTERPRISE, enterprise=enterprise, display_name="王五", phone=make_mobile(n))
    user.set_unusable_password()
    user.save()
    return user, declare(filing=complete_basic_info(enterprise, actor=user), actor=user)
"""

# The demo enterprise's 基本信息: every field filled, the 3 required attachments uploaded, declared
# and approved — the state most records live in, and the one that has a sheet to print.
SETUP_DEMO_BASIC_INFO = (
    SEED_HELPERS
    + f"""
reviewer = User.objects.get(username={REVIEWER_USERNAME!r})
owner = User.objects.get(username={ENTERPRISE_USERNAME!r})
submission = declare(filing=complete_basic_info(owner.enterprise, actor=owner), actor=owner)
print(f"BENCH demo_sheet={{approve(submission=submission, actor=reviewer).pk}}")
"""
)

SETUP_REVIEW_QUEUE = (
    SEED_HELPERS
    + f"""
for n in range({REVIEW_QUEUE}):
    declared_enterprise(n)
"""
)

SETUP_FRESH_SHEETS = (
    SEED_HELPERS
    + f"""
reviewer = User.objects.get(username={REVIEWER_USERNAME!r})
pages = []
for n in range({REVIEW_QUEUE}, {REVIEW_QUEUE + FRESH_SHEETS} + int(os.environ["BENCH_WORKERS"])):
    user, submission = declared_enterprise(n)
    pages.append({{"user": user.username, "sheet": approve(submission=submission, actor=reviewer).pk}})
print("BENCH fresh_sheets=" + json.dumps(pages))
"""
)

PEOPLE = 10_000  # rows in each of the 安全员 and 劳资专管员 tables, spread over the enterprises
PEOPLE_DEMO = 300  # of them the demo enterprise's: its lists paginate (20 a page)
PEOPLE_ENTERPRISES = 150  # other enterprises holding the rest
PEOPLE_SEARCH = "王"  # committee search: the commonest surname, ~1 in 8 of the seeded names
CATALOGUE = 100_000  # 省合同归集 contracts in the catalogue
CATALOGUE_DEMO = 500  # of them subcontracted to the demo enterprise: what its picker offers
PROJECTS_DEMO = 200  # the demo enterprise's project filings, straight from its catalogue contracts
PICKER_SEARCH = "住宅"  # picker search: matches ~1 in 8 project names
# Measured requests of the list pages over that volume (not --requests: at 30-100 req/s, 2000 each
# would take the default run past 6 minutes on 2 cores).
LIST_REQUESTS = 1000


def constants(**values: object) -> str:
    """Snippet lines binding names to this file's values (keeps the snippets plain strings, no {{ }})."""
    return "".join(f"{name} = {value!r}\n" for name, value in values.items())


# Benchmark volume, bulk-created: the list pages only read these rows, so they are built straight
# in the states the workflow leaves them in (approved/declared rows without their Submission, the
# list pages never follow it) — going through the services for 20,000 people would take minutes.
# Every 身份证号 is valid and unique, active people hold their PersonClaim, as the app would have it.
SETUP_PEOPLE = (
    constants(
        ENTERPRISE=ENTERPRISE_USERNAME,
        REVIEWER=REVIEWER_USERNAME,
        PEOPLE=PEOPLE,
        PEOPLE_DEMO=PEOPLE_DEMO,
        PEOPLE_ENTERPRISES=PEOPLE_ENTERPRISES,
        PEOPLE_SEARCH=PEOPLE_SEARCH,
    )
    + """
import datetime as dt, random
from django.utils import timezone
from laowu.accounts.models import User
from laowu.accounts.services import default_district
from laowu.core.validators import id_number_check_char
from laowu.enterprises.models import Enterprise
from laowu.personnel.models import PersonClaim, SafetyOfficer, WageManager
from laowu.personnel.selectors import person_list
from laowu.review.models import State
from tests.factories import make_credit_code

rng = random.Random(2026)
demo = Enterprise.objects.get(credit_code=ENTERPRISE)
district = default_district()
others = Enterprise.objects.bulk_create(
    Enterprise(
        name=f"苏州相城人员基准{n}号建筑劳务有限公司", credit_code=make_credit_code(100_000 + n),
        district=district, contact_name="赵六", contact_phone=f"135{n:08d}",
    )
    for n in range(PEOPLE_ENTERPRISES)
)
SURNAMES = dict(zip("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐", (
    71, 70, 67, 54, 45, 31, 21, 20, 19, 19, 16, 15, 14, 13, 13, 11, 11, 10, 10, 9, 8, 7, 7, 6, 6)))
GIVEN = "建国华明军平志伟强磊洋勇杰涛超斌鹏辉刚健峰兵文红霞芳敏静丽燕娟秀英玲海林春"
REGIONS = ("320507", "320505", "320581", "320585", "341222", "342201", "412726", "511623", "362430", "371326")
STATES = {State.APPROVED: 70, State.DECLARED: 8, State.DRAFT: 7, State.REJECTED: 5, State.DEREGISTERED: 10}
EDUCATION = ("初中及以下", "高中/中专", "大专", "本科", "研究生")
used = set()

def id_number():
    while True:
        birth = dt.date(1962, 1, 1) + dt.timedelta(days=rng.randrange(38 * 365))
        first17 = f"{rng.choice(REGIONS)}{birth:%Y%m%d}{rng.randrange(1000):03d}"
        if first17 not in used:
            used.add(first17)
            return first17 + id_number_check_char(first17)

def person(model, n, enterprise):
    number = id_number()
    state = rng.choices(list(STATES), weights=list(STATES.values()))[0]
    year = rng.randrange(2016, 2026)
    issued = dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(360))
    fields = dict(
        enterprise=enterprise, state=state, revision=0 if state == State.DRAFT else rng.choice((1, 1, 1, 2, 3)),
        last_reject_reason="证书扫描件不清晰，请重新上传。" if state == State.REJECTED else "",
        name=rng.choices(list(SURNAMES), weights=list(SURNAMES.values()))[0]
        + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2)))),
        gender="男" if int(number[16]) % 2 else "女", id_number=number,
        mobile=f"1{rng.choice('35789')}{rng.randrange(10**9):09d}", issue_date=issued,
        education=rng.choice(EDUCATION), consent_confirmed_at=timezone.now() - dt.timedelta(days=rng.randrange(900)),
    )
    if model is SafetyOfficer:
        category = rng.choice(("C1", "C2", "C3", "C3"))
        fields.update(
            cert_no=f"苏建安{category}({year}){n:07d}", cert_category=category,
            valid_until=issued + dt.timedelta(days=3 * 365), issuer="江苏省住房和城乡建设厅",
        )
    else:
        fields.update(cert_no=f"LZ{year}-{n:06d}", issuer="苏州市相城区人力资源和社会保障局")
    return model(**fields)

claims = []
for model in (SafetyOfficer, WageManager):
    rows = [person(model, n, demo if n < PEOPLE_DEMO else rng.choice(others)) for n in range(PEOPLE)]
    model.objects.bulk_create(rows, batch_size=2000)
    claims += [
        PersonClaim(id_index=p.id_index_now(), enterprise=p.enterprise)
        for p in rows if p.state in (State.APPROVED, State.DECLARED)
    ]
PersonClaim.objects.bulk_create(claims, batch_size=2000)
# The measured pages must list rows, not an empty table that also carries the marker.
reviewer = User.objects.get(username=REVIEWER)
found = person_list(user=reviewer, model=SafetyOfficer, q=PEOPLE_SEARCH).count()
assert found > 20, found
print(f"people: {2 * PEOPLE} seeded, the committee search finds {found} 安全员")
"""
)

# 100,000 catalogue contracts (as an import of the province's export would leave them) and the demo
# enterprise's 200 project filings, bulk-created like the people above.
SETUP_PROJECTS = (
    constants(
        ENTERPRISE=ENTERPRISE_USERNAME,
        CATALOGUE=CATALOGUE,
        CATALOGUE_DEMO=CATALOGUE_DEMO,
        PROJECTS_DEMO=PROJECTS_DEMO,
    )
    + """
import datetime as dt, random
from decimal import Decimal
from django.utils import timezone
from laowu.contracts.models import CATALOGUE_FIELDS, CatalogueContract, ProjectFiling
from laowu.enterprises.models import Enterprise
from laowu.review.models import State
from tests.factories import make_credit_code

rng = random.Random(2027)
demo = Enterprise.objects.get(credit_code=ENTERPRISE)
today = timezone.localdate()
TOWNS = (
    "元和街道", "黄桥街道", "北河泾街道", "太平街道", "北桥街道", "漕湖街道", "渭塘镇", "黄埭镇", "望亭镇", "阳澄湖镇",
)
KINDS = ("住宅", "商业综合体", "安置房", "学校", "厂房", "道路改造", "医院", "办公楼")
BUILDERS = (
    "苏州相城城市建设投资有限公司", "苏州市相城区教育局", "苏州高铁新城建设发展有限公司", "苏州阳澄湖旅游发展有限公司",
    "苏州相城经济技术开发区管委会", "苏州市相城区人民医院", "苏州漕湖置业有限公司", "苏州望亭发展集团有限公司",
)
CONTRACTORS = (
    "中建八局第三建设有限公司", "中亿丰建设集团股份有限公司", "苏州第一建筑集团有限公司",
    "江苏南通三建集团股份有限公司", "中铁十局集团有限公司", "苏州金螳螂建筑装饰股份有限公司",
    "江苏省苏中建设集团股份有限公司", "中国建筑第二工程局有限公司",
)
SUBCONTRACTORS = [(f"苏州基准{k}号劳务有限公司", make_credit_code(200_000 + k)) for k in range(3000)]
demo_rows = set(rng.sample(range(CATALOGUE), CATALOGUE_DEMO))

def contract(n):
    signed = today - dt.timedelta(days=rng.randrange(7 * 365))
    start = signed + dt.timedelta(days=rng.randrange(7, 60))
    name, code = (demo.name, demo.credit_code) if n in demo_rows else rng.choice(SUBCONTRACTORS)
    return CatalogueContract(
        project_code=f"320507{signed.year}{n:07d}",
        project_name=f"相城区{rng.choice(TOWNS)}{rng.randrange(1, 80)}号地块{rng.choice(KINDS)}项目",
        project_location=f"苏州市相城区{rng.choice(TOWNS)}",
        builder=rng.choice(BUILDERS), general_contractor=rng.choice(CONTRACTORS),
        contract_no=f"LWFB-{signed.year}-{n:06d}", subcontractor=name, subcontractor_credit_code=code,
        amount=Decimal(rng.randrange(500_000, 50_000_000)).scaleb(-4),
        signed_date=signed, planned_start=start, planned_end=start + dt.timedelta(days=rng.randrange(180, 900)),
    )

for chunk in range(0, CATALOGUE, 10_000):
    rows = [contract(n) for n in range(chunk, min(chunk + 10_000, CATALOGUE))]
    CatalogueContract.objects.bulk_create(rows, batch_size=2000)
STATES = {State.APPROVED: 60, State.DECLARED: 15, State.DRAFT: 15, State.REJECTED: 10}
own = list(CatalogueContract.objects.filter(subcontractor_credit_code=demo.credit_code).order_by("pk"))
filings = []
for c in rng.sample(own, PROJECTS_DEMO):
    state = rng.choices(list(STATES), weights=list(STATES.values()))[0]
    filings.append(ProjectFiling(
        enterprise=demo, catalogue=c, state=state, revision=0 if state == State.DRAFT else 1,
        last_reject_reason="劳务分包合同缺少签字页。" if state == State.REJECTED else "",
        site_manager=rng.choice(("刘建华", "陈志强", "周海林", "吴国平")), site_manager_phone="13911112222",
        planned_workers=rng.randrange(20, 400), **{name: getattr(c, name) for name in CATALOGUE_FIELDS},
    ))
ProjectFiling.objects.bulk_create(filings)
"""
)

# Project sheets to print: like the 基本信息 sheets above, through the real workflow — the approved
# 安全员/劳资专管员 they name, a contract chosen in the picker, the 劳务分包合同 uploaded, declared, approved.
SETUP_PROJECT_SHEETS = (
    SEED_HELPERS
    + constants(
        ENTERPRISE=ENTERPRISE_USERNAME,
        REVIEWER=REVIEWER_USERNAME,
        PICKER_SEARCH=PICKER_SEARCH,
        FRESH_SHEETS=FRESH_SHEETS,
    )
    + """
from django.core.files.uploadedfile import SimpleUploadedFile
from laowu.contracts.models import available_catalogue
from laowu.contracts.services import select_contract
from laowu.contracts.views import PICKER_PAGE_SIZE
from laowu.documents.services import add_attachment
from laowu.personnel.models import SafetyOfficer, WageManager
from laowu.review.services import save_fields
from tests.factories import approved_person, make_pdf_bytes

reviewer = User.objects.get(username=REVIEWER)
owner = User.objects.get(username=ENTERPRISE)
# 身份证号 from a region the bulk-created people don't use, so no claim collides.
officer = approved_person(SafetyOfficer, owner, reviewer, id_number="11010519491231002X", name="孙安")
manager = approved_person(WageManager, owner, reviewer, id_number="110101199003074477", name="钱劳")

def approved_project(contract):
    filing = select_contract(enterprise=owner.enterprise, catalogue_id=contract.pk, actor=owner)
    data = dict(
        site_manager="刘建华", site_manager_phone="13911112222", planned_workers=120,
        safety_officer=officer, wage_manager=manager,
    )
    filing = save_fields(filing=filing, data=data, actor=owner)
    upload = SimpleUploadedFile("劳务分包合同.pdf", make_pdf_bytes(f"subcontract-{filing.pk}"), "application/pdf")
    add_attachment(filing=filing, kind="subcontract", upload=upload, actor=owner)
    return approve(submission=declare(filing=filing, actor=owner), actor=reviewer).pk

offered = available_catalogue(owner.enterprise.credit_code)
contracts = list(offered.order_by("pk")[: FRESH_SHEETS + int(os.environ["BENCH_WORKERS"]) + 1])
print(f"BENCH project_sheet={approved_project(contracts.pop())}")
print("BENCH fresh_project_sheets=" + json.dumps([{"sheet": approved_project(c)} for c in contracts]))
found = offered.filter(project_name__contains=PICKER_SEARCH).count()
assert found > PICKER_PAGE_SIZE, found
print(f"picker: {offered.count()} contracts offered, the search finds {found}")
"""
)

# The first target is the floor every other one is compared with: it goes through gunicorn and
# the whole middleware stack but touches neither the database nor a template, so a page's ratio to
# it is what the page itself costs.
TARGETS: list[Target] = [
    Target("healthz (floor)", "/healthz", auth=False, marker="ok"),
    Target("login page", "/accounts/login/", auth=False, marker="用户登录"),
    Target("enterprise home", "/", auth=True, marker="苏州相城鑫达建筑劳务有限公司"),
    Target(
        "enterprise basic info",
        "/enterprise/basic-info/",
        auth=True,
        marker="<h1>基本信息归集</h1>",
        setup=SETUP_DEMO_BASIC_INFO,
    ),
    Target(
        "review queue",
        "/review/",
        auth=True,
        user=REVIEWER_USERNAME,
        # The count checks the queue really holds the seeded submissions.
        marker=f"<h1>待审核（{REVIEW_QUEUE}）</h1>",
        setup=SETUP_REVIEW_QUEUE,
    ),
    Target(
        "sheet PDF (first render)",
        "/print/{sheet}/",
        auth=True,
        user="{user}",
        marker=b"%PDF-",
        marker_at_start=True,
        each="fresh_sheets",
        setup=SETUP_FRESH_SHEETS,
    ),
    Target("sheet PDF (cached)", "/print/{demo_sheet}/", auth=True, marker=b"%PDF-", marker_at_start=True),
    Target(
        "safety officers",
        "/enterprise/personnel/safety/",
        auth=True,
        marker="<h1>安全员归集</h1>",
        setup=SETUP_PEOPLE,
        requests=LIST_REQUESTS,
    ),
    Target(
        "wage managers",
        "/enterprise/personnel/wage/",
        auth=True,
        marker="<h1>劳资专管员归集</h1>",
        requests=LIST_REQUESTS,
    ),
    Target(
        "committee safety officers",
        "/review/personnel/safety/",
        auth=True,
        user=REVIEWER_USERNAME,
        marker="<h1>安全员（全部企业）</h1>",
        requests=LIST_REQUESTS,
    ),
    Target(
        "committee safety search",
        f"/review/personnel/safety/?q={quote(PEOPLE_SEARCH)}",
        auth=True,
        user=REVIEWER_USERNAME,
        marker="<h1>安全员（全部企业）</h1>",
        requests=LIST_REQUESTS,
    ),
    Target(
        "projects",
        "/enterprise/projects/",
        auth=True,
        marker="<h1>项目信息归集</h1>",
        setup=SETUP_PROJECTS,
        requests=LIST_REQUESTS,
    ),
    Target(
        "project picker search",
        f"/enterprise/projects/picker/?q={quote(PICKER_SEARCH)}&partial=1",
        auth=True,
        # The button, not just 选择: the empty picker says 没有可选择的合同.
        marker=">选择</button>",
        requests=LIST_REQUESTS,
    ),
    Target(
        "project sheet PDF (first render)",
        "/print/{sheet}/",
        auth=True,
        marker=b"%PDF-",
        marker_at_start=True,
        each="fresh_project_sheets",
        setup=SETUP_PROJECT_SHEETS,
    ),
    Target("project sheet PDF (cached)", "/print/{project_sheet}/", auth=True, marker=b"%PDF-", marker_at_start=True),
    # Committee supervision over the same data: aggregate queries and per-page scoring.
    Target(
        "statistics dashboard",
        "/supervision/statistics/",
        auth=True,
        user=REVIEWER_USERNAME,
        marker="<h1>统计分析</h1>",
        requests=LIST_REQUESTS,
    ),
    Target(
        "credit score list",
        "/supervision/credit/",
        auth=True,
        user=REVIEWER_USERNAME,
        marker="信用评分",
        requests=LIST_REQUESTS,
    ),
    Target("public 不良行为公示", "/gs/", auth=False, marker="不良行为公示", requests=LIST_REQUESTS),
]


# --------------------------------------------------------------------------- load generator


class Budget:
    """Requests left to send, shared by the clients of one target; also bounded by a deadline."""

    def __init__(self, count: int, seconds: float) -> None:
        self._left = count
        self._lock = threading.Lock()
        self.deadline = time.perf_counter() + seconds
        self.timed_out = False

    def take(self) -> bool:
        if time.perf_counter() >= self.deadline:
            self.timed_out = True
            return False
        with self._lock:
            if self._left <= 0:
                return False
            self._left -= 1
            return True


@dataclass
class ClientStats:
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests only
    errors: Counter[str] = field(default_factory=Counter)


def client(port: int, path: str, headers: dict[str, str], target: Target, budget: Budget, stats: ClientStats) -> None:
    marker = target.marker_bytes
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        while budget.take():
            started = time.perf_counter()
            try:
                status, body = fetch(conn, path, headers)
            except (OSError, http.client.HTTPException) as exc:
                stats.errors[type(exc).__name__] += 1
                conn.close()
                continue
            elapsed = time.perf_counter() - started
            if status != 200:
                stats.errors[f"HTTP {status}"] += 1
            elif not (body.startswith(marker) if target.marker_at_start else marker in body):
                stats.errors["marker missing"] += 1
            else:
                stats.latencies.append(elapsed)
    finally:
        conn.close()


@dataclass
class Result:
    target: Target
    path: str
    requests: int
    latencies: list[float]
    errors: Counter[str]
    wall: float
    timed_out: bool

    def pct(self, p: float) -> float:
        """Nearest-rank percentile in ms (NaN when nothing succeeded)."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[max(0, ceil(p / 100 * len(ordered)) - 1)] * 1000

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def rps(self) -> float:
        return (len(self.latencies) + self.error_count) / self.wall if self.wall else 0.0


def load(
    port: int, path: str, headers: list[dict[str, str]], target: Target, requests: int, seconds: float
) -> tuple[list[ClientStats], float, bool]:
    """`requests` GETs from len(headers) concurrent clients, client i sending headers[i]."""
    budget = Budget(requests, seconds)
    stats = [ClientStats() for _ in headers]
    threads = [
        threading.Thread(target=client, args=(port, path, h, target, budget, s), daemon=True)
        for h, s in zip(headers, stats, strict=True)
    ]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return stats, time.perf_counter() - started, budget.timed_out


def request_headers(target: Target, session: str | None) -> dict[str, str]:
    # The session cookie is Secure in production and this is plain HTTP, so a cookie jar would
    # rightly withhold it; sending the header ourselves keeps the production settings untouched.
    return {"Host": "127.0.0.1", **({"Cookie": f"sessionid={session}"} if target.auth and session else {})}


def measure(
    target: Target, path: str, user: str, port: int, sessions: dict[str, list[str]], args: argparse.Namespace
) -> Result:
    # One session per client: SESSION_SAVE_EVERY_REQUEST writes the row on every request, and
    # real users do not share one.
    keys = sessions.get(user, [])
    headers = [request_headers(target, keys[i] if target.auth else None) for i in range(args.concurrency)]
    # Warm-up: fills each worker's persistent DB connection, template cache and lazy imports.
    warm, _, _ = load(port, path, headers, target, args.warmup, args.max_seconds)
    warm_errors = sum((s.errors for s in warm), Counter())
    if warm_errors and not any(s.latencies for s in warm):
        print(f"  every warm-up request failed: {dict(warm_errors)}", flush=True)
    requests = min(args.requests, target.requests or args.requests)
    stats, wall, timed_out = load(port, path, headers, target, requests, args.max_seconds)
    return Result(
        target=target,
        path=path,
        requests=requests,
        latencies=[x for s in stats for x in s.latencies],
        errors=sum((s.errors for s in stats), Counter()),
        wall=wall,
        timed_out=timed_out,
    )


def measure_each(
    target: Target, pages: list[tuple[str, str]], port: int, sessions: dict[str, list[str]], args: argparse.Namespace
) -> Result:
    """One request to each (path, user) page: see Target.each."""
    warm_pages, pages = pages[: args.workers], pages[args.workers :]
    # Concurrent, so that each sync worker (busy with one request at a time) takes one of them.
    warm = [ClientStats() for _ in warm_pages]
    threads = [
        threading.Thread(
            target=client,
            args=(port, path, request_headers(target, sessions[user][0]), target, Budget(1, args.max_seconds), s),
            daemon=True,
        )
        for (path, user), s in zip(warm_pages, warm, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    warm_errors = sum((s.errors for s in warm), Counter())
    if warm_errors:
        print(f"  warm-up errors: {dict(warm_errors)}", flush=True)
    stats = ClientStats()
    deadline = time.perf_counter() + args.max_seconds
    timed_out = False
    started = time.perf_counter()
    for path, user in pages:
        budget = Budget(1, deadline - time.perf_counter())
        client(port, path, request_headers(target, sessions[user][0]), target, budget, stats)
        if budget.timed_out:
            timed_out = True
            break
    return Result(
        target=target,
        path=target.path,
        requests=len(pages),
        latencies=stats.latencies,
        errors=stats.errors,
        wall=time.perf_counter() - started,
        timed_out=timed_out,
    )


# --------------------------------------------------------------------------- report


# Throughput goals as a share of the floor's, measured in the same run (docs/benchmarks/README.md):
# an authenticated page at least a quarter of it, a stored sheet at least half. First renders
# (`each`) are single requests on an idle server, so their req/s is no throughput and has no goal.
PAGE_SHARE_GOAL = 0.25
CACHED_SHEET_SHARE_GOAL = 0.50


def share_goal(target: Target) -> float | None:
    if target.each is not None or not target.auth:
        return None
    return CACHED_SHEET_SHARE_GOAL if "(cached)" in target.name else PAGE_SHARE_GOAL


def table(results: list[Result]) -> list[list[str]]:
    floor = results[0]
    rows = [
        [
            "target",
            "path",
            "ok",
            "errors",
            "req/s",
            "share of floor",
            "goal",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "p50/floor",
            "p95/floor",
        ]
    ]
    for r in results:
        share = r.rps / floor.rps if floor.rps else float("nan")
        goal = share_goal(r.target)
        verdict = "—" if goal is None else f"≥ {goal:.0%} " + ("✅" if share >= goal else "❌")
        rows.append(
            [
                r.target.name,
                r.path,
                f"{len(r.latencies)}" + ("*" if r.timed_out else ""),
                str(r.error_count),
                f"{r.rps:.0f}",
                f"{share:.1%}",
                verdict,
                ms(r.pct(50)),
                ms(r.pct(95)),
                ms(r.pct(99)),
                ratio(r.pct(50), floor.pct(50)),
                ratio(r.pct(95), floor.pct(95)),
            ]
        )
    return rows


# --------------------------------------------------------------------------- main


def parse_args() -> argparse.Namespace:
    cores = len(os.sched_getaffinity(0))
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--requests", type=int, default=2000, help="measured requests per target (default 2000)")
    p.add_argument("--concurrency", type=int, default=8, help="concurrent clients (default 8)")
    p.add_argument("--warmup", type=int, default=200, help="unmeasured requests per target first (default 200)")
    p.add_argument("--max-seconds", type=float, default=60, help="time limit per target and phase (default 60)")
    p.add_argument("--workers", type=int, default=2 * cores, help=f"gunicorn workers (default 2×cores = {2 * cores})")
    p.add_argument("--threads", type=int, default=1, help="threads per worker; >1 uses gthread workers (default 1)")
    p.add_argument(
        "--pg",
        default=os.environ.get("LAOWU_BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432"),
        help="PostgreSQL server URL, no database (default postgres://postgres@127.0.0.1:5432)",
    )
    p.add_argument("--database", default="laowu_bench", help="database dropped and recreated (default laowu_bench)")
    p.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks" / "bench.md", help="Markdown log")
    args = p.parse_args()
    if min(args.requests, args.concurrency, args.workers, args.threads) < 1 or args.warmup < 0:
        p.error("counts must be positive")
    return args


def append_report(
    output: Path, rows: list[list[str]], args: argparse.Namespace, server_kind: str, pg_version: str, timed_out: bool
) -> None:
    stamp = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %z")
    lines = [
        f"## {stamp} — {git_commit()}",
        "",
        f"- machine: {len(os.sched_getaffinity(0))} CPUs ({cpu_model()}), Python {platform.python_version()}, "
        f"PostgreSQL {pg_version.split()[0]}",
        f"- server: {server_kind}, production settings, DB sessions",
        f"- client: {args.concurrency} concurrent clients (Python threads on the same machine), "
        f"{args.requests} requests per target (or fewer: see `ok`) after {args.warmup} warm-up",
        "",
        markdown_table(rows),
    ]
    if timed_out:
        lines += ["", f"\\* stopped by the {args.max_seconds:g}s time limit"]
    if not output.exists():
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(
            "# Benchmarks\n\nAppended by `make bench` (scripts/bench.py); README.md here says how to read them.\n"
        )
    with output.open("a") as f:
        f.write("\n" + "\n".join(lines) + "\n")


def main() -> int:
    args = parse_args()
    # A plain `kill` must also stop gunicorn and drop the database: turn it into an exception
    # so the finally below runs, as it does for Ctrl-C.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    admin = admin_connect(args.pg)
    pg_version = admin.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
    tmp = Path(tempfile.mkdtemp(prefix="laowu-bench-"))
    # Static files, uploads, SMS outbox: nothing lands in var/. Seeding (local settings) and gunicorn
    # (production ones) share the uploads in that one directory.
    local_env, prod_env = bench_envs(f"{args.pg.rstrip('/')}/{args.database}", tmp, BENCH_WORKERS=str(args.workers))
    server: subprocess.Popen[bytes] | None = None
    log_path = tmp / "gunicorn.log"
    failed = True
    try:
        drop_database(admin, args.database)
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(args.database)))
        print(f"database {args.database}: migrate, seed_demo", flush=True)
        manage(local_env, "migrate", "--noinput")
        manage(local_env, "seed_demo")
        values: dict[str, str] = {}
        for target in TARGETS:
            if target.setup:
                print(f"setup for {target.name}", flush=True)
                values.update(django_snippet(local_env, target.setup))
        analyze(args.pg, args.database)
        # Per target: the (path, user) of each page it requests; one page unless `each`.
        pages = [
            [
                (t.path.format_map({**values, **item}), t.user.format_map({**values, **item}))
                for item in (json.loads(values[t.each]) if t.each else [{}])
            ]
            for t in TARGETS
        ]
        wanted: Counter[str] = Counter()
        for t, target_pages in zip(TARGETS, pages, strict=True):
            if t.auth:
                for _, user in target_pages:
                    wanted[user] = max(wanted[user], 1 if t.each else args.concurrency)
        session_keys = create_sessions(prod_env, dict(wanted))
        manage(prod_env, "collectstatic", "--noinput")

        server, port, server_kind = start_gunicorn(prod_env, args, log_path)
        wait_healthy(server, port)
        results = []
        for target, target_pages in zip(TARGETS, pages, strict=True):
            if target.each:
                print(f"measuring {target.name} ({target.path}, {len(target_pages)} pages) …", flush=True)
                results.append(measure_each(target, target_pages, port, session_keys, args))
            else:
                path, user = target_pages[0]
                print(f"measuring {target.name} ({path}) …", flush=True)
                results.append(measure(target, path, user, port, session_keys, args))

        rows = table(results)
        timed_out = any(r.timed_out for r in results)
        print("\n" + text_table(rows))
        for r in results:
            if r.errors:
                print(f"errors on {r.path}: {dict(r.errors)}")
        if timed_out:
            print(f"* stopped by the {args.max_seconds:g}s time limit before all their requests")
        append_report(args.output, rows, args, server_kind, pg_version, timed_out)
        print(f"\nappended to {args.output}")
        failed = any(r.error_count for r in results)
    finally:
        if server is not None:
            stop(server)
        if failed and log_path.exists():
            print("--- gunicorn log (last 40 lines) ---", file=sys.stderr)
            print("\n".join(log_path.read_text(errors="replace").splitlines()[-40:]), file=sys.stderr)
        try:
            drop_database(admin, args.database)
        finally:
            admin.close()
            shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
