"""Every URL that takes an object id: enterprise B asking for A's object gets 404, exactly
as for an id that does not exist; a reviewer of another district likewise for committee pages.

The cases are checked against the URL resolver: a new URL with an object id fails
`test_every_object_url_is_covered` until it has a case here (or names the test that covers it).
"""

from __future__ import annotations

import copy
import dataclasses
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter

from laowu.accounts.models import User
from laowu.documents.models import Attachment
from laowu.personnel.models import SafetyOfficer, WageManager
from laowu.review.models import State, Submission
from tests.conftest import PASSWORD, basic_info_in_state
from tests.factories import (
    DistrictFactory,
    EnterpriseUserFactory,
    StaffFactory,
    approved_person,
    approved_project,
    make_id_number,
)

pytestmark = pytest.mark.django_db

MISSING = 999999
Objects = dict[str, Any]
Args = Callable[[Objects], list[Any]]


@dataclasses.dataclass(frozen=True)
class Case:
    name: str  # the URL name
    method: str  # "get" or "post"
    args: Args  # A's object
    missing: Args  # an id that does not exist, same shape
    b: int  # enterprise B's answer
    elsewhere: int  # the answer to a reviewer of another district
    owner: int | None = None  # A's own answer to a GET: the URL really serves the object
    label: str = ""

    @property
    def id(self) -> str:
        return f"{self.name}-{self.method}" + (f"-{self.label}" if self.label else "")


# Filing key in `a_objects` → its FILING_TYPE code (what generic URLs take).
FILINGS = {"info": "basic_info", "safety": "safety_officer", "wage": "wage_manager", "project": "project"}
PERSON_KINDS = {"safety": "safety", "wage": "wage"}


def _filing_cases() -> Iterator[Case]:
    for key, code in FILINGS.items():

        def att(o: Objects, key: str = key) -> list[Any]:
            return [o[key + ":att"].pk]

        def sub(o: Objects, key: str = key) -> list[Any]:
            return [o[key].approved_submission_id]

        def pk(o: Objects, key: str = key, code: str = code) -> list[Any]:
            return [code, o[key].pk]

        yield Case("documents:attachment", "get", att, lambda o: [MISSING], 404, 404, owner=200, label=key)
        yield Case("documents:attachment_delete", "post", att, lambda o: [MISSING], 404, 404, label=key)
        yield Case("documents:upload", "post", pk, lambda o, c=code: [c, MISSING], 404, 404, label=key)
        yield Case(
            "printing:submission_file",
            "get",
            lambda o, key=key: [*sub(o, key), o[key + ":sha"]],
            lambda o, key=key: [MISSING, o[key + ":sha"]],
            404,
            404,
            owner=200,
            label=key,
        )
        yield Case("printing:print", "get", sub, lambda o: [MISSING], 404, 404, owner=200, label=key)
        # Committee pages: an enterprise role is refused outright; another district's reviewer
        # is told "not found".
        yield Case("review:submission", "get", sub, lambda o: [MISSING], 403, 404, label=key)
        for decision in ("approve", "reject"):
            yield Case(
                "review:decide",
                "post",
                lambda o, key=key, d=decision: [*sub(o, key), d],
                lambda o, d=decision: [MISSING, d],
                403,
                404,
                label=f"{key}-{decision}",
            )
        for action in ("declare", "withdraw", "change"):
            yield Case(
                "review:owner_action",
                "post",
                lambda o, key=key, a=action: [*pk(o, key), a],
                lambda o, c=code, a=action: [c, MISSING, a],
                404,
                403,
                label=f"{key}-{action}",
            )


def _personnel_cases() -> Iterator[Case]:
    for key, kind in PERSON_KINDS.items():

        def pk(o: Objects, key: str = key, kind: str = kind) -> list[Any]:
            return [kind, o[key].pk]

        def missing(o: Objects, kind: str = kind) -> list[Any]:
            return [kind, MISSING]

        yield Case("personnel:edit", "get", pk, missing, 404, 403, owner=200, label=key)
        yield Case("personnel:edit", "post", pk, missing, 404, 403, label=key)
        yield Case("personnel:delete", "get", pk, missing, 404, 403, owner=200, label=key)
        yield Case("personnel:delete", "post", pk, missing, 404, 403, label=key)
        yield Case("personnel:deregister", "post", pk, missing, 404, 403, label=key)


def _other_cases() -> Iterator[Case]:
    yield Case("contracts:edit", "get", lambda o: [o["project"].pk], lambda o: [MISSING], 404, 403, owner=200)
    yield Case("contracts:delete", "post", lambda o: [o["project"].pk], lambda o: [MISSING], 404, 403)
    yield Case("directory:enterprise_detail", "get", lambda o: [o["info"].enterprise_id], lambda o: [MISSING], 403, 404)
    # The system administrator's page: nobody else reaches it, for any account id.
    yield Case("accounts:user_set_active", "post", lambda o: [o["owner"].pk], lambda o: [MISSING], 403, 403)
    # The security administrator's reset of a second factor, likewise.
    yield Case("accounts:user_otp_reset", "post", lambda o: [o["owner"].pk], lambda o: [MISSING], 403, 403)
    yield Case("accounts:user_set_password", "post", lambda o: [o["owner"].pk], lambda o: [MISSING], 403, 403)


