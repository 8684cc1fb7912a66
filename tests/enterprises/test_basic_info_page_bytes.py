"""基本信息归集 as it is served now and as the former code served it, byte for byte, in each
state of the record (draft, declared, approved, 变更 under way, rejected, provider data or
none), after a 保存 with errors, and on the 编辑 form: the record read without its approved
revision (laowu/enterprises/services.py `own_basic_info`, the page takes that row from its
history) and the grid's text inputs written without the widget's render
(laowu/enterprises/templatetags/grid_fields.py `_widget`)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from laowu.core import prepared
from laowu.enterprises import views
from laowu.enterprises.models import BasicInfo
from laowu.enterprises.services import ensure_basic_info
from laowu.enterprises.templatetags import grid_fields
from laowu.review import fields as snapshot_fields
from laowu.review import services as workflow
from laowu.review.models import State
from tests.conftest import basic_info_in_state
from tests.pagebytes import served_both_ways

pytestmark = pytest.mark.django_db

PAGE = reverse("enterprises:basic_info")

# A 保存 the form refuses: each kind of field with an error, an escaped value kept.
BAD_POST = {
    "do": "save",
    "office_address": '"><script>',
    "contact_phone": "12x",
    "employee_count": "abc",
    "qualification_no": "zz",
    "business_term_from": "2020-13-01",
    "business_term_to": "2019-01-01",
    "registration_place": "nowhere",
}


def _former_own_basic_info(user: Any) -> BasicInfo:
    """`own_basic_info` as it was: the approved revision (and its snapshot) joined."""

    def build(enterprise_id: int) -> Any:
        return BasicInfo.objects.filter(enterprise_id=enterprise_id).select_related("enterprise", "approved_submission")

    found = prepared.related_instances(("test.former_own_basic_info",), build, user.enterprise_id)
    if not found:
        return ensure_basic_info(enterprise=user.enterprise)
    (info,) = found
    user.enterprise = info.enterprise
    return info


def both_ways(client: Any, monkeypatch: pytest.MonkeyPatch, data: dict[str, str] | None = None) -> str:
    """The page now and formerly (a GET, or a POST of `data`), compared; returns it."""
    former = [(views, "own_basic_info", _former_own_basic_info), (grid_fields, "WRITTEN_WIDGETS", frozenset())]
    now = served_both_ways(client, monkeypatch, PAGE, former, data=data)
    assert "基本信息归集" in now
    return now


@pytest.mark.parametrize("state", [State.DRAFT, State.DECLARED, State.APPROVED, State.REJECTED])
def test_each_state_is_served_as_before(
    state: str, as_user: Any, enterprise_a: Any, reviewer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    info = basic_info_in_state(state, owner=enterprise_a, reviewer=reviewer)
    client = as_user(enterprise_a)
    page = both_ways(client, monkeypatch)
    locked = re.search(r'<input type="text" name="contact_name"[^>]* disabled', page) is not None
    assert locked is (state in (State.DECLARED, State.APPROVED))
    if state == State.APPROVED:
        assert reverse("printing:print", args=[info.approved_submission_id]) in page
        # 变更: editable again, the approved revision still named (review/_status.html).
        workflow.start_change(filing=info, actor=enterprise_a)
        page = both_ways(client, monkeypatch)
        assert "已通过的第1版继续有效" in page
        assert "has-error" in both_ways(client, monkeypatch, BAD_POST)
    if state in (State.DRAFT, State.REJECTED):
        page = both_ways(client, monkeypatch, BAD_POST)
        assert "has-error" in page and "&quot;&gt;&lt;script&gt;" in page


def test_provider_data_and_a_new_record_are_served_as_before(
    as_user: Any, enterprise_a: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = as_user(enterprise_a)
    both_ways(client, monkeypatch)  # created on this first visit
    enterprise = enterprise_a.enterprise
    enterprise.provider_confirmed = True
    enterprise.provider_data = {"name": enterprise.name, "legal_representative": "张三", "business_scope": "劳务"}
    enterprise.save()
    assert "天眼查核验" in both_ways(client, monkeypatch)


def test_the_approved_snapshot_is_not_opened(
    as_user: Any, enterprise_a: Any, reviewer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    info = basic_info_in_state(State.APPROVED, owner=enterprise_a, reviewer=reviewer)
    workflow.start_change(filing=info, actor=enterprise_a)
    client = as_user(enterprise_a)
    client.get(PAGE)
    opened: list[Any] = []
    open_snapshot = snapshot_fields.open_snapshot
    monkeypatch.setattr(snapshot_fields, "open_snapshot", lambda s: opened.append(s) or open_snapshot(s))
    page = client.get(PAGE).content.decode()
    assert "已通过的第1版继续有效" in page
    assert not opened
