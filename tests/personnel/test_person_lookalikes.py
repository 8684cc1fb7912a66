"""The person forms with hostile or unusual input: look-alike digits never register the same
person twice, old certificate numbers are accepted, and no input fails the page (HTTP 500)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from laowu.core.validators import is_valid_id_number, is_valid_mobile, validate_safety_cert_no
from laowu.personnel.models import SafetyOfficer, WageManager
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


@pytest.mark.parametrize("cert_no", ["苏建安C(2013)1300326", "苏建安C（2008）0200516"])
def test_old_certificate_without_class_asks_for_it(as_user: Any, enterprise_a: Any, cert_no: str) -> None:
    client = as_user(enterprise_a)
    resp = create(client, cert_no=cert_no, cert_category="")
    page = resp.content.decode()
    assert resp.status_code == 200 and "请按证书内容选择证书类别" in page
    assert cert_no in page  # what was typed is kept
    assert create(client, cert_no=cert_no, cert_category="C2").status_code == 302
    person = SafetyOfficer.objects.get()
    assert person.cert_no == cert_no.replace("（", "(").replace("）", ")") and person.cert_category == "C2"
    assert "证书编号中的类别与所选证书类别不一致。" not in person.declare_problems()


def test_wage_manager_certificate_has_a_format(as_user: Any, enterprise_a: Any) -> None:
    client = as_user(enterprise_a)
    resp = create(client, "wage", cert_no="已参加培训", cert_category=None, valid_until=None)
    assert resp.status_code == 200 and "培训合格证书编号应为4–40位" in resp.content.decode()
    assert (
        create(client, "wage", cert_no="苏劳资培（2023）0012", cert_category=None, valid_until=None).status_code == 302
    )
    assert WageManager.objects.get().cert_no == "苏劳资培(2023)0012"


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
