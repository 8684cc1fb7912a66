"""The workflow as a table over HTTP: state × action × role, for 基本信息 and a 安全员.

Each action is tried by every role; exactly the role whose job it is, in a state that allows
it, changes anything. Everyone else gets 403 (wrong role), 404 (not their record),
a redirect to the login page (anonymous) or, for the right role in the wrong state, the
page again with a message — and the record, its submissions, attachments and audit log
stay exactly as they were.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from laowu.audit.models import AuditEvent
from laowu.documents.models import Attachment
from laowu.documents.services import add_attachment
from laowu.personnel.models import SafetyOfficer
from laowu.review import services
from laowu.review.models import Filing, State, Submission
from laowu.review.selectors import history
from tests.conftest import client_for
from tests.factories import make_id_number, make_pdf_bytes

pytestmark = pytest.mark.django_db

D, S, A, R, X = State.DRAFT, State.DECLARED, State.APPROVED, State.REJECTED, State.DEREGISTERED

# action → (states it is allowed from, the state it leads to; None: the state stays)
TABLE: dict[str, tuple[set[str], str | None]] = {
    "save": ({D, R}, None),
    "declare": ({D, R}, S),
    "withdraw": ({S}, D),
    "change": ({A}, D),
    "approve": ({S}, A),
    "reject": ({S}, R),
    "upload": ({D, R}, None),
    "attachment_delete": ({D, R}, None),
}
DECISIONS = {"approve", "reject"}
ROLES = ("anonymous", "sysadmin", "supervisor", "enterprise_b", "reviewer", "owner")
LOGIN, OWN_RECORD = "login", "own"
# The field each kind's 保存 changes, and the new value.
SAVED = {"basic_info": ("office_address", "苏州市相城区太平街道新址1号"), "safety": ("mobile", "13700001111")}


def expected(role: str, action: str, kind: str) -> int | str:
    """The answer to `role` trying `action`, whatever the state."""
    if role == "anonymous":
        return LOGIN
    if action in DECISIONS:
        return 302 if role == "reviewer" else 403
    if role == "owner":
        return 302
    if role == "enterprise_b":
        # 基本信息's page has no id: B's 保存 there is about B's own record.
        return OWN_RECORD if (action, kind) == ("save", "basic_info") else 404
    if role == "reviewer" and action in ("upload", "attachment_delete"):
        return 404  # the attachment views admit reviewers (supervision files), but not to filings
    return 403


def acting_role(action: str) -> str:
    return "reviewer" if action in DECISIONS else "owner"


# ---------------------------------------------------------------- records in each state


def basic_info_in(state: str, filing_in_state: Any, owner: Any) -> Filing:
    if state == D:
        # Declared and withdrawn, so there is a submission for 通过/退回 to aim at.
        info = filing_in_state(S)
        return services.withdraw(filing=info, actor=owner)
    return filing_in_state(state)


def person_in(state: str, filing_in_state: Any, owner: Any, reviewer: Any) -> Filing:
    filing_in_state(A)  # 提交 needs the enterprise's approved 基本信息
    person = SafetyOfficer.objects.create(
        enterprise=owner.enterprise,
        name="孙安",
        gender="男",
        id_number=make_id_number(),
        mobile="13912345678",
        cert_no="苏建安C3(2023)0000001",
        cert_category="C3",
        issue_date=dt.date(2023, 1, 1),
        valid_until=dt.date.today() + dt.timedelta(days=365),
        issuer="江苏省住房和城乡建设厅",
        education="大专",
        consent_confirmed_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )
    for kind in person.ATTACHMENT_KINDS:
        if kind.required:
            upload = SimpleUploadedFile(f"{kind.label}.pdf", make_pdf_bytes(f"p{person.pk}{kind.code}"))
            add_attachment(filing=person, kind=kind.code, upload=upload, actor=owner)
    sub = services.declare(filing=person, actor=owner)
    if state == D:
        services.withdraw(filing=person, actor=owner)
    elif state == R:
        services.reject(submission=sub, actor=reviewer, reason="证书扫描件不清晰")
    elif state in (A, X):
        services.approve(submission=sub, actor=reviewer)
        if state == X:
            services.deregister(filing=SafetyOfficer.objects.get(pk=person.pk), actor=owner)
    return SafetyOfficer.objects.get(pk=person.pk)


# ---------------------------------------------------------------- the requests


def form_data(filing: Filing, kind: str) -> dict[str, str]:
    """The edit form as the browser would post it, with SAVED's field changed."""
    data = {}
    for name in filing.SNAPSHOT_FIELDS:
        value = getattr(filing, name)
        data[name] = value.isoformat() if isinstance(value, dt.date) else ("" if value is None else str(value))
    field, value = SAVED[kind]
    data[field] = value
    if kind == "safety":
        data["consent"] = "on"
    return data


