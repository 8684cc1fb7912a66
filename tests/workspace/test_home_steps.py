"""The enterprise's home page says where each filing stands and the next step; the pages of a
blocked step say why and what to do first, with the committee's contact, before any refused
POST; the reviewer's home shows the pending counts."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from laowu.enterprises.models import BasicInfo
from laowu.personnel.models import SafetyOfficer, WageManager
from laowu.review import services as workflow
from laowu.workspace import steps
from tests.factories import (
    CatalogueFactory,
    approved_person,
    approved_project,
    complete_basic_info,
    complete_person,
    make_id_number,
)

pytestmark = pytest.mark.django_db

HOME = reverse("workspace:home")
CONTACT = "如有疑问请联系区劳务专委会：周老师 0512-65001234"


@pytest.fixture(autouse=True)
def _contact(settings: Any) -> None:
    settings.LAOWU_COMMITTEE_CONTACT_NAME = "周老师"
    settings.LAOWU_COMMITTEE_CONTACT_PHONE = "0512-65001234"


def text(response: Any) -> str:
    """The page's words without tags, so sentences split by links still match."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", response.content.decode()))


def by_key(enterprise: Any) -> dict[str, steps.Step]:
    return {s.key: s for s in steps.enterprise_steps(enterprise)}


def approve_basic_info(user: Any, reviewer: Any) -> BasicInfo:
    info = complete_basic_info(user.enterprise, actor=user)
    workflow.approve(submission=workflow.declare(filing=info, actor=user), actor=reviewer)
    return BasicInfo.objects.get(pk=info.pk)


# ---------------------------------------------------------------- the home page's 办理进度


def test_a_new_enterprise_is_told_to_start_with_basic_info(enterprise_a: Any, as_user: Any) -> None:
    page = text(as_user(enterprise_a).get(HOME))
    assert "办理进度" in page
    assert "下一步：请先完成基本信息归集并申报" in page
    # Personnel and projects wait for it, and say so.
    assert page.count("下一步：基本信息审核通过后才能提交（基本信息尚未申报），现在可以先新增、保存。") == 3
    assert page.count("先去：基本信息归集") == 3
    assert CONTACT in page
    tones = {k: s.tone for k, s in by_key(enterprise_a.enterprise).items()}
    assert tones == {"basic_info": "todo", "safety": "blocked", "wage": "blocked", "projects": "blocked"}


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("declared", "下一步：等待审核。审核结果会通过站内消息和短信通知您。"),
        ("rejected", "下一步：已退回：营业执照不清晰 请修改后重新申报。"),
        ("approved", "下一步：已通过。可在基本信息归集中打印企业基本情况表。"),
    ],
)
def test_basic_info_state_and_next_step(
    state: str, expected: str, filing_in_state: Any, enterprise_a: Any, as_user: Any
) -> None:
    filing_in_state(state)
    page = text(as_user(enterprise_a).get(HOME))
    assert expected in page
    label = {"declared": "已申报 1", "rejected": "已退回 1", "approved": "已通过 1"}[state]
    assert label in page


def test_a_change_in_progress_is_a_step_to_finish(filing_in_state: Any, enterprise_a: Any) -> None:
    info = filing_in_state("approved")
    workflow.start_change(filing=info, actor=enterprise_a)
    step = by_key(enterprise_a.enterprise)["basic_info"]
    assert step.tone == "todo" and step.next_step.startswith("变更尚未申报")
    # The approved revision stays valid meanwhile: personnel are not blocked by the change.
    assert by_key(enterprise_a.enterprise)["safety"].tone == "todo"


def test_personnel_counts_rejected_first_with_reasons(
    enterprise_a: Any, reviewer: Any, as_user: Any, django_assert_max_num_queries: Any
) -> None:
    approve_basic_info(enterprise_a, reviewer)
    approved_person(SafetyOfficer, enterprise_a, reviewer, id_number=make_id_number(), name="孙安")
    sent_back = complete_person(SafetyOfficer, enterprise_a, id_number=make_id_number(), name="赵强")
    workflow.reject(
        submission=workflow.declare(filing=sent_back, actor=enterprise_a), actor=reviewer, reason="证书照片模糊"
    )
    complete_person(WageManager, enterprise_a, id_number=make_id_number(), name="钱劳")

    client = as_user(enterprise_a)
    with django_assert_max_num_queries(40):
        page = text(client.get(HOME))
    assert "已通过 1 已退回 1" in page
    assert "下一步：已退回1人，请按退回原因修改后重新提交。" in page
    assert "赵强：证书照片模糊" in page
    assert "下一步：1人尚未提交：请补全信息、上传附件后点击“提交”。" in page
    # No approved 劳资专管员 yet: the project cannot pick one.
    projects = by_key(enterprise_a.enterprise)["projects"]
    assert projects.tone == "blocked" and "暂无审核通过的劳资专管员，项目中无人可选" in projects.next_step
    assert projects.action_url == reverse("personnel:list", args=["wage"])