CASES = [*_filing_cases(), *_personnel_cases(), *_other_cases()]

# Object URLs whose access rules are tested with their own app: "file::test" under tests/ →
# the URL names (namespace supervision) it covers.
COVERED_BY = {
    "supervision/test_bad_behaviour.py::test_enterprises_never_see_others_records_or_drafts": (
        "bad_behaviour_detail",
        "bad_behaviour_publish",
    ),
    "supervision/test_bad_behaviour.py::test_supervisor_reads_but_changes_nothing": (
        "bad_behaviour_edit",
        "bad_behaviour_delete",
    ),
    "supervision/test_bad_behaviour.py::test_reviewer_of_another_district_sees_nothing": ("bad_behaviour_revoke",),
    "supervision/test_bad_behaviour.py::test_public_page_filters_and_hides_revoked": ("public_bad_behaviour_detail",),
    "supervision/test_bad_behaviour_removal.py::test_removal_permissions": (
        "removal_new",
        "removal_save",
        "removal_submit",
        "removal_decide",
    ),
    "supervision/test_inspections_views.py::test_reviewer_of_another_district_gets_404": (
        "inspection_create",
        "inspection_edit",
        "inspection_delete",
        "inspection_issue",
        "rectification_review",
    ),
    "supervision/test_inspections_views.py::test_other_enterprise_gets_404_everywhere": (
        "inspection_detail",
        "inspection_reply_save",
        "rectification_submit",
        "rectification_delete",
    ),
    "supervision/test_rectification_notice.py::test_another_enterprise_cannot_print_it": ("inspection_notice_print",),
    "supervision/test_awards.py::test_enterprise_sees_its_own_awards_only": ("award_detail",),
    "supervision/test_awards.py::test_supervisor_reads_but_cannot_change": ("award_edit", "award_decide"),
    "supervision/test_awards.py::test_reviewer_of_another_district_cannot_touch_it": ("award_withdraw",),
    "supervision/test_credit_views.py::test_enterprise_sees_only_its_own_score": ("credit_detail",),
    "supervision/test_notices.py::test_supervisor_and_enterprise_cannot_manage_notices": (
        "notice_edit",
        "notice_publish",
        "notice_unpublish",
        "notice_delete",
    ),
    "supervision/test_notices.py::test_only_published_notices_show_on_login_page_home_and_public_pages": (
        "notice_detail",
    ),
    "supervision/test_notices.py::test_public_file_url_serves_only_that_notices_attachments": ("notice_attachment",),
    "supervision/test_notices.py::test_messages_are_the_enterprises_own": ("message_open", "message_mark_read"),
}
COVERED_ELSEWHERE = {f"supervision:{name}": where for where, names in COVERED_BY.items() for name in names}
# The 系统管理员's SMS records belong to no enterprise or district: only that role may touch them.
COVERED_ELSEWHERE["accounts:sms_resend"] = "accounts/test_sms_queue.py::test_only_the_sysadmin_sends_again"


def _object_url_names() -> set[str]:
    """Every named URL with an integer path parameter (an object id), namespaced."""

    def walk(patterns: list[Any], namespace: list[str]) -> Iterator[str]:
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, [*namespace, p.namespace] if p.namespace else namespace)
            elif isinstance(p, URLPattern) and p.name:
                converters = getattr(p.pattern, "converters", {})
                if any(isinstance(c, IntConverter) for c in converters.values()):
                    yield ":".join([*namespace, p.name])

    return set(walk(get_resolver().url_patterns, []))


def test_every_object_url_is_covered() -> None:
    names = _object_url_names()
    assert "documents:attachment" in names and "personnel:edit" in names  # the walk works
    unmapped = names - {c.name for c in CASES} - set(COVERED_ELSEWHERE)
    assert not unmapped, f"URLs with an object id but no permission case: {sorted(unmapped)}"
    stale = ({c.name for c in CASES} | set(COVERED_ELSEWHERE)) - names
    assert not stale, f"cases for URLs that no longer exist: {sorted(stale)}"
    tests = Path(__file__).resolve().parents[1]
    for name, where in COVERED_ELSEWHERE.items():
        path, test = where.split("::")
        source = (tests / path).read_text(encoding="utf-8")
        assert re.search(rf"^def {test}\(", source, re.M), f"{name}: tests/{where} does not exist"


