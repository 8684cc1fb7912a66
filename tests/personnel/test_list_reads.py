"""The personnel lists unseal the 身份证号 and 手机号 they show masked, and nothing else: not
the enterprise's sealed contact phone beside each row."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from laowu.personnel.models import SafetyOfficer
from tests.core.unseal_probe import unsealed
from tests.factories import complete_person, make_id_number

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("committee", [False, True])
def test_lists_unseal_only_the_shown_columns(
    committee: bool,
    as_user: Any,
    enterprise_a: Any,
    reviewer: Any,
    monkeypatch: pytest.MonkeyPatch,
    django_assert_max_num_queries: Any,
) -> None:
    numbers = [make_id_number() for _ in range(3)]
    for n, number in enumerate(numbers):
        complete_person(SafetyOfficer, enterprise_a, id_number=number, name=f"王{n}")
    client = as_user(reviewer if committee else enterprise_a)
    url = reverse("personnel:committee_list" if committee else "personnel:list", args=["safety"])
    with unsealed(monkeypatch) as counts:
        page = client.get(url).content.decode()
    assert all(f"王{n}" in page for n in range(3))
    assert all(f"{number[:4]}**********{number[-4:]}" in page and number not in page for number in numbers)
    # Each value shown, once, to mask it.
    assert counts["personnel.safetyofficer.id_number"] == 3 and counts["personnel.safetyofficer.mobile"] == 3
    # At most the signed-in enterprise's own (the workspace reads it), never one per row.
    assert counts["enterprises.enterprise.contact_phone"] <= 1, counts
    # The same rows again: their masks are kept by token (laowu/core/fields.py `masked`).
    with unsealed(monkeypatch) as again, django_assert_max_num_queries(12):
        assert client.get(url).content.decode().count("**********") == 3
    assert again["personnel.safetyofficer.id_number"] == 0 and again["personnel.safetyofficer.mobile"] == 0


def test_a_person_changed_shows_the_new_mask(as_user: Any, enterprise_a: Any) -> None:
    person = complete_person(SafetyOfficer, enterprise_a, id_number=make_id_number(), name="王五")
    client = as_user(enterprise_a)
    url = reverse("personnel:list", args=["safety"])
    client.get(url)
    number = make_id_number()
    person.id_number = number
    person.mobile = "13912345678"
    person.save()
    page = client.get(url).content.decode()
    assert f"{number[:4]}**********{number[-4:]}" in page and "139****5678" in page


def _people_select(queries: Any, table: str) -> str:
    [sql] = [q["sql"] for q in queries if q["sql"].startswith(f'SELECT "{table}"."id"')]
    return sql


@pytest.mark.parametrize("kind,table", [("safety", "personnel_safetyofficer"), ("wage", "personnel_wagemanager")])
@pytest.mark.parametrize("committee", [False, True])
def test_lists_read_only_the_shown_columns(
    committee: bool, kind: str, table: str, as_user: Any, enterprise_a: Any, reviewer: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from laowu.personnel.models import PERSON_MODELS

    model = PERSON_MODELS[kind]
    for n in range(25):  # more than a page: the count is asked too
        complete_person(model, enterprise_a, id_number=make_id_number(), name=f"王{n}")
    client = as_user(reviewer if committee else enterprise_a)
    url = reverse("personnel:committee_list" if committee else "personnel:list", args=[kind])
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url).content.decode()
    assert "王24" in page and "下一页" in page
    sql = _people_select(queries.captured_queries, table)
    shown = {"id", "name", "id_number", "mobile", "cert_no", "state", "approved_submission_id", "updated_at"}
    if kind == "safety":
        shown.add("valid_until")
    if committee:
        shown |= {"enterprise_id", "pending_submission_id"}
    # The page's own columns, its bounded count's subquery (laowu/core/pagination.py) left out.
    select = re.sub(r"\(SELECT COUNT\(\*\) FROM .*? laowu_counted\) AS \"laowu_bounded_count\", ", "", sql).split(
        " FROM "
    )[0]
    # The two sealed columns are read as stored, under their token names, and never opened.
    assert f'"{table}"."id_number" AS "id_number_token"' in select
    assert f'"{table}"."mobile" AS "mobile_token"' in select
    assert {c.split('"."')[1].split('"')[0] for c in select.split(", ") if f'"{table}".' in c} == shown
    if committee:
        # The enterprise's name, and nothing else of it (its sealed phone least of all).
        assert '"enterprises_enterprise"."name"' in select and "contact_phone" not in select
    else:
        assert "enterprises_enterprise" not in sql
    # A row reads nothing it was not given: no query per row for a deferred column.
    # The page and its count in one statement, the committee's and the enterprise's own
    # (laowu/personnel/views.py `_list_context`).
    assert len([q for q in queries.captured_queries if f'FROM "{table}"' in q["sql"]]) == 1