def test_projects_wait_for_a_contract_in_the_catalogue(enterprise_a: Any, reviewer: Any) -> None:
    approve_basic_info(enterprise_a, reviewer)
    for model, name in ((SafetyOfficer, "孙安"), (WageManager, "钱劳")):
        approved_person(model, enterprise_a, reviewer, id_number=make_id_number(), name=name)
    enterprise = enterprise_a.enterprise
    projects = by_key(enterprise)["projects"]
    assert projects.tone == "blocked" and "省合同归集系统中暂无本企业的劳务分包合同" in projects.next_step
    assert projects.action_url == reverse("workspace:help") + "#projects"
    # The page itself says which credit code the catalogue must name.
    gate = steps.catalogue_gate(enterprise)
    assert gate is not None and enterprise.credit_code in gate.reason

    CatalogueFactory(subcontractor=enterprise.name, subcontractor_credit_code=enterprise.credit_code)
    projects = by_key(enterprise)["projects"]
    assert projects.tone == "todo" and "选择项目" in projects.next_step
    assert projects.action_url == reverse("contracts:new")


def test_approved_projects_are_done(enterprise_a: Any, reviewer: Any) -> None:
    approved_project(enterprise_a, reviewer)
    projects = by_key(enterprise_a.enterprise)["projects"]
    assert projects.tone == "done" and projects.next_step == "已有1个项目审核通过。"
    assert projects.counts == [("approved", "已通过", 1)]


# ---------------------------------------------------------------- blocked pages say so first


def test_personnel_pages_say_basic_info_comes_first(enterprise_a: Any, reviewer: Any, as_user: Any) -> None:
    client = as_user(enterprise_a)
    for url in (reverse("personnel:list", args=["safety"]), reverse("personnel:new", args=["wage"])):
        response = client.get(url)
        page = text(response)
        assert "企业基本信息审核通过后才能提交人员信息" in page, url
        assert "先去：基本信息归集" in page and CONTACT in page, url
        assert f'href="{reverse("enterprises:basic_info")}"' in response.content.decode()

    approve_basic_info(enterprise_a, reviewer)
    assert "才能提交人员信息" not in text(client.get(reverse("personnel:list", args=["safety"])))


def test_project_pages_say_what_is_missing(enterprise_a: Any, reviewer: Any, as_user: Any) -> None:
    client = as_user(enterprise_a)
    approve_basic_info(enterprise_a, reviewer)
    approved_person(SafetyOfficer, enterprise_a, reviewer, id_number=make_id_number(), name="孙安")

    page = text(client.get(reverse("contracts:new")))
    assert "才能提交项目信息" not in page
    assert "本企业暂无审核通过的劳资专管员" in page and "先去：劳资专管员归集" in page
    assert "暂无审核通过的安全员" not in page
    assert "省合同归集系统中暂无劳务分包单位为本企业" in page and CONTACT in page
    assert "省合同归集系统中暂无劳务分包单位为本企业" in text(client.get(reverse("contracts:list")))

    picker = reverse("contracts:picker")
    assert "先去：帮助：项目信息归集" in text(client.get(picker))
    partial = text(client.get(picker, {"partial": "1"}))
    assert "省合同归集系统中暂无劳务分包单位为本企业" in partial and CONTACT in partial
    assert "没有符合条件的合同" in text(client.get(picker, {"q": "不存在的项目"}))


def test_a_projects_form_with_nobody_to_pick_says_why(enterprise_a: Any, reviewer: Any, as_user: Any) -> None:
    from laowu.contracts.services import select_contract

    approve_basic_info(enterprise_a, reviewer)
    enterprise = enterprise_a.enterprise
    contract = CatalogueFactory(subcontractor=enterprise.name, subcontractor_credit_code=enterprise.credit_code)
    filing = select_contract(enterprise=enterprise, catalogue_id=contract.pk, actor=enterprise_a)
    page = text(as_user(enterprise_a).get(filing.get_absolute_url()))
    assert "项目信息中“安全员”的下拉框暂无可选人员" in page and "先去：安全员归集" in page
    assert "项目信息中“劳资专管员”的下拉框暂无可选人员" in page
    # Everything already filed: nothing to do first here, so it points at where new contracts come from.
    gate = steps.catalogue_gate(enterprise)
    assert gate is not None and gate.key == "catalogue_filed"
    assert gate.first_url == reverse("workspace:help") + "#projects"


def test_gates_are_for_the_enterprise_only(reviewer: Any, as_user: Any, enterprise_a: Any) -> None:
    # The committee's list of personnel uses other templates; the tag itself renders nothing for it.
    from django.template import Context, Template
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = reviewer
    rendered = Template('{% load workspace_steps %}{% step_gates "personnel" %}').render(Context({"request": request}))
    assert rendered.strip() == ""


# ---------------------------------------------------------------- the reviewer's home


@pytest.mark.parametrize("role", ["reviewer", "supervisor"])
def test_committee_home_shows_pending_per_type(
    role: str, request: pytest.FixtureRequest, enterprise_a: Any, enterprise_b: Any, as_user: Any
) -> None:
    for user in (enterprise_a, enterprise_b):
        workflow.declare(filing=complete_basic_info(user.enterprise, actor=user), actor=user)
    user = request.getfixturevalue(role)
    response = as_user(user).get(HOME)
    html = response.content.decode()
    queue = reverse("review:queue")
    assert f'href="{queue}?type=basic_info"' in html
    assert f'href="{queue}?type=safety_officer"' in html and f'href="{queue}?type=project"' in html
    page = text(response)
    assert "待审核 2" in page
    assert "企业基本信息2条待审核" in page.replace(" ", "")
    assert "安全员0条待审核" in page.replace(" ", "")
