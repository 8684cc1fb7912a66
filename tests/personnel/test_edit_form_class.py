"""The person edit and new pages build their form from a class made once per role
(laowu/personnel/forms.py `person_form_class`) instead of a class made anew per request. The
pages are the former ones byte for byte (the CSRF tokens and nonces aside) in each state of a
person, on 新增 and after a 保存 with errors: each is served, then served again with the class
made per request as before, and the two compared. A form's changes to its fields (read-only
身份证号, locked fields) stay with that form."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from laowu.personnel import forms as person_forms
from laowu.personnel import views
from laowu.personnel.models import SafetyOfficer, WageManager
from laowu.review import services as workflow
from tests.factories import approved_person, complete_basic_info, complete_person, make_id_number
from tests.pagebytes import served_both_ways

pytestmark = pytest.mark.django_db

# A 保存 the form refuses: a bad 身份证号, phone and date, an escaped name kept, no consent.
BAD_POST = {
    "do": "save",
    "name": '"><script>',
    "id_number": "12345",
    "mobile": "12x",
    "issue_date": "2020-13-01",
    "gender": "nowhere",
}


def _both_ways(client: Any, url: str, monkeypatch: pytest.MonkeyPatch, data: dict[str, str] | None = None) -> str:
    former = [(views, "person_form_class", person_forms._make_form_class)]
    return served_both_ways(client, monkeypatch, url, former, data=data)


def test_pages_as_the_former_form_class_showed_them(
    as_user: Any, enterprise_a: Any, reviewer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    info = complete_basic_info(enterprise_a.enterprise, actor=enterprise_a)
    workflow.approve(submission=workflow.declare(filing=info, actor=enterprise_a), actor=reviewer)
    draft = complete_person(SafetyOfficer, enterprise_a, id_number=make_id_number(), name='王<安> & "新"')
    rejected = complete_person(WageManager, enterprise_a, id_number=make_id_number(), name="李'劳")
    workflow.reject(submission=workflow.declare(filing=rejected, actor=enterprise_a), actor=reviewer, reason="不清晰")
    approved = approved_person(SafetyOfficer, enterprise_a, reviewer, id_number=make_id_number(), name="赵安")
    changing = approved_person(WageManager, enterprise_a, reviewer, id_number=make_id_number(), name="钱劳")
    workflow.start_change(filing=changing, actor=enterprise_a)
    client = as_user(enterprise_a)

    for kind in ("safety", "wage"):
        new = reverse("personnel:new", args=[kind])
        _both_ways(client, new, monkeypatch)
        page = _both_ways(client, new, monkeypatch, BAD_POST)
        assert "has-error" in page and "&quot;&gt;&lt;script&gt;" in page
    pages = {}
    for person in (draft, rejected, approved, changing):
        url = type(person).objects.get(pk=person.pk).get_absolute_url()
        pages[person.pk, type(person)] = _both_ways(client, url, monkeypatch)
        if person is not approved:
            page = _both_ways(client, url, monkeypatch, BAD_POST)
            assert "has-error" in page and 'value="12x"' in page

    # The approved 安全员's 身份证号 is locked on its form, served before the draft's: the
    # draft's stays open, and the 变更's is locked with its note.
    assert re.search(r'<input type="text" name="id_number"[^>]* disabled', pages[approved.pk, SafetyOfficer])
    draft_page = _both_ways(client, draft.get_absolute_url(), monkeypatch)
    assert re.search(r'<input type="text" name="id_number"[^>]*>', draft_page)
    assert not re.search(r'<input type="text" name="id_number"[^>]* disabled', draft_page)
    assert "已审核通过的人员不能修改身份证号" in pages[changing.pk, WageManager]
    assert "已审核通过的人员不能修改身份证号" not in draft_page


def test_one_class_per_role() -> None:
    assert person_forms.person_form_class(SafetyOfficer) is person_forms.person_form_class(SafetyOfficer)
    assert person_forms.person_form_class(WageManager) is not person_forms.person_form_class(SafetyOfficer)
    assert person_forms.person_form_class(WageManager)._meta.model is WageManager
