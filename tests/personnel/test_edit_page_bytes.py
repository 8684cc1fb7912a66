"""The enterprise's person edit page (安全员, 劳资专管员) as it is served now and as it was when the
person was read through a queryset built per request: the row is now read by its id in SQL
written once per process and its owner compared in Python (laowu/review/permissions.py
`access_own_filing`). Byte for byte in each state of the record, after a 保存 with errors
(what was typed kept), and the same 404 for a person of another enterprise or an id that names
nobody."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import Http404

from laowu.accounts.scope import is_enterprise_user
from laowu.personnel import views
from laowu.personnel.models import SafetyOfficer, WageManager
from laowu.review import services as workflow
from tests.factories import approved_person, complete_basic_info, complete_person, make_id_number
from tests.pagebytes import served_both_ways

pytestmark = pytest.mark.django_db

# A 保存 the form refuses: a bad ID number and phone, an escaped value kept.
BAD_POST = {"do": "save", "name": '"><script>', "id_number": "12345", "mobile": "12x", "education": "zz"}


def _former_access_own_filing(user: Any, model: Any, pk: Any, *, with_enterprise: bool = True) -> Any:
    """`access_own_filing` as it was: a queryset built and compiled on every request."""
    if not is_enterprise_user(user):
        raise Http404
    qs = model.objects.select_related("enterprise") if with_enterprise else model.objects.all()
    try:
        return qs.get(pk=pk, enterprise_id=user.enterprise_id)
    except (model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def _both_ways(
    client: Any, url: str, monkeypatch: pytest.MonkeyPatch, *, data: dict[str, str] | None = None, status: int = 200
) -> str:
    former = [(views, "access_own_filing", _former_access_own_filing)]
    return served_both_ways(client, monkeypatch, url, former, data=data, status=status)


def test_each_state_is_served_as_before(
    as_user: Any, enterprise_a: Any, enterprise_b: Any, reviewer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    info = complete_basic_info(enterprise_a.enterprise, actor=enterprise_a)
    workflow.approve(submission=workflow.declare(filing=info, actor=enterprise_a), actor=reviewer)
    draft = complete_person(SafetyOfficer, enterprise_a, id_number=make_id_number(), name='王<安> & "新"')
    bare = SafetyOfficer.objects.create(enterprise=enterprise_a.enterprise, name="", id_number=make_id_number())
    rejected = complete_person(WageManager, enterprise_a, id_number=make_id_number(), name="李'劳")
    workflow.reject(
        submission=workflow.declare(filing=rejected, actor=enterprise_a), actor=reviewer, reason="证书<不清晰>\n请重传"
    )
    approved = approved_person(SafetyOfficer, enterprise_a, reviewer, id_number=make_id_number(), name="赵安")
    changing = approved_person(WageManager, enterprise_a, reviewer, id_number=make_id_number(), name="钱劳")
    workflow.start_change(filing=changing, actor=enterprise_a)
    others = complete_person(SafetyOfficer, enterprise_b, id_number=make_id_number(), name="外企")

    client = as_user(enterprise_a)
    for person in (draft, bare, rejected, approved, changing):
        url = type(person).objects.get(pk=person.pk).get_absolute_url()
        page = _both_ways(client, url, monkeypatch)
        assert f"{type(person).FILING_LABEL}信息" in page
    for person in (draft, rejected, changing):
        url = person.get_absolute_url()
        page = _both_ways(client, url, monkeypatch, data=BAD_POST)
        assert "has-error" in page and "&quot;&gt;&lt;script&gt;" in page
    # Not the enterprise's, or nobody: the same 404.
    for url in (
        others.get_absolute_url(),
        "/enterprise/personnel/safety/999999/",
        f"/enterprise/personnel/safety/{2**63}/",
        f"/enterprise/personnel/wage/{others.pk}/",
    ):
        _both_ways(client, url, monkeypatch, status=404)
