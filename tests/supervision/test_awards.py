"""评优创先: nominate (enterprise or project), edit, withdraw, decide; yearly lists and export; permissions."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from laowu.audit.models import AuditEvent
from laowu.audit.services import Action
from laowu.supervision import awards as services
from laowu.supervision.credit import credit_score
from laowu.supervision.models import Award, AwardStatus, Message
from tests.factories import DistrictFactory, EnterpriseFactory, StaffFactory, approved_project, make_pdf_bytes

LIST = reverse("supervision:award_list")
NEW = reverse("supervision:award_new")


def url(name: str, award: Award) -> str:
    return reverse(f"supervision:{name}", args=[award.pk])


@pytest.fixture
def year() -> int:
    return timezone.localdate().year


@pytest.fixture
def nominated(enterprise_a: Any, reviewer: Any, year: int) -> Award:
    return services.nominate(
        enterprise=enterprise_a.enterprise,
        year=year,
        title="excellent_enterprise",
        reasons="实名制管理规范，工资按月足额支付。",
        actor=reviewer,
    )


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# ---------------------------------------------------------------- nominating


def test_nominee_search_without_javascript(as_user: Any, reviewer: Any, enterprise_a: Any, enterprise_b: Any) -> None:
    client = as_user(reviewer)
    page = client.get(NEW)
    assert page.status_code == 200 and page.context["kind"] == "enterprise"
    assert {e.pk for e in page.context["page"].object_list} == {enterprise_a.enterprise.pk, enterprise_b.enterprise.pk}
    page = client.get(NEW, {"q": enterprise_b.enterprise.credit_code})
    assert [e.pk for e in page.context["page"].object_list] == [enterprise_b.enterprise.pk]
    assert f'href="{NEW}?enterprise={enterprise_b.enterprise.pk}"' in page.content.decode()
    # Another district's enterprise is neither listed nor reachable.
    other = EnterpriseFactory(district=DistrictFactory(code="320506", name="吴中区"))
    assert other not in client.get(NEW).context["page"].object_list
    assert client.get(NEW, {"enterprise": other.pk}).status_code == 404


def test_only_approved_projects_are_offered(as_user: Any, reviewer: Any, enterprise_a: Any) -> None:
    project = approved_project(enterprise_a, reviewer, project_name="相城区阳澄湖花园项目")
    client = as_user(reviewer)
    page = client.get(NEW, {"kind": "project", "q": "阳澄湖"})
    assert [p.pk for p in page.context["page"].object_list] == [project.pk]
    form_page = client.get(NEW, {"project": project.pk})
    html = form_page.content.decode()
    assert "相城区阳澄湖花园项目" in html and "劳务管理优秀项目" in html and "优秀劳务企业" not in html


def test_nominate_an_enterprise_through_the_pages(as_user: Any, reviewer: Any, enterprise_a: Any, year: int) -> None:
    client = as_user(reviewer)
    page = client.get(NEW, {"enterprise": enterprise_a.enterprise.pk})
    assert page.status_code == 200 and enterprise_a.enterprise.name in page.content.decode()
    response = client.post(
        NEW,
        {"enterprise": enterprise_a.enterprise.pk, "year": year, "title": "credit_enterprise", "reasons": "诚信经营"},
    )
    award = Award.objects.get()
    assert response.status_code == 302 and response.url == award.get_absolute_url()
    assert (award.status, award.year, award.title, award.project) == (
        AwardStatus.NOMINATED,
        year,
        "credit_enterprise",
        None,
    )
    assert AuditEvent.objects.filter(action=Action.AWARD_SAVE, object_id=str(award.pk)).count() == 1
    # The support material is uploaded on its page through the one attachment mechanism.
    upload = SimpleUploadedFile("推荐材料.pdf", make_pdf_bytes("support"), "application/pdf")
    client.post(reverse("documents:upload", args=["award", award.pk]), {"kind": "support", "file": upload})
    assert award.attachments.filter(kind="support").count() == 1
    detail = client.get(award.get_absolute_url()).content.decode()
    assert "推荐材料.pdf" in detail and "撤回" in detail and "评定结果" in detail


def test_nominate_a_project(as_user: Any, reviewer: Any, enterprise_a: Any, year: int) -> None:
    project = approved_project(enterprise_a, reviewer)
    client = as_user(reviewer)
    # An enterprise award for a project is refused beside the field.
    bad = client.post(NEW, {"project": project.pk, "year": year, "title": "excellent_enterprise", "reasons": "好"})
    assert bad.status_code == 200 and "title" in bad.context["form"].errors
    response = client.post(NEW, {"project": project.pk, "year": year, "title": "safe_project", "reasons": "标准化工地"})
    award = Award.objects.get()
    assert response.status_code == 302
    assert (award.enterprise, award.project) == (enterprise_a.enterprise, project)


def test_project_of_another_district_is_not_found(as_user: Any, reviewer: Any, enterprise_a: Any, year: int) -> None:
    project = approved_project(enterprise_a, reviewer)
    other = StaffFactory(role="reviewer", username="wz", districts=[DistrictFactory(code="320506", name="吴中区")])
    response = as_user(other).post(NEW, {"project": project.pk, "year": year, "title": "safe_project", "reasons": "x"})
    assert response.status_code == 404 and not Award.objects.exists()


def test_a_duplicate_nomination_gets_a_clear_message(
    as_user: Any, reviewer: Any, enterprise_a: Any, nominated: Award, year: int
) -> None:
    response = as_user(reviewer).post(
        NEW,
        {"enterprise": enterprise_a.enterprise.pk, "year": year, "title": "excellent_enterprise", "reasons": "再推荐"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert f"该企业已被推荐参评{year}年度“优秀劳务企业”（当前状态：已推荐），不能重复推荐。" in html
    assert "再推荐" in html  # the input is kept
    assert Award.objects.count() == 1
    # Another year, or another award, is a different nomination.
    services.nominate(
        enterprise=enterprise_a.enterprise, year=year - 1, title="excellent_enterprise", reasons="x", actor=reviewer
    )
    assert Award.objects.count() == 2


def test_required_fields(as_user: Any, reviewer: Any, enterprise_a: Any) -> None:
    response = as_user(reviewer).post(NEW, {"enterprise": enterprise_a.enterprise.pk, "year": "", "title": ""})
    errors = response.context["form"].errors
    assert errors["year"] == ["请选择年度。"] and errors["title"] == ["请选择奖项。"]
    assert errors["reasons"] == ["请填写推荐理由。"]


# ---------------------------------------------------------------- while 已推荐


def test_edit_while_nominated(as_user: Any, reviewer: Any, nominated: Award, year: int) -> None:
    client = as_user(reviewer)
    response = client.post(
        url("award_edit", nominated), {"year": year - 1, "title": "credit_enterprise", "reasons": "改写的理由"}
    )
    assert response.status_code == 302
    nominated.refresh_from_db()
    assert (nominated.year, nominated.title, nominated.reasons) == (year - 1, "credit_enterprise", "改写的理由")
    event = AuditEvent.objects.filter(action=Action.AWARD_SAVE).latest("id")
    assert event.detail == {"operation": "edit", "changed": ["year", "title", "reasons"]}


def test_edit_into_a_duplicate_is_refused(
    as_user: Any, reviewer: Any, enterprise_a: Any, nominated: Award, year: int
) -> None:
    other = services.nominate(
        enterprise=enterprise_a.enterprise, year=year, title="credit_enterprise", reasons="x", actor=reviewer
    )
    response = as_user(reviewer).post(
        url("award_edit", other), {"year": year, "title": "excellent_enterprise", "reasons": "x"}
    )
    assert response.status_code == 200 and "不能重复推荐" in response.content.decode()
    other.refresh_from_db()
    assert other.title == "credit_enterprise"


def test_withdraw_then_nominate_again(
    as_user: Any, reviewer: Any, enterprise_a: Any, nominated: Award, year: int
) -> None:
    client = as_user(reviewer)
    assert 'data-confirm="确定撤回' in client.get(nominated.get_absolute_url()).content.decode()
    response = client.post(url("award_withdraw", nominated), follow=True)
    assert "已撤回" in " ".join(messages_of(response))
    nominated.refresh_from_db()
    assert nominated.status == AwardStatus.WITHDRAWN
    # A second click changes nothing and says why.
    again = client.post(url("award_withdraw", nominated), follow=True)
    assert "当前为“已撤回”，不能撤回" in " ".join(messages_of(again))
    # Withdrawn nominations cannot be edited; the same nomination can be made again.
    assert client.get(url("award_edit", nominated)).status_code == 302
    revived = services.nominate(
        enterprise=enterprise_a.enterprise, year=year, title="excellent_enterprise", reasons="重新推荐", actor=reviewer
    )
    assert revived.pk == nominated.pk and revived.status == AwardStatus.NOMINATED and revived.reasons == "重新推荐"


# ---------------------------------------------------------------- the result


def test_grant_tells_the_enterprise_and_adds_to_the_score(
    as_user: Any, reviewer: Any, enterprise_a: Any, nominated: Award
) -> None:
    before = credit_score(enterprise_a.enterprise).score
    today = timezone.localdate()
    response = as_user(reviewer).post(
        url("award_decide", nominated), {"result": "granted", "decided_on": today.isoformat()}
    )
    assert response.status_code == 302
    nominated.refresh_from_db()
    assert (nominated.status, nominated.decided_on) == (AwardStatus.GRANTED, today)
    message = Message.objects.get(enterprise=enterprise_a.enterprise)
    assert "已获评" in message.body and message.link == nominated.get_absolute_url()
    assert credit_score(enterprise_a.enterprise).score == before + 5
    assert AuditEvent.objects.get(action=Action.AWARD_DECIDE).detail["result"] == "granted"
    # Decided: no more edit, withdraw, decide or uploads.
    client = as_user(reviewer)
    detail = client.get(nominated.get_absolute_url()).content.decode()
    assert "award_withdraw" not in detail and url("award_withdraw", nominated) not in detail
    again = client.post(
        url("award_decide", nominated), {"result": "not_granted", "decided_on": today.isoformat()}, follow=True
    )
    assert "该推荐当前为“已获评”，不能登记评定结果" in " ".join(messages_of(again))
    nominated.refresh_from_db()
    assert nominated.status == AwardStatus.GRANTED and Message.objects.count() == 1
    upload = SimpleUploadedFile("迟到.pdf", make_pdf_bytes("late"), "application/pdf")
    client.post(reverse("documents:upload", args=["award", nominated.pk]), {"kind": "support", "file": upload})
    assert not nominated.attachments.exists()


def test_not_granted_adds_nothing(reviewer: Any, enterprise_a: Any, nominated: Award) -> None:
    services.decide(award=nominated, granted=False, decided_on=timezone.localdate(), actor=reviewer)
    nominated.refresh_from_db()
    assert nominated.status == AwardStatus.NOT_GRANTED
    assert credit_score(enterprise_a.enterprise).score == 100
    assert "未获评" in Message.objects.get().body


def test_decision_date_checks(as_user: Any, reviewer: Any, nominated: Award) -> None:
    client = as_user(reviewer)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = client.post(url("award_decide", nominated), {"result": "granted", "decided_on": tomorrow.isoformat()})
    assert response.status_code == 400 and "评定日期不能晚于今天。" in response.content.decode()
    early = dt.date(nominated.year - 1, 12, 31)
    response = client.post(url("award_decide", nominated), {"result": "granted", "decided_on": early.isoformat()})
    assert response.status_code == 400 and f"评定日期不能早于{nominated.year}年" in response.content.decode()
    response = client.post(url("award_decide", nominated), {"decided_on": ""})
    assert response.status_code == 400 and "请选择评定结果。" in response.content.decode()
    nominated.refresh_from_db()
    assert nominated.status == AwardStatus.NOMINATED and not Message.objects.exists()


def test_decide_twice_is_refused_by_the_service(reviewer: Any, nominated: Award) -> None:
    services.decide(award=nominated, granted=True, decided_on=timezone.localdate(), actor=reviewer)
    with pytest.raises(ValidationError, match="当前为“已获评”"):
        services.decide(award=nominated, granted=False, decided_on=timezone.localdate(), actor=reviewer)


# ---------------------------------------------------------------- lists and export


@pytest.fixture
def several(enterprise_a: Any, enterprise_b: Any, reviewer: Any, year: int) -> list[Award]:
    a, b = enterprise_a.enterprise, enterprise_b.enterprise
    made = [
        services.nominate(enterprise=a, year=year, title="excellent_enterprise", reasons="甲", actor=reviewer),
        services.nominate(enterprise=b, year=year, title="credit_enterprise", reasons="乙", actor=reviewer),
        services.nominate(enterprise=b, year=year - 1, title="excellent_enterprise", reasons="丙", actor=reviewer),
    ]
    services.decide(award=made[2], granted=True, decided_on=timezone.localdate(), actor=reviewer)
    return made


def test_list_per_year_with_search(
    as_user: Any, reviewer: Any, enterprise_b: Any, several: list[Award], year: int
) -> None:
    client = as_user(reviewer)
    pks = lambda r: {a.pk for a in r.context["page"].object_list}  # noqa: E731
    # The latest year opens by default.
    assert pks(client.get(LIST)) == {several[0].pk, several[1].pk}
    assert pks(client.get(LIST, {"year": year - 1})) == {several[2].pk}
    assert pks(client.get(LIST, {"year": ""})) == {a.pk for a in several}
    assert pks(client.get(LIST, {"year": "", "q": enterprise_b.enterprise.name})) == {several[1].pk, several[2].pk}
    assert pks(client.get(LIST, {"year": "", "title": "excellent_enterprise"})) == {several[0].pk, several[2].pk}
    assert pks(client.get(LIST, {"year": "", "status": "granted"})) == {several[2].pk}
    html = client.get(LIST).content.decode()
    assert f'<option value="{year - 1}">{year - 1}年度</option>' in html and ">推荐</a>" in html


def test_list_paginates(as_user: Any, reviewer: Any, year: int) -> None:
    for _ in range(23):
        services.nominate(
            enterprise=EnterpriseFactory(), year=year, title="excellent_enterprise", reasons="x", actor=reviewer
        )
    client = as_user(reviewer)
    assert len(client.get(LIST).context["page"].object_list) == 20
    assert len(client.get(LIST, {"page": 2}).context["page"].object_list) == 3


def test_export_follows_the_filters(as_user: Any, supervisor: Any, several: list[Award], year: int) -> None:
    response = as_user(supervisor).get(reverse("supervision:award_export"), {"year": year - 1})
    assert response.status_code == 200
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("年度", "奖项", "推荐企业")
    assert len(rows) == 2 and rows[1][0] == year - 1 and rows[1][7] == "已获评"
    assert AuditEvent.objects.get(action=Action.EXPORT).detail == {"list": "award", "year": year - 1}


# ---------------------------------------------------------------- permissions


def test_supervisor_reads_but_cannot_change(
    as_user: Any, supervisor: Any, enterprise_a: Any, nominated: Award, year: int
) -> None:
    client = as_user(supervisor)
    page = client.get(LIST)
    assert page.status_code == 200 and nominated in page.context["page"].object_list
    assert ">推荐</a>" not in page.content.decode()
    detail = client.get(nominated.get_absolute_url())
    assert detail.status_code == 200 and url("award_withdraw", nominated) not in detail.content.decode()
    assert client.get(NEW).status_code == 403
    assert (
        client.post(
            NEW, {"enterprise": enterprise_a.enterprise.pk, "year": year, "title": "credit_enterprise", "reasons": "x"}
        ).status_code
        == 403
    )
    assert client.get(url("award_edit", nominated)).status_code == 403
    assert client.post(url("award_withdraw", nominated)).status_code == 403
    assert (
        client.post(url("award_decide", nominated), {"result": "granted", "decided_on": "2026-01-05"}).status_code
        == 403
    )
    upload = SimpleUploadedFile("x.pdf", make_pdf_bytes("sup"), "application/pdf")
    client.post(reverse("documents:upload", args=["award", nominated.pk]), {"kind": "support", "file": upload})
    nominated.refresh_from_db()
    assert nominated.status == AwardStatus.NOMINATED and Award.objects.count() == 1
    assert not nominated.attachments.exists()


def test_reviewer_of_another_district_cannot_touch_it(as_user: Any, nominated: Award) -> None:
    other = StaffFactory(role="reviewer", username="wz", districts=[DistrictFactory(code="320506", name="吴中区")])
    client = as_user(other)
    assert nominated not in client.get(LIST, {"year": ""}).context["page"].object_list
    assert client.get(nominated.get_absolute_url()).status_code == 404
    assert client.post(url("award_withdraw", nominated)).status_code == 404
    nominated.refresh_from_db()
    assert nominated.status == AwardStatus.NOMINATED


def test_enterprise_sees_its_own_awards_only(
    as_user: Any, enterprise_a: Any, enterprise_b: Any, reviewer: Any, nominated: Award
) -> None:
    a, b = as_user(enterprise_a), as_user(enterprise_b)
    assert a.get(LIST).status_code == 403 and a.get(NEW).status_code == 403
    page = a.get(nominated.get_absolute_url())
    assert page.status_code == 200
    assert url("award_withdraw", nominated) not in page.content.decode()
    assert b.get(nominated.get_absolute_url()).status_code == 404
    assert a.post(url("award_withdraw", nominated)).status_code == 403
    services.withdraw(award=nominated, actor=reviewer)
    assert a.get(nominated.get_absolute_url()).status_code == 404


# ---------------------------------------------------------------- under 不良行为公示


@pytest.fixture
def in_publicity(enterprise_a: Any, reviewer: Any) -> Any:
    from tests.supervision.test_credit import bad_behaviour

    today = timezone.localdate()
    return bad_behaviour(
        enterprise_a.enterprise,
        reviewer,
        grade="A",
        decision_no="相劳专〔2026〕31号",
        publicity_start=today - dt.timedelta(days=5),
        publicity_end=today + dt.timedelta(days=200),
    )


def test_nominating_an_enterprise_under_publicity_warns_and_needs_confirmation(
    as_user: Any, reviewer: Any, enterprise_a: Any, year: int, in_publicity: Any
) -> None:
    client = as_user(reviewer)
    html = client.get(NEW, {"enterprise": enterprise_a.enterprise.pk}).content.decode()
    assert "正在不良行为公示期内（1条记录）" in html and "相劳专〔2026〕31号" in html
    assert 'name="publicity_confirmed"' in html
    data = {"enterprise": enterprise_a.enterprise.pk, "year": year, "title": "credit_enterprise", "reasons": "诚信经营"}
    refused = client.post(NEW, data)
    assert refused.status_code == 200 and not Award.objects.exists()
    assert services.PUBLICITY_CONFIRM_MESSAGE in refused.context["form"].errors["publicity_confirmed"]
    assert "诚信经营" in refused.content.decode()  # what was typed is kept
    accepted = client.post(NEW, {**data, "publicity_confirmed": "on"})
    award = Award.objects.get()
    assert accepted.status_code == 302
    event = AuditEvent.objects.get(action=Action.AWARD_SAVE, object_id=str(award.pk))
    assert event.detail["in_publicity"] == ["相劳专〔2026〕31号"]
    # The nomination's page keeps warning while it waits for a result.
    assert "正在不良行为公示期内" in client.get(award.get_absolute_url()).content.decode()


def test_service_refuses_an_unconfirmed_nomination_under_publicity(
    reviewer: Any, enterprise_a: Any, year: int, in_publicity: Any
) -> None:
    with pytest.raises(ValidationError) as exc:
        services.nominate(
            enterprise=enterprise_a.enterprise, year=year, title="credit_enterprise", reasons="x", actor=reviewer
        )
    assert "publicity_confirmed" in exc.value.error_dict


def test_no_warning_nor_question_for_an_enterprise_not_in_publicity(
    as_user: Any, reviewer: Any, enterprise_a: Any, enterprise_b: Any, in_publicity: Any
) -> None:
    html = as_user(reviewer).get(NEW, {"enterprise": enterprise_b.enterprise.pk}).content.decode()
    assert "不良行为公示期内" not in html and "publicity_confirmed" not in html
