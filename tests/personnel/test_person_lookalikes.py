"""The person forms with hostile or unusual input: look-alike digits never register the same
person twice, and no input fails the page (HTTP 500)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from laowu.core.validators import is_valid_id_number, is_valid_mobile, validate_safety_cert_no
from laowu.personnel.models import SafetyOfficer
from tests.accounts.test_registration_lookalikes import lookalike
from tests.personnel.test_personnel import ID_A, create

pytestmark = pytest.mark.django_db


def fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def test_full_width_id_and_mobile_stored_as_ascii(as_user: Any, enterprise_a: Any) -> None:
    resp = create(as_user(enterprise_a), id_number=fullwidth(ID_A.lower()), mobile="139 1234 ５６７８")
    assert resp.status_code == 302
    person = SafetyOfficer.objects.get()
    assert (person.id_number, person.mobile) == (ID_A, "13912345678")


def test_lookalike_id_is_the_same_person(as_user: Any, enterprise_a: Any) -> None:
    client = as_user(enterprise_a)
    assert create(client).status_code == 302
    resp = create(client, id_number=fullwidth(ID_A))
    assert resp.status_code == 200 and "本企业已登记该安全员" in resp.content.decode()
    resp = create(client, id_number=ID_A[:3] + "\u0660" + ID_A[4:])  # ٠ for 0
    assert resp.status_code == 200 and "0–9" in resp.content.decode()
    assert SafetyOfficer.objects.count() == 1


CODE_TEXT = st.one_of(
    st.text(max_size=24),
    st.text(alphabet="0123456789０１２３４５６７８９٠١٢٣٤٥٦٧٨٩Xx \u3000\u202e", max_size=20),
    lookalike(ID_A),
)


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(id_number=CODE_TEXT, mobile=st.one_of(CODE_TEXT, lookalike("13912345678")), cert_no=CODE_TEXT)
def test_any_text_in_the_code_fields_never_fails_the_page(
    as_user: Any, enterprise_a: Any, id_number: str, mobile: str, cert_no: str
) -> None:
    resp = create(as_user(enterprise_a), id_number=id_number, mobile=mobile, cert_no=cert_no)
    assert resp.status_code in (200, 302)
    event("saved" if resp.status_code == 302 else "refused")
    people = list(SafetyOfficer.objects.all())
    # One person per ID number, however it was typed, each stored in its ASCII spelling.
    assert len({p.id_number for p in people}) == len(people) <= 1
    for person in people:
        assert person.id_number == ID_A and is_valid_id_number(person.id_number)
        assert not person.mobile or (person.mobile.isascii() and is_valid_mobile(person.mobile))
        if person.cert_no:
            validate_safety_cert_no(person.cert_no)  # stored in the spelling the check accepts
