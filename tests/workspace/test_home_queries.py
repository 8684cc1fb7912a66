"""The enterprise home and the gates of the enterprise pages read an enterprise's standing in a
few grouped queries (laowu/workspace/steps.py): the page says the same in every state, and the
number of queries stays bounded however many records there are."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from laowu.contracts.models import ProjectFiling
from laowu.enterprises.models import BasicInfo
from laowu.personnel.models import SafetyOfficer, WageManager
from laowu.review import services as workflow
from laowu.supervision.messaging import HOME_LATEST, mark_read, send_message
from laowu.workspace import steps
from tests.factories import (
    CatalogueFactory,
    EnterpriseUserFactory,
    approved_person,
    approved_project,
    complete_basic_info,
    complete_person,
    make_id_number,
)

pytestmark = pytest.mark.django_db

HOME = reverse("workspace:home")


def text(response: Any) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", response.content.decode()))


def by_key(enterprise: Any) -> dict[str, steps.Step]:
    return {s.key: s for s in steps.enterprise_steps(enterprise)}


def reject(filing: Any, user: Any, reviewer: Any, reason: str) -> None:
    workflow.reject(submission=workflow.declare(filing=filing, actor=user), actor=reviewer, reason=reason)


def person(model: Any, user: Any, name: str) -> Any:
    return complete_person(model, user, id_number=make_id_number(), name=name)


@pytest.fixture
def every_state(enterprise_a: Any, reviewer: Any) -> Any:
    """Enterprise A with records in every state of every type, and each type with a rejected one:
    the 基本信息 approved, then changed and its change rejected (the approved revision stays valid)."""
    user = enterprise_a
    project = approved_project(user, reviewer)  # approves the 基本信息 and one person of each role
    for model, prefix in ((SafetyOfficer, "安"), (WageManager, "劳")):
        for i in range(4):  # more rejected than the home page names
            reject(person(model, user, f"{prefix}退{i}"), user, reviewer, f"{prefix}第{i}次退回")
        workflow.declare(filing=person(model, user, f"{prefix}审"), actor=user)
        person(model, user, f"{prefix}草")
        gone = approved_person(model, user, reviewer, id_number=make_id_number(), name=f"{prefix}注")
        workflow.deregister(filing=gone, actor=user)
    workflow.start_change(filing=project, actor=user)
    reject(ProjectFiling.objects.get(pk=project.pk), user, reviewer, "合同附件不清晰")
    info = BasicInfo.objects.get(enterprise=user.enterprise)
    workflow.start_change(filing=info, actor=user)
    reject(BasicInfo.objects.get(pk=info.pk), user, reviewer, "资质证书已过期")
    return user


def test_the_home_page_in_every_state(every_state: Any, as_user: Any, django_assert_max_num_queries: Any) -> None:
    client = as_user(every_state)
    client.get(HOME)
    # The view's two: one query for every count and gate with the district and the expiry
    # counts, one for the short lists (the rejected records of every type, the latest messages
    # with the unread count, the notices; laowu/workspace/views.py `_HomeLists`); and the
    # session, the user (with the enterprise) and the second factor.
    with django_assert_max_num_queries(2 + 3):
        response = client.get(HOME)
    page = text(response)
    enterprise = every_state.enterprise
    assert f"行政区划{enterprise.district.name}" in page and enterprise.credit_code in page
    assert "下一步：已退回：资质证书已过期 请修改后重新申报。" in page
    for prefix in ("安", "劳"):
        assert "下一步：已退回4人，请按退回原因修改后重新提交。另有1人等待审核。" in page
        # The latest three, newest first; the oldest is on the list page.
        assert f"{prefix}退3：{prefix}第3次退回{prefix}退2：{prefix}第2次退回{prefix}退1：{prefix}第1次退回" in page
        assert f"{prefix}退0：" not in page
    assert "合同附件不清晰" in page

    found = by_key(every_state.enterprise)
    assert {k: s.tone for k, s in found.items()} == {
        "basic_info": "rejected",
        "safety": "rejected",
        "wage": "rejected",
        "projects": "rejected",
    }
    assert found["safety"].counts == [
        ("draft", "草稿", 1),
        ("declared", "已申报", 1),
        ("approved", "已通过", 1),
        ("rejected", "已退回", 4),
        ("deregistered", "已注销", 1),
    ]
    rejected = found["safety"].rejected
    assert [r.name for r in rejected] == ["安退3", "安退2", "安退1"]
    officer = SafetyOfficer.objects.get(name="安退3")
    assert rejected[0].url == officer.get_absolute_url()
    project = ProjectFiling.objects.get(enterprise=every_state.enterprise)
    assert found["projects"].rejected == (
        steps.Rejected(project.title(), "合同附件不清晰", project.get_absolute_url()),
    )


def test_title_fields_are_what_title_reads(every_state: Any) -> None:
    for model, field in steps.TITLE_FIELDS.items():
        if model is BasicInfo:
            continue  # only its reason is shown
        record = model.objects.filter(enterprise=every_state.enterprise).first()
        assert model(pk=record.pk, **{field: getattr(record, field)}).title() == record.title()


def test_a_deregistered_person_is_nobody_to_pick(enterprise_a: Any, reviewer: Any) -> None:
    approved_project(enterprise_a, reviewer)
    enterprise = enterprise_a.enterprise
    assert steps.page_gates("project_edit", enterprise.pk) == []
    for officer in WageManager.objects.filter(enterprise=enterprise):
        workflow.deregister(filing=officer, actor=enterprise_a)
    assert [g.key for g in steps.page_gates("project_edit", enterprise.pk)] == ["people_wage"]
    # An approved project keeps the step done: the gate blocks only before anything is on file.
    assert by_key(enterprise)["projects"].tone == "done"


@pytest.mark.parametrize(
    ("state", "standing"),
    [
        ("none", "尚未申报"),
        ("draft", "尚未申报"),
        ("declared", "正在等待审核"),
        ("rejected", "已被退回"),
        ("withdrawn", "已撤回、尚未重新申报"),
        ("approved", None),
        ("changing", None),
    ],
)
def test_the_basic_info_gate_in_each_state(state: str, standing: str | None, enterprise_a: Any, reviewer: Any) -> None:
    enterprise = enterprise_a.enterprise
    if state != "none":
        info = complete_basic_info(enterprise, actor=enterprise_a)
        if state in ("declared", "rejected", "withdrawn", "approved", "changing"):
            submission = workflow.declare(filing=info, actor=enterprise_a)
            if state == "rejected":
                workflow.reject(submission=submission, actor=reviewer, reason="不清晰")
            elif state == "withdrawn":
                workflow.withdraw(filing=BasicInfo.objects.get(pk=info.pk), actor=enterprise_a)
            elif state in ("approved", "changing"):
                workflow.approve(submission=submission, actor=reviewer)
                if state == "changing":
                    workflow.start_change(filing=BasicInfo.objects.get(pk=info.pk), actor=enterprise_a)
    gates = steps.page_gates("personnel", enterprise.pk)
    if standing is None:
        assert gates == []
        assert by_key(enterprise)["safety"].tone == "todo"
    else:
        assert [g.key for g in gates] == ["basic_info"]
        assert f"您单位的基本信息{standing}" in gates[0].reason
        assert (
            by_key(enterprise)["safety"].next_step
            == f"基本信息审核通过后才能提交（基本信息{standing}），现在可以先新增、保存。"
        )


def test_the_catalogue_gate_in_each_state(enterprise_a: Any, reviewer: Any) -> None:
    from laowu.contracts.services import select_contract

    enterprise = enterprise_a.enterprise
    other = EnterpriseUserFactory().enterprise

    def gate() -> steps.Gate | None:
        # By the enterprise and by its id (the list pages, which do not load it): the same answer.
        found = steps.catalogue_gate(enterprise)
        assert steps.catalogue_gate_of(enterprise.pk) == found
        return found

    empty = gate()
    assert empty is not None and empty.key == "catalogue_empty" and enterprise.credit_code in empty.reason
    CatalogueFactory(subcontractor_credit_code=other.credit_code)  # another enterprise's
    assert gate().key == "catalogue_empty"  # type: ignore[union-attr]
    first = CatalogueFactory(subcontractor=enterprise.name, subcontractor_credit_code=enterprise.credit_code)
    assert gate() is None
    select_contract(enterprise=enterprise, catalogue_id=first.pk, actor=enterprise_a)
    assert gate().key == "catalogue_filed"  # type: ignore[union-attr]
    # The other enterprise's own answer is its own: its contract is not filed.
    assert steps.catalogue_gate_of(other.pk) is None
    CatalogueFactory(subcontractor=enterprise.name, subcontractor_credit_code=enterprise.credit_code)
    assert gate() is None


def former_projects_gates(enterprise_id: int) -> list[steps.Gate]:
    """`page_gates("projects")` as it was: the standing's query, then the catalogue's own."""
    tallies = steps.standing(enterprise_id, (BasicInfo, *steps.PEOPLE))
    gates = [g for g in (steps.basic_info_gate(steps._info_standing(tallies[BasicInfo]), "项目信息"),) if g]
    gates += steps._people_gates(tallies)
    return gates + [g for g in (steps.catalogue_gate_of(enterprise_id),) if g]


def test_the_projects_gates_in_one_query_say_what_the_two_said(enterprise_a: Any, reviewer: Any) -> None:
    from laowu.contracts.services import select_contract

    enterprise = enterprise_a.enterprise
    other = EnterpriseUserFactory().enterprise
    seen: list[list[str]] = []

    def check() -> None:
        for eid in (enterprise.pk, other.pk):
            gates = steps.page_gates("projects", eid)
            assert gates == former_projects_gates(eid)
            seen.append([g.key for g in gates])

    check()  # nothing at all: every gate, the catalogue's naming the credit code
    assert seen[-2] == ["basic_info", "people_safety", "people_wage", "catalogue_empty"]
    assert enterprise.credit_code in steps.page_gates("projects", enterprise.pk)[-1].reason
    CatalogueFactory(subcontractor_credit_code=other.credit_code)  # another enterprise's
    check()
    assert seen[-2][-1] == "catalogue_empty" and seen[-1] == ["basic_info", "people_safety", "people_wage"]
    first = CatalogueFactory(subcontractor=enterprise.name, subcontractor_credit_code=enterprise.credit_code)
    check()
    assert "catalogue_empty" not in seen[-2] and "catalogue_filed" not in seen[-2]
    select_contract(enterprise=enterprise, catalogue_id=first.pk, actor=enterprise_a)
    check()
    assert seen[-2][-1] == "catalogue_filed"
    approved_project(enterprise_a, reviewer)  # the 基本信息 and both people approved, its contract filed
    check()
    assert seen[-2] == ["catalogue_filed"]
    CatalogueFactory(subcontractor=enterprise.name, subcontractor_credit_code=enterprise.credit_code)
    check()
    assert seen[-2] == []


@pytest.mark.postgres_only
def test_the_catalogue_gate_stops_at_the_first_offered_contract(enterprise_a: Any, reviewer: Any) -> None:
    """Whether a contract is offered is read up to the first one found, not by testing every
    contract of the enterprise (a sort of them all by "filed" would)."""

    from laowu.contracts.services import select_contract

    enterprise = enterprise_a.enterprise
    contracts = [
        CatalogueFactory(subcontractor=enterprise.name, subcontractor_credit_code=enterprise.credit_code)
        for _ in range(30)
    ]
    select_contract(enterprise=enterprise, catalogue_id=contracts[0].pk, actor=enterprise_a)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE contracts_cataloguecontract")
    # By the credit code, and by the enterprise's id (the lists' gates): the same probes.
    for query in (
        steps._catalogue_query(enterprise.credit_code),
        steps._catalogue_query_of(enterprise.pk),
        steps._projects_gates_query(enterprise.pk),
    ):
        check_stops_early(query)
    assert steps.catalogue_gate(enterprise) is None
    assert steps.catalogue_gate_of(enterprise.pk) is None


def check_stops_early(query: Any) -> None:
    import json

    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
        (raw,) = cursor.fetchone()
    plan = raw if isinstance(raw, list) else json.loads(raw)

    def scans(node: dict[str, Any]) -> list[dict[str, Any]]:
        own = [node] if node.get("Relation Name") == "contracts_cataloguecontract" else []
        return own + [n for child in node.get("Plans", []) for n in scans(child)]

    read = scans(plan[0]["Plan"])
    assert read and all(node["Actual Rows"] <= 2 for node in read), [n["Actual Rows"] for n in read]


# The 项目信息 list's catalogue probes ride in its standing's query: one statement for every gate.
@pytest.mark.parametrize(("page", "queries"), [("personnel", 1), ("project_edit", 1), ("projects", 1), ("picker", 1)])
def test_page_gates_take_one_query_and_the_catalogue(page: str, queries: int, enterprise_a: Any, reviewer: Any) -> None:
    approved_project(enterprise_a, reviewer)
    with CaptureQueriesContext(connection) as captured:
        steps.page_gates(page, enterprise_a.enterprise_id)
    assert len(captured) == queries


@pytest.mark.parametrize("page", ["personnel", "project_edit", "projects", "picker"])
def test_page_gates_do_not_load_the_enterprise(page: str, enterprise_a: Any, reviewer: Any) -> None:
    approved_project(enterprise_a, reviewer)
    with CaptureQueriesContext(connection) as captured:
        steps.page_gates(page, enterprise_a.enterprise_id)
    assert not [q for q in captured if 'FROM "enterprises_enterprise"' in q["sql"].split(" WHERE ")[0]]


@pytest.mark.parametrize("url", [reverse("personnel:list", args=["safety"]), reverse("contracts:list")])
def test_the_gated_list_pages_do_not_load_the_enterprise(url: str, enterprise_a: Any, as_user: Any) -> None:
    client = as_user(enterprise_a)
    page = text(client.get(url))
    with CaptureQueriesContext(connection) as captured:
        assert text(client.get(url)) == page
    assert "您单位的基本信息尚未申报" in page  # the gate is there, from the id alone
    # Not the enterprise's row (its sealed phone, its provider data): at most its credit code,
    # which the catalogue gate names when the enterprise has no contract at all.
    assert not [q for q in captured if q["sql"].startswith('SELECT "enterprises_enterprise"."id"')]


def test_the_list_pages_say_the_same_gates(enterprise_a: Any, reviewer: Any, as_user: Any) -> None:
    client = as_user(enterprise_a)
    page = text(client.get(reverse("contracts:list")))
    assert "企业基本信息审核通过后才能提交项目信息；您单位的基本信息尚未申报" in page
    assert "本企业暂无审核通过的安全员" in page and "本企业暂无审核通过的劳资专管员" in page
    assert "省合同归集系统中暂无劳务分包单位为本企业" in page


@pytest.mark.parametrize(
    ("unread", "read", "shown"), [(0, 3, ""), (2, 4, "2条未读"), (7, 1, "7条未读"), (5, 0, "5条未读")]
)
def test_the_unread_count(unread: int, read: int, shown: str, enterprise_a: Any, as_user: Any) -> None:
    enterprise = enterprise_a.enterprise
    for i in range(read):
        mark_read(message=send_message(enterprise=enterprise, title=f"已读{i}", body="-"))
    for i in range(unread):
        send_message(enterprise=enterprise, title=f"未读{i}", body="-")
    client = as_user(enterprise_a)
    client.get(HOME)
    with CaptureQueriesContext(connection) as captured:
        page = text(client.get(HOME))
    # However many are unread, the messages and their count are one query.
    assert sum('"supervision_message"' in q["sql"] for q in captured.captured_queries) == 1
    if shown:
        assert f"站内消息 {shown}" in page
    else:
        assert "条未读" not in page
    assert page.count("已读") == max(0, min(read, HOME_LATEST - unread))
    # Read as the ORM reads them (laowu/core/prepared.py): the date is a date, in local time.
    assert not unread or f"{timezone.localdate():%m-%d}未读{unread - 1}" in page.replace(" ", "")


# ---------------------------------------------------------------- the SQL written once


def test_each_enterprise_reads_its_own_standing(enterprise_a: Any, enterprise_b: Any, reviewer: Any) -> None:
    # The SQL is written once (laowu/core/prepared.py), each call binds its own enterprise.
    approved_project(enterprise_a, reviewer)
    person(SafetyOfficer, enterprise_b, "赵强")
    a = steps.standing(enterprise_a.enterprise.pk, steps.STEP_TYPES)
    b = steps.standing(enterprise_b.enterprise.pk, steps.STEP_TYPES)
    assert a[SafetyOfficer].counts == {"approved": 1} and a[SafetyOfficer].on_file == 1
    assert a[BasicInfo].approved == 1 and a[ProjectFiling].counts == {"approved": 1}
    assert b[SafetyOfficer].counts == {"draft": 1} and b[SafetyOfficer].on_file == 0
    assert b[BasicInfo].counts == {} and b[ProjectFiling].counts == {}
    # The catalogue is bound by credit code: B has no contract, A's is filed.
    assert steps.catalogue_gate(enterprise_a.enterprise).key == "catalogue_filed"  # type: ignore[union-attr]
    assert steps.catalogue_gate(enterprise_b.enterprise).key == "catalogue_empty"  # type: ignore[union-attr]


def test_the_home_reads_the_enterprise_once_and_its_district_with_the_standing(enterprise_a: Any, as_user: Any) -> None:
    client = as_user(enterprise_a)
    client.get(HOME)
    with CaptureQueriesContext(connection) as captured:
        page = text(client.get(HOME))
    assert f"行政区划{enterprise_a.enterprise.district.name}" in page
    # The enterprise comes with the request's user (joined to it), no query reads it on its own
    # (the expiry counts compare the enterprise's id); its district comes with the standing.
    sqls = [q["sql"] for q in captured.captured_queries]
    assert sum('"enterprises_enterprise"."credit_code"' in sql for sql in sqls) == 1
    assert not any('FROM "enterprises_enterprise"' in sql for sql in sqls)
    read = [q["sql"] for q in captured.captured_queries if '"accounts_district"."name"' in q["sql"]]
    assert len(read) == 1 and '"personnel_safetyofficer"' in read[0]


def test_each_enterprise_reads_its_own_district_as_it_is(
    enterprise_a: Any, enterprise_b: Any, reviewer: Any, as_user: Any
) -> None:
    from laowu.accounts.models import District
    from laowu.enterprises.models import Enterprise

    other = District.objects.create(code="320000", name="另一区")
    Enterprise.objects.filter(pk=enterprise_b.enterprise.pk).update(district=other)
    person(SafetyOfficer, enterprise_b, "赵强")
    a = Enterprise.objects.get(pk=enterprise_a.enterprise.pk)
    b = Enterprise.objects.get(pk=enterprise_b.enterprise.pk)
    assert steps.home_standing_and_expiry(b)[0][SafetyOfficer].counts == {"draft": 1}
    assert (b.district.pk, b.district.name) == (other.pk, "另一区")
    assert steps.home_standing_and_expiry(a)[0][SafetyOfficer].counts == {}
    assert a.district.pk == enterprise_a.enterprise.district_id and a.district.name != "另一区"
    # Nothing is kept between requests: a renamed district is read as it now is.
    District.objects.filter(pk=other.pk).update(name="改名区")
    assert "行政区划改名区" in text(as_user(enterprise_b).get(HOME))
    assert "行政区划改名区" not in text(as_user(enterprise_a).get(HOME))
    # The standing is the same as that of `standing`, the district aside.
    assert steps.home_standing_and_expiry(b)[0] == steps.standing(b.pk, steps.STEP_TYPES)


def test_the_rejected_records_are_read_once_each_where_an_arm_may_have_a_limit(every_state: Any) -> None:
    models = (SafetyOfficer, WageManager, ProjectFiling)
    sql = str(steps._rejected_query(every_state.enterprise.pk, models).query)
    table = '"personnel_safetyofficer"'
    reads = sql.count(f"FROM {table}")
    # PostgreSQL: each arm its own ORDER BY and LIMIT; SQLite: the ids as a subquery.
    assert reads == (1 if connection.features.supports_slicing_ordering_in_compound else 2)
    found = steps._rejected(every_state.enterprise.pk, models)
    assert [r.name for r in found[WageManager]] == ["劳退3", "劳退2", "劳退1"]
    assert [r.reason for r in found[ProjectFiling]] == ["合同附件不清晰"]


def test_the_home_expiry_counts_are_the_enterprises_own_each_day(
    enterprise_a: Any, enterprise_b: Any, reviewer: Any
) -> None:
    import datetime as dt

    from laowu.enterprises.scope import enterprises_in_scope
    from laowu.supervision.reminders import enterprise_expiry_counts, expiry_counts

    approved_project(enterprise_a, reviewer)  # certificates valid for 365 days from today
    today = dt.date.today()
    for user in (enterprise_a, enterprise_b):
        for day in (today, today + dt.timedelta(days=300), today + dt.timedelta(days=400)):
            expected = expiry_counts(enterprises=enterprises_in_scope(user), today=day)
            assert enterprise_expiry_counts(user.enterprise.pk, today=day) == expected
    assert enterprise_expiry_counts(enterprise_a.enterprise.pk, today=today + dt.timedelta(days=300)) == {
        "expiring_count": 3,  # the 安全员's certificate, the 资质证书 and the 安全生产许可证
        "expired_count": 0,
    }
    assert enterprise_expiry_counts(enterprise_a.enterprise.pk, today=today + dt.timedelta(days=400)) == {
        "expiring_count": 0,
        "expired_count": 3,
    }


def test_the_home_standing_reads_the_expiry_counts_of_its_day(
    enterprise_a: Any, enterprise_b: Any, reviewer: Any, as_user: Any
) -> None:
    """The home's one query of the standing also counts the enterprise's certificates, as
    `enterprise_expiry_counts` does on the day asked for (its SQL is written per day), and the
    standing and the district read with them are as without them."""
    import datetime as dt

    from laowu.enterprises.models import Enterprise
    from laowu.supervision.reminders import enterprise_expiry_counts

    approved_project(enterprise_a, reviewer)  # certificates valid for 365 days from today
    person(SafetyOfficer, enterprise_b, "赵强")
    today = dt.date.today()
    for user in (enterprise_a, enterprise_b):
        for days in (0, 274, 275, 364, 365, 366, 400):
            day = today + dt.timedelta(days=days)
            enterprise = Enterprise.objects.get(pk=user.enterprise.pk)
            with CaptureQueriesContext(connection) as captured:
                tallies, expiry = steps.home_standing_and_expiry(enterprise, today=day)
            assert len(captured.captured_queries) == 1
            assert expiry == enterprise_expiry_counts(user.enterprise.pk, today=day), (user, days)
            assert tallies == steps.standing(user.enterprise.pk, steps.STEP_TYPES)
            assert enterprise.district.name == user.enterprise.district.name
    a = Enterprise.objects.get(pk=enterprise_a.enterprise.pk)
    assert steps.home_standing_and_expiry(a, today=today + dt.timedelta(days=300))[1] == {
        "expiring_count": 3,  # the 安全员's certificate, the 资质证书 and the 安全生产许可证
        "expired_count": 0,
    }
    assert steps.home_standing_and_expiry(a, today=today + dt.timedelta(days=400))[1] == {
        "expiring_count": 0,
        "expired_count": 3,
    }
    # The page shows today's: nothing expires within 90 days yet, then one soon and one past.
    client = as_user(enterprise_a)
    assert "请及时办理延续" not in client.get(HOME).content.decode()
    SafetyOfficer.objects.filter(enterprise=a).update(approved_valid_until=today + dt.timedelta(days=10))
    BasicInfo.objects.filter(enterprise=a).update(approved_qualification_valid_until=today - dt.timedelta(days=1))
    page = client.get(HOME).content.decode()
    assert "有 <strong>1</strong> 项证照已过期，有 <strong>1</strong> 项证照将在90天内到期" in page


def test_a_prepared_query_must_take_its_value_as_a_parameter(enterprise_a: Any) -> None:
    from laowu.core import prepared

    with pytest.raises(ValueError):
        prepared.run(("test.constant",), lambda _: BasicInfo.objects.filter(pk=1), 7)
    rows = prepared.run(("test.own",), lambda pk: BasicInfo.objects.filter(enterprise_id=pk).values_list("pk"), 7)
    assert rows == []
