"""The committee's lists read page 1's count in the page's own statement (laowu/core/pagination.py
`paginate`'s `count_with_page`): the queue (laowu/review/views.py) and the committee's personnel
lists (laowu/personnel/views.py) are the same bytes as with the count's separate query, in every
state (several pages, one, none, a search, a filter, a district reviewer's scope), and page 1 of a
list of several pages makes one query fewer."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from laowu.core import pagination
from laowu.personnel import views as personnel_views
from laowu.personnel.models import SafetyOfficer
from laowu.review import views as review_views
from laowu.review.models import State
from tests.conftest import basic_info_in_state
from tests.factories import EnterpriseUserFactory, StaffFactory, complete_person, make_id_number

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def _pages(
    monkeypatch: pytest.MonkeyPatch, client: Any, url: str, params: dict[str, str]
) -> tuple[bytes, bytes, int, int]:
    """The page with its count read with page 1 and with the separate count (the former path), and
    each one's queries; two rows a page, so that a few rows make several pages."""
    pages, queries = [], []
    client.get(url, params)  # the session's and the queue's tabs' counts (cached) read before either
    for together in (True, False):

        def small(request: Any, qs: Any, *, count_with_page: bool = False, _together: bool = together) -> Any:
            return pagination.paginate(request, qs, 2, count_with_page=count_with_page and _together)

        monkeypatch.setattr(review_views, "paginate", small)
        monkeypatch.setattr(personnel_views, "paginate", small)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url, params)
        assert response.status_code == 200
        pages.append(TOKEN.sub("csrf", response.content.decode()).encode())
        queries.append(len(ctx))
    return pages[0], pages[1], queries[0], queries[1]


def test_the_queue_and_committee_list_are_the_same_bytes(
    monkeypatch: pytest.MonkeyPatch, as_user: Any, reviewer: Any, supervisor: Any
) -> None:
    owners = [EnterpriseUserFactory() for _ in range(4)]
    for owner in owners[:3]:
        basic_info_in_state(State.DECLARED, owner=owner, reviewer=reviewer)
    basic_info_in_state(State.APPROVED, owner=owners[3], reviewer=reviewer)
    for i, owner in enumerate(owners):
        complete_person(SafetyOfficer, owner, id_number=make_id_number(), name=f'<王&"{i}">')
    elsewhere = StaffFactory(role="reviewer", username="elsewhere", password="x")  # a district of its own
    cases = [
        (reverse("review:queue"), {}),
        (reverse("review:queue"), {"status": "approved"}),
        (reverse("review:queue"), {"status": ""}),
        (reverse("review:queue"), {"type": "basic_info"}),
        (reverse("review:queue"), {"q": "没有这家企业"}),
        (reverse("review:queue"), {"date_from": "2000-01-01"}),
        (reverse("personnel:committee_list", args=["safety"]), {}),
        (reverse("personnel:committee_list", args=["safety"]), {"q": "王"}),
        (reverse("personnel:committee_list", args=["safety"]), {"state": "draft"}),
        (reverse("personnel:committee_list", args=["safety"]), {"state": "approved"}),
    ]
    saved = 0
    for user in (reviewer, supervisor, elsewhere):
        client = as_user(user)
        for url, params in cases:
            together, separate, fewer, more = _pages(monkeypatch, client, url, params)
            assert together == separate, (user.username, url, params)
            assert fewer in (more, more - 1)
            saved += more - fewer
    # Several pages (4 people, 3 pending) for the reviewer and supervisor: one query fewer each.
    assert saved >= 4
    page = _pages(monkeypatch, as_user(reviewer), reverse("personnel:committee_list", args=["safety"]), {})[0].decode()
    assert "共 4 条，第 1 / 2 页" in page and "&lt;王&amp;&quot;" in page
