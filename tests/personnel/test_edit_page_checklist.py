"""The checklist of an editable person's page (提交前还需完成) asks whether the enterprise's
基本信息 is approved through SQL written once per process (laowu/personnel/models.py
`basic_info_approved`), not a queryset built per request. The pages are the former ones byte for
byte (the CSRF tokens and nonces aside), with the 基本信息 not yet approved and approved, after
a 保存 with errors too: each is served, then served again with the former `exists()`, and the
two compared. The answer follows the table at once, and 提交 still refuses a person while the
基本信息 is not approved."""

from __future__ import annotations

from typing import Any

import pytest

from laowu.enterprises.models import BasicInfo
from laowu.personnel import models as person_models
from laowu.personnel.models import SafetyOfficer, WageManager
from laowu.review import services as workflow
from tests.factories import complete_basic_info, complete_person, make_id_number
from tests.pagebytes import served_both_ways

pytestmark = pytest.mark.django_db

BLOCKED = "企业基本信息审核通过后才能提交人员信息"
BAD_POST = {"do": "save", "name": '"><script>', "mobile": "12x", "issue_date": "2020-13-01"}


def _former_basic_info_approved(enterprise_id: int) -> bool:
    return BasicInfo.objects.filter(enterprise_id=enterprise_id, approved_submission__isnull=False).exists()


def _both_ways(client: Any, url: str, monkeypatch: pytest.MonkeyPatch, data: dict[str, str] | None = None) -> str:
    former = [(person_models, "basic_info_approved", _former_basic_info_approved)]
    return served_both_ways(client, monkeypatch, url, former, data=data)


def test_pages_as_the_former_check_showed_them(
    as_user: Any, enterprise_a: Any, reviewer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    safety = complete_person(SafetyOfficer, enterprise_a, id_number=make_id_number(), name='王<安> & "新"')
    wage = complete_person(WageManager, enterprise_a, id_number=make_id_number(), name="李'劳")
    client = as_user(enterprise_a)
    urls = [safety.get_absolute_url(), wage.get_absolute_url()]

    for url in urls:
        assert BLOCKED in _both_ways(client, url, monkeypatch)
        assert BLOCKED in _both_ways(client, url, monkeypatch, BAD_POST)
    info = complete_basic_info(enterprise_a.enterprise, actor=enterprise_a)
    submission = workflow.declare(filing=info, actor=enterprise_a)
    # Declared is not approved yet.
    assert BLOCKED in _both_ways(client, urls[0], monkeypatch)
    workflow.approve(submission=submission, actor=reviewer)
    # The next render sees the approval: nothing of the answer is kept.
    for url in urls:
        page = _both_ways(client, url, monkeypatch)
        assert BLOCKED not in page and "提交前还需完成" not in page
        assert "has-error" in _both_ways(client, url, monkeypatch, BAD_POST)


def test_declare_waits_for_the_basic_info(as_user: Any, enterprise_a: Any, reviewer: Any) -> None:
    person = complete_person(SafetyOfficer, enterprise_a, id_number=make_id_number(), name="赵安")
    with pytest.raises(workflow.DeclareBlocked) as refused:
        workflow.declare(filing=person, actor=enterprise_a)
    assert any(BLOCKED in p for p in refused.value.problems)
    info = complete_basic_info(enterprise_a.enterprise, actor=enterprise_a)
    workflow.approve(submission=workflow.declare(filing=info, actor=enterprise_a), actor=reviewer)
    person = SafetyOfficer.objects.get(pk=person.pk)
    workflow.declare(filing=person, actor=enterprise_a)
    assert SafetyOfficer.objects.get(pk=person.pk).state == "declared"
