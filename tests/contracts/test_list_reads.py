"""项目信息归集's list does not show the sealed 现场负责人电话, so it does not unseal it."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from laowu.contracts.models import ProjectFiling
from tests.core.unseal_probe import unsealed
from tests.factories import approved_project

pytestmark = pytest.mark.django_db


def test_project_list_does_not_unseal_the_site_manager_phone(
    as_user: Any, enterprise_a: Any, reviewer: Any, monkeypatch: pytest.MonkeyPatch, django_assert_max_num_queries: Any
) -> None:
    approved_project(enterprise_a, reviewer)
    filing = ProjectFiling.objects.get()
    assert filing.site_manager_phone
    client = as_user(enterprise_a)
    client.get(reverse("contracts:list"))
    with unsealed(monkeypatch) as counts, django_assert_max_num_queries(14):
        page = client.get(reverse("contracts:list")).content.decode()
    assert filing.project_name in page and reverse("contracts:edit", args=[filing.pk]) in page
    assert counts["contracts.projectfiling.site_manager_phone"] == 0, counts
