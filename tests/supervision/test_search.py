"""Supervision's search boxes find exactly the rows of a plain `icontains` match.

Every list searches through laowu.core.search (laowu/supervision/search.py). Whatever plan a
term gets — the plain match of a small list or SQLite, the indexed one or the walk of a
province's list on PostgreSQL — each list shows, in its own order, the rows whose columns
contain the term ignoring case: a credit code or a number anywhere in it, a one-character
term on the related columns too."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from laowu.contracts.models import ProjectFiling
from laowu.core import search as search_module
from laowu.enterprises.models import Enterprise
from laowu.enterprises.scope import enterprises_in_scope
from laowu.supervision import awards, bad_behaviour, credit, inspections, messaging, notices
from laowu.supervision.models import (
    Award,
    AwardStatus,
    BadBehaviour,
    BadBehaviourStatus,
    Inspection,
    InspectionStatus,
    Message,
    Notice,
    RemovalApplication,
    RemovalStatus,
)
from tests.factories import CatalogueFactory, EnterpriseFactory, approved_project

pytestmark = pytest.mark.django_db


@dataclass
class Data:
    reviewer: Any
    enterprises: list[Enterprise]
    terms: list[str]


def clone_project(base: ProjectFiling, enterprise: Enterprise, **fields: str) -> ProjectFiling:
    """Another approved project (sharing `base`'s approved revision: only the columns matter here)."""
    catalogue = CatalogueFactory(subcontractor=enterprise.name, subcontractor_credit_code=enterprise.credit_code)
    values = {f.attname: getattr(base, f.attname) for f in ProjectFiling._meta.concrete_fields if not f.primary_key}
    values.update(enterprise_id=enterprise.pk, catalogue_id=catalogue.pk, **fields)
    return ProjectFiling.objects.create(**values)


@pytest.fixture
def data(enterprise_a: Any, reviewer: Any) -> Data:
    search_module._catalog_cache.clear()
    today = timezone.localdate()
    ea = enterprise_a.enterprise
    Enterprise.objects.filter(pk=ea.pk).update(name="苏州阳澄湖坤龙建筑劳务有限公司")
    ea.refresh_from_db()
    eb, ec, ed = (
        EnterpriseFactory(name=name) for name in ("相城HTK劳务有限公司", "吴中元和建设工程有限公司", "Abc-020 施工队")
    )
    p1 = approved_project(
        enterprise_a,
        reviewer,
        project_name="阳澄湖花园一期",
        contract_no="LWFB-YCH-2026-001",
        project_code="3205072026000123",
    )
    p2 = clone_project(p1, ea, project_name="相城坤龙大厦", contract_no="HT-2024-020", project_code="3205072024000456")
    p3 = clone_project(
        p1, eb, project_name="元和湖畔雅苑", contract_no="lwfb-ych-2025-117", project_code="3205072025001020"
    )
    p4 = clone_project(p1, ec, project_name="苏州中心二期", contract_no="SZ2026-0507", project_code="3205072026050700")

    def inspect(project: ProjectFiling, notice_no: str, status: str, days: int) -> None:
        Inspection.objects.create(
            project=project,
            enterprise=project.enterprise,
            inspected_on=today - dt.timedelta(days=days),
            inspectors="张三、李四",
            total_score=80,
            status=status,
            notice_no=notice_no,
            created_by=reviewer,
        )

    inspect(p1, "XCZG-2026-0001", InspectionStatus.RECTIFYING, 3)
    inspect(p2, "XCZG-2026-0012", InspectionStatus.CLOSED, 10)
    inspect(p3, "", InspectionStatus.DRAFT, 1)
    inspect(p4, "XCZG-2025-0020", InspectionStatus.CLOSED, 300)

    def record(enterprise: Enterprise, decision_no: str, person: str, status: str, days: int) -> BadBehaviour:
        return BadBehaviour.objects.create(
            enterprise=enterprise,
            person_name=person,
            grade="B",
            category="wage_arrears",
            facts="拖欠农民工工资",
            legal_basis="《保障农民工工资支付条例》",
            decision_no=decision_no,
            decision_date=today - dt.timedelta(days=days + 5),
            issuer="相城区建筑劳务专业委员会",
            publicity_start=today - dt.timedelta(days=days),
            publicity_end=today + dt.timedelta(days=150),
            status=status,
            created_by=reviewer,
        )

    r1 = record(ea, "相劳专罚〔2026〕0012号", "王坤龙", BadBehaviourStatus.PUBLISHED, 10)
    r2 = record(eb, "相劳专罚〔2025〕0020号", "", BadBehaviourStatus.PUBLISHED, 20)
    r3 = record(ed, "XC-2026-7", "李HT", BadBehaviourStatus.PUBLISHED, 30)
    record(ec, "相劳专罚〔2026〕0507号", "赵湖", BadBehaviourStatus.DRAFT, -5)
    for i, (rec, status) in enumerate(
        ((r1, RemovalStatus.PENDING), (r2, RemovalStatus.REJECTED), (r3, RemovalStatus.PENDING))
    ):
        RemovalApplication.objects.create(
            record=rec,
            enterprise=rec.enterprise,
            rectification="已完成整改。",
            status=status,
            created_by=reviewer,
            submitted_at=timezone.now() - dt.timedelta(days=i + 1),
        )

    year = today.year
    for enterprise, title, project in (
        (ea, "excellent_enterprise", None),
        (eb, "credit_enterprise", None),
        (ea, "excellent_project", p1),
        (ec, "safe_project", p4),
        (ed, "excellent_enterprise", None),
    ):
        Award.objects.create(
            year=year,
            title=title,
            enterprise=enterprise,
            project=project,
            reasons="劳务管理规范",
            status=AwardStatus.NOMINATED,
            created_by=reviewer,
        )

    now = timezone.now()
    for title, body, published in (
        ("春节放假通知（2026年第1号）", "各劳务企业：\n春节期间 HT-020 项目停工。", True),
        ("关于阳澄湖片区检查的通知", "请各企业配合检查。", True),
        ("ABC 更正", "更正 XCZG-2026-0001 的编号。", False),
    ):
        Notice.objects.create(
            title=title, body=body, is_published=published, published_at=now if published else None, created_by=reviewer
        )
    for title, body in (
        ("整改通知：阳澄湖花园一期", "整改通知书编号 XCZG-2026-0001。"),
        ("不良行为记录公示通知", "贵单位的不良行为记录（相劳专罚〔2026〕0012号）自今日起公示。"),
        ("评优结果", "坤龙 htk"),
    ):
        Message.objects.create(enterprise=ea, title=title, body=body)

    enterprises = [ea, eb, ec, ed]
    terms = [
        "阳澄湖",
        "坤龙",
        "湖",
        "劳务有限",
        "htk",
        "HTK",
        "ych",
        "YCH-2026",
        "abc",
        "0507",
        "2026",
        "020",
        "-0",
        "0",
        "a",
        "xczg-2026-0001",
        "〔2026〕",
        "12号",
        eb.credit_code[6:12].lower(),  # the middle of a credit code
        ea.credit_code[-4:],
        "不存在的词",
    ]
    return Data(reviewer=reviewer, enterprises=enterprises, terms=terms)


# Each list as its page lists it, searched for a term, and the columns it matched before it
# searched through laowu.core.search (its plain `icontains` filters).
Listed = Callable[[Data, str], QuerySet[Any]]
LISTS: dict[str, tuple[Listed, tuple[str, ...]]] = {
    "award_list": (
        lambda d, q: awards.award_list(user=d.reviewer, q=q),
        ("enterprise__name", "enterprise__credit_code", "project__project_name"),
    ),
    "nominable_enterprises": (
        lambda d, q: awards.nominable_enterprises(user=d.reviewer, q=q),
        ("name", "credit_code"),
    ),
    "nominable_projects": (
        lambda d, q: awards.nominable_projects(user=d.reviewer, q=q),
        ("project_name", "contract_no", "project_code", "enterprise__name"),
    ),
    "inspectable_projects": (
        lambda d, q: inspections.inspectable_projects(user=d.reviewer, q=q),
        ("project_name", "contract_no", "project_code", "enterprise__name", "enterprise__credit_code"),
    ),
    "inspection_list": (
        lambda d, q: inspections.inspection_list(user=d.reviewer, q=q),
        ("project__project_name", "project__contract_no", "project__project_code", "notice_no"),
    ),
    "inspection_list_enterprise": (
        lambda d, q: inspections.inspection_list(user=d.reviewer, enterprise=q),
        ("enterprise__name", "enterprise__credit_code"),
    ),
    "bad_behaviour_record_list": (
        lambda d, q: bad_behaviour.record_list(user=d.reviewer, q=q),
        ("enterprise__name", "enterprise__credit_code", "decision_no", "person_name"),
    ),
    "bad_behaviour_removal_list": (
        lambda d, q: bad_behaviour.removal_list(user=d.reviewer, status="", q=q),
        ("enterprise__name", "enterprise__credit_code", "record__decision_no"),
    ),
    "bad_behaviour_public_list": (
        lambda d, q: bad_behaviour.public_list(q=q),
        ("enterprise__name", "enterprise__credit_code"),
    ),
    "credit_enterprises": (
        lambda d, q: credit.credit_enterprises(user=d.reviewer, q=q),
        ("name", "credit_code"),
    ),
    "message_list": (
        lambda d, q: messaging.message_list(enterprise_id=d.enterprises[0].pk, q=q),
        ("title", "body"),
    ),
    "notice_list": (lambda d, q: notices.notice_list(user=d.reviewer, q=q), ("title", "body")),
    "published_notices": (lambda d, q: notices.published_notices(q=q), ("title", "body")),
}


def plain(listed: QuerySet[Any], columns: tuple[str, ...], term: str) -> list[int]:
    condition = Q()
    for column in columns:
        condition |= Q(**{f"{column}__icontains": term})
    return list(listed.filter(condition).values_list("pk", flat=True))


def force(monkeypatch: pytest.MonkeyPatch, plan: str) -> None:
    """Search each list as a province's (scope and estimates as if big) with `plan` chosen."""
    if plan == "small":
        return
    monkeypatch.setattr(search_module, "WALK_MIN_ROWS", 0)
    share = 1.0 if plan == "walk" else 0.0
    monkeypatch.setattr(search_module, "_match_share", lambda *args, **kwargs: (share, share))
    if plan == "walk":
        # Common in a million rows: walking the list's order is cheaper than reading the matches.
        monkeypatch.setattr(search_module, "_planner_rows", lambda qs: 1_000_000.0)


PLANS = [
    pytest.param("small", id="small"),
    pytest.param("indexed", id="indexed", marks=pytest.mark.postgres_only),
    pytest.param("walk", id="walk", marks=pytest.mark.postgres_only),
]


@pytest.mark.parametrize("plan", PLANS)
def test_every_list_finds_the_rows_of_a_plain_match(data: Data, monkeypatch: pytest.MonkeyPatch, plan: str) -> None:
    force(monkeypatch, plan)
    plans_seen: set[str | None] = set()
    found_any = set()
    for name, (listed, columns) in LISTS.items():
        everything = listed(data, "")
        assert everything.exists(), name
        for term in data.terms:
            qs = listed(data, term)
            want = plain(everything, columns, term)
            assert list(qs.values_list("pk", flat=True)) == want, (name, term)
            plans_seen.add(search_module.search_plan(qs))
            if want:
                found_any.add(name)
    # Every list matched something, and the plans were those asked for (None: a one-character
    # term, tested row by row; a walk may still be declined for a term its first rows lack).
    assert found_any == set(LISTS)
    assert plans_seen - {None} == {"small": set(), "indexed": {"indexed"}}.get(plan, plans_seen - {None})
    assert plan != "walk" or "walk" in plans_seen


@pytest.mark.parametrize("plan", PLANS)
def test_pages_show_the_rows_of_a_plain_match(
    data: Data, as_user: Any, monkeypatch: pytest.MonkeyPatch, plan: str
) -> None:
    """Through the pages, which paginate a search's ids apart from its rows: the enterprise
    picker of 登记不良行为 (its search is the view's own), and two lists."""
    force(monkeypatch, plan)
    client = as_user(data.reviewer)
    picker = enterprises_in_scope(data.reviewer).order_by("name", "id")
    removals = bad_behaviour.removal_list(user=data.reviewer, status="")
    pages = (
        (reverse("supervision:bad_behaviour_new"), {}, picker, ("name", "credit_code")),
        (
            reverse("supervision:removal_list"),
            {"status": ""},
            removals,
            ("enterprise__name", "enterprise__credit_code", "record__decision_no"),
        ),
        (reverse("supervision:notice_list"), {}, notices.notice_list(user=data.reviewer), ("title", "body")),
    )
    for url, params, everything, columns in pages:
        for term in data.terms:
            response = client.get(url, {**params, "q": term})
            assert response.status_code == 200
            shown = [row.pk for row in response.context["page"].object_list]
            assert shown == plain(everything, columns, term), (url, term)


@pytest.mark.postgres_only
def test_the_indexed_plan_reads_the_gram_indexes(data: Data, monkeypatch: pytest.MonkeyPatch) -> None:
    """A rare term on a province's list is looked up in the searched columns' gram indexes
    (laowu/supervision/migrations/0003_search_indexes.py), the related ones' included."""
    force(monkeypatch, "indexed")
    for name, (listed, _) in LISTS.items():
        sql = str(listed(data, "阳澄湖").query)
        assert "laowu_bigrams" in sql, name
    # A piece of a code in a related table through its own index: the enterprise's credit code,
    # by its bigrams or, once an earlier test has analysed the trigram index, its trigrams.
    sql = str(bad_behaviour.public_list(q="0507").query)
    assert any(f'laowu_{n}grams("enterprises_enterprise"."credit_code")' in sql for n in ("bi", "tri")), sql
