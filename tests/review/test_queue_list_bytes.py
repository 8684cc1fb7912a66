"""The review queue (待审核), its page 1 of a status and type now read by SQL written once per
process (laowu/review/views.py `_queue_of`, laowu/core/pagination.py `PreparedList`), is byte
for byte the page the selector's queryset, built and compiled on each request, gave: for a
reviewer of one district (another district's submission never shown), a supervisor, a reviewer
of every district; every status a submission can be in, each filing type's tab, an unknown type,
a search, a date, a form error, page 2 and the cursor's pages, an empty queue."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from laowu.core import prepared
from laowu.core.pagination import PAGE_SIZE, PreparedList, paginate
from laowu.enterprises.models import Enterprise
from laowu.review import selectors, views
from laowu.review.models import State, Submission, SubmissionStatus
from tests.conftest import basic_info_in_state
from tests.factories import DistrictFactory, EnterpriseUserFactory, StaffFactory
from tests.pagebytes import served_both_ways

pytestmark = pytest.mark.django_db

NEXT = re.compile(r'<a href="\?([^"]+)" rel="next">')


def former_paginate(request: Any, qs: Any, per_page: int = PAGE_SIZE, *, count_with_page: bool = False) -> Any:
    """`paginate` of the selector's queryset, built and compiled on each request."""
    if isinstance(qs, PreparedList):
        qs = views._queue_rows_of(views._queue_search(request)[3])
    return paginate(request, qs, per_page, count_with_page=count_with_page)


FORMER = [(views, "paginate", former_paginate)]


def params_of(page: str) -> dict[str, str]:
    found = NEXT.search(page)
    assert found is not None
    return dict(part.split("=", 1) for part in found.group(1).replace("&amp;", "&").split("&"))


def test_every_user_status_and_type_is_the_former_page(
    as_user: Any, reviewer: Any, supervisor: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = reverse("review:queue")
    other = DistrictFactory(code="320506", name="吴中区")
    everywhere = StaffFactory(username="province", districts=[reviewer.districts.get(), other])
    for user in (reviewer, supervisor, everywhere):
        assert "没有符合条件的申报" in served_both_ways(as_user(user), monkeypatch, url, FORMER)

    owners = [EnterpriseUserFactory() for _ in range(PAGE_SIZE + 8)]
    Enterprise.objects.filter(pk=owners[0].enterprise_id).update(name='<建&"筑">有限公司')
    Enterprise.objects.filter(pk=owners[-1].enterprise_id).update(district=other)
    for n, owner in enumerate(owners):
        basic_info_in_state(State.APPROVED if n % 4 == 0 else State.DECLARED, owner=owner, reviewer=reviewer)
    basic_info_in_state(State.REJECTED, owner=EnterpriseUserFactory(), reviewer=reviewer)
    statuses = list(SubmissionStatus)
    Submission.objects.filter(pk__in=Submission.objects.order_by("id").values("pk")[:6]).update(status=statuses[1])
    # One submission of each status, so that each status's tab has a row.
    for status, submission in zip(statuses, Submission.objects.order_by("-id")[: len(statuses)], strict=True):
        Submission.objects.filter(pk=submission.pk).update(status=status)

    for user in (reviewer, supervisor, everywhere):
        client = as_user(user)
        assert "待审核" in served_both_ways(client, monkeypatch, url, FORMER)
        # Every status, newest first: more than a page; the other district's only to the province.
        first = served_both_ways(client, monkeypatch, url, FORMER, params={"status": ""})
        assert (owners[-1].enterprise.name in first) == (user is everywhere)
        served_both_ways(client, monkeypatch, url, FORMER, params=params_of(first))
        for params in (
            *({"status": status.value} for status in statuses),
            {"status": ""},
            {"status": "nonsense"},
            *({"type": code} for code, _ in selectors.filing_type_choices()),
            {"type": "basic_info", "status": "approved"},
            {"type": "nonsense"},
            {"page": "2"},
            {"last": "1"},
            {"q": "建&"},
            {"q": "没有这家企业"},
            {"date_from": "2020-01-01"},
            {"date_from": "不是日期"},
        ):
            served_both_ways(client, monkeypatch, url, FORMER, params=params)
    assert any("review.queue" in key for key in prepared._named), "page 1 read by the kept SQL"
