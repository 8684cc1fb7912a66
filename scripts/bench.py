"""Benchmark the app as production runs it: gunicorn, several workers, PostgreSQL, production settings.

Usage: .venv/bin/python scripts/bench.py [--requests N] [--concurrency C] ...   (or `make bench`)
       .venv/bin/python scripts/bench.py --baseline REV ...               (or `make bench BASELINE=REV`)

Each run creates a throw-away PostgreSQL database, migrates and seeds it, starts gunicorn on a free
loopback port, measures every target in TARGETS against that one server — throughput, latency and
the CPU per request of gunicorn, PostgreSQL and this driver — prints a table and appends it to
docs/benchmarks/bench.md. With --baseline, commit REV gets its own database and gunicorn too, and
each target is measured on both alternately and compared. Exits non-zero if any request of any
target failed.
See docs/benchmarks/README.md for how to read the numbers.
"""

from __future__ import annotations

import argparse
import contextlib
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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from math import ceil, isnan
from pathlib import Path
from urllib.parse import quote

import psycopg
from benchlib import (
    ROOT,
    CpuMeter,
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
    pg_kwargs,
    ratio,
    run,
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
    _, submission = declared_enterprise(n)
print(f"BENCH review_submission={{submission.pk}}")
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

BAD_BEHAVIOUR_DEMO = 30  # the demo enterprise's published 不良行为记录: its own list paginates
REMOVALS_DEMO = 25  # of them with a 提前移出申请 awaiting the committee: that list paginates too

# The demo enterprise's 不良行为记录, each with a person (a sealed ID number the lists never show),
# recorded and published through the services; most, their publicity moved back 4 months (as time
# would), with an application to remove them early, its evidence uploaded and submitted.
SETUP_BAD_BEHAVIOUR = (
    SEED_HELPERS
    + f"""
import datetime as dt
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from laowu.documents.services import add_attachment
from laowu.supervision import bad_behaviour as bb
from laowu.supervision.models import BadBehaviour
from tests.factories import make_id_number, make_pdf_bytes

reviewer = User.objects.get(username={REVIEWER_USERNAME!r})
owner = User.objects.get(username={ENTERPRISE_USERNAME!r})
today = timezone.localdate()
for n in range({BAD_BEHAVIOUR_DEMO}):
    rec = bb.create_record(enterprise=owner.enterprise, actor=reviewer, data=dict(
        person_name="张三丰", person_id_number=make_id_number(), grade="ABC"[n % 3], category="wage_arrears",
        facts="拖欠农民工工资", legal_basis="《保障农民工工资支付条例》", decision_no=f"相劳专〔2026〕基准{{n}}号",
        decision_date=today, points=n % 10 + 1, issuer=bb.DEFAULT_ISSUER,
        publicity_start=today, publicity_end=today + dt.timedelta(days=400),
    ))
    rec = bb.publish(rec=rec, actor=reviewer)
    if n < {REMOVALS_DEMO}:
        BadBehaviour.objects.filter(pk=rec.pk).update(
            publicity_start=today - dt.timedelta(days=125), publicity_end=today + dt.timedelta(days=275)
        )
        application = bb.create_removal(rec=rec, rectification="已全额支付拖欠工资并完成整改。" * 5, actor=owner)
        pdf = make_pdf_bytes(f"evidence {{n}}")
        upload = SimpleUploadedFile(f"evidence{{n}}.pdf", pdf, content_type="application/pdf")
        add_attachment(filing=application, kind="evidence", upload=upload, actor=owner)
        bb.submit_removal(application=application, actor=owner)
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
# The edit page of one of the demo enterprise's approved 安全员: the state most of them are in.
officer = SafetyOfficer.objects.filter(enterprise=demo, state=State.APPROVED).order_by("pk").first()
print(f"BENCH person_id={officer.pk}")
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
        "review page",
        "/review/submissions/{review_submission}/",
        auth=True,
        user=REVIEWER_USERNAME,
        # A pending 基本信息 with its contact's phone: the reviewer sees it in full, audited.
        marker="<h2>申报内容</h2>",
    ),
    Target("enterprise 站内消息", "/enterprise/messages/", auth=True, marker="<h1>站内消息"),
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
        "person edit",
        "/enterprise/personnel/safety/{person_id}/",
        auth=True,
        marker="<h2>安全员信息</h2>",
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
    Target(
        "committee 不良行为记录",
        "/supervision/bad-behaviour/",
        auth=True,
        user=REVIEWER_USERNAME,
        marker="<h1>不良行为记录</h1>",
        requests=LIST_REQUESTS,
    ),
    Target(
        "enterprise 不良行为记录",
        "/supervision/bad-behaviour/",
        auth=True,
        marker="<h1>本企业不良行为记录</h1>",
        setup=SETUP_BAD_BEHAVIOUR,
        requests=LIST_REQUESTS,
    ),
    Target(
        "committee 提前移出申请",
        "/supervision/bad-behaviour/removals/",
        auth=True,
        user=REVIEWER_USERNAME,
        marker="<th>最早可移出</th>",
        requests=LIST_REQUESTS,
    ),
    Target(
        "committee 证照到期提醒",
        "/supervision/expiry/",
        auth=True,
        user=REVIEWER_USERNAME,
        marker="<h1>证照到期提醒（辖区企业）</h1>",
        requests=LIST_REQUESTS,
    ),
    Target(
        "committee 企业列表",
        "/review/enterprises/",
        auth=True,
        user=REVIEWER_USERNAME,
        marker="<h1>企业列表</h1>",
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
    # CPU seconds over the measured requests: CpuMeter.stop_seconds() of each measured window, summed.
    cpu: dict[str, float] = field(default_factory=dict)

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
    def sent(self) -> int:
        return len(self.latencies) + self.error_count

    @property
    def rps(self) -> float:
        return self.sent / self.wall if self.wall else 0.0

    def cpu_ms(self, who: str) -> float:
        """CPU milliseconds per request (sent, failed ones included) of driver, gunicorn or postgres."""
        return self.cpu[who] / self.sent * 1000 if self.sent and who in self.cpu else float("nan")

    def __add__(self, other: Result) -> Result:
        """Both halves of a target measured in alternation, as one result."""
        return Result(
            target=self.target,
            path=self.path,
            requests=self.requests + other.requests,
            latencies=self.latencies + other.latencies,
            errors=self.errors + other.errors,
            wall=self.wall + other.wall,
            timed_out=self.timed_out or other.timed_out,
            cpu={k: self.cpu.get(k, 0.0) + other.cpu.get(k, 0.0) for k in self.cpu.keys() | other.cpu.keys()},
        )


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


@dataclass
class Side:
    """One server under test: the current checkout, or (--baseline) an exported copy of another
    commit, with its own database, data directory, keys and gunicorn."""

    label: str  # "current" or "baseline"
    root: Path  # the code it runs: manage.py and gunicorn start here
    commit: str
    database: str
    data_dir: Path
    local_env: dict[str, str] = field(default_factory=dict)
    prod_env: dict[str, str] = field(default_factory=dict)
    # Per target: the (path, user) of each page it requests (one page unless `each`), or None
    # when the target cannot be measured on this side (`not_comparable` says why).
    pages: list[list[tuple[str, str]] | None] = field(default_factory=list)
    not_comparable: dict[str, str] = field(default_factory=dict)
    sessions: dict[str, list[str]] = field(default_factory=dict)
    server: subprocess.Popen[bytes] | None = None
    port: int = 0
    kind: str = ""
    # Connection (to the maintenance database) that lists this side's backends for the CPU meter.
    meter_conn: psycopg.Connection | None = None

    @property
    def log_path(self) -> Path:
        return self.data_dir / "gunicorn.log"

    def backends(self) -> set[int]:
        """PostgreSQL backends connected to this side's database: its share of PostgreSQL's CPU,
        without the other databases a shared server runs (and the other side's)."""
        assert self.meter_conn is not None
        query = "SELECT pid FROM pg_stat_activity WHERE datname = %s"
        return {pid for (pid,) in self.meter_conn.execute(query, [self.database])}


def metered(side: Side, work: Callable[[], Result]) -> Result:
    """Run one measured window, with the CPU of the side's gunicorn tree, its database's backends
    and this driver process over it."""
    assert side.server is not None
    meter = CpuMeter(side.server.pid, pg_pids=side.backends)
    meter.start()
    try:
        result = work()
    finally:
        used = meter.stop_seconds()
    result.cpu = used
    return result


def warm_up(target: Target, path: str, user: str, side: Side, args: argparse.Namespace) -> None:
    """Fills each worker's persistent DB connection, template cache and lazy imports."""
    warm, _, _ = load(side.port, path, client_headers(target, user, side, args), target, args.warmup, args.max_seconds)
    warm_errors = sum((s.errors for s in warm), Counter())
    if warm_errors and not any(s.latencies for s in warm):
        print(f"  every warm-up request failed ({side.label}): {dict(warm_errors)}", flush=True)


def client_headers(target: Target, user: str, side: Side, args: argparse.Namespace) -> list[dict[str, str]]:
    # One session per client: SESSION_SAVE_EVERY_REQUEST writes the row on every request, and
    # real users do not share one.
    keys = side.sessions.get(user, [])
    return [request_headers(target, keys[i] if target.auth else None) for i in range(args.concurrency)]


def measure(
    target: Target, path: str, user: str, side: Side, args: argparse.Namespace, requests: int, seconds: float
) -> Result:
    """`requests` measured requests from --concurrency clients (after warm_up)."""
    stats, wall, timed_out = load(side.port, path, client_headers(target, user, side, args), target, requests, seconds)
    return Result(
        target=target,
        path=path,
        requests=requests,
        latencies=[x for s in stats for x in s.latencies],
        errors=sum((s.errors for s in stats), Counter()),
        wall=wall,
        timed_out=timed_out,
    )


def warm_up_each(target: Target, pages: list[tuple[str, str]], side: Side, args: argparse.Namespace) -> None:
    """The first --workers pages of an `each` target, concurrently and unmeasured: see Target.each."""
    # Concurrent, so that each sync worker (busy with one request at a time) takes one of them.
    warm = [ClientStats() for _ in pages]
    threads = [
        threading.Thread(
            target=client,
            args=(
                side.port,
                path,
                request_headers(target, side.sessions[user][0]),
                target,
                Budget(1, args.max_seconds),
                s,
            ),
            daemon=True,
        )
        for (path, user), s in zip(pages, warm, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    warm_errors = sum((s.errors for s in warm), Counter())
    if warm_errors:
        print(f"  warm-up errors ({side.label}): {dict(warm_errors)}", flush=True)


def measure_each(target: Target, pages: list[tuple[str, str]], side: Side, seconds: float) -> Result:
    """One request to each (path, user) page, one at a time: see Target.each."""
    stats = ClientStats()
    deadline = time.perf_counter() + seconds
    timed_out = False
    started = time.perf_counter()
    for path, user in pages:
        budget = Budget(1, deadline - time.perf_counter())
        client(side.port, path, request_headers(target, side.sessions[user][0]), target, budget, stats)
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


def measure_target(index: int, sides: list[Side], args: argparse.Namespace) -> list[Result | None]:
    """One target on every side that can serve it, in the order of `sides`.

    With two sides the measured requests are split in two halves, sent baseline, current,
    baseline, current — so that noise from the rest of the machine (other jobs, CPU frequency)
    falls on both alike instead of on whichever ran during it. Each half gets half of the time
    limit. Warm-up comes first, on each side, unmeasured.
    """
    target = TARGETS[index]
    halves = len(sides)
    active = [s for s in sides if s.pages[index] is not None]
    for side in active:
        pages = side.pages[index]
        assert pages is not None
        if target.each:
            warm_up_each(target, pages[: args.workers], side, args)
        else:
            warm_up(target, *pages[0], side, args)
    requests = min(args.requests, target.requests or args.requests)
    seconds = args.max_seconds / halves
    results: dict[str, Result] = {}
    for half in range(halves):
        for side in active:
            pages = side.pages[index]
            assert pages is not None
            if target.each:
                rest = pages[args.workers :]
                part = rest[half * len(rest) // halves : (half + 1) * len(rest) // halves]
                result = metered(side, partial(measure_each, target, part, side, seconds))
            else:
                count = requests // halves + (1 if half < requests % halves else 0)
                result = metered(side, partial(measure, target, *pages[0], side, args, count, seconds))
            results[side.label] = results[side.label] + result if side.label in results else result
    return [results.get(side.label) for side in sides]


# --------------------------------------------------------------------------- report


# Throughput goals as a share of the floor's, measured in the same run (docs/benchmarks/README.md):
# an authenticated page at least a quarter of it, a stored sheet at least half. First renders
# (`each`) are single requests on an idle server, so their req/s is no throughput and has no goal.
PAGE_SHARE_GOAL = 0.25
CACHED_SHEET_SHARE_GOAL = 0.50

CPU_COLUMNS = (
    ("gunicorn", "gunicorn CPU ms/req"),
    ("postgres", "PostgreSQL CPU ms/req"),
    ("driver", "driver CPU ms/req"),
)


def share_goal(target: Target) -> float | None:
    if target.each is not None or not target.auth:
        return None
    return CACHED_SHEET_SHARE_GOAL if "(cached)" in target.name else PAGE_SHARE_GOAL


def verdict(target: Target, share: float) -> str:
    goal = share_goal(target)
    return "—" if goal is None else f"≥ {goal:.0%} " + ("✅" if share >= goal else "❌")


def share_of(result: Result, floor: Result) -> float:
    return result.rps / floor.rps if floor.rps else float("nan")


# The columns both tables start with: a plain run's and a comparison's.
LEAD_COLUMNS = ["target", "path", "ok", "errors", "req/s", "share of floor", "goal", "p50 ms", "p95 ms"]


def table(results: list[Result]) -> list[list[str]]:
    floor = results[0]
    rows = [[*LEAD_COLUMNS, "p99 ms", "p50/floor", "p95/floor", *(title for _, title in CPU_COLUMNS)]]
    for r in results:
        share = share_of(r, floor)
        rows.append(
            [
                r.target.name,
                r.path,
                f"{len(r.latencies)}" + ("*" if r.timed_out else ""),
                str(r.error_count),
                f"{r.rps:.0f}",
                f"{share:.1%}",
                verdict(r.target, share),
                ms(r.pct(50)),
                ms(r.pct(95)),
                ms(r.pct(99)),
                ratio(r.pct(50), floor.pct(50)),
                ratio(r.pct(95), floor.pct(95)),
                *(cpu_ms(r.cpu_ms(who)) for who, _ in CPU_COLUMNS),
            ]
        )
    return rows


NOT_COMPARABLE = "n/c"


def cpu_ms(value: float) -> str:
    return "—" if isnan(value) else f"{value:.2f}"


def versus(base: float | None, current: float, fmt: Callable[[float], str] = ms) -> str:
    """`baseline → current (current/baseline)`; `n/c → current` when the baseline has no value."""
    if base is None:
        return f"{NOT_COMPARABLE} → {fmt(current)}"
    cell = f"{fmt(base)} → {fmt(current)}"
    if isnan(base) or isnan(current) or not base:
        return cell
    return f"{cell} ({current / base:.2f}×)"


def comparison_table(baseline: list[Result | None], current: list[Result]) -> list[list[str]]:
    """Per target, baseline → current and their ratio; each side's share is of its own floor."""
    base_floor, floor = baseline[0], current[0]
    assert base_floor is not None  # the floor has no setup: every side serves it
    rows = [[*LEAD_COLUMNS, *(title for _, title in CPU_COLUMNS)]]

    def count(n: int, timed_out: bool) -> str:
        return f"{n}" + ("*" if timed_out else "")

    for b, c in zip(baseline, current, strict=True):
        share = share_of(c, floor)
        ok = count(len(c.latencies), c.timed_out)
        errors = str(c.error_count)
        rows.append(
            [
                c.target.name,
                c.path,
                f"{NOT_COMPARABLE} → {ok}" if b is None else f"{count(len(b.latencies), b.timed_out)} → {ok}",
                f"{NOT_COMPARABLE} → {errors}" if b is None else f"{b.error_count} → {errors}",
                versus(None if b is None else b.rps, c.rps, lambda v: f"{v:.0f}"),
                versus(None if b is None else share_of(b, base_floor), share, lambda v: f"{v:.1%}"),
                verdict(c.target, share),
                versus(None if b is None else b.pct(50), c.pct(50)),
                versus(None if b is None else b.pct(95), c.pct(95)),
                *(versus(None if b is None else b.cpu_ms(who), c.cpu_ms(who), cpu_ms) for who, _ in CPU_COLUMNS),
            ]
        )
    return rows


def not_comparable_notes(baseline: Side) -> list[str]:
    """One line per reason, naming the targets the baseline could not serve."""
    reasons: dict[str, list[str]] = {}
    for name, why in baseline.not_comparable.items():
        reasons.setdefault(why, []).append(name)
    return [f"{NOT_COMPARABLE} (not comparable): {', '.join(names)} — {why}" for why, names in reasons.items()]


def background_cores(results: list[Result | None]) -> float:
    """Cores used on average by everything but the driver, the server and its database's backends
    during the measured windows: how busy the rest of the machine was."""
    measured = [r for r in results if r is not None and r.cpu]
    wall = sum(r.wall for r in measured)
    return sum(r.cpu["other"] for r in measured) / wall if wall else float("nan")


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
    p.add_argument(
        "--database",
        default="laowu_bench",
        help="database dropped and recreated (default laowu_bench; the baseline's gets a _baseline suffix)",
    )
    p.add_argument(
        "--baseline",
        metavar="REV",
        help="also measure this commit (e.g. main~3), alternating with the current code, and compare",
    )
    p.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks" / "bench.md", help="Markdown log")
    args = p.parse_args()
    if min(args.requests, args.concurrency, args.workers, args.threads) < 1 or args.warmup < 0:
        p.error("counts must be positive")
    return args


def append_report(output: Path, title: str, bullets: list[str], rows: list[list[str]], notes: list[str]) -> None:
    stamp = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %z")
    lines = [f"## {stamp} — {title}", "", *(f"- {b}" for b in bullets), "", markdown_table(rows)]
    if notes:
        lines += ["", *notes]
    if not output.exists():
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(
            "# Benchmarks\n\nAppended by `make bench` (scripts/bench.py); README.md here says how to read them.\n"
        )
    with output.open("a") as f:
        f.write("\n" + "\n".join(lines) + "\n")


def export_commit(rev: str, dest: Path) -> str:
    """Write the tracked files of commit `rev` into `dest` (git archive: no worktree is registered,
    so nothing in .git needs cleaning up); return its short hash."""
    env = dict(os.environ)
    commit = run(["git", "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], env, timeout=10).strip()
    dest.mkdir(parents=True)
    archive = subprocess.Popen(["git", "archive", commit], cwd=ROOT, stdout=subprocess.PIPE)  # noqa: S603,S607
    try:
        subprocess.run(["tar", "-x", "-C", str(dest)], stdin=archive.stdout, check=True)  # noqa: S603,S607
    finally:
        assert archive.stdout is not None
        archive.stdout.close()
        if archive.wait() != 0:
            raise RuntimeError(f"git archive {rev} failed ({archive.returncode})")
    return run(["git", "rev-parse", "--short", commit], env, timeout=10).strip()


def prepare(side: Side, admin: psycopg.Connection, args: argparse.Namespace) -> None:
    """Create, migrate and seed the side's database with the side's own code (migrations and
    services may differ between commits), then its sessions and static files.

    On the baseline a setup snippet may fail (the code it calls may not exist yet): that target and
    every later one are then not comparable — the pages after it read a database that lacks rows
    the current side's has. On the current side any failure stops the run, as it always did.
    """
    baseline = side.label == "baseline"
    drop_database(admin, side.database)
    admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(side.database)))
    print(f"{side.label} ({side.commit}): database {side.database}: migrate, seed_demo", flush=True)
    manage(side.local_env, "migrate", "--noinput", cwd=side.root)
    manage(side.local_env, "seed_demo", cwd=side.root)
    values: dict[str, str] = {}
    broken: str | None = None
    for target in TARGETS:
        if target.setup and broken is None:
            print(f"{side.label}: setup for {target.name}", flush=True)
            try:
                values.update(django_snippet(side.local_env, target.setup, cwd=side.root))
            except RuntimeError as exc:
                if not baseline:
                    raise
                broken = target.name
                last = str(exc).strip().splitlines()[-1:] or [""]
                print(f"  failed on the baseline ({last[0]}): not comparable from here on", flush=True)
        if broken is not None:
            side.not_comparable[target.name] = f"the setup of “{broken}” failed on the baseline"
    analyze(args.pg, side.database)
    for t in TARGETS:
        if t.name in side.not_comparable:
            side.pages.append(None)
            continue
        try:
            side.pages.append(
                [
                    (t.path.format_map({**values, **item}), t.user.format_map({**values, **item}))
                    for item in (json.loads(values[t.each]) if t.each else [{}])
                ]
            )
        except (KeyError, ValueError) as exc:
            if not baseline:
                raise
            side.not_comparable[t.name] = f"its setup gave no {exc} on the baseline"
            side.pages.append(None)
    wanted: Counter[str] = Counter()
    for t, target_pages in zip(TARGETS, side.pages, strict=True):
        if t.auth and target_pages is not None:
            for _, user in target_pages:
                wanted[user] = max(wanted[user], 1 if t.each else args.concurrency)
    side.sessions = create_sessions(side.prod_env, dict(wanted), cwd=side.root)
    manage(side.prod_env, "collectstatic", "--noinput", cwd=side.root)


def main() -> int:
    args = parse_args()
    # A plain `kill` must also stop gunicorn and drop the database: turn it into an exception
    # so the cleanups below run, as they do for Ctrl-C.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    failed = True
    # Cleanups are registered as each resource comes to be and run in reverse order on any exit
    # (servers stopped, then databases dropped, then files removed); a second Ctrl-C or kill must
    # not cut them short and leave a server or database behind.
    cleanup = contextlib.ExitStack()
    try:
        cleanup.callback(signal.signal, signal.SIGINT, signal.getsignal(signal.SIGINT))
        cleanup.callback(signal.signal, signal.SIGTERM, signal.getsignal(signal.SIGTERM))
        admin = admin_connect(args.pg)
        cleanup.callback(admin.close)
        pg_version = admin.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
        tmp = Path(tempfile.mkdtemp(prefix="laowu-bench-"))
        cleanup.callback(shutil.rmtree, tmp, ignore_errors=True)
        sides: list[Side] = []
        if args.baseline:
            commit = export_commit(args.baseline, tmp / "baseline-src")
            sides.append(
                Side(
                    "baseline",
                    tmp / "baseline-src",
                    commit if args.baseline.startswith(commit) else f"{args.baseline} = {commit}",
                    f"{args.database}_baseline",
                    tmp / "baseline",
                )
            )
        sides.append(Side("current", ROOT, git_commit(), args.database, tmp / "current"))
        for side in sides:
            side.data_dir.mkdir()
            # Static files, uploads, SMS outbox: nothing lands in var/. Seeding (local settings) and
            # gunicorn (production ones) share the uploads in that one directory.
            side.local_env, side.prod_env = bench_envs(
                f"{args.pg.rstrip('/')}/{side.database}", side.data_dir, BENCH_WORKERS=str(args.workers)
            )
            # The fonts are not in git (`make fonts` puts them in var/): the baseline's copy uses ours.
            fonts = os.environ.get("LAOWU_SHEET_FONTS_DIR", str(ROOT / "var" / "fonts"))
            for env in (side.local_env, side.prod_env):
                env["LAOWU_SHEET_FONTS_DIR"] = fonts
            cleanup.callback(drop_database, admin, side.database)
            side.meter_conn = psycopg.connect(dbname="postgres", autocommit=True, **pg_kwargs(args.pg))
            cleanup.callback(side.meter_conn.close)
        for side in sides:
            prepare(side, admin, args)
        for side in sides:
            side.server, side.port, side.kind = start_gunicorn(side.prod_env, args, side.log_path, cwd=side.root)
            cleanup.callback(stop_and_show_log, side, lambda: failed)
            wait_healthy(side.server, side.port)

        measured: list[list[Result | None]] = [[] for _ in sides]
        for index, target in enumerate(TARGETS):
            current_pages = sides[-1].pages[index]
            assert current_pages is not None
            shown = f"{target.path}, {len(current_pages)} pages" if target.each else current_pages[0][0]
            print(f"measuring {target.name} ({shown}) …", flush=True)
            for column, result in zip(measured, measure_target(index, sides, args), strict=True):
                column.append(result)
        current = [r for r in measured[-1] if r is not None]
        all_results = [r for column in measured for r in column if r is not None]
        timed_out = any(r.timed_out for r in all_results)
        bullets = [
            f"machine: {len(os.sched_getaffinity(0))} CPUs ({cpu_model()}), Python {platform.python_version()}, "
            f"PostgreSQL {pg_version.split()[0]}",
            f"server: {sides[-1].kind}, production settings, DB sessions",
            f"client: {args.concurrency} concurrent clients (Python threads on the same machine), "
            f"{args.requests} requests per target (or fewer: see `ok`) after {args.warmup} warm-up",
            "CPU per request: gunicorn (master and workers), PostgreSQL (the backends of the run's database) and "
            "this driver (the client threads), over the measured requests; the rest of the machine used "
            f"{background_cores(all_results):.2f} cores on average meanwhile",
        ]
        notes = [f"\\* stopped by the {args.max_seconds:g}s time limit"] if timed_out else []
        if args.baseline:
            baseline = sides[0]
            rows = comparison_table(measured[0], current)
            title = f"{sides[-1].commit} vs baseline {baseline.commit}"
            bullets.insert(
                3,
                f"comparison: baseline {baseline.commit} from `git archive`, its own database (migrated and seeded "
                "with its code) and gunicorn; each target's measured requests in two halves, sent baseline, "
                "current, baseline, current; cells read `baseline → current (current/baseline)`",
            )
            notes += not_comparable_notes(baseline)
        else:
            rows = table(current)
            title = sides[-1].commit
        print("\n" + text_table(rows))
        for side, column in zip(sides, measured, strict=True):
            for r in column:
                if r is not None and r.errors:
                    print(f"errors on {r.path} ({side.label}): {dict(r.errors)}")
        for note in notes:
            print(note.replace("\\*", "*"))
        append_report(args.output, title, bullets, rows, notes)
        print(f"\nappended to {args.output}")
        failed = any(r.error_count for r in all_results)
    finally:
        shield_signals()
        cleanup.close()
    return 1 if failed else 0


def shield_signals() -> None:
    """From here on (the cleanups) Ctrl-C and kill wait: cleaning up takes a few seconds."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def stop_and_show_log(side: Side, failed: Callable[[], bool]) -> None:
    if side.server is not None:
        stop(side.server)
    if failed() and side.log_path.exists():
        print(f"--- gunicorn log, {side.label} (last 40 lines) ---", file=sys.stderr)
        print("\n".join(side.log_path.read_text(errors="replace").splitlines()[-40:]), file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
