"""The enterprise's edit page of a person (laowu/personnel/views.py `person_edit`) reads the
person without its enterprise, which the page does not show, and takes the approved revision
(打印, and the 变更 notice's version) from the history rows it reads anyway, not from a query of
its own opening that revision's snapshot.

The pages are those the former reads gave, byte for byte (the CSRF tokens and nonces aside):
each is served, then served again with the person read with its enterprise and the approved
submission read by itself, as before, and the two compared."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from laowu.personnel import views
from laowu.personnel.models import SafetyOfficer, WageManager
from laowu.review import editing
from laowu.review import services as workflow
from laowu.review.permissions import access_own_filing
from tests.factories import approved_person, complete_basic_info, complete_person, make_id_number
from tests.pagebytes import unmarked

pytestmark = pytest.mark.django_db


def _approved_basic_info(owner: Any, reviewer: Any) -> None:
    info = complete_basic_info(owner.enterprise, actor=owner)
    workflow.approve(submission=workflow.declare(filing=info, actor=owner), actor=reviewer)


def test_pages_as_the_former_reads_showed_them(
    as_user: Any, enterprise_a: Any, reviewer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _approved_basic_info(enterprise_a, reviewer)
    draft = complete_person(SafetyOfficer, enterprise_a, id_number=make_id_number(), name='王<安> & "新"')
    bare = SafetyOfficer.objects.create(enterprise=enterprise_a.enterprise, name="", id_number=make_id_number())
    rejected = complete_person(WageManager, enterprise_a, id_number=make_id_number(), name="李'劳")
    workflow.reject(
        submission=workflow.declare(filing=rejected, actor=enterprise_a), actor=reviewer, reason="证书<不清晰>\n请重传"
    )
    approved = approved_person(SafetyOfficer, enterprise_a, reviewer, id_number=make_id_number(), name="赵安")
    changing = approved_person(WageManager, enterprise_a, reviewer, id_number=make_id_number(), name="钱劳")
    workflow.start_change(filing=changing, actor=enterprise_a)
    declared_change = approved_person(SafetyOfficer, enterprise_a, reviewer, id_number=make_id_number(), name="孙安")
    workflow.start_change(filing=declared_change, actor=enterprise_a)
    workflow.declare(filing=SafetyOfficer.objects.get(pk=declared_change.pk), actor=enterprise_a)

    client = as_user(enterprise_a)
    urls = [reverse("personnel:new", args=["safety"])] + [
        type(p).objects.get(pk=p.pk).get_absolute_url()
        for p in (draft, bare, rejected, approved, changing, declared_change)
    ]
    for url in urls:
        now = client.get(url)
        assert now.status_code == 200
        with monkeypatch.context() as m:
            m.setattr(views, "access_own_filing", lambda user, model, pk, **kw: access_own_filing(user, model, pk))
            m.setattr(editing, "_approved_from_history", lambda filing, history: None)
            then = client.get(url)
        assert unmarked(now.content) == unmarked(then.content), url
    page = unmarked(client.get(WageManager.objects.get(pk=changing.pk).get_absolute_url()).content)
    assert "已通过的第1版继续有效" in page and reverse("printing:print", args=[changing.approved_submission_id]) in page


def test_reads(as_user: Any, enterprise_a: Any, reviewer: Any) -> None:
    _approved_basic_info(enterprise_a, reviewer)
    person = approved_person(SafetyOfficer, enterprise_a, reviewer, id_number=make_id_number(), name="赵安")
    workflow.start_change(filing=person, actor=enterprise_a)
    url = person.get_absolute_url()
    client = as_user(enterprise_a)
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url).content.decode()
    sqls = [q["sql"] for q in queries]
    (read,) = [sql for sql in sqls if 'FROM "personnel_safetyofficer"' in sql]
    assert "enterprises_enterprise" not in read
    # The submissions once, for the history: the approved one is among its rows.
    (history,) = [sql for sql in sqls if 'FROM "review_submission"' in sql]
    assert '"review_submission"."snapshot"' not in history
    assert "已通过的第1版继续有效" in page
