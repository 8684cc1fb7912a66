"""The owner's edit page (laowu/review/editing.py) shared by 基本信息, 人员 and 项目信息: a 保存
to a filing that is not editable is refused with each page's message, and nothing changes."""

from __future__ import annotations

from typing import Any

from django.contrib.messages import get_messages
from django.urls import reverse

from laowu.audit.models import AuditEvent
from laowu.enterprises.models import BasicInfo
from laowu.personnel.models import SafetyOfficer
from laowu.review.models import State
from tests.factories import approved_person, approved_project, make_id_number


def flashed(resp: Any) -> list[str]:
    return [str(m) for m in get_messages(resp.wsgi_request)]


def test_basic_info_save_while_declared_is_refused_by_the_service(
    filing_in_state: Any, as_user: Any, enterprise_a: Any
) -> None:
    info = filing_in_state(State.DECLARED)
    resp = as_user(enterprise_a).post(reverse("enterprises:basic_info"), {"office_address": "改过的地址"})
    assert resp.status_code == 302 and resp["Location"] == reverse("enterprises:basic_info")
    assert flashed(resp) == ["当前状态为“已申报”，不能修改。如需修改，请先撤回。"]
    assert BasicInfo.objects.get(pk=info.pk).office_address == info.office_address


def test_basic_info_form_errors_are_flashed_and_shown(filing_in_state: Any, as_user: Any, enterprise_a: Any) -> None:
    filing_in_state(State.DRAFT)
    resp = as_user(enterprise_a).post(reverse("enterprises:basic_info"), {"employee_count": "很多"})
    assert resp.status_code == 200
    assert flashed(resp) == ["保存失败，请按提示修改标红的项目。"]
    assert "请输入整数。" in resp.content.decode()


def test_person_and_project_save_while_approved_is_refused_before_the_form(
    filing_in_state: Any, as_user: Any, enterprise_a: Any, reviewer: Any
) -> None:
    filing_in_state(State.APPROVED)
    person = approved_person(SafetyOfficer, enterprise_a, reviewer, id_number=make_id_number(), name="孙安")
    project = approved_project(enterprise_a, reviewer)
    for filing in (person, project):
        resp = as_user(enterprise_a).post(filing.get_absolute_url(), {"site_manager": "王五", "name": "王五"})
        assert resp.status_code == 302 and resp["Location"] == filing.get_absolute_url()
        assert flashed(resp) == ["当前状态为“已通过”，不能修改。"]
        assert type(filing).objects.get(pk=filing.pk).state == State.APPROVED
    assert SafetyOfficer.objects.get(pk=person.pk).name == "孙安"


def test_person_page_view_is_audited_and_its_save_goes_through_the_person_service(
    as_user: Any, enterprise_a: Any
) -> None:
    c = as_user(enterprise_a)
    person = SafetyOfficer.objects.create(enterprise=enterprise_a.enterprise, name="孙安", id_number=make_id_number())
    assert c.get(person.get_absolute_url()).status_code == 200
    assert AuditEvent.objects.filter(action="personal_data.view").count() == 1
    resp = c.post(person.get_absolute_url(), {"name": "孙安安", "id_number": person.id_number, "consent": "on"})
    assert resp.status_code == 302 and flashed(resp) == ["已保存。附件上传完整后，请点击“提交”。"]
    person.refresh_from_db()
    assert person.name == "孙安安" and person.state == State.DRAFT
