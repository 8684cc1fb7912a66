"""The review queue reads only what it shows: the snapshot's label, not the snapshot (whose
personal rows are unsealed on load), nor the sealed phones of the enterprise and the declarer."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from laowu.review.models import State, Submission
from tests.conftest import basic_info_in_state
from tests.core.unseal_probe import unsealed
from tests.factories import EnterpriseUserFactory

pytestmark = pytest.mark.django_db


def test_queue_shows_labels_without_opening_snapshots(
    as_user: Any, reviewer: Any, monkeypatch: pytest.MonkeyPatch, django_assert_max_num_queries: Any
) -> None:
    owners = [EnterpriseUserFactory() for _ in range(3)]
    for owner in owners:
        basic_info_in_state(State.DECLARED, owner=owner, reviewer=reviewer)
    client = as_user(reviewer)
    client.get(reverse("review:queue"))
    with unsealed(monkeypatch) as counts, django_assert_max_num_queries(12):
        page = client.get(reverse("review:queue")).content.decode()
    labels = {s.snapshot["label"] for s in Submission.objects.all()}
    assert labels and all(f"<td>{label}</td>" in page for label in labels)
    for owner in owners:
        assert owner.enterprise.name in page
    assert not [c for c in counts if c.startswith("review.submission.snapshot")], counts
    assert counts["enterprises.enterprise.contact_phone"] == 0, counts
    # The reviewer's own account may be read; the three declarers' are not.
    assert counts["accounts.user.phone"] <= 1, counts


def test_queue_reads_only_the_shown_columns(as_user: Any, reviewer: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):
        basic_info_in_state(State.DECLARED, owner=EnterpriseUserFactory(), reviewer=reviewer)
    client = as_user(reviewer)
    client.get(reverse("review:queue"))
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("review:queue")).content.decode()
    assert page.count("第1版") == 3
    # One read of rows: none loads a deferred column afterwards.
    [sql] = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('SELECT "review_submission"."id"')]
    # The page's own columns, its bounded count's subquery (laowu/core/pagination.py) left out.
    select = re.sub(r"\(SELECT COUNT\(\*\) FROM .*? laowu_counted\) AS \"laowu_bounded_count\", ", "", sql)
    select = select.split(" FROM ")[0].removeprefix("SELECT ")
    # Each column once or under its tuple's names (`pk` and `id`).
    columns = {c.split('"."')[1].split('"')[0] for c in select.split(", ") if c.startswith('"review_submission".')}
    assert columns == {"id", "revision", "title", "status", "declared_at"}
    assert '"enterprises_enterprise"."name"' in select and "contact_phone" not in select
    # Neither the filing type nor the declarer is joined: the rows show neither.
    assert "accounts_user" not in sql and "django_content_type" not in sql
