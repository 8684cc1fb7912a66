"""The demo catalogue: the demo enterprise has contracts to pick, and seeding twice changes nothing."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from laowu.audit.models import AuditEvent
from laowu.audit.services import Action
from laowu.contracts.models import CatalogueContract, CatalogueSource, available_catalogue
from laowu.core.validators import is_valid_credit_code
from laowu.integrations.company_info.offline import offline_companies

pytestmark = pytest.mark.django_db


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo_catalogue", stdout=out)
    return out.getvalue()


def test_seed_demo_catalogue() -> None:
    assert "新增30条" in _seed()
    contracts = list(CatalogueContract.objects.all())
    assert len(contracts) == 30
    demo = offline_companies()[0]
    mine = [c for c in contracts if c.subcontractor_credit_code == demo.credit_code]
    assert len(mine) == 10 and {c.subcontractor for c in mine} == {demo.name}
    others = {c.subcontractor_credit_code for c in contracts} - {demo.credit_code}
    offline = {c.credit_code: c.name for c in offline_companies()}
    assert len(others) >= 10 and others <= set(offline)
    for c in contracts:
        assert c.source == CatalogueSource.DEMO
        assert c.project_location.startswith("苏州市相城区")
        assert c.subcontractor == offline[c.subcontractor_credit_code]
        assert is_valid_credit_code(c.subcontractor_credit_code)
        assert c.signed_date <= c.planned_start <= c.planned_end
        assert c.amount > 0
    assert available_catalogue(demo.credit_code).count() == 10


def test_seeding_again_changes_nothing() -> None:
    _seed()
    before = {c.pk: c.updated_at for c in CatalogueContract.objects.all()}
    assert "演示合同归集数据已存在（30条）" in _seed()
    assert {c.pk: c.updated_at for c in CatalogueContract.objects.all()} == before
    assert AuditEvent.objects.filter(action=Action.CATALOGUE_IMPORT).count() == 1


def test_refused_in_production(settings: Any) -> None:
    settings.LAOWU_DEMO_DATA_ALLOWED = False
    with pytest.raises(CommandError, match="生产环境不允许创建演示数据"):
        _seed()
    assert CatalogueContract.objects.count() == 0
