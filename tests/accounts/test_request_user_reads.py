"""What the signed-in user's one query brings beside the account (laowu/accounts/otp.py
`user_with_second_factor_state`): the account's enterprise and whether it covers every district.
Each used to be asked in queries of its own; the answers must be the same, read afresh on every
request, and never another account's."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from laowu.accounts import otp
from laowu.accounts.models import District, User
from laowu.accounts.scope import EVERY_DISTRICT_ATTR, covers_every_district, in_user_districts
from laowu.enterprises.models import Enterprise
from laowu.personnel.models import SafetyOfficer
from tests.factories import DistrictFactory, EnterpriseUserFactory, complete_person, make_id_number

pytestmark = pytest.mark.django_db

ENTERPRISE_LIST = reverse("personnel:list", args=["safety"])
COMMITTEE_LIST = reverse("personnel:committee_list", args=["safety"])


def _lazy_enterprise_reads(sqls: list[str]) -> list[str]:
    # What `user.enterprise` costs when the user comes without it: the enterprise by id, alone.
    table = Enterprise._meta.db_table
    return [sql for sql in sqls if sql.startswith(f'SELECT "{table}"."id"') and "JOIN" not in sql]


def _district_probes(sqls: list[str]) -> list[str]:
    # `covers_every_district` asked in queries of its own: "any district?", "one missing?".
    return [sql for sql in sqls if sql.startswith('SELECT 1 AS "a"') or sql.startswith('SELECT %s AS "a"')]


def _loaded(user: User) -> User:
    loaded = otp.user_with_second_factor_state(user.pk, None)
    assert loaded is not None
    return loaded


def _asked(user: User) -> bool:
    """`covers_every_district` as it answers for a user loaded any other way (its own queries)."""
    fresh = User.objects.get(pk=user.pk)
    assert not hasattr(fresh, EVERY_DISTRICT_ATTR)
    return covers_every_district(fresh)


def test_an_enterprise_page_reads_its_enterprise_with_the_user(
    as_user: Any, enterprise_a: Any, django_assert_num_queries: Any
) -> None:
    for n in range(3):
        complete_person(SafetyOfficer, enterprise_a, id_number=make_id_number(), name=f"王{n}")
    client = as_user(enterprise_a)
    client.get(ENTERPRISE_LIST)
    # Session, user (its enterprise and second-factor state with it), the page's rows, the
    # workspace's step gates: one fewer than when the enterprise came in a query of its own.
    with django_assert_num_queries(4) as ctx:
        page = client.get(ENTERPRISE_LIST)
    sqls = [q["sql"] for q in ctx.captured_queries]
    assert not _lazy_enterprise_reads(sqls), sqls
    assert all(f"王{n}" in page.content.decode() for n in range(3))
    assert page.wsgi_request.user.enterprise.pk == enterprise_a.enterprise_id


@pytest.mark.parametrize("every", [True, False])
def test_a_committee_list_asks_nothing_more_about_the_districts(
    every: bool, as_user: Any, reviewer: Any, enterprise_a: Any, django_assert_num_queries: Any
) -> None:
    complete_person(SafetyOfficer, enterprise_a, id_number=make_id_number(), name="王一")
    if not every:
        DistrictFactory(code="320505", name="虎丘区")
    client = as_user(reviewer)
    client.get(COMMITTEE_LIST)
    # Session, user (whether it covers every district with it), rows: the two queries
    # `covers_every_district` made of its own are gone, for a province-wide reviewer and another.
    with django_assert_num_queries(3) as ctx:
        page = client.get(COMMITTEE_LIST)
    assert not _district_probes([q["sql"] for q in ctx.captured_queries])
    assert "王一" in page.content.decode()
    assert covers_every_district(page.wsgi_request.user) is every


def test_the_enterprise_is_read_as_the_orm_reads_it(enterprise_a: Any, reviewer: Any) -> None:
    # Every field through the same converters: the sealed contact phone opened, the JSON parsed.
    expected = Enterprise.objects.get(pk=enterprise_a.enterprise_id)
    user = _loaded(enterprise_a)
    with CaptureQueriesContext(connection) as ctx:
        enterprise = user.enterprise
    assert not ctx.captured_queries
    assert enterprise._state.adding is False and enterprise._state.db == "default"
    for field in Enterprise._meta.concrete_fields:
        assert getattr(enterprise, field.attname) == getattr(expected, field.attname), field.name
    assert enterprise.contact_phone == enterprise_a.enterprise.contact_phone and isinstance(
        enterprise.provider_data, dict
    )
    staff = _loaded(reviewer)
    with CaptureQueriesContext(connection) as ctx:
        assert staff.enterprise is None
    assert not ctx.captured_queries


def test_a_renamed_enterprise_is_seen_on_the_next_request(as_user: Any, enterprise_a: Any, enterprise_b: Any) -> None:
    a, b = as_user(enterprise_a), as_user(enterprise_b)
    assert a.get(ENTERPRISE_LIST).wsgi_request.user.enterprise.name == enterprise_a.enterprise.name
    Enterprise.objects.filter(pk=enterprise_a.enterprise_id).update(name="改名后的劳务公司")
    assert a.get(ENTERPRISE_LIST).wsgi_request.user.enterprise.name == "改名后的劳务公司"
    # Each account its own enterprise, whichever asked last.
    seen = b.get(ENTERPRISE_LIST).wsgi_request.user.enterprise
    assert seen.pk == enterprise_b.enterprise_id and seen.name == enterprise_b.enterprise.name
    assert a.get(ENTERPRISE_LIST).wsgi_request.user.enterprise.pk == enterprise_a.enterprise_id


def test_an_account_moved_to_another_enterprise_reads_the_new_one(enterprise_a: Any, enterprise_b: Any) -> None:
    user = _loaded(enterprise_a)
    user.enterprise_id = enterprise_b.enterprise_id  # the cached enterprise is dropped, as Django does
    assert user.enterprise.pk == enterprise_b.enterprise_id


def test_the_scope_answers_as_before_for_none_some_and_every_district(reviewer: Any, enterprise_a: Any) -> None:
    first = District.objects.get()
    second = DistrictFactory(code="320505", name="虎丘区")
    third = DistrictFactory(code="320506", name="吴中区")
    every = [first, second, third]
    for districts, expected in (([], False), ([second], False), ([first, third], False), (every, True)):
        reviewer.districts.set(districts)
        user = _loaded(reviewer)
        assert getattr(user, EVERY_DISTRICT_ATTR) is expected
        assert covers_every_district(user) is expected is _asked(reviewer), districts
        # The filter narrows to the same rows as for a user loaded any other way.
        fresh = User.objects.get(pk=reviewer.pk)
        assert list(in_user_districts(user, District.objects.all(), "pk").order_by("pk")) == list(
            in_user_districts(fresh, District.objects.all(), "pk").order_by("pk")
        )
    # An enterprise account has no districts: it covers none of them.
    assert covers_every_district(_loaded(enterprise_a)) is False is _asked(enterprise_a)


def test_a_change_of_districts_is_seen_on_the_next_request(as_user: Any, reviewer: Any) -> None:
    home = District.objects.get()
    other = DistrictFactory(code="320505", name="虎丘区")
    theirs = EnterpriseUserFactory(enterprise__district=other)
    complete_person(SafetyOfficer, theirs, id_number=make_id_number(), name="虎丘王")
    client = as_user(reviewer)
    assert "虎丘王" not in client.get(COMMITTEE_LIST).content.decode()
    reviewer.districts.add(other)
    page = client.get(COMMITTEE_LIST)
    assert "虎丘王" in page.content.decode() and covers_every_district(page.wsgi_request.user)
    reviewer.districts.set([other])
    page = client.get(COMMITTEE_LIST)
    assert "虎丘王" in page.content.decode() and not covers_every_district(page.wsgi_request.user)
    reviewer.districts.set([home])
    page = client.get(COMMITTEE_LIST)
    assert "虎丘王" not in page.content.decode() and not covers_every_district(page.wsgi_request.user)
