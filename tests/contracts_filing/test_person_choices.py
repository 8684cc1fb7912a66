"""The 项目信息 form's 安全员 / 劳资专管员 selects (laowu/contracts/forms.py) read their options by
one plain query of the names and certificate numbers only: the options are those Django's own
iterator writes, byte for byte, a new approval shows at once, and 保存 still takes a chosen
person and refuses one not offered."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.forms.models import ModelChoiceIterator
from django.test.utils import CaptureQueriesContext

from laowu.contracts.forms import ProjectForm
from laowu.contracts.models import ProjectFiling
from laowu.contracts.services import select_contract
from laowu.personnel.models import SafetyOfficer, WageManager
from laowu.review.models import State
from tests.factories import CatalogueFactory, approved_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def filing(enterprise_a: Any, filing_in_state: Any) -> ProjectFiling:
    filing_in_state(State.APPROVED)  # the enterprise's basic information
    contract = CatalogueFactory(
        subcontractor_credit_code=enterprise_a.enterprise.credit_code, subcontractor=enterprise_a.enterprise.name
    )
    return select_contract(enterprise=enterprise_a.enterprise, catalogue_id=contract.pk, actor=enterprise_a)


def django_options(form: ProjectForm, name: str) -> str:
    """The select as it was: Django's ModelChoiceIterator over the people's full rows."""
    field = form.fields[name]
    field.iterator = ModelChoiceIterator
    field.queryset = field.queryset.defer(None)  # setting it gives the widget the iterator's choices
    return str(form[name])


def test_options_are_djangos_and_read_once_without_sealed_columns(
    filing: ProjectFiling, enterprise_a: Any, reviewer: Any
) -> None:
    approved_person(SafetyOfficer, enterprise_a, reviewer, id_number="11010519491231002X", name="孙安")
    approved_person(SafetyOfficer, enterprise_a, reviewer, id_number="110101199003074477", name="赵&<安>")
    approved_person(WageManager, enterprise_a, reviewer, id_number="110101199003071234", name="钱劳")
    form = ProjectForm(instance=filing, enterprise_id=filing.enterprise_id)
    with CaptureQueriesContext(connection) as queries:
        ours = {name: str(form[name]) for name in ("safety_officer", "wage_manager")}
    assert len(queries) == 2
    assert all("id_number" not in q["sql"] and "mobile" not in q["sql"] for q in queries)
    assert "孙安（苏建安C3(2023)0000001）" in ours["safety_officer"] and "赵&amp;&lt;安&gt;" in ours["safety_officer"]
    assert "钱劳" in ours["wage_manager"]
    for name in ours:
        former = ProjectForm(instance=filing, enterprise_id=filing.enterprise_id)
        assert ours[name] == django_options(former, name)

    # Another approval is offered on the next form (nothing kept between forms).
    approved_person(SafetyOfficer, enterprise_a, reviewer, id_number="11010519900307001X", name="周新")
    assert "周新" in str(ProjectForm(instance=filing, enterprise_id=filing.enterprise_id)["safety_officer"])


def test_a_chosen_person_is_taken_and_one_not_offered_refused(
    filing: ProjectFiling, enterprise_a: Any, reviewer: Any
) -> None:
    officer = approved_person(SafetyOfficer, enterprise_a, reviewer, id_number="11010519491231002X", name="孙安")
    draft = SafetyOfficer.objects.create(
        enterprise=enterprise_a.enterprise, name="草稿人", id_number="110101199003074477"
    )
    form = ProjectForm({"safety_officer": officer.pk}, instance=filing, enterprise_id=filing.enterprise_id)
    assert form.is_valid(), form.errors
    chosen = form.cleaned_data["safety_officer"]
    assert chosen == officer and chosen.id_number == officer.id_number  # a deferred column reads on demand
    refused = ProjectForm({"safety_officer": draft.pk}, instance=filing, enterprise_id=filing.enterprise_id)
    assert not refused.is_valid() and "safety_officer" in refused.errors
