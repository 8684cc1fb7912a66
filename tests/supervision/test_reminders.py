"""证照到期提醒: the 30/60/90-day list per role, and telling the enterprise once per threshold
by 站内消息 and SMS (the file outbox in tests), with time travel."""

from __future__ import annotations

import datetime as dt
import io
import json
import zoneinfo
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from laowu.audit.models import AuditEvent
from laowu.audit.services import Action
from laowu.enterprises.models import BasicInfo
from laowu.personnel.models import SafetyOfficer
from laowu.review import services as workflow
from laowu.review.models import State
from laowu.supervision import reminders
from laowu.supervision.models import ExpiryReminder, Message
from tests.factories import (
    DistrictFactory,
    EnterpriseUserFactory,
    StaffFactory,
    approved_person,
    complete_basic_info,
    make_id_number,
)

pytestmark = pytest.mark.django_db

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
START = dt.date(2026, 1, 5)
EXPIRES = dt.date(2027, 1, 5)  # what the factories give: 365 days after START
FAR = dt.date(2035, 1, 1)
LIST = reverse("supervision:expiry_list")


def at(day: dt.date) -> AbstractContextManager[Any]:
    return time_machine.travel(dt.datetime.combine(day, dt.time(9, 0), tzinfo=TZ), tick=False)


def before(days: int) -> dt.date:
    return EXPIRES - dt.timedelta(days=days)


def approved_info(user: Any, reviewer: Any) -> BasicInfo:
    info = complete_basic_info(user.enterprise, actor=user)
    workflow.approve(submission=workflow.declare(filing=info, actor=user), actor=reviewer)
    return BasicInfo.objects.get(pk=info.pk)


def change_dates(info: BasicInfo, user: Any, reviewer: Any, **dates: dt.date) -> BasicInfo:
    """A 变更 through the workflow, approved: the new dates are then what is on file."""
    workflow.start_change(filing=info, actor=user)
    info = workflow.save_fields(filing=BasicInfo.objects.get(pk=info.pk), data=dates, actor=user)
    workflow.approve(submission=workflow.declare(filing=info, actor=user), actor=reviewer)
    return BasicInfo.objects.get(pk=info.pk)


