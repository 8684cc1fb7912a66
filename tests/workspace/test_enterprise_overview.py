"""The committee's one-page view of an enterprise: every filing type with its state, the
supervision records, the credit score and the messages, each linked to its filtered list;
within the viewer's districts, personal data masked as on the lists."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from laowu.core.validators import mask_mobile
from laowu.review.registry import filing_models
from laowu.supervision import awards
from laowu.supervision.messaging import send_message
from laowu.supervision.models import InspectionStatus
from tests.factories import DistrictFactory, EnterpriseFactory, StaffFactory, approved_project
from tests.supervision.test_credit import bad_behaviour, inspection

pytestmark = pytest.mark.django_db


def page_of(enterprise: Any) -> str:
    return reverse("directory:enterprise_detail", args=[enterprise.pk])


@pytest.fixture
def everything(enterprise_a: Any, reviewer: Any) -> dict[str, Any]:
    today = timezone.localdate()
    ent = enterprise_a.enterprise
    project = approved_project(enterprise_a, reviewer, project_name="阳澄湖花园项目")
    insp = inspection(project, reviewer, total_score=55, status=InspectionStatus.CLOSED, notice_no="相劳检〔2026〕8号")
    rec = bad_behaviour(
        ent,
        reviewer,
        grade="B",
        points=10,
        decision_no="相劳专〔2026〕12号",
        publicity_start=today - dt.timedelta(days=3),
        publicity_end=today + dt.timedelta(days=200),
    )
    award = awards.nominate(
        enterprise=ent,
        year=today.year,
        title="credit_enterprise",
        reasons="诚信经营",
        actor=reviewer,
        publicity_confirmed=True,
    )
    send_message(enterprise=ent, title="整改提醒：请按期提交整改回复", body="正文")
    return {"project": project, "inspection": insp, "record": rec, "award": award}


def test_one_page_shows_everything_about_the_enterprise(
    as_user: Any, reviewer: Any, enterprise_a: Any, everything: dict[str, Any]
) -> None:
    ent = enterprise_a.enterprise
    resp = as_user(reviewer).get(page_of(ent))
    assert resp.status_code == 200
    html = resp.content.decode()
    # Every registered filing type has its section, by the registry, not by name.
    titles = [s.title for s in resp.context["filing_sections"]]
    assert titles == [m.FILING_LABEL for m in filing_models().values()]
    projects = next(s for s in resp.context["filing_sections"] if s.title == "项目信息")
    assert projects.count == 1 and projects.rows[0].title == "阳澄湖花园项目"
    assert projects.rows[0].state_label in html
    queue = reverse("review:queue")
    assert f"{queue}?type=project&amp;q={ent.credit_code}&amp;status=" in html
    # The supervision records, each with its filtered list.
    assert "相劳检〔2026〕8号" in html and everything["inspection"].get_absolute_url() in html
    assert f"{reverse('supervision:inspection_list')}?enterprise={ent.credit_code}" in html
    assert "相劳专〔2026〕12号" in html
    assert f"{reverse('supervision:bad_behaviour_list')}?q={ent.credit_code}" in html
    assert everything["award"].get_absolute_url() in html
    assert f"{reverse('supervision:award_list')}?q={ent.credit_code}&amp;year=" in html
    # The score: 100 − (B类10 + 10×1) − 检查不合格5 = 75.
    assert resp.context["score"].score == 75 and "75分" in html
    assert "整改提醒：请按期提交整改回复" in html and "未读" in html
    # The reviewer sees the contact's full mobile, as on the lists and exports.
    assert ent.contact_phone in html


def test_the_awards_link_opens_every_year_of_the_enterprise(
    as_user: Any, reviewer: Any, enterprise_a: Any, everything: dict[str, Any]
) -> None:
    client = as_user(reviewer)
    url = client.get(page_of(enterprise_a.enterprise)).context["awards"].list_url
    rows = client.get(url).context["page"].object_list
    assert [a.pk for a in rows] == [everything["award"].pk]


def test_supervisor_sees_the_mobile_masked(as_user: Any, supervisor: Any, enterprise_a: Any) -> None:
    ent = enterprise_a.enterprise
    html = as_user(supervisor).get(page_of(ent)).content.decode()
    assert mask_mobile(ent.contact_phone) in html and ent.contact_phone not in html


def test_outside_the_viewers_districts_is_not_found(as_user: Any, reviewer: Any, enterprise_a: Any) -> None:
    other = EnterpriseFactory(district=DistrictFactory(code="320506", name="吴中区"))
    assert as_user(reviewer).get(page_of(other)).status_code == 404
    assert as_user(reviewer).get(reverse("directory:enterprise_detail", args=[999999])).status_code == 404
    # A committee member of the other district sees it, and not ours.
    theirs = StaffFactory(role="reviewer", districts=[other.district])
    assert as_user(theirs).get(page_of(other)).status_code == 200
    assert as_user(theirs).get(page_of(enterprise_a.enterprise)).status_code == 404
    # An enterprise has no committee page at all.
    assert as_user(enterprise_a).get(page_of(enterprise_a.enterprise)).status_code == 403


def test_an_enterprise_with_nothing_yet(as_user: Any, reviewer: Any, enterprise_a: Any) -> None:
    html = as_user(reviewer).get(page_of(enterprise_a.enterprise)).content.decode()
    assert "无现场检查记录" in html and "无不良行为记录" in html and "尚未向该企业发送站内消息" in html
