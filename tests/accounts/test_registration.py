from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse

from laowu.accounts.models import Role, SmsCode, User, phone_is
from laowu.audit.models import AuditEvent
from laowu.enterprises.models import Enterprise
from laowu.integrations.company_info import ProviderUnavailable
from laowu.integrations.company_info.offline import offline_companies
from tests.factories import EnterpriseUserFactory, make_credit_code

pytestmark = pytest.mark.django_db

GOOD = "Hz7$tq2Lm"
VERIFY = reverse("accounts:register_verify")


def form_data(**over: str) -> dict[str, str]:
    company = offline_companies()[1]
    data = {
        "name": company.name,
        "credit_code": company.credit_code,
        "contact_name": "赵六",
        "phone": "13912345678",
        "password1": GOOD,
        "password2": GOOD,
        "captcha_0": "x",
        "captcha_1": "PASSED",
    }
    data.update(over)
    return data


def start(client: Any, **over: str) -> Any:
    """Step 1 alone: the form, answered by the SMS-code page."""
    return client.post(reverse("accounts:register"), form_data(**over))


def sent_codes(outbox: Path, phone: str) -> list[str]:
    if not outbox.exists():
        return []
    lines = [json.loads(line) for line in outbox.read_text(encoding="utf-8").splitlines()]
    return [m["code"] for m in lines if m["phone"] == phone and m.get("purpose") == "register"]


def post(client: Any, **over: str) -> Any:
    """Both steps: the form, then the code the phone received. Step 1's answer if it failed."""
    resp = start(client, **over)
    if resp.status_code != 302:
        return resp
    assert resp["Location"] == VERIFY
    phone = form_data(**over)["phone"]
    code = sent_codes(settings.LAOWU_SMS_OUTBOX, phone)[-1]
    return client.post(VERIFY, {"code": code})


def test_register_with_provider_data_logs_in_and_audits(client: Any) -> None:
    resp = post(client)
    assert resp.status_code == 302 and resp["Location"] == reverse("workspace:home")
    company = offline_companies()[1]
    user = User.objects.get(username=company.credit_code)
    assert user.role == Role.ENTERPRISE
    assert user.check_password(GOOD)
    assert user.password.startswith("md5$") or user.password.startswith("argon2")
    ent = user.enterprise
    assert ent.provider_confirmed is True
    assert ent.provider_data["legal_representative"] == company.legal_representative
    assert ent.district.code == "320507"
    ev = AuditEvent.objects.get(action="account.register")
    assert ev.user == user and ev.detail == {"provider": "confirmed"} and ev.ip == "127.0.0.1"
    home = client.get(reverse("workspace:home"))
    assert company.name in home.content.decode()
    assert "已核验" in home.content.decode()


def test_register_unknown_to_provider_is_marked_unconfirmed(client: Any) -> None:
    code = make_credit_code(7_654_321)
    resp = post(client, credit_code=code, name="苏州未登记建筑劳务有限公司")
    assert resp.status_code == 302
    ent = Enterprise.objects.get(credit_code=code)
    assert ent.provider_confirmed is False and ent.provider_data == {}
    assert AuditEvent.objects.get(action="account.register").detail == {"provider": "no_result"}
    page = client.get(reverse("workspace:home")).content.decode()
    assert "未核验" in page


def test_register_when_provider_down_still_works(client: Any, monkeypatch: Any) -> None:
    class Down:
        def lookup(self, credit_code: str) -> None:
            raise ProviderUnavailable("connection refused")

    monkeypatch.setattr("laowu.accounts.services.get_company_info_provider", lambda: Down())
    resp = post(client)
    assert resp.status_code == 302
    ent = Enterprise.objects.get()
    assert ent.provider_confirmed is False
    assert AuditEvent.objects.get(action="account.register").detail == {"provider": "unavailable"}


def test_name_must_match_provider_record(client: Any) -> None:
    resp = post(client, name="苏州随便写建筑劳务有限公司")
    assert resp.status_code == 200
    page = resp.content.decode()
    assert "登记名称不一致" in page and offline_companies()[1].name in page
    assert not User.objects.exists() and not SmsCode.objects.exists()
    # Input is kept after the error.
    assert 'value="13912345678"' in page


def test_fullwidth_brackets_match_provider_name(client: Any) -> None:
    company = offline_companies()[1]
    assert post(client, name=company.name.replace("(", "（").replace(")", "）")).status_code == 302


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("credit_code", "91320507MA1XWL0001", "校验位不正确"),
        ("credit_code", "91320507", "应为18位"),
        ("phone", "1391234567", "11位手机号码"),
        ("password1", "abcdefgh", "三类"),
        ("password1", "Ab1!", "至少"),
        ("password2", "Other@1234", "两次输入的密码不一致"),
        ("captcha_1", "WRONG", "验证码错误"),
        ("contact_name", "", "请填写联系人。"),
    ],
)
def test_field_errors_are_chinese_and_beside_the_field(client: Any, field: str, value: str, message: str) -> None:
    resp = post(client, **{field: value})
    assert resp.status_code == 200
    page = resp.content.decode()
    assert message in page
    assert not User.objects.exists()
    # The error sits in the field's own block, not only at the top.
    name = field.rsplit("_", 1)[0] if field.startswith("captcha") else field
    assert f'id="id_{name}' in page and 'class="error"' in page


