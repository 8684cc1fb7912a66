"""Every decision reaches the enterprise: one 站内消息 and one SMS (the file outbox in tests)
for 通过, 退回 (with its reason), 变更通过, 不良行为公示, 整改通知 and 评优 — none when the
decision rolls back, and the decision stands when the SMS provider fails."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from laowu.accounts.models import SmsMessage, SmsStatus
from laowu.enterprises.models import BasicInfo
from laowu.review import services as workflow
from laowu.review.models import State, Submission, SubmissionStatus
from laowu.supervision import awards, inspections
from laowu.supervision import bad_behaviour as bb
from laowu.supervision.models import Message
from laowu.supervision.notifications import NOTICE_TEMPLATES, SMS_VALUE_MAX, sms_value
from tests.factories import approved_project, complete_basic_info
from tests.supervision.test_bad_behaviour import record_data
from tests.supervision.test_inspections import inspection_data

pytestmark = pytest.mark.django_db

SIGN = "【相城区劳务自管自律平台】"


def outbox(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def committed(django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    """Run an action as if its transaction committed: on_commit callbacks (and those they add) run."""

    def run(action: Callable[..., Any], **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return action(**kwargs)

    return run


@pytest.fixture
def declared(enterprise_a: Any) -> Submission:
    info = complete_basic_info(enterprise_a.enterprise, actor=enterprise_a)
    return workflow.declare(filing=info, actor=enterprise_a)


def only_message(enterprise: Any) -> Message:
    [message] = Message.objects.filter(enterprise=enterprise)
    return message


# ---------------------------------------------------------------- 通过, 退回, 变更通过


def test_approval_sends_one_message_and_one_sms(
    committed: Any, declared: Submission, enterprise_a: Any, reviewer: Any, _sms_outbox: Path
) -> None:
    enterprise = enterprise_a.enterprise
    committed(workflow.approve, submission=declared, actor=reviewer)

    message = only_message(enterprise)
    item = f"企业基本信息“{enterprise.name}”"
    assert message.title == f"审核通过：{item}"
    assert "（第1次申报）已审核通过" in message.body and "打印" in message.body
    assert message.link == reverse("enterprises:basic_info") and message.read_at is None
    [sms] = outbox(_sms_outbox)
    assert sms["phone"] == enterprise.contact_phone
    assert sms["template"] == "filing_approved" and sms["params"] == {"item": item}
    assert sms["text"] == f"{SIGN}您单位申报的{item}已审核通过，请登录平台查看。"


def test_rejection_tells_the_reason_in_both(
    committed: Any, declared: Submission, enterprise_a: Any, reviewer: Any, _sms_outbox: Path, settings: Any
) -> None:
    settings.LAOWU_COMMITTEE_CONTACT_NAME = "周老师"
    settings.LAOWU_COMMITTEE_CONTACT_PHONE = "0512-65001234"
    reason = "营业执照复印件不清晰，请重新扫描上传。"
    committed(workflow.reject, submission=declared, actor=reviewer, reason=reason)

    message = only_message(enterprise_a.enterprise)
    assert message.title.startswith("审核退回：企业基本信息")
    assert f"退回原因：{reason}" in message.body
    assert "请打开该信息，按退回原因修改后重新申报" in message.body
    assert "如有疑问请联系区劳务专委会：周老师 0512-65001234" in message.body
    [sms] = outbox(_sms_outbox)
    assert sms["template"] == "filing_rejected"
    # The reason's closing 。 is the template's own, not doubled.
    assert sms["params"]["reason"] == "营业执照复印件不清晰，请重新扫描上传"
    assert "已被退回，原因：营业执照复印件不清晰，请重新扫描上传。请登录平台" in sms["text"]


def test_a_long_reason_is_cut_in_the_sms_only(
    committed: Any, declared: Submission, enterprise_a: Any, reviewer: Any, _sms_outbox: Path
) -> None:
    reason = (
        "附件问题如下：\n1. 营业执照不清晰；\n2. 资质证书已过期，请上传延续后的证书；"
        "\n3. 安全生产许可证编号与证书不一致。"
    )
    committed(workflow.reject, submission=declared, actor=reviewer, reason=reason)
    assert reason in only_message(enterprise_a.enterprise).body
    [sms] = outbox(_sms_outbox)
    assert len(sms["params"]["reason"]) == SMS_VALUE_MAX and sms["params"]["reason"].endswith("…")
    assert "\n" not in sms["text"]


def test_approving_a_change_says_so(
    committed: Any, declared: Submission, enterprise_a: Any, reviewer: Any, _sms_outbox: Path
) -> None:
    workflow.approve(submission=declared, actor=reviewer)  # not committed: tells nobody
    info = BasicInfo.objects.get(enterprise=enterprise_a.enterprise)
    workflow.start_change(filing=info, actor=enterprise_a)
    change = workflow.declare(filing=BasicInfo.objects.get(pk=info.pk), actor=enterprise_a)
    assert Message.objects.count() == 0 and outbox(_sms_outbox) == []

    committed(workflow.approve, submission=change, actor=reviewer)
    message = only_message(enterprise_a.enterprise)
    assert message.title.startswith("变更审核通过：企业基本信息") and "（第2次申报）" in message.body
    [sms] = outbox(_sms_outbox)
    assert sms["template"] == "filing_change_approved" and "的变更已审核通过" in sms["text"]


def test_through_the_review_page_with_real_commits(
    transactional_db: Any, enterprise_a: Any, reviewer: Any, as_user: Any, _sms_outbox: Path
) -> None:
    info = complete_basic_info(enterprise_a.enterprise, actor=enterprise_a)
    sub = workflow.declare(filing=info, actor=enterprise_a)
    response = as_user(reviewer).post(reverse("review:decide", args=[sub.pk, "reject"]), {"reason": "法定代表人有误"})
    assert response.status_code == 302
    assert Submission.objects.get(pk=sub.pk).status == SubmissionStatus.REJECTED
    assert "退回原因：法定代表人有误" in only_message(enterprise_a.enterprise).body
    assert [s["template"] for s in outbox(_sms_outbox)] == ["filing_rejected"]
    # The enterprise sees it as an unread message on its home page.
    home = as_user(enterprise_a).get(reverse("workspace:home")).content.decode()
    assert "1条未读" in home and "审核退回" in home


# ---------------------------------------------------------------- rolled back, failing SMS


def test_a_rolled_back_decision_tells_nobody(
    committed: Any,
    declared: Submission,
    enterprise_a: Any,
    reviewer: Any,
    _sms_outbox: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    published = workflow.publish_decision

    def publish_then_fail(*args: Any, **kwargs: Any) -> None:
        published(*args, **kwargs)
        raise RuntimeError("数据库连接中断")

    monkeypatch.setattr(workflow, "publish_decision", publish_then_fail)
    with pytest.raises(RuntimeError):
        committed(workflow.approve, submission=declared, actor=reviewer)
    assert Submission.objects.get(pk=declared.pk).status == SubmissionStatus.PENDING
    assert Message.objects.count() == 0 and outbox(_sms_outbox) == []


def test_a_rolled_back_supervision_action_tells_nobody(
    committed: Any, enterprise_a: Any, reviewer: Any, _sms_outbox: Path
) -> None:
    from laowu.supervision.notifications import FILING_APPROVED, Sms, notify

    def action() -> None:
        with transaction.atomic():
            notify(enterprise=enterprise_a.enterprise, title="t", body="b", sms=Sms(FILING_APPROVED, {"item": "x"}))
            raise ValueError

    with pytest.raises(ValueError):
        committed(action)
    assert Message.objects.count() == 0 and outbox(_sms_outbox) == []


class ExplodingBackend:
    """A provider whose client fails in a way nobody planned for."""

    def send_code(self, **kwargs: Any) -> None:
        raise RuntimeError("连接被重置")

    def send_notice(self, *, phone: str, text: str, template_params: Mapping[str, str], template: str = "") -> None:
        raise RuntimeError("连接被重置")


@pytest.mark.parametrize(
    "backend", ["tests.supervision.test_notifications.ExplodingBackend", "aliyun"], ids=["raises", "unconfigured"]
)
def test_the_decision_stands_when_the_sms_fails(
    backend: str,
    committed: Any,
    declared: Submission,
    enterprise_a: Any,
    reviewer: Any,
    settings: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings.LAOWU_SMS_BACKEND = backend
    caplog.set_level(logging.WARNING, logger="laowu.sms")
    sub = committed(workflow.approve, submission=declared, actor=reviewer)

    assert sub.status == SubmissionStatus.APPROVED
    assert BasicInfo.objects.get(enterprise=enterprise_a.enterprise).state == State.APPROVED
    assert only_message(enterprise_a.enterprise).title.startswith("审核通过")
    # The SMS waits for its retry (laowu/accounts/sms.py), with the reason in Chinese.
    [sms] = SmsMessage.objects.all()
    assert sms.status == SmsStatus.RETRYING and sms.template == "filing_approved"
    assert sms.last_error.startswith("短信通道出错" if backend.startswith("tests.") else "阿里云短信未配置")
    [logged] = [r for r in caplog.records if r.name == "laowu.sms" and "短信发送失败" in r.getMessage()]
    assert "filing_approved" in logged.getMessage()
    assert enterprise_a.enterprise.contact_phone not in logged.getMessage()  # masked


def test_without_a_contact_mobile_the_accounts_phone_is_used(
    committed: Any, declared: Submission, enterprise_a: Any, reviewer: Any, _sms_outbox: Path
) -> None:
    enterprise = enterprise_a.enterprise
    type(enterprise).objects.filter(pk=enterprise.pk).update(contact_phone="")
    type(enterprise_a).objects.filter(pk=enterprise_a.pk).update(phone="13912340000")
    committed(workflow.approve, submission=declared, actor=reviewer)
    assert [s["phone"] for s in outbox(_sms_outbox)] == ["13912340000"]


# ---------------------------------------------------------------- the committee's actions


def test_publishing_bad_behaviour_sends_one_message_and_one_sms(
    committed: Any, enterprise_a: Any, reviewer: Any, _sms_outbox: Path
) -> None:
    today = timezone.localdate()
    rec = bb.create_record(
        enterprise=enterprise_a.enterprise,
        data=record_data(decision_date=today, publicity_start=today, publicity_end=today + dt.timedelta(days=200)),
        actor=reviewer,
    )
    committed(bb.publish, rec=rec, actor=reviewer)
    assert only_message(enterprise_a.enterprise).title == "不良行为记录公示通知（相劳专〔2026〕1号）"
    [sms] = outbox(_sms_outbox)
    assert sms["template"] == "bad_behaviour_published"
    assert sms["text"] == f"{SIGN}您单位的不良行为记录（决定书文号：相劳专〔2026〕1号）已发布公示，请登录平台查看。"


def test_a_rectification_notice_sends_one_message_and_one_sms(
    committed: Any, enterprise_a: Any, reviewer: Any, _sms_outbox: Path
) -> None:
    project = approved_project(enterprise_a, reviewer, project_name="阳澄湖半岛安置房项目")
    today = timezone.localdate()
    draft = inspections.create_inspection(
        project=project,
        data=inspection_data(inspected_on=today, deadline=today + dt.timedelta(days=15)),
        actor=reviewer,
    )
    committed(inspections.issue_inspection, inspection=draft, actor=reviewer)
    assert only_message(enterprise_a.enterprise).title == "整改通知：阳澄湖半岛安置房项目"
    [sms] = outbox(_sms_outbox)
    deadline = today + dt.timedelta(days=15)
    assert sms["template"] == "rectification_notice"
    assert sms["params"] == {"project": "阳澄湖半岛安置房项目", "deadline": f"{deadline:%Y年%m月%d日}"}
    assert f"请于{deadline:%Y年%m月%d日}前完成整改" in sms["text"]


def test_an_award_decision_sends_one_message_and_one_sms(
    committed: Any, enterprise_a: Any, reviewer: Any, _sms_outbox: Path
) -> None:
    year = timezone.localdate().year
    award = awards.nominate(
        enterprise=enterprise_a.enterprise,
        year=year,
        title="excellent_enterprise",
        reasons="工资按月足额支付。",
        actor=reviewer,
    )
    committed(awards.decide, award=award, granted=True, decided_on=timezone.localdate(), actor=reviewer)
    assert only_message(enterprise_a.enterprise).title.startswith(f"评优创先结果：{year}年度")
    [sms] = outbox(_sms_outbox)
    assert sms["template"] == "award_decided" and sms["params"]["result"] == "已获评"
    assert sms["params"]["award"].startswith(f"{year}年度")


# ---------------------------------------------------------------- the templates themselves


def test_every_template_fits_the_providers() -> None:
    for name, template in NOTICE_TEMPLATES.items():
        values = dict.fromkeys(template.variables, "某" * 80)
        text, params = template.render(values)
        assert list(params) == list(template.variables), name  # 腾讯云 numbers them in this order
        assert all(len(v) <= SMS_VALUE_MAX for v in params.values()), name
        assert text.startswith(SIGN) and "{" not in text, name


@pytest.mark.parametrize(
    ("raw", "sent"),
    [("照片不清晰。", "照片不清晰"), ("  两行\n原因；", "两行 原因"), ("", ""), ("短", "短")],
)
def test_sms_value(raw: str, sent: str) -> None:
    assert sms_value(raw) == sent