def outbox(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def run(day: dt.date) -> reminders.ReminderRun:
    with at(day):
        return reminders.send_expiry_reminders()


@pytest.fixture
def info(enterprise_a: Any, reviewer: Any) -> BasicInfo:
    """Enterprise A's approved 基本信息: only the 资质证书 (expiring on EXPIRES) is near its end."""
    with at(START):
        info = approved_info(enterprise_a, reviewer)
        return change_dates(info, enterprise_a, reviewer, safety_license_valid_until=FAR)


# ---------------------------------------------------------------- thresholds, once each


def test_one_reminder_per_threshold_as_the_date_nears(info: BasicInfo, enterprise_a: Any, _sms_outbox: Path) -> None:
    enterprise = enterprise_a.enterprise
    expected = []
    for day, threshold in [
        (before(91), None),
        (before(90), 90),
        (before(89), None),
        (before(61), None),
        (before(60), 60),
        (before(45), None),
        (before(30), 30),
        (before(1), None),
        (EXPIRES + dt.timedelta(days=10), None),  # expired: the 30-day reminder was the last
    ]:
        result = run(day)
        if threshold:
            expected.append(threshold)
        assert result.reminded == (1 if threshold else 0), day
        assert list(ExpiryReminder.objects.order_by("id").values_list("threshold", flat=True)) == expected

    reminders_sent = list(ExpiryReminder.objects.order_by("id"))
    assert {(r.label, r.holder, r.expires_on, r.field) for r in reminders_sent} == {
        ("资质证书", enterprise.name, EXPIRES, "qualification_valid_until")
    }
    assert all(r.sms_sent and not r.sms_error and r.enterprise == enterprise for r in reminders_sent)

    # Each reminder: one 站内消息 and one SMS to the enterprise's contact phone.
    messages = list(Message.objects.filter(enterprise=enterprise).order_by("id"))
    assert [m.title for m in messages] == [
        f"证照到期提醒：{enterprise.name}的资质证书还有90天到期",
        f"证照到期提醒：{enterprise.name}的资质证书还有60天到期",
        f"证照到期提醒：{enterprise.name}的资质证书还有30天到期",
    ]
    assert messages[0].link == reverse("enterprises:basic_info")
    assert "D332012345" in messages[0].body and "2027年01月05日" in messages[0].body
    sms = outbox(_sms_outbox)
    assert [s["phone"] for s in sms] == [enterprise.contact_phone] * 3
    assert {s["purpose"] for s in sms} == {"notice"}
    assert sms[2]["params"] == {
        "cert": "资质证书",
        "holder": enterprise.name,
        "date": "2027-01-05",
        "status": "还有30天到期",
    }
    assert sms[2]["text"] == (
        f"【相城区劳务自管自律平台】您单位的资质证书（{enterprise.name}）有效期至2027-01-05，"
        "还有30天到期，请及时办理延续并在平台更新信息。"
    )


def test_first_seen_at_25_days_is_one_reminder_for_30_only(info: BasicInfo, _sms_outbox: Path) -> None:
    assert run(before(25)).reminded == 1
    for day in (before(24), before(10), before(0), EXPIRES + dt.timedelta(days=1)):
        assert run(day).reminded == 0
    assert list(ExpiryReminder.objects.values_list("threshold", flat=True)) == [30]
    assert len(outbox(_sms_outbox)) == 1
    assert Message.objects.count() == 1


def test_seen_at_60_then_at_30_is_two_reminders(info: BasicInfo, _sms_outbox: Path) -> None:
    assert run(before(58)).reminded == 1
    assert run(before(12)).reminded == 1
    assert sorted(ExpiryReminder.objects.values_list("threshold", flat=True)) == [30, 60]
    assert [s["params"]["status"] for s in outbox(_sms_outbox)] == ["还有58天到期", "还有12天到期"]


def test_already_expired_when_first_seen_is_told_once(info: BasicInfo, _sms_outbox: Path) -> None:
    assert run(EXPIRES + dt.timedelta(days=3)).reminded == 1
    assert run(EXPIRES + dt.timedelta(days=40)).reminded == 0
    [reminder] = ExpiryReminder.objects.all()
    assert reminder.threshold == 30
    assert outbox(_sms_outbox)[0]["params"]["status"] == "已过期3天"


def test_a_renewed_licence_is_reminded_afresh(
    info: BasicInfo, enterprise_a: Any, reviewer: Any, _sms_outbox: Path
) -> None:
    assert run(before(20)).reminded == 1
    renewed = EXPIRES + dt.timedelta(days=365 * 3)
    with at(before(19)):
        change_dates(BasicInfo.objects.get(pk=info.pk), enterprise_a, reviewer, qualification_valid_until=renewed)
    assert run(before(5)).reminded == 0  # the new date is years away
    assert run(renewed - dt.timedelta(days=90)).reminded == 1
    assert [(r.expires_on, r.threshold) for r in ExpiryReminder.objects.order_by("id")] == [
        (EXPIRES, 30),
        (renewed, 90),
    ]


def test_second_run_and_a_racing_run_send_nothing_twice(
    info: BasicInfo, monkeypatch: pytest.MonkeyPatch, _sms_outbox: Path
) -> None:
    assert run(before(80)).reminded == 1
    assert run(before(80)).reminded == 0
    # A run that read "not yet told" just before another run recorded it: the unique key refuses
    # its insert, and it neither messages nor texts.
    monkeypatch.setattr(reminders, "reminders_for", lambda items: {})
    again = run(before(80))
    assert again.checked == 1 and again.reminded == 0
    assert ExpiryReminder.objects.count() == 1
    assert Message.objects.count() == 1
    assert len(outbox(_sms_outbox)) == 1


# ---------------------------------------------------------------- what counts as on file


def test_safety_officers_approved_and_active_only(enterprise_a: Any, reviewer: Any) -> None:
    with at(START):
        info = approved_info(enterprise_a, reviewer)
        change_dates(info, enterprise_a, reviewer, qualification_valid_until=FAR, safety_license_valid_until=FAR)
        active = approved_person(SafetyOfficer, enterprise_a, reviewer, id_number=make_id_number(), name="孙安")
        gone = approved_person(SafetyOfficer, enterprise_a, reviewer, id_number=make_id_number(), name="赵离")
        workflow.deregister(filing=gone, actor=enterprise_a)
        # Declared but never approved: not on file.
        pending = SafetyOfficer.objects.create(
            enterprise=enterprise_a.enterprise,
            name="钱待",
            id_number=make_id_number(),
            valid_until=EXPIRES,
            consent_confirmed_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        )
    assert pending.approved_submission_id is None

    with at(before(40)):
        items = reminders.expiring_items()
        assert [(i.kind, i.holder, i.number, i.days_left, i.threshold) for i in items] == [
            ("safety_cert", "孙安", active.cert_no, 40, 60)
        ]
        assert reminders.send_expiry_reminders().reminded == 1
    message = Message.objects.get()
    assert message.link == reverse("personnel:edit", args=["safety", active.pk])
    assert message.title == "证照到期提醒：孙安的安全员证书还有40天到期"


def test_a_change_in_progress_keeps_the_approved_date(info: BasicInfo, enterprise_a: Any) -> None:
    with at(before(50)):
        # The enterprise starts a 变更 and types a new date: not approved, so not yet on file.
        workflow.start_change(filing=info, actor=enterprise_a)
        workflow.save_fields(
            filing=BasicInfo.objects.get(pk=info.pk), data={"qualification_valid_until": FAR}, actor=enterprise_a
        )
        assert BasicInfo.objects.get(pk=info.pk).state == State.DRAFT
        [item] = reminders.expiring_items()
    assert (item.kind, item.expires_on, item.days_left) == ("qualification", EXPIRES, 50)


# ---------------------------------------------------------------- SMS failures


def test_sms_failure_is_recorded_and_the_run_goes_on(
    enterprise_a: Any, enterprise_b: Any, reviewer: Any, settings: Any, tmp_path: Path
) -> None:
    with at(START):
        for user in (enterprise_a, enterprise_b):
            approved_info(user, reviewer)
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    settings.LAOWU_SMS_OUTBOX = blocker / "outbox.jsonl"
    # Each failure final at once, so that the next run is what sends again (the queue's own
    # retries are tested in tests/accounts/test_sms_queue.py).
    settings.LAOWU_SMS_RETRY_DELAYS = []

    result = run(before(10))
    # Two enterprises x (资质证书 + 安全生产许可证), all reminded despite every SMS failing.
    assert (result.checked, result.reminded, result.sms_sent, result.sms_failed) == (4, 4, 0, 4)
    assert ExpiryReminder.objects.filter(sms_sent=False, sms_error__startswith="无法写入短信发件箱").count() == 4
    assert Message.objects.count() == 4
    event = AuditEvent.objects.get(action=Action.EXPIRY_REMIND)
    assert event.username == reminders.CRON_USERNAME
    assert event.detail["sms_failed"] == 4 and event.detail["reminded"] == 4

    # The next run, with the outbox working again, sends the failed SMS once — and no new message.
    settings.LAOWU_SMS_OUTBOX = tmp_path / "outbox.jsonl"
    again = run(before(9))
    assert (again.reminded, again.sms_retried, again.sms_sent, again.sms_failed) == (0, 4, 4, 0)
    assert len(outbox(settings.LAOWU_SMS_OUTBOX)) == 4 and Message.objects.count() == 4
    assert ExpiryReminder.objects.filter(sms_sent=True, sms_error="").count() == 4
    assert run(before(8)).sms_retried == 0 and len(outbox(settings.LAOWU_SMS_OUTBOX)) == 4


def test_no_contact_phone_is_an_sms_error(info: BasicInfo, enterprise_a: Any, _sms_outbox: Path) -> None:
    type(enterprise_a.enterprise).objects.filter(pk=enterprise_a.enterprise_id).update(contact_phone="")
    result = run(before(5))
    assert (result.reminded, result.sms_failed) == (1, 1)
    assert ExpiryReminder.objects.get().sms_error == "企业未登记联系人手机号码"
    assert outbox(_sms_outbox) == []
    assert Message.objects.count() == 1


def test_misconfigured_backend_is_an_sms_error(info: BasicInfo, settings: Any) -> None:
    settings.LAOWU_SMS_BACKEND = "carrier-pigeon"
    result = run(before(5))
    assert (result.reminded, result.sms_failed) == (1, 1)
    assert ExpiryReminder.objects.get().sms_error.startswith("短信通道配置有误")


def test_management_command(info: BasicInfo, _sms_outbox: Path) -> None:
    out = io.StringIO()
    call_command("send_expiry_reminders", "--date", before(30).isoformat(), stdout=out)
    assert "新发送提醒1条" in out.getvalue() and "短信成功1条" in out.getvalue()
    assert ExpiryReminder.objects.get().threshold == 30
    call_command("send_expiry_reminders", "--date", before(30).isoformat(), stdout=out)
    assert ExpiryReminder.objects.count() == 1
    assert AuditEvent.objects.filter(action=Action.EXPIRY_REMIND).count() == 2


# ---------------------------------------------------------------- the list: who sees what


@pytest.fixture
def two_districts(enterprise_a: Any, enterprise_b: Any, reviewer: Any) -> Iterator[dict[str, Any]]:
    """A and B in the reviewer's district, C in 吴中区; each with near-expiry licences."""
    wuzhong = DistrictFactory(code="320506", name="吴中区")
    user_c = EnterpriseUserFactory(enterprise__district=wuzhong)
    with at(START):
        for user in (enterprise_a, enterprise_b, user_c):
            approved_info(user, reviewer)
        officer = approved_person(SafetyOfficer, enterprise_a, reviewer, id_number=make_id_number(), name="孙安")
        # B's qualification expires later (bucket 60), its safety licence far off.
        b_info = BasicInfo.objects.get(enterprise=enterprise_b.enterprise)
        change_dates(
            b_info,
            enterprise_b,
            reviewer,
            qualification_valid_until=EXPIRES + dt.timedelta(days=30),
            safety_license_valid_until=FAR,
        )
    with at(before(20)):
        yield {"c": user_c, "wuzhong": wuzhong, "officer": officer}


def _names(page: str, *users: Any) -> list[bool]:
    return [u.enterprise.name in page for u in users]


def test_committee_sees_its_districts_and_enterprises_their_own(
    as_user: Any, two_districts: dict[str, Any], enterprise_a: Any, enterprise_b: Any, reviewer: Any, supervisor: Any
) -> None:
    c = two_districts["c"]
    for staff in (reviewer, supervisor):
        page = as_user(staff).get(LIST).content.decode()
        assert _names(page, enterprise_a, enterprise_b, c) == [True, True, False]
    wuzhong_reviewer = StaffFactory(role="reviewer", username="wz", districts=[two_districts["wuzhong"]])
    page = as_user(wuzhong_reviewer).get(LIST).content.decode()
    assert _names(page, enterprise_a, enterprise_b, c) == [False, False, True]

    own = as_user(enterprise_a).get(LIST)
    assert own.status_code == 200
    page = own.content.decode()
    assert _names(page, enterprise_b, c) == [False, False]
    assert "孙安" in page and "还有20天到期" in page and "资质证书" in page and "安全生产许可证" in page
    assert "立即发送到期提醒" not in page
    assert reverse("personnel:edit", args=["safety", two_districts["officer"].pk]) in page


def test_list_filters_search_and_reminder_column(as_user: Any, two_districts: dict[str, Any], reviewer: Any) -> None:
    client = as_user(reviewer)
    items = reminders.expiry_list(user=reviewer)
    # By kind of certificate, most urgent first within each: A's three items at 20 days,
    # B's 资质证书 at 50 after A's.
    assert [(i.kind, i.days_left) for i in items] == [
        ("safety_cert", 20),
        ("qualification", 20),
        ("qualification", 50),
        ("safety_license", 20),
    ]
    assert {i.bucket for i in items} == {"30", "60"}

    only_60 = reminders.expiry_list(user=reviewer, bucket="60")
    assert [(i.kind, i.days_left) for i in only_60] == [("qualification", 50)]
    assert {i.kind for i in reminders.expiry_list(user=reviewer, kind="safety_cert")} == {"safety_cert"}
    assert [i.holder for i in reminders.expiry_list(user=reviewer, q="孙安")] == ["孙安"]

    page = client.get(LIST, {"threshold": "60"}).content.decode()
    assert "还有50天到期" in page and "还有20天到期" not in page
    assert "未提醒" in page

    reminders.send_expiry_reminders()
    page = client.get(LIST, {"kind": "safety_cert"}).content.decode()
    assert "30天档" in page and "短信已发送" in page
    # Unknown filter values are ignored rather than emptying the list.
    assert "孙安" in client.get(LIST, {"kind": "bogus", "threshold": "7"}).content.decode()


def test_export(as_user: Any, two_districts: dict[str, Any], reviewer: Any, enterprise_a: Any) -> None:
    resp = as_user(reviewer).get(reverse("supervision:expiry_export"), {"kind": "qualification"})
    assert resp.status_code == 200
    sheet = load_workbook(io.BytesIO(resp.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("企业名称", "统一社会信用代码", "证照类型", "持有人")
    # 有效期至 a date cell, 剩余天数 a number.
    assert sorted((r[5], r[6]) for r in rows[1:]) == [
        (dt.datetime.combine(EXPIRES, dt.time()), 20),
        (dt.datetime.combine(EXPIRES + dt.timedelta(days=30), dt.time()), 50),
    ]
    assert {r[2] for r in rows[1:]} == {"资质证书"}
    assert AuditEvent.objects.filter(action=Action.EXPORT, detail__list="expiry").exists()

    own = load_workbook(io.BytesIO(as_user(enterprise_a).get(reverse("supervision:expiry_export")).content)).active
    own_rows = list(own.iter_rows(values_only=True))
    assert own_rows[0][0] == "证照类型"
    assert {r[1] for r in own_rows[1:]} == {enterprise_a.enterprise.name, "孙安"}


# ---------------------------------------------------------------- 立即发送到期提醒


def test_reviewer_sends_now_for_its_districts(
    as_user: Any, two_districts: dict[str, Any], reviewer: Any, enterprise_a: Any, _sms_outbox: Path
) -> None:
    client = as_user(reviewer)
    page = client.get(LIST).content.decode()
    assert "立即发送到期提醒" in page
    resp = client.post(reverse("supervision:expiry_send"), follow=True)
    assert "新发送提醒4条" in resp.content.decode()
    # A: 资质证书, 安全生产许可证, 孙安 (30); B: 资质证书 (60). C is in another district.
    assert ExpiryReminder.objects.exclude(enterprise=two_districts["c"].enterprise).count() == 4
    assert not ExpiryReminder.objects.filter(enterprise=two_districts["c"].enterprise).exists()
    assert len(outbox(_sms_outbox)) == 4
    event = AuditEvent.objects.get(action=Action.EXPIRY_REMIND)
    assert event.user == reviewer and event.detail["scope"] == "districts" and event.detail["reminded"] == 4

    resp = client.post(reverse("supervision:expiry_send"), follow=True)
    assert "本次未发送新的提醒" in resp.content.decode()
    assert ExpiryReminder.objects.count() == 4


def test_supervisor_and_enterprise_cannot_send(
    as_user: Any, two_districts: dict[str, Any], supervisor: Any, enterprise_a: Any
) -> None:
    for user in (supervisor, enterprise_a):
        client = as_user(user)
        assert client.post(reverse("supervision:expiry_send")).status_code == 403
    assert "立即发送到期提醒" not in as_user(supervisor).get(LIST).content.decode()
    assert not ExpiryReminder.objects.exists()
    assert not AuditEvent.objects.filter(action=Action.EXPIRY_REMIND).exists()


def test_homes_show_the_counts(as_user: Any, two_districts: dict[str, Any], enterprise_a: Any, reviewer: Any) -> None:
    home = as_user(enterprise_a).get(reverse("workspace:home")).content.decode()
    assert "有 <strong>3</strong> 项证照将在90天内到期" in home
    committee = as_user(reviewer).get(reverse("workspace:home")).content.decode()
    assert "有 <strong>4</strong> 项证照将在90天内到期" in committee


def test_home_page_counts_match_the_list_without_loading_it(reviewer: Any, enterprise_a: Any) -> None:
    """The counts the home pages show agree with the list, whatever mix of dates is on file."""
    from laowu.enterprises.scope import enterprises_in_scope
    from laowu.supervision.reminders import expiring_items, expiry_counts, expiry_summary

    today = timezone.localdate()
    for days in (-3650, -1, 0, 29, 61, 90, 91, 400):
        info = approved_info(EnterpriseUserFactory(password="x"), reviewer)
        # Both the record and what 通过 copied, as if approved with these dates.
        BasicInfo.objects.filter(pk=info.pk).update(
            qualification_valid_until=today + dt.timedelta(days=days),
            approved_qualification_valid_until=today + dt.timedelta(days=days),
            safety_license_valid_until=FAR,
            approved_safety_license_valid_until=FAR,
        )
    # One in a 变更: its approved date (from the snapshot) counts, not the one being edited.
    owner = EnterpriseUserFactory(password="x")
    changing = change_dates(
        approved_info(owner, reviewer), owner, reviewer, qualification_valid_until=today + dt.timedelta(days=10)
    )
    workflow.start_change(filing=changing, actor=owner)
    workflow.save_fields(filing=changing, data={"qualification_valid_until": FAR}, actor=owner)
    scope = enterprises_in_scope(reviewer)
    items = expiring_items(enterprises=scope)
    expired = sum(1 for i in items if i.expired)
    assert expiry_counts(enterprises=scope) == {"expiring_count": len(items) - expired, "expired_count": expired}
    assert expiry_summary(enterprises=scope) == expiry_counts(enterprises=scope)
    assert expired == 2 and len(items) - expired == 5


def test_approved_dates_are_copied_at_approval_and_backfilled(enterprise_a: Any, reviewer: Any) -> None:
    """The expiry list filters on `approved_*` columns: 通过 fills them, a 变更 leaves them,
    and the migration fills them for filings approved before they existed."""
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection

    from laowu.review.snapshots import backfill_approved_copies

    info = approved_info(enterprise_a, reviewer)
    approved = info.qualification_valid_until
    assert info.approved_qualification_valid_until == approved
    workflow.start_change(filing=info, actor=enterprise_a)
    workflow.save_fields(
        filing=BasicInfo.objects.get(pk=info.pk), data={"qualification_valid_until": FAR}, actor=enterprise_a
    )
    assert BasicInfo.objects.get(pk=info.pk).approved_qualification_valid_until == approved

    BasicInfo.objects.filter(pk=info.pk).update(approved_qualification_valid_until=None)
    operation = backfill_approved_copies("enterprises", "basicinfo", BasicInfo.APPROVED_COPIES)
    operation.code(apps, SimpleNamespace(connection=connection))
    assert BasicInfo.objects.get(pk=info.pk).approved_qualification_valid_until == approved


def test_home_figures_are_bounded(reviewer: Any, enterprise_a: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from laowu.enterprises.scope import enterprises_in_scope

    today = timezone.localdate()
    for days in (-30, -20, -10):
        info = approved_info(EnterpriseUserFactory(password="x"), reviewer)
        BasicInfo.objects.filter(pk=info.pk).update(approved_qualification_valid_until=today + dt.timedelta(days=days))
    monkeypatch.setattr(reminders, "COUNT_LIMIT", 2)
    summary = reminders.expiry_summary(enterprises=enterprises_in_scope(reviewer))
    assert summary["expired_count"] == "2+"


def test_kinds_come_from_the_registered_filing_types() -> None:
    from laowu.review.registry import filing_models

    declared = {(model, e.kind) for model in filing_models().values() for e in model.EXPIRING_DATES}
    assert {(s.model, s.kind) for s in reminders.sources()} == declared
    # A person's certificates first, then the enterprise's licences, as the filter lists them.
    assert reminders.kinds() == (
        ("safety_cert", "安全员证书"),
        ("qualification", "资质证书"),
        ("safety_license", "安全生产许可证"),
    )


def test_one_enterprises_counts_filter_on_its_id_alone(reviewer: Any, enterprise_a: Any, enterprise_b: Any) -> None:
    """The enterprise home's counts compare each row's enterprise with the id, with no subquery of
    the enterprise table (planned once per kind), and count that enterprise's certificates only;
    the committee's scope, a queryset of enterprises, still limits the counts to it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from laowu.enterprises.models import Enterprise
    from laowu.enterprises.scope import enterprises_in_scope

    approved_info(enterprise_a, reviewer)
    today = timezone.localdate()
    day = today + dt.timedelta(days=400)  # both of the 基本信息's licences expired by then
    with CaptureQueriesContext(connection) as queries:
        own = reminders.enterprise_expiry_counts(enterprise_a.enterprise.pk, today=day)
    [query] = queries.captured_queries
    assert "enterprises_enterprise" not in query["sql"]
    assert own == {"expiring_count": 0, "expired_count": 2}
    assert reminders.enterprise_expiry_counts(enterprise_b.enterprise.pk, today=day) == {
        "expiring_count": 0,
        "expired_count": 0,
    }
    only_b = Enterprise.objects.filter(pk=enterprise_b.enterprise.pk)
    assert reminders.expiry_counts(enterprises=only_b, today=day) == {"expiring_count": 0, "expired_count": 0}
    assert reminders.expiry_counts(enterprises=enterprises_in_scope(reviewer), today=day) == own


def test_the_committee_figures_take_one_query_and_stay_capped(
    reviewer: Any, enterprise_a: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every kind's two capped counts come in one statement, each figure still its own kinds'
    sum, capped where one count passes the limit, and as each capped count on its own says."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from laowu.enterprises.scope import enterprises_in_scope

    today = timezone.localdate()
    for days in (-30, -20, 5, 200):
        info = approved_info(EnterpriseUserFactory(password="x"), reviewer)
        BasicInfo.objects.filter(pk=info.pk).update(
            approved_qualification_valid_until=today + dt.timedelta(days=days),
            approved_safety_license_valid_until=today + dt.timedelta(days=-days),
        )
    scope = enterprises_in_scope(reviewer)
    with CaptureQueriesContext(connection) as queries:
        summary = reminders.expiry_summary(enterprises=scope)
    assert len(queries.captured_queries) == 1
    # 资质: two expired, one within 90 days; 安许: -5 expired, 30 and 20 within, -200 expired.
    assert summary == {"expired_count": 4, "expiring_count": 3}
    assert summary == reminders.expiry_counts(enterprises=scope)
    # The limit is each count's: two per count is not beyond two, whatever the sum.
    monkeypatch.setattr(reminders, "COUNT_LIMIT", 2)
    assert reminders.expiry_summary(enterprises=scope) == {"expired_count": 4, "expiring_count": 3}
    monkeypatch.setattr(reminders, "COUNT_LIMIT", 1)
    assert reminders.expiry_summary(enterprises=scope) == {"expired_count": "1+", "expiring_count": "1+"}