@pytest.fixture(scope="module")
def world(module_db: None, django_db_blocker: Any) -> dict[str, Any]:
    """Enterprise A's approved 基本信息, 安全员, 劳资专管员 and 项目, each with an attachment, and
    enterprise B: made once for the module, since every test here only tries to read or change
    them and checks that nothing changed (each test's changes are rolled back all the same)."""
    with django_db_blocker.unblock():
        owner = EnterpriseUserFactory(password=PASSWORD)
        enterprise_b = EnterpriseUserFactory(password=PASSWORD)
        reviewer = StaffFactory(role="reviewer", username="reviewer", password=PASSWORD)
        info = basic_info_in_state(State.APPROVED, owner=owner, reviewer=reviewer)
        objects: Objects = {"owner": owner, "info": info}
        objects["safety"] = approved_person(SafetyOfficer, owner, reviewer, id_number=make_id_number(), name="孙安")
        objects["wage"] = approved_person(WageManager, owner, reviewer, id_number=make_id_number(), name="钱劳")
        objects["project"] = approved_project(owner, reviewer)
        for key in FILINGS:
            filing = objects[key]
            objects[key + ":att"] = filing.attachments.first()
            objects[key + ":sha"] = filing.approved_submission.snapshot["attachments"][0]["sha256"]
            assert objects[key + ":att"] is not None
    return {"a": objects, "b": enterprise_b}


@pytest.fixture
def this_test_world(world: dict[str, Any], db: None) -> dict[str, Any]:
    return copy.deepcopy(world)


@pytest.fixture
def a_objects(this_test_world: dict[str, Any]) -> Objects:
    return this_test_world["a"]


@pytest.fixture
def enterprise_a(this_test_world: dict[str, Any]) -> Any:
    return this_test_world["a"]["owner"]


@pytest.fixture
def enterprise_b(this_test_world: dict[str, Any]) -> Any:
    return this_test_world["b"]


def _a_unchanged(objects: Objects) -> None:
    for key in FILINGS:
        filing = type(objects[key]).objects.get(pk=objects[key].pk)
        assert filing.state == State.APPROVED, key
        assert Attachment.objects.filter(pk=objects[key + ":att"].pk).exists(), key
        assert Submission.objects.get(pk=filing.approved_submission_id).status == "approved", key
    assert User.objects.get(pk=objects["owner"].pk).is_active


@pytest.mark.parametrize(
    "case", [pytest.param(c, id=c.id, marks=[pytest.mark.prints] if c.name == "printing:print" else []) for c in CASES]
)
def test_other_enterprise_gets_404_like_missing(
    case: Case, a_objects: Objects, as_user: Any, enterprise_a: Any, enterprise_b: Any
) -> None:
    elsewhere = StaffFactory(
        role="reviewer", username="rev-wz", districts=[DistrictFactory(code="320506", name="吴中区")]
    )
    url = reverse(case.name, args=case.args(a_objects))
    missing_url = reverse(case.name, args=case.missing(a_objects))
    data = {"reason": "越权", "active": "0", "name": "篡改", "kind": "other"}
    for who, client, expected in (
        ("B", as_user(enterprise_b), case.b),
        ("elsewhere", as_user(elsewhere), case.elsewhere),
    ):
        resp = getattr(client, case.method)(url, data)
        assert resp.status_code == expected, (who, url, resp.status_code)
        # The same answer as for an object that does not exist: nothing to learn from it.
        assert getattr(client, case.method)(missing_url, data).status_code == expected, (who, missing_url)
    if case.owner is not None:
        assert as_user(enterprise_a).get(url).status_code == case.owner
    _a_unchanged(a_objects)


def test_wrong_person_kind_is_404(a_objects: Objects, as_user: Any) -> None:
    # A's 安全员 addressed as a 劳资专管员: not found, even for the owner.
    owner = as_user(a_objects["owner"])
    safety = SafetyOfficer.objects.create(
        enterprise=a_objects["owner"].enterprise, name="周安", id_number=make_id_number()
    )
    assert not WageManager.objects.filter(pk=safety.pk).exists()
    assert owner.get(reverse("personnel:edit", args=["safety", safety.pk])).status_code == 200
    assert owner.get(reverse("personnel:edit", args=["wage", safety.pk])).status_code == 404
    assert owner.get(reverse("personnel:edit", args=["nobody", safety.pk])).status_code == 404


def test_wrong_sha_in_submission_is_404(a_objects: Objects, as_user: Any, enterprise_a: Any) -> None:
    url = reverse("printing:submission_file", args=[a_objects["info"].approved_submission_id, "0" * 64])
    assert as_user(enterprise_a).get(url).status_code == 404


def test_attachment_served_privately_inline(a_objects: Objects, as_user: Any, enterprise_a: Any, client: Any) -> None:
    url = reverse("documents:attachment", args=[a_objects["info:att"].pk])
    assert client.get(url).status_code == 302  # anonymous → login
    resp = as_user(enterprise_a).get(url)
    assert resp["Content-Type"] == "application/pdf"
    assert resp["Content-Disposition"].startswith("inline; filename*=UTF-8''")
    assert resp["X-Content-Type-Options"] == "nosniff"
    # Its own stricter policy, which the site-wide one (django-csp) leaves in place.
    assert resp["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'self'"
    assert resp.content.startswith(b"%PDF-")
