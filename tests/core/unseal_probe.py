"""Which sealed values a request unseals: the lists read only the personal data they show."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest


@contextmanager
def unsealed(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """Counts the values unsealed, by context (`<app>.<model>.<field>`, or the snapshot's)."""
    from laowu.core import fields as core_fields
    from laowu.review import fields as review_fields

    counts: Counter[str] = Counter()

    def counting(original: Any) -> Any:
        def unseal(value: str, *, context: str) -> str:
            counts[context] += 1
            return original(value, context=context)  # type: ignore[no-any-return]

        return unseal

    monkeypatch.setattr(core_fields, "unseal", counting(core_fields.unseal))
    monkeypatch.setattr(review_fields, "unseal", counting(review_fields.unseal))
    yield counts
    monkeypatch.undo()
