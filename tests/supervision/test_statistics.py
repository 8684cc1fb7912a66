"""统计分析: the figures on a known dataset, district scoping, the filters, the page's charts,
its Excel workbook, its query budget and who may open it."""

from __future__ import annotations

import datetime as dt
import io
import re
import xml.etree.ElementTree as ET
from typing import Any

import openpyxl
import pytest
import time_machine
from django.db.models import F
from django.urls import reverse

from laowu.audit.models import AuditEvent
from laowu.enterprises.models import BasicInfo
from laowu.personnel.models import SafetyOfficer
from laowu.review import services as workflow
from laowu.review.models import State
from laowu.supervision import models as m
from laowu.supervision.statistics import Period, dashboard
from tests.factories import (
    DistrictFactory,
    EnterpriseFactory,
    EnterpriseUserFactory,
    StaffFactory,
    approved_project,
    complete_basic_info,
)

TZ = dt.timezone(dt.timedelta(hours=8))
TODAY = dt.date(2024, 7, 1)
YEAR_2024 = Period(dt.date(2024, 1, 1), dt.date(2024, 12, 1))
SVG = "{http://www.w3.org/2000/svg}"
SVG_RE = re.compile(r"<svg\b.*?</svg>", re.S)


def parse_svg(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own markup, parsed to prove it well-formed


def at(*args: int) -> Any:
    return time_machine.travel(dt.datetime(*args, tzinfo=TZ), tick=False)


def bad_behaviour(enterprise: Any, author: Any, **fields: Any) -> m.BadBehaviour:
    values = {
        "grade": m.Grade.A,
        "category": "wage_arrears",
        "facts": "拖欠农民工工资",
        "legal_basis": "《保障农民工工资支付条例》",
        "decision_no": "相建罚〔2024〕1号",
        "decision_date": dt.date(2024, 5, 20),
        "points": 10,
        "issuer": "相城区住房和城乡建设局",
        "publicity_start": dt.date(2024, 6, 1),
        "publicity_end": dt.date(2025, 5, 31),
        "status": m.BadBehaviourStatus.PUBLISHED,
        **fields,
    }
    return m.BadBehaviour.objects.create(enterprise=enterprise, created_by=author, **values)


def inspection(project: Any, author: Any, **fields: Any) -> m.Inspection:
    return m.Inspection.objects.create(
        project=project, enterprise=project.enterprise, inspectors="张三、李四", created_by=author, **fields
    )


@pytest.fixture
def dataset(filing_in_state: Any, enterprise_a: Any, reviewer: Any) -> dict[str, Any]:
    """Enterprises and filings of the reviewer's district in several states and months of 2024,
    supervision records around 2024-07-01, and one enterprise of another district."""
    with at(2024, 3, 10, 10):
        e1 = EnterpriseUserFactory()
        info_a = filing_in_state(State.REJECTED)  # declared and rejected in March
    with at(2024, 4, 5, 10):
        workflow.approve(submission=workflow.declare(filing=info_a, actor=enterprise_a), actor=reviewer)
    with at(2024, 5, 20, 10):
        # 安全员, 劳资专管员 and 项目信息: declared and approved in May.
        project = approved_project(enterprise_a, reviewer)
        workflow.declare(filing=complete_basic_info(e1.enterprise, actor=e1), actor=e1)  # pending
    with at(2024, 6, 15, 10):
        e2 = EnterpriseUserFactory()
        info_e2 = complete_basic_info(e2.enterprise, actor=e2)  # a draft
    with at(2024, 5, 8, 10):
        wuzhong = DistrictFactory(code="320506", name="吴中区")
        other = EnterpriseUserFactory(enterprise=EnterpriseFactory(district=wuzhong))
        other_info = complete_basic_info(other.enterprise, actor=other)
        other_reviewer = StaffFactory(role="reviewer", username="wuzhong", districts=[wuzhong])
        workflow.approve(submission=workflow.declare(filing=other_info, actor=other), actor=other_reviewer)

    a = enterprise_a.enterprise
    # Publicity on 2024-07-01: A and C count; an ended, a draft and a revoked one do not.
    bad_behaviour(a, reviewer, grade=m.Grade.A)
    bad_behaviour(a, reviewer, grade=m.Grade.C, decision_no="相建罚〔2024〕2号")
    bad_behaviour(a, reviewer, grade=m.Grade.B, publicity_start=dt.date(2023, 1, 1), publicity_end=dt.date(2024, 6, 30))
    bad_behaviour(a, reviewer, grade=m.Grade.B, status=m.BadBehaviourStatus.DRAFT)
    bad_behaviour(a, reviewer, grade=m.Grade.B, status=m.BadBehaviourStatus.REVOKED)
    bad_behaviour(other.enterprise, other_reviewer, grade=m.Grade.A)

    rectifying = m.InspectionStatus.RECTIFYING
    inspection(project, reviewer, inspected_on=dt.date(2024, 6, 10), status=rectifying, deadline=dt.date(2024, 6, 20))
    inspection(project, reviewer, inspected_on=dt.date(2024, 6, 25), status=rectifying, deadline=dt.date(2024, 7, 10))
    inspection(project, reviewer, inspected_on=dt.date(2024, 5, 25), status=m.InspectionStatus.CLOSED)
    inspection(project, reviewer, inspected_on=dt.date(2024, 6, 28), status=m.InspectionStatus.DRAFT)
    # Before the period, and still overdue.
    inspection(project, reviewer, inspected_on=dt.date(2023, 11, 1), status=rectifying, deadline=dt.date(2023, 12, 1))

    def award(year: int, title: str, status: str) -> None:
        m.Award.objects.create(
            year=year, title=title, enterprise=a, reasons="管理规范", status=status, created_by=reviewer
        )

    award(2024, "excellent_enterprise", m.AwardStatus.NOMINATED)
    award(2024, "credit_enterprise", m.AwardStatus.GRANTED)
    award(2023, "credit_enterprise", m.AwardStatus.GRANTED)

    # Certificates, as of 2024-07-01: within 30 days, 31–60, 61–90 and already expired. Only
    # approved revisions count, as in the expiry reminders: not the draft's, nor the pending one's.
    BasicInfo.objects.filter(pk=info_a.pk).update(
        qualification_valid_until=dt.date(2024, 7, 20), safety_license_valid_until=dt.date(2024, 6, 1)
    )
    SafetyOfficer.objects.filter(enterprise=a).update(valid_until=dt.date(2024, 8, 15))
    BasicInfo.objects.filter(enterprise=e1.enterprise).update(safety_license_valid_until=dt.date(2024, 9, 20))
    BasicInfo.objects.filter(pk=info_e2.pk).update(qualification_valid_until=dt.date(2024, 7, 5))
    # What 通过 would have copied, had these dates been approved through the workflow.
    for model in (BasicInfo, SafetyOfficer):
        copies = {copy: F(field) for field, copy in model.APPROVED_COPIES.items()}
        model.objects.filter(state=State.APPROVED).update(**copies)
    return {"project": project, "other_reviewer": other_reviewer, "wuzhong": wuzhong}


def tables(data: Any) -> dict[str, Any]:
    return {t.key: t for t in data.tables}


def test_counts_on_known_dataset(dataset: dict[str, Any], reviewer: Any) -> None:
    data = dashboard(user=reviewer, period=YEAR_2024, today=TODAY)
    t = tables(data)

    filings = t["filings"]
    assert filings.headers == ["归集类型", "草稿", "已申报", "已通过", "已退回", "已注销", "合计"]
    assert filings.rows == [
        ["企业基本信息", 1, 1, 1, 0, 0, 3],
        ["安全员", 0, 0, 1, 0, 0, 1],
        ["劳资专管员", 0, 0, 1, 0, 0, 1],
        ["项目信息", 0, 0, 1, 0, 0, 1],
    ]
    assert filings.total == ["合计", 1, 1, 4, 0, 0, 6]

    monthly = {row[0]: row[1:] for row in t["submissions"].rows}
    assert len(monthly) == 12 and next(iter(monthly)) == "2024-01" and list(monthly)[-1] == "2024-12"
    assert monthly["2024-03"] == [1, 0, 1]
    assert monthly["2024-04"] == [1, 1, 0]
    assert monthly["2024-05"] == [4, 3, 0]
    assert sum(v[0] for k, v in monthly.items() if k not in ("2024-03", "2024-04", "2024-05")) == 0
    assert t["submissions"].total == ["合计", 6, 4, 1]

    registered = dict(t["enterprises"].rows)
    assert registered["2024-03"] == 1 and registered["2024-06"] == 1
    assert t["enterprises"].total == ["合计", 2]  # enterprise A registered outside the period

    assert t["bad_behaviour"].rows == [["A类（严重）", 1], ["B类（一般）", 0], ["C类（轻微）", 1]]
    assert t["inspections"].rows == [["草稿", 1, 0], ["整改中", 2, 1], ["待复查", 0, 0], ["已闭环", 1, 0]]
    assert t["awards"].rows == [["2024年", 1, 1, 0, 0, 2]]
    assert t["expiry"].rows == [
        ["安全员证书", 0, 1, 0, 0],
        ["资质证书", 1, 0, 0, 0],
        ["安全生产许可证", 0, 0, 0, 1],
    ]
    assert dict(data.summary) == {
        "企业总数": 3,
        "待审核申报": 1,
        "公示中不良行为": 2,
        "逾期未整改": 2,  # the one of June and the one of 2023
        "90天内到期证照": 2,
    }


def test_filing_type_filter_narrows_filings_and_months(dataset: dict[str, Any], reviewer: Any) -> None:
    t = tables(dashboard(user=reviewer, period=YEAR_2024, filing_type="basic_info", today=TODAY))
    assert t["filings"].rows == [["企业基本信息", 1, 1, 1, 0, 0, 3]] and t["filings"].total is None
    monthly = {row[0]: row[1:] for row in t["submissions"].rows}
    assert monthly["2024-03"] == [1, 0, 1] and monthly["2024-04"] == [1, 1, 0] and monthly["2024-05"] == [1, 0, 0]


def test_period_moves_the_monthly_figures(dataset: dict[str, Any], reviewer: Any) -> None:
    spring = Period(dt.date(2024, 4, 1), dt.date(2024, 5, 1))
    t = tables(dashboard(user=reviewer, period=spring, today=TODAY))
    assert t["submissions"].rows == [["2024-04", 1, 1, 0], ["2024-05", 4, 3, 0]]
    assert t["enterprises"].rows == [["2024-04", 0], ["2024-05", 0]]
    # Inspections dated in the period only; the overdue ones of June are outside it.
    assert t["inspections"].rows == [["草稿", 0, 0], ["整改中", 0, 0], ["待复查", 0, 0], ["已闭环", 1, 0]]


def test_district_scoping(dataset: dict[str, Any], reviewer: Any) -> None:
    wuzhong = tables(dashboard(user=dataset["other_reviewer"], period=YEAR_2024, today=TODAY))
    assert wuzhong["filings"].total == ["合计", 0, 0, 1, 0, 0, 1]
    assert dict(wuzhong["enterprises"].rows)["2024-05"] == 1
    assert wuzhong["bad_behaviour"].rows[0] == ["A类（严重）", 1]

    elsewhere = StaffFactory(
        role="reviewer", username="gusu", districts=[DistrictFactory(code="320508", name="姑苏区")]
    )
    data = dashboard(user=elsewhere, period=YEAR_2024, today=TODAY)
    for table in data.tables:
        assert all(value == 0 for row in table.all_rows for value in row[1:]), table.key
    assert all(value == 0 for _, value in data.summary)


def test_page_shows_tables_and_well_formed_charts(dataset: dict[str, Any], as_user: Any, reviewer: Any) -> None:
    with at(2024, 7, 1, 9):
        resp = as_user(reviewer).get(
            reverse("supervision:statistics"), {"month_from": "2024-01", "month_to": "2024-12"}
        )
    assert resp.status_code == 200
    page = resp.content.decode()
    assert "统计期间：2024-01 至 2024-12" in page
    svgs = SVG_RE.findall(page)
    assert len(svgs) == 7
    for svg in svgs:
        root = parse_svg(svg)
        assert root.get("role") == "img" and root.get("aria-label")
        assert root.find(f"{SVG}title") is not None
    bars = parse_svg(svgs[1]).find(f"{SVG}g[@class='bars']")
    tips = [rect.find(f"{SVG}title").text for rect in bars.iter(f"{SVG}rect")]
    assert "2024-05 · 申报：4" in tips and "2024-03 · 审核退回：1" in tips
    # Each chart has its data table, readable without the chart.
    assert page.count('<table class="table table-compact stat-data">') == 7
    assert '<th scope="row">2024-05</th><td class="num">4</td><td class="num">3</td><td class="num">0</td>' in page
    assert '<th scope="row">整改中</th><td class="num">2</td><td class="num">1</td>' in page


def test_default_period_is_the_last_twelve_months(db: Any, as_user: Any, supervisor: Any) -> None:
    with at(2026, 3, 15, 9):
        page = as_user(supervisor).get(reverse("supervision:statistics")).content.decode()
    assert "统计期间：2025-04 至 2026-03" in page
    assert '<th scope="row">2025-04</th>' in page and '<th scope="row">2026-03</th>' in page
    assert '<th scope="row">2025-03</th>' not in page and "暂无数据" in page


@pytest.mark.parametrize(
    ("params", "field_error"),
    [
        ({"month_from": "2024-13"}, "请按“年-月”填写"),
        ({"month_from": "2024-06", "month_to": "2024-01"}, "截止月份不能早于起始月份。"),
        ({"month_from": "2020-01", "month_to": "2024-01"}, "统计期间最长36个月。"),
    ],
)
def test_wrong_filter_is_shown_beside_the_field(
    db: Any, as_user: Any, reviewer: Any, params: dict[str, str], field_error: str
) -> None:
    with at(2026, 3, 15, 9):
        resp = as_user(reviewer).get(reverse("supervision:statistics"), params)
    page = resp.content.decode()
    assert resp.status_code == 200 and field_error in page and 'class="search-field has-error"' in page
    assert "统计期间：2025-04 至 2026-03" in page  # the default period meanwhile
    assert f'value="{params["month_from"]}"' in page  # input kept


def test_month_typed_by_hand_and_one_end_only(db: Any, as_user: Any, reviewer: Any) -> None:
    c = as_user(reviewer)
    with at(2026, 3, 15, 9):
        assert (
            "统计期间：2024-03 至 2024-05"
            in c.get(
                reverse("supervision:statistics"), {"month_from": "2024年3月", "month_to": "2024/5"}
            ).content.decode()
        )
        assert (
            "统计期间：2025-01 至 2025-12"
            in c.get(reverse("supervision:statistics"), {"month_from": "2025-01"}).content.decode()
        )
        assert (
            "统计期间：2023-07 至 2024-06"
            in c.get(reverse("supervision:statistics"), {"month_to": "2024-06"}).content.decode()
        )


def test_export_workbook(dataset: dict[str, Any], as_user: Any, supervisor: Any) -> None:
    with at(2024, 7, 1, 9):
        resp = as_user(supervisor).get(
            reverse("supervision:statistics_export"), {"month_from": "2024-01", "month_to": "2024-12"}
        )
    assert resp.status_code == 200 and resp["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = openpyxl.load_workbook(io.BytesIO(resp.content))
    assert wb.sheetnames == [
        "概况",
        "信息归集分类统计",
        "每月申报与审核",
        "每月新注册企业",
        "公示中的不良行为记录",
        "现场检查",
        "评优创先",
        "证照到期提醒",
    ]

    def rows(name: str) -> list[tuple[Any, ...]]:
        return list(wb[name].iter_rows(values_only=True))

    overview = dict(r[:2] for r in rows("概况"))
    assert overview["统计期间"] == "2024-01 至 2024-12" and overview["企业总数"] == 3 and overview["逾期未整改"] == 2
    filings = rows("信息归集分类统计")
    assert filings[0] == ("归集类型", "草稿", "已申报", "已通过", "已退回", "已注销", "合计")
    assert filings[1] == ("企业基本信息", 1, 1, 1, 0, 0, 3) and filings[5] == ("合计", 1, 1, 4, 0, 0, 6)
    monthly = rows("每月申报与审核")
    assert ("2024-05", 4, 3, 0) in monthly and ("合计", 6, 4, 1) in monthly
    assert rows("证照到期提醒")[3] == ("安全生产许可证", 0, 0, 0, 1)
    event = AuditEvent.objects.get(action="export")
    assert event.username == "supervisor"
    assert event.detail == {"list": "statistics", "from": "2024-01", "to": "2024-12", "type": ""}


def test_export_follows_the_filing_type(dataset: dict[str, Any], as_user: Any, reviewer: Any) -> None:
    with at(2024, 7, 1, 9):
        resp = as_user(reviewer).get(
            reverse("supervision:statistics_export"),
            {"month_from": "2024-03", "month_to": "2024-05", "type": "project"},
        )
    wb = openpyxl.load_workbook(io.BytesIO(resp.content))
    assert dict(r[:2] for r in wb["概况"].iter_rows(values_only=True))["归集类型"] == "项目信息"
    assert list(wb["信息归集分类统计"].iter_rows(values_only=True))[1] == ("项目信息", 0, 0, 1, 0, 0, 1)
    assert list(wb["每月申报与审核"].iter_rows(values_only=True))[1:4] == [
        ("2024-03", 0, 0, 0),
        ("2024-04", 0, 0, 0),
        ("2024-05", 1, 1, 0),
    ]


def test_query_count_is_bounded(
    dataset: dict[str, Any], as_user: Any, reviewer: Any, enterprise_a: Any, django_assert_max_num_queries: Any
) -> None:
    c = as_user(reviewer)
    url = reverse("supervision:statistics")
    params = {"month_from": "2023-01", "month_to": "2025-12"}
    c.get(url, params)  # warm the content-type cache

    def count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert c.get(url, params).status_code == 200
        return len(ctx.captured_queries)

    before = count()
    # Much more data in many more months: the page costs the same.
    for month in range(1, 13):
        with at(2025, month, 3, 10):
            for _ in range(3):
                EnterpriseUserFactory()
    for i in range(20):
        bad_behaviour(enterprise_a.enterprise, reviewer, grade=m.Grade.B, decision_no=f"相建罚〔2025〕{i}号")
    assert count() == before
    with django_assert_max_num_queries(24):
        c.get(url, params)


def test_permissions(db: Any, as_user: Any, enterprise_a: Any, reviewer: Any, supervisor: Any, client: Any) -> None:
    for name in ("supervision:statistics", "supervision:statistics_export"):
        url = reverse(name)
        assert as_user(enterprise_a).get(url).status_code == 403
        assert client.get(url).status_code == 302
        assert as_user(supervisor).get(url).status_code == 200
        assert as_user(reviewer).get(url).status_code == 200
    assert not AuditEvent.objects.filter(action="export", username=enterprise_a.username).exists()


def test_months_are_local_calendar_months(filing_in_state: Any, enterprise_a: Any, reviewer: Any) -> None:
    # 00:30 on 1 April in 苏州 is still 31 March in UTC: it counts in April.
    with at(2024, 4, 1, 0, 30):
        filing_in_state(State.DECLARED)
    with at(2024, 3, 31, 23, 30):
        EnterpriseUserFactory()
    t = tables(dashboard(user=reviewer, period=Period(dt.date(2024, 3, 1), dt.date(2024, 4, 1)), today=TODAY))
    assert t["submissions"].rows == [["2024-03", 0, 0, 0], ["2024-04", 1, 0, 0]]
    assert t["enterprises"].rows == [["2024-03", 1], ["2024-04", 0]]


def test_dashboard_is_cached_per_scope_and_says_when(
    dataset: dict[str, Any], as_user: Any, reviewer: Any, settings: Any, monkeypatch: Any
) -> None:
    """At province scale the figures are computed at most once per cache period per scope."""
    from django.core.cache import cache

    settings.LAOWU_STATISTICS_CACHE_SECONDS = 300
    cache.clear()
    # The computation's thread would not see this test's uncommitted rows: run it in place.
    monkeypatch.setattr("laowu.supervision.statistics.in_background", lambda task: task())
    params = {"month_from": "2024-01", "month_to": "2024-12"}
    url = reverse("supervision:statistics")
    with at(2024, 7, 1, 9):
        first = as_user(reviewer).get(url, params).content.decode()
        assert "统计时间：2024-07-01 09:00（每5分钟更新）" in first
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr("laowu.supervision.statistics.dashboard", lambda **kw: pytest.fail("not cached"))
            again = as_user(reviewer).get(url, params).content.decode()
        assert again == first or "统计时间：2024-07-01 09:00" in again
        # Another district's reviewer has figures of their own.
        other = as_user(dataset["other_reviewer"]).get(url, params).content.decode()
        assert "统计时间" in other and other != first
    cache.clear()


@pytest.fixture
def cached(settings: Any, monkeypatch: Any) -> Any:
    """The dashboard cached as in production, its background computations collected, not run."""
    from django.core.cache import cache

    settings.LAOWU_STATISTICS_CACHE_SECONDS = 300
    settings.LAOWU_STATISTICS_WAIT_SECONDS = 0
    cache.clear()
    started: list[Any] = []
    monkeypatch.setattr("laowu.supervision.statistics.in_background", started.append)
    yield started
    cache.clear()


def test_stale_figures_are_shown_while_one_refresh_runs(
    dataset: dict[str, Any], as_user: Any, reviewer: Any, cached: list[Any]
) -> None:
    """Past the refresh period the page still answers from the cache, and starts exactly one
    background refresh per scope; the next request shows the refreshed figures."""
    started = cached
    params = {"month_from": "2024-01", "month_to": "2024-12"}
    url = reverse("supervision:statistics")
    with at(2024, 7, 1, 9):
        as_user(reviewer).get(url, params)
        started.pop()()
        assert "统计时间：2024-07-01 09:00" in as_user(reviewer).get(url, params).content.decode()
    assert started == []
    with at(2024, 7, 1, 9, 10):
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr("laowu.supervision.statistics.dashboard", lambda **kw: pytest.fail("computed in the request"))
            stale = as_user(reviewer).get(url, params).content.decode()
            again = as_user(reviewer).get(url, params).content.decode()
        assert "统计时间：2024-07-01 09:00" in stale and "统计时间：2024-07-01 09:00" in again
        assert len(started) == 1  # the second request found the refresh under way
        started[0]()  # the background thread's work
        fresh = as_user(reviewer).get(url, params).content.decode()
    assert "统计时间：2024-07-01 09:10" in fresh


def test_first_request_says_the_figures_are_being_prepared(
    dataset: dict[str, Any], as_user: Any, reviewer: Any, cached: list[Any]
) -> None:
    """With nothing cached no request waits for the whole computation: the first starts it, the
    page says 正在生成 and reloads itself, and concurrent first requests start no second one."""
    params = {"month_from": "2024-01", "month_to": "2024-12"}
    url = reverse("supervision:statistics")
    with at(2024, 7, 1, 9):
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr("laowu.supervision.statistics.dashboard", lambda **kw: pytest.fail("computed in the request"))
            pages = [as_user(reviewer).get(url, params).content.decode() for _ in range(2)]
        for page in pages:
            assert "统计数据正在生成，请稍候，页面将每3秒自动刷新。" in page
            assert '<meta http-equiv="refresh" content="3">' in page
            assert "统计期间：2024-01 至 2024-12" in page and "统计时间" not in page
        assert len(cached) == 1
        cached[0]()
        ready = as_user(reviewer).get(url, params).content.decode()
    assert "统计时间：2024-07-01 09:00" in ready and "正在生成" not in ready and 'http-equiv="refresh"' not in ready


def test_a_request_waits_briefly_for_figures_being_computed(
    dataset: dict[str, Any], as_user: Any, reviewer: Any, cached: list[Any], settings: Any, monkeypatch: Any
) -> None:
    """A computation that ends within LAOWU_STATISTICS_WAIT_SECONDS is shown by the request that
    started it, without a reload."""
    settings.LAOWU_STATISTICS_WAIT_SECONDS = 5
    monkeypatch.setattr("laowu.supervision.statistics.in_background", lambda task: task())
    with at(2024, 7, 1, 9):
        page = as_user(reviewer).get(reverse("supervision:statistics")).content.decode()
    assert "统计时间：2024-07-01 09:00" in page and "正在生成" not in page


def test_the_workbook_waits_for_figures_not_yet_computed(
    dataset: dict[str, Any], as_user: Any, supervisor: Any, cached: list[Any]
) -> None:
    with at(2024, 7, 1, 9):
        resp = as_user(supervisor).get(
            reverse("supervision:statistics_export"), {"month_from": "2024-01", "month_to": "2024-12"}
        )
    book = openpyxl.load_workbook(io.BytesIO(resp.getvalue()))
    assert len(book.sheetnames) > 1 and cached == []


def test_yesterdays_figures_are_shown_while_todays_are_computed(
    dataset: dict[str, Any], as_user: Any, reviewer: Any, cached: list[Any]
) -> None:
    """The first request of a day is answered at once with the last figures (the page says when
    they were computed) and starts the day's computation, even within the refresh period."""
    url = reverse("supervision:statistics")
    with at(2024, 7, 1, 23, 58):
        as_user(reviewer).get(url)
        cached.pop()()
        assert "统计时间：2024-07-01 23:58" in as_user(reviewer).get(url).content.decode()
    assert cached == []
    with at(2024, 7, 2, 0, 1):
        morning = as_user(reviewer).get(url).content.decode()
    assert "统计时间：2024-07-01 23:58" in morning and len(cached) == 1


def test_a_failed_computation_is_retried_a_minute_later(
    dataset: dict[str, Any], as_user: Any, reviewer: Any, cached: list[Any], monkeypatch: Any
) -> None:
    def broken(**kw: Any) -> Any:
        raise RuntimeError("database went away")

    url = reverse("supervision:statistics")
    with at(2024, 7, 1, 9):
        as_user(reviewer).get(url)
        monkeypatch.setattr("laowu.supervision.statistics.dashboard", broken)
        with pytest.raises(RuntimeError):
            cached[0]()
        assert "正在生成" in as_user(reviewer).get(url).content.decode()
    assert len(cached) == 1  # not retried by every request meanwhile
    with at(2024, 7, 1, 9, 2):
        assert "正在生成" in as_user(reviewer).get(url).content.decode()
    assert len(cached) == 2


def test_the_page_reads_the_users_districts_once(
    dataset: dict[str, Any], as_user: Any, reviewer: Any, settings: Any, monkeypatch: Any
) -> None:
    """Named on the page and part of the figures' cache key: one query for both."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.LAOWU_STATISTICS_CACHE_SECONDS = 300
    cache.clear()
    monkeypatch.setattr("laowu.supervision.statistics.in_background", lambda task: task())
    url = reverse("supervision:statistics")
    clients = {who: as_user(user) for who, user in (("xc", reviewer), ("wz", dataset["other_reviewer"]))}
    pages = {}
    with at(2024, 7, 1, 9):
        for who, client in clients.items():
            client.get(url)  # figures computed and cached
            with CaptureQueriesContext(connection) as ctx:
                pages[who] = client.get(url).content.decode()
            # The signed-in user's own query names the district table too (whether it covers
            # every district, laowu/accounts/otp.py); the page's district reads are the others.
            district_reads = [
                q["sql"]
                for q in ctx.captured_queries
                if '"accounts_district"' in q["sql"] and '"accounts_user"."password"' not in q["sql"]
            ]
            assert len(district_reads) == 1, district_reads
            # session, user, districts: the figures come from the cache
            assert len(ctx.captured_queries) == 3, [q["sql"] for q in ctx.captured_queries]
    # Each user's own districts and figures, never another's.
    assert "统计范围：吴中区。" in pages["wz"] and "吴中区" not in pages["xc"]
    assert f"统计范围：{reviewer.districts.get().name}。" in pages["xc"]
    cache.clear()


def test_districts_read_by_the_page_key_the_figures_as_before(
    dataset: dict[str, Any], reviewer: Any, settings: Any, monkeypatch: Any
) -> None:
    from django.core.cache import cache

    from laowu.supervision import statistics

    settings.LAOWU_STATISTICS_CACHE_SECONDS = 300
    cache.clear()
    computed = statistics.cached_dashboard(user=reviewer, period=YEAR_2024)
    monkeypatch.setattr(statistics, "dashboard", lambda **kw: pytest.fail("not the same key"))
    districts = statistics.user_districts(reviewer)
    assert [d.pk for d in districts] == list(reviewer.districts.values_list("pk", flat=True))
    # As `user.districts.all()` lists them: by code, each the district it names.
    both = StaffFactory(role="reviewer", username="both", districts=[dataset["wuzhong"], *reviewer.districts.all()])
    read = statistics.user_districts(both)
    assert [(d.pk, d.code, str(d)) for d in read] == [(d.pk, d.code, str(d)) for d in both.districts.all()]
    assert len(read) == 2 and read[0].code < read[1].code and not read[0]._state.adding
    assert statistics.cached_dashboard(user=reviewer, period=YEAR_2024, districts=districts) == computed
    # Another district's figures are another key.
    with pytest.raises(pytest.fail.Exception):
        statistics.cached_dashboard(
            user=reviewer, period=YEAR_2024, districts=statistics.user_districts(dataset["other_reviewer"])
        )
    cache.clear()
