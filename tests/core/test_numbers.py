from __future__ import annotations

from decimal import Decimal

import pytest

from laowu.core.numbers import format_amount
from laowu.review.snapshots import diff


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("356.0000"), "356"),
        (Decimal("356.5000"), "356.5"),
        (Decimal("1280.1234"), "1280.1234"),
        (Decimal("1000"), "1000"),
        (Decimal("0.0000"), "0"),
        (Decimal("0.0500"), "0.05"),
        ("12.30", "12.3"),
        (None, ""),
    ],
)
def test_amount_without_trailing_zeros(value: object, shown: str) -> None:
    assert format_amount(value) == shown  # type: ignore[arg-type]


def test_reformatted_amount_is_no_change() -> None:
    """A snapshot frozen with "356.0000" against one showing "356": the same stored amount."""
    row = {"name": "amount", "label": "合同金额（万元）", "value": "356.0000"}
    old = {"fields": [{**row, "display": "356.0000"}]}
    assert diff(old, {"fields": [{**row, "display": "356"}]})["fields"] == []
    changed = {"fields": [{**row, "value": "356.5000", "display": "356.5"}]}
    assert diff(old, changed)["fields"] == [{"label": "合同金额（万元）", "old": "356.0000", "new": "356.5"}]
