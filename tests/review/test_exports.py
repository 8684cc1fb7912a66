"""Excel exports of the committee's 待审核 queue and 企业列表: filtered as on screen, scoped to the
user's districts, personal data masked for supervisors, audited, closed to enterprises."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import openpyxl
from django.urls import reverse
from django.utils import timezone

from laowu.audit.models import AuditEvent
from laowu.review import services as workflow
from laowu.review.models import State, Submission
from tests.factories import DistrictFactory, EnterpriseFactory, EnterpriseUserFactory, StaffFactory, complete_basic_info


def cells(resp: Any) -> list[tuple[Any, ...]]:
    assert resp.status_code == 200
    assert resp["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return list(openpyxl.load_workbook(io.BytesIO(resp.content)).active.iter_rows(values_only=True))


def other_district_enterprise() -> Any:
    user = EnterpriseUserFactory(enterprise=EnterpriseFactory(district=DistrictFactory(code="320506", name="吴中区")))
    workflow.declare(filing=complete_basic_info(user.enterprise, actor=user), actor=user)
    return user


def test_queue_export_follows_the_filters_and_the_district(
    filing_in_state: Any, as_user: Any, enterprise_a: Any, enterprise_b: Any, reviewer: Any
) -> None:
    filing_in_state(State.DECLARED)
    info_b = complete_basic_info(enterprise_b.enterprise, actor=enterprise_b)
    workflow.reject(
        submission=workflow.declare(filing=info_b, actor=enterprise_b), actor=reviewer, reason="资质证书模糊"
    )
    outsider = other_district_enterprise()
    c = as_user(reviewer)
    url = reverse("review:queue_export")

    pending = cells(c.get(url))
    assert pending[0] == (
        "类型",
        "申报名称",
        "企业名称",
        "统一社会信用代码",
        "版本",
        "申报时间",
        "状态",
        "审核时间",
        "审核人",
        "退回原因",
    )
    assert [(r[0], r[2], r[3], r[4], r[6]) for r in pending[1:]] == [
        ("企业基本信息", enterprise_a.enterprise.name, enterprise_a.enterprise.credit_code, 1, "待审核")
    ]
    assert outsider.enterprise.name not in str(pending)
    # Times are date cells in the platform's time zone, to the minute; nothing decided is empty.
    declared = Submission.objects.get(enterprise=enterprise_a.enterprise).declared_at
    assert pending[1][5] == timezone.localtime(declared).replace(tzinfo=None, second=0, microsecond=0)
    assert pending[1][7] is None and pending[1][8] is None

    rejected = cells(c.get(url, {"status": "rejected"}))
    assert len(rejected) == 2 and rejected[1][2] == enterprise_b.enterprise.name
    assert rejected[1][6] == "已退回" and rejected[1][8] == str(reviewer) and rejected[1][9] == "资质证书模糊"

    everything = cells(c.get(url, {"status": "", "q": enterprise_b.enterprise.credit_code}))
    assert [r[2] for r in everything[1:]] == [enterprise_b.enterprise.name]
    assert cells(c.get(url, {"type": "project"}))[1:] == []
    # As on the page: a search without a status covers every status.
    assert len(cells(c.get(url, {"type": "basic_info"}))) == 3
    assert len(cells(c.get(url, {"type": "basic_info", "status": "pending"}))) == 2

    events = AuditEvent.objects.filter(action="export", username="reviewer")
    assert events.count() == 6
    assert events.filter(detail__list="review_queue", detail__status="rejected").exists()


def test_queue_page_links_to_its_export_with_the_filters(filing_in_state: Any, as_user: Any, supervisor: Any) -> None:
    filing_in_state(State.DECLARED)
    c = as_user(supervisor)
    page = c.get(reverse("review:queue"), {"type": "basic_info", "status": "pending"}).content.decode()
    assert f'href="{reverse("review:queue_export")}?type=basic_info&amp;status=pending"' in page
    rows = cells(c.get(reverse("review:queue_export"), {"type": "basic_info", "status": "pending"}))
    assert len(rows) == 2 and rows[1][6] == "待审核"


def test_enterprise_export_masks_phones_for_supervisors(
    filing_in_state: Any, as_user: Any, enterprise_a: Any, enterprise_b: Any, reviewer: Any, supervisor: Any
) -> None:
    filing_in_state(State.APPROVED)
    outsider = other_district_enterprise()
    a, b = enterprise_a.enterprise, enterprise_b.enterprise
    url = reverse("directory:enterprise_export")

    full = cells(as_user(reviewer).get(url))
    assert full[0][:7] == (
        "企业名称",
        "统一社会信用代码",
        "行政区划",
        "联系人",
        "联系人手机号码",
        "天眼查核验",
        "基本信息状态",
    )
    by_name = {r[0]: r for r in full[1:]}
    assert set(by_name) == {a.name, b.name} and outsider.enterprise.name not in by_name
    assert by_name[a.name][4] == a.contact_phone and by_name[a.name][6] == "已通过"
    assert by_name[a.name][8] == "D332012345" and by_name[b.name][6] == "未填报"
    # Dates are date cells a spreadsheet can sort and filter; an empty value is an empty cell.
    assert isinstance(by_name[a.name][9], dt.datetime) and isinstance(by_name[a.name][12], dt.datetime)
    assert by_name[b.name][7] is None and by_name[b.name][9] is None

    masked = {r[0]: r for r in cells(as_user(supervisor).get(url))[1:]}
    phone = a.contact_phone
    assert masked[a.name][4] == phone[:3] + "****" + phone[-4:] and phone not in str(masked)

    searched = cells(as_user(supervisor).get(url, {"q": b.credit_code}))
    assert [r[0] for r in searched[1:]] == [b.name]

    details = sorted((e.username, e.detail["full_personal_data"]) for e in AuditEvent.objects.filter(action="export"))
    assert details == [("reviewer", True), ("supervisor", False), ("supervisor", False)]


def test_enterprise_list_links_to_its_export(db: Any, as_user: Any, reviewer: Any) -> None:
    page = as_user(reviewer).get(reverse("directory:enterprise_list"), {"q": "测试"}).content.decode()
    assert f'href="{reverse("directory:enterprise_export")}?q=%E6%B5%8B%E8%AF%95"' in page


def test_other_district_reviewer_exports_nothing(filing_in_state: Any, as_user: Any) -> None:
    filing_in_state(State.DECLARED)
    stranger = StaffFactory(role="reviewer", username="gusu", districts=[DistrictFactory(code="320508", name="姑苏区")])
    c = as_user(stranger)
    assert cells(c.get(reverse("review:queue_export")))[1:] == []
    assert cells(c.get(reverse("directory:enterprise_export")))[1:] == []


def test_enterprise_users_may_not_export(enterprise_a: Any, as_user: Any, client: Any) -> None:
    for name in ("review:queue_export", "directory:enterprise_export"):
        assert as_user(enterprise_a).get(reverse(name)).status_code == 403
        assert client.get(reverse(name)).status_code == 302
    assert not AuditEvent.objects.filter(action="export").exists()
