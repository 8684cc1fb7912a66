"""The one workflow, as a table: every state × action, and every role for each action."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from laowu.audit.models import AuditEvent
from laowu.enterprises.models import BasicInfo
from laowu.review import services
from laowu.review.models import State, SubmissionStatus
from tests.factories import DistrictFactory, StaffFactory

pytestmark = pytest.mark.django_db

D, S, A, R = State.DRAFT, State.DECLARED, State.APPROVED, State.REJECTED

# action → (states it is allowed from, state it leads to)
TABLE = {
    "save": ({D, R}, None),
    "declare": ({D, R}, S),
    "withdraw": ({S}, D),
    "approve": ({S}, A),
    "reject": ({S}, R),
    "change": ({A}, D),
}


def run(action: str, info: BasicInfo, owner: Any, reviewer: Any) -> None:
    if action == "save":
        services.save_fields(filing=info, data={"office_address": "新地址"}, actor=owner)
    elif action == "declare":
        services.declare(filing=info, actor=owner)
    elif action == "withdraw":
        services.withdraw(filing=info, actor=owner)
    elif action == "change":
        services.start_change(filing=info, actor=owner)
    else:
        sub = info.pending_submission or info.approved_submission
        if sub is None:
            raise services.WorkflowError("no submission")
        if action == "approve":
            services.approve(submission=sub, actor=reviewer)
        else:
            services.reject(submission=sub, actor=reviewer, reason="缺少资质证书")


@pytest.mark.parametrize("state", [D, S, A, R])
@pytest.mark.parametrize("action", sorted(TABLE))
def test_state_by_action(state: str, action: str, filing_in_state: Any, enterprise_a: Any, reviewer: Any) -> None:
    info = filing_in_state(state)
    allowed, target = TABLE[action]
    audit_before = AuditEvent.objects.count()
    if state in allowed:
        run(action, info, enterprise_a, reviewer)
        info.refresh_from_db()
        assert info.state == (target or state)
        assert AuditEvent.objects.count() == audit_before + 1
    else:
        with pytest.raises(services.WorkflowError):
            run(action, info, enterprise_a, reviewer)
        assert BasicInfo.objects.get(pk=info.pk).state == state
        assert AuditEvent.objects.count() == audit_before


def test_declare_freezes_snapshot_with_attachment_hashes(filing_in_state: Any, enterprise_a: Any) -> None:
    info = filing_in_state(D)
    sub = services.declare(filing=info, actor=enterprise_a)
    assert sub.status == SubmissionStatus.PENDING and sub.revision == 1
    fields = {r["name"]: r for r in sub.snapshot["fields"]}
    assert fields["qualification_no"]["display"] == "D332012345"
    assert fields["name"]["provider"] is True
    assert {a["kind"] for a in sub.snapshot["attachments"]} == {"business_license", "qualification", "safety_license"}
    assert all(len(a["sha256"]) == 64 for a in sub.snapshot["attachments"])
    # Later edits (after 撤回) do not touch the frozen snapshot.
    services.withdraw(filing=info, actor=enterprise_a)
    services.save_fields(filing=info, data={"qualification_no": "D332099999"}, actor=enterprise_a)
    sub.refresh_from_db()
    assert {r["name"]: r for r in sub.snapshot["fields"]}["qualification_no"]["display"] == "D332012345"
    assert sub.status == SubmissionStatus.WITHDRAWN


def test_declare_lists_what_is_missing(enterprise_a: Any) -> None:
    from laowu.enterprises.services import ensure_basic_info

    info = ensure_basic_info(enterprise=enterprise_a.enterprise)
    with pytest.raises(services.DeclareBlocked) as exc:
        services.declare(filing=info, actor=enterprise_a)
    text = " ".join(exc.value.problems)
    assert "施工劳务资质证书编号" in text and "营业执照" in text and "安全生产许可证" in text
    assert BasicInfo.objects.get(pk=info.pk).state == State.DRAFT


def test_double_declare_has_no_extra_effect(filing_in_state: Any, enterprise_a: Any) -> None:
    info = filing_in_state(D)
    services.declare(filing=info, actor=enterprise_a)
    with pytest.raises(services.WorkflowError, match="已申报"):
        services.declare(filing=info, actor=enterprise_a)
    assert BasicInfo.objects.get(pk=info.pk).revision == 1


def test_reject_needs_reason_and_enterprise_sees_it(
    filing_in_state: Any, enterprise_a: Any, reviewer: Any, as_user: Any
) -> None:
    info = filing_in_state(S)
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="请填写退回原因"):
        services.reject(submission=info.pending_submission, actor=reviewer, reason="  ")
    services.reject(submission=info.pending_submission, actor=reviewer, reason="资质证书已过期，请重新上传")
    page = as_user(enterprise_a).get(reverse("enterprises:basic_info")).content.decode()
    assert "已退回" in page and "资质证书已过期，请重新上传" in page


def test_change_keeps_the_approved_revision_valid(filing_in_state: Any, enterprise_a: Any, reviewer: Any) -> None:
    info = filing_in_state(A)
    first = info.approved_submission
    assert first.verify_token and len(first.verify_token) >= 32
    services.start_change(filing=info, actor=enterprise_a)
    services.save_fields(filing=info, data={"employee_count": 80}, actor=enterprise_a)
    info.refresh_from_db()
    assert info.state == D and info.approved_submission_id == first.pk and info.changing
    second = services.declare(filing=info, actor=enterprise_a)
    first.refresh_from_db()
    assert first.status == SubmissionStatus.APPROVED  # still valid while the change is reviewed
    services.approve(submission=second, actor=reviewer)
    first.refresh_from_db()
    info.refresh_from_db()
    assert first.status == SubmissionStatus.SUPERSEDED
    assert info.approved_submission_id == second.pk and info.state == A


# ---------------------------------------------------------------- roles over HTTP


def owner_post(client: Any, info: BasicInfo, action: str) -> Any:
    return client.post(reverse("review:owner_action", args=["basic_info", info.pk, action]))


@pytest.mark.parametrize(("action", "state"), [("declare", D), ("withdraw", S), ("change", A)])
def test_owner_actions_by_role(
    action: str,
    state: str,
    filing_in_state: Any,
    as_user: Any,
    enterprise_a: Any,
    enterprise_b: Any,
    reviewer: Any,
    supervisor: Any,
) -> None:
    info = filing_in_state(state)
    assert owner_post(as_user(enterprise_b), info, action).status_code == 404
    assert owner_post(as_user(reviewer), info, action).status_code == 403
    assert owner_post(as_user(supervisor), info, action).status_code == 403
    assert BasicInfo.objects.get(pk=info.pk).state == state
    resp = owner_post(as_user(enterprise_a), info, action)
    assert resp.status_code == 302
    assert BasicInfo.objects.get(pk=info.pk).state == TABLE[action][1]


@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_decisions_by_role(
    decision: str,
    filing_in_state: Any,
    as_user: Any,
    enterprise_a: Any,
    enterprise_b: Any,
    reviewer: Any,
    supervisor: Any,
) -> None:
    info = filing_in_state(S)
    url = reverse("review:decide", args=[info.pending_submission_id, decision])
    data = {"reason": "请补充"}
    assert as_user(enterprise_a).post(url, data).status_code == 403
    assert as_user(enterprise_b).post(url, data).status_code == 403
    assert as_user(supervisor).post(url, data).status_code == 403
    elsewhere = StaffFactory(
        role="reviewer", username="rev-wz", districts=[DistrictFactory(code="320506", name="吴中区")]
    )
    assert as_user(elsewhere).post(url, data).status_code == 404
    assert BasicInfo.objects.get(pk=info.pk).state == S
    assert as_user(reviewer).post(url, data).status_code == 302
    assert BasicInfo.objects.get(pk=info.pk).state == (A if decision == "approve" else R)


def test_reject_without_reason_keeps_page_with_error(filing_in_state: Any, as_user: Any, reviewer: Any) -> None:
    info = filing_in_state(S)
    resp = as_user(reviewer).post(reverse("review:decide", args=[info.pending_submission_id, "reject"]), {"reason": ""})
    assert resp.status_code == 400 and "请填写退回原因" in resp.content.decode()
    assert BasicInfo.objects.get(pk=info.pk).state == S


def test_queue_counts_search_and_scope(filing_in_state: Any, as_user: Any, reviewer: Any, enterprise_a: Any) -> None:
    filing_in_state(S)
    page = as_user(reviewer).get(reverse("review:queue")).content.decode()
    assert "待审核（1）" in page and enterprise_a.enterprise.name in page
    assert (
        enterprise_a.enterprise.name
        not in as_user(reviewer).get(reverse("review:queue"), {"q": "不存在的企业"}).content.decode()
    )
    elsewhere = StaffFactory(
        role="reviewer", username="rev-wz2", districts=[DistrictFactory(code="320506", name="吴中区")]
    )
    assert "待审核（0）" in as_user(elsewhere).get(reverse("review:queue")).content.decode()


def test_review_page_shows_snapshot_provider_marks_and_diff(
    filing_in_state: Any, as_user: Any, enterprise_a: Any, reviewer: Any
) -> None:
    info = filing_in_state(A)
    services.start_change(filing=info, actor=enterprise_a)
    services.save_fields(filing=info, data={"employee_count": 99}, actor=enterprise_a)
    sub = services.declare(filing=info, actor=enterprise_a)
    page = as_user(reviewer).get(reverse("review:submission", args=[sub.pk])).content.decode()
    assert "与已通过的第1版相比的变化" in page and "职工人数" in page and "99" in page
    assert "天眼查" in page and "已核验" in page
    assert reverse("printing:submission_file", args=[sub.pk, sub.snapshot["attachments"][0]["sha256"]]) in page
    # 审核记录 lists every revision of the filing, the approved first one included.
    history = page.split("审核记录", 1)[1]
    assert "第2版" in history and "第1版" in history and "已通过" in history


def test_supervisor_reads_but_cannot_decide(filing_in_state: Any, as_user: Any, supervisor: Any) -> None:
    info = filing_in_state(S)
    page = as_user(supervisor).get(reverse("review:submission", args=[info.pending_submission_id])).content.decode()
    assert "申报内容" in page
    assert 'action="' + reverse("review:decide", args=[info.pending_submission_id, "approve"]) not in page


def test_review_page_marks_only_provider_confirmed_fields(filing_in_state: Any, as_user: Any, reviewer: Any) -> None:
    import lxml.html

    info = filing_in_state(S)
    page = as_user(reviewer).get(reverse("review:submission", args=[info.pending_submission_id])).content.decode()
    [table] = lxml.html.fromstring(page).xpath("//table[contains(concat(' ', @class, ' '), ' snapshot ')]")
    rows = {tr.xpath("./th")[0].text_content(): tr.xpath("./td")[0] for tr in table.xpath(".//tr")}

    def tags(label: str) -> list[str]:
        return [s.text_content() for s in rows[label].xpath(".//span[@class='source-tag']")]

    # 企业名称 came from the provider; 办公地址 the enterprise typed; 营业期限至 the provider left empty.
    assert tags("企业名称") == ["天眼查"] and tags("法定代表人") == ["天眼查"]
    assert tags("办公地址") == [] and tags("营业期限至") == []
    assert rows["企业名称"].text_content().startswith(info.name)
