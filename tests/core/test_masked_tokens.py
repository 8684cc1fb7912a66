"""`masked`: a sealed value shown masked from its stored token, the mask kept per token."""

from __future__ import annotations

import pytest
from django.test import override_settings

from laowu.core import fields as core_fields
from laowu.core.crypto import SealError, new_key_entry, seal
from laowu.core.fields import masked
from laowu.core.validators import mask_id_number, mask_mobile

CONTEXT = "personnel.safetyofficer.id_number"


def test_a_token_masks_as_its_value() -> None:
    token = seal("320507199001011234", context=CONTEXT)
    assert masked(token, context=CONTEXT, kind="id") == mask_id_number("320507199001011234") == "3205**********1234"
    phone = seal("13912345678", context="personnel.safetyofficer.mobile")
    assert masked(phone, context="personnel.safetyofficer.mobile", kind="mobile") == "139****5678"


@pytest.mark.parametrize("value", [None, "", "13912345678", "123"])
def test_a_value_stored_before_sealing_is_masked_as_it_is(value: str | None) -> None:
    assert masked(value, context=CONTEXT, kind="mobile") == mask_mobile(value)  # type: ignore[arg-type]


def test_a_token_of_another_column_does_not_open() -> None:
    token = seal("320507199001011234", context="personnel.wagemanager.id_number")
    with pytest.raises(SealError):
        masked(token, context=CONTEXT, kind="id")


def test_the_mask_is_kept_per_token_and_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    token = seal("320507199001011234", context=CONTEXT)
    opened: list[str] = []
    original = core_fields.unseal

    def counting(value: str, *, context: str) -> str:
        opened.append(value)
        return original(value, context=context)

    monkeypatch.setattr(core_fields, "unseal", counting)
    for _ in range(3):
        assert masked(token, context=CONTEXT, kind="id") == "3205**********1234"
    assert opened == [token]
    # The same value sealed again is another token, opened once in turn.
    again = seal("320507199001011234", context=CONTEXT)
    assert masked(again, context=CONTEXT, kind="id") == "3205**********1234" and opened == [token, again]
    # Other keys: the token is opened again under them (here: its key gone, so it fails).
    with override_settings(LAOWU_DATA_KEYS=new_key_entry("k9"), LAOWU_DATA_KEY_ID="k9"), pytest.raises(SealError):
        masked(token, context=CONTEXT, kind="id")
