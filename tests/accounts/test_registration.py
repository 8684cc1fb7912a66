from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from laowu.accounts.models import Role, User
from laowu.audit.models import AuditEvent
from laowu.enterprises.models import Enterprise
from laowu.integrations.company_info import ProviderUnavailable
from laowu.integrations.company_info.offline import offline_companies
from tests.factories import EnterpriseUserFactory, make_credit_code

pytestmark = pytest.mark.django_db

GOOD = "Hz7$tq2Lm"


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


def post(client: Any, **over: str) -> Any:
    return client.post(reverse("accounts:register"), form_data(**over))


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
    assert not User.objects.exists()
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


def test_phone_must_be_unique(client: Any) -> None:
    existing = EnterpriseUserFactory()
    resp = post(client, phone=existing.phone)
    assert "该手机号码已被其他账号使用" in resp.content.decode()


def test_staff_cannot_self_register(client: Any) -> None:
    resp = post(client, role="auditadmin")
    assert resp.status_code == 302
    assert User.objects.get().role == Role.ENTERPRISE
