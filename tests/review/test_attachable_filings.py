"""Every filing type takes attachments through documents' registry, registered from its app
with the workflow's one rule: owner and committee of its district open them, only the owner
changes them."""

from __future__ import annotations

from typing import Any

from laowu.documents.registry import attachable, attachable_for_model
from laowu.enterprises.services import ensure_basic_info
from laowu.review.registry import filing_models
from laowu.supervision.models import ATTACHABLE_MODELS
from tests.factories import DistrictFactory, StaffFactory


def test_every_filing_type_is_registered_under_its_code() -> None:
    assert set(filing_models()) == {"basic_info", "safety_officer", "wage_manager", "project"}
    for code, model in filing_models().items():
        kind = attachable(code)
        assert kind is not None and kind.model is model and attachable_for_model(model) is kind


def test_supervision_records_stay_registered_under_their_own_codes() -> None:
    for model in ATTACHABLE_MODELS:
        kind = attachable_for_model(model)
        assert kind is not None and kind.code == model.ATTACHABLE_CODE and attachable(kind.code) is kind


def test_an_unknown_code_is_not_attachable() -> None:
    assert attachable("nope") is None


def test_filing_attachments_follow_the_workflow_rule(
    enterprise_a: Any, enterprise_b: Any, reviewer: Any, supervisor: Any
) -> None:
    info = ensure_basic_info(enterprise=enterprise_a.enterprise)
    kind = attachable("basic_info")
    assert kind is not None
    gusu = DistrictFactory(code="320508", name="姑苏区")
    elsewhere = StaffFactory(role="reviewer", username="gusu", districts=[gusu])
    users = (enterprise_a, reviewer, supervisor, enterprise_b, elsewhere)

    def sees(scope: Any) -> list[bool]:
        return [scope(user).filter(pk=info.pk).exists() for user in users]

    assert sees(kind.viewable) == [True, True, True, False, False]
    assert sees(kind.editable) == [True, False, False, False, False]
