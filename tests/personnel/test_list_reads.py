"""The personnel lists unseal the 身份证号 and 手机号 they show masked, and nothing else: not
the enterprise's sealed contact phone beside each row."""

from __future__ import annotations

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
    for n in range(3):
        complete_person(SafetyOfficer, enterprise_a, id_number=make_id_number(), name=f"王{n}")
    client = as_user(reviewer if committee else enterprise_a)
    url = reverse("personnel:committee_list" if committee else "personnel:list", args=["safety"])
    client.get(url)
    with unsealed(monkeypatch) as counts, django_assert_max_num_queries(12):
        page = client.get(url).content.decode()
    assert all(f"王{n}" in page for n in range(3))
    assert counts["personnel.safetyofficer.id_number"] == 3 and counts["personnel.safetyofficer.mobile"] == 3
    # At most the signed-in enterprise's own (the workspace reads it), never one per row.
    assert counts["enterprises.enterprise.contact_phone"] <= 1, counts