def send(client: Client, action: str, kind: str, filing: Filing) -> Any:
    code = filing.FILING_TYPE
    if action == "save":
        url = (
            reverse("enterprises:basic_info")
            if kind == "basic_info"
            else reverse("personnel:edit", args=["safety", filing.pk])
        )
        return client.post(url, form_data(filing, kind))
    if action in ("declare", "withdraw", "change"):
        return client.post(reverse("review:owner_action", args=[code, filing.pk, action]))
    if action in DECISIONS:
        sub_pk = filing.pending_submission_id or history(filing).first().pk
        return client.post(reverse("review:decide", args=[sub_pk, action]), {"reason": "请补充材料"})
    if action == "upload":
        slot = "other" if kind == "basic_info" else "labour_contract"
        upload = SimpleUploadedFile("补充.pdf", make_pdf_bytes(f"extra-{filing.pk}"), "application/pdf")
        return client.post(reverse("documents:upload", args=[code, filing.pk]), {"kind": slot, "file": upload})
    attachment = filing.attachments.order_by("pk").first()
    return client.post(reverse("documents:attachment_delete", args=[attachment.pk]))


def state_of(filing: Filing, kind: str) -> dict[str, Any]:
    """Everything an action could change, read fresh from the database."""
    fresh = type(filing).objects.get(pk=filing.pk)
    return {
        "state": fresh.state,
        "revision": fresh.revision,
        "pending": fresh.pending_submission_id,
        "approved": fresh.approved_submission_id,
        "submissions": sorted(history(fresh).values_list("pk", "status")),
        "attachments": sorted(fresh.attachments.values_list("pk", flat=True)),
        "field": getattr(fresh, SAVED[kind][0]),
        # A's record's own audit trail (B's 保存 of its own 基本信息 is logged against B's) of
        # what was done; a refused upload is logged too, as a failure (ATTACHMENT_REFUSED).
        "audit": AuditEvent.objects.filter(
            object_type=fresh._meta.label_lower, object_id=str(fresh.pk), result="success"
        ).count(),
    }


def message_levels(resp: Any) -> list[str]:
    return [m.level_tag for m in get_messages(resp.wsgi_request)]


CASES = [("basic_info", state) for state in (D, S, A, R)] + [("safety", state) for state in (D, S, A, R, X)]


@pytest.mark.parametrize("action", sorted(TABLE))
@pytest.mark.parametrize(("kind", "state"), CASES, ids=[f"{k}-{s}" for k, s in CASES])
def test_state_action_role(
    kind: str,
    state: str,
    action: str,
    filing_in_state: Any,
    enterprise_a: Any,
    enterprise_b: Any,
    reviewer: Any,
    supervisor: Any,
    sysadmin: Any,
) -> None:
    if kind == "basic_info":
        filing = basic_info_in(state, filing_in_state, enterprise_a)
    else:
        filing = person_in(state, filing_in_state, enterprise_a, reviewer)
    assert filing.state == state
    users = {
        "owner": enterprise_a,
        "enterprise_b": enterprise_b,
        "reviewer": reviewer,
        "supervisor": supervisor,
        "sysadmin": sysadmin,
    }
    allowed_from, target = TABLE[action]
    before = state_of(filing, kind)
    # The acting role comes last: everyone before it must leave the record untouched.
    for role in [*(r for r in ROLES if r != acting_role(action)), acting_role(action)]:
        client = Client() if role == "anonymous" else client_for(users[role])
        resp = send(client, action, kind, filing)
        want = expected(role, action, kind)
        where = (kind, state, action, role)
        if want == LOGIN:
            assert resp.status_code == 302 and resp["Location"].startswith(reverse("accounts:login")), where
        elif want != OWN_RECORD:
            assert resp.status_code == want, (*where, resp.status_code)
        allowed = role == acting_role(action) and state in allowed_from
        after = state_of(filing, kind)
        if not allowed:
            assert after == before, where
            if role == acting_role(action):
                # The right person in the wrong state is told why, on the page they came from.
                assert "error" in message_levels(resp), where
            continue
        assert "success" in message_levels(resp), where
        assert after["state"] == (target or state), where
        assert after["audit"] == before["audit"] + 1, where
        if action == "save":
            assert after["field"] == SAVED[kind][1] and after["submissions"] == before["submissions"]
        elif action == "upload":
            assert len(after["attachments"]) == len(before["attachments"]) + 1
        elif action == "attachment_delete":
            assert len(after["attachments"]) == len(before["attachments"]) - 1
            assert not Attachment.objects.filter(pk=before["attachments"][0]).exists()
        elif action == "declare":
            assert after["pending"] and len(after["submissions"]) == len(before["submissions"]) + 1
            assert Submission.objects.get(pk=after["pending"]).status == "pending"
        elif action == "withdraw":
            assert after["pending"] is None
            assert Submission.objects.get(pk=before["pending"]).status == "withdrawn"
        elif action == "change":
            # The approved revision stays the valid one while the change is drafted.
            assert after["approved"] == before["approved"] and after["submissions"] == before["submissions"]
        elif action == "approve":
            assert after["approved"] == before["pending"] and after["pending"] is None
            assert Submission.objects.get(pk=before["pending"]).status == "approved"
        elif action == "reject":
            assert after["pending"] is None
            assert Submission.objects.get(pk=before["pending"]).status == "rejected"