def test_one_account_per_credit_code(client: Any) -> None:
    existing = EnterpriseUserFactory()
    code = existing.enterprise.credit_code
    resp = post(client, credit_code=code, name=existing.enterprise.name)
    page = resp.content.decode()
    assert resp.status_code == 200 and "该统一社会信用代码已注册" in page
    assert User.objects.filter(username=code).count() == 1


def _comparable(resp: Any, phone: str) -> str:
    page = resp.content.decode().replace(f"{phone[:3]}****{phone[-4:]}", "<phone>")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)


def test_a_phone_in_use_gets_the_same_answer_as_a_free_one(client: Any, _sms_outbox: Path) -> None:
    """Registering with a number already on an account must not say so: the same code page,
    the same replies to a code, and its holder gets a notice instead of a code."""
    from django.test import Client

    existing = EnterpriseUserFactory()
    free_phone = "13912345678"
    used, fresh = Client(), Client()
    resp_used = start(used, phone=existing.phone)
    resp_free = start(fresh, phone=free_phone)
    assert resp_used.status_code == resp_free.status_code == 302
    assert resp_used["Location"] == resp_free["Location"] == VERIFY
    page_used, page_free = used.get(VERIFY), fresh.get(VERIFY)
    assert "该手机号码已被其他账号使用" not in page_used.content.decode()
    assert _comparable(page_used, existing.phone) == _comparable(page_free, free_phone)
    # The holder is told; no code goes to the number in use.
    lines = [json.loads(line) for line in _sms_outbox.read_text(encoding="utf-8").splitlines()]
    to_holder = [m for m in lines if m["phone"] == existing.phone]
    assert len(to_holder) == 1 and to_holder[0]["template"] == "phone_in_use" and "code" not in to_holder[0]
    assert len(sent_codes(_sms_outbox, free_phone)) == 1
    # Both numbers have a code row, so the limits and the replies are alike.
    assert SmsCode.objects.filter(**phone_is(existing.phone), purpose="register").count() == 1
    wrong_used = used.post(VERIFY, {"code": "000000"})
    wrong_free = fresh.post(
        VERIFY, {"code": "000000" if sent_codes(_sms_outbox, free_phone)[0] != "000000" else "111111"}
    )
    assert "验证码不正确，还可尝试4次。" in wrong_used.content.decode()
    assert _comparable(wrong_used, existing.phone) == _comparable(wrong_free, free_phone)
    assert User.objects.count() == 1
    # The code page's resend applies the same 60 s limit to both.
    for c in (used, fresh):
        assert "秒后再重新获取" in c.post(VERIFY, {"resend": "1"}, follow=True).content.decode()


def test_the_code_proves_the_phone_before_any_account_exists(client: Any, _sms_outbox: Path) -> None:
    assert start(client).status_code == 302
    assert not User.objects.exists() and not Enterprise.objects.exists()
    code = sent_codes(_sms_outbox, "13912345678")[0]
    for left in (4, 3, 2, 1):
        resp = client.post(VERIFY, {"code": "x" * 6})
        assert "短信验证码为6位数字" in resp.content.decode()
        wrong = "000000" if code != "000000" else "111111"
        resp = client.post(VERIFY, {"code": wrong})
        assert f"还可尝试{left}次" in resp.content.decode()
    resp = client.post(VERIFY, {"code": wrong})
    assert "错误次数过多" in resp.content.decode()
    resp = client.post(VERIFY, {"code": code})  # too late: the code is void
    assert "验证码已失效" in resp.content.decode() and not User.objects.exists()
    assert AuditEvent.objects.filter(action="account.register", result="failure").count() == 6


def test_step_two_without_step_one_goes_back(client: Any) -> None:
    assert client.get(VERIFY)["Location"] == reverse("accounts:register")


def test_back_to_the_form_keeps_what_was_typed_but_the_password(client: Any) -> None:
    start(client)
    page = client.get(reverse("accounts:register")).content.decode()
    assert 'value="13912345678"' in page and 'value="赵六"' in page and GOOD not in page


def test_phone_taken_between_the_steps_is_said_to_the_phone_holder(client: Any, _sms_outbox: Path) -> None:
    start(client)
    code = sent_codes(_sms_outbox, "13912345678")[0]
    EnterpriseUserFactory(phone="13912345678")
    # Only whoever holds the phone (and so its code) reaches this: telling them is no leak.
    resp = client.post(VERIFY, {"code": code})
    assert "该手机号码已被其他账号使用" in resp.content.decode()
    assert User.objects.count() == 1


def test_staff_cannot_self_register(client: Any) -> None:
    resp = post(client, role="auditadmin")
    assert resp.status_code == 302
    assert User.objects.get().role == Role.ENTERPRISE
