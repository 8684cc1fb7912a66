"""重新从天眼查获取 on 基本信息归集 (laowu/enterprises/services.py refresh_from_provider): for an
enterprise whose registration found nothing, or could not ask; what is found fills the
registered fields, read-only from then on; a failure is said in Chinese; it is audited. And a
registration with a code already registered asks the provider nothing (each query is billed)."""

from __future__ import annotations

from typing import Any

import lxml.html
import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from laowu.accounts import services as account_services
from laowu.audit.models import AuditEvent
from laowu.audit.services import Action
from laowu.enterprises.models import BasicInfo
from laowu.enterprises.services import ensure_basic_info
from laowu.integrations.company_info.base import CompanyInfo, ProviderUnavailable
from laowu.review.models import State
from tests.conftest import basic_info_in_state

pytestmark = pytest.mark.django_db

PAGE = reverse("enterprises:basic_info")
REFRESH = reverse("enterprises:provider_refresh")


class Provider:
    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.asked: list[str] = []

    def lookup(self, credit_code: str) -> CompanyInfo | None:
        self.asked.append(credit_code)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


@pytest.fixture
def unconfirmed(enterprise_a: Any) -> Any:
    enterprise = enterprise_a.enterprise
    enterprise.provider_confirmed = False
    enterprise.provider_data = {}
    enterprise.save()
    ensure_basic_info(enterprise=enterprise)
    return enterprise


def use(monkeypatch: Any, answer: Any) -> Provider:
    provider = Provider(answer)
    monkeypatch.setattr(account_services, "get_company_info_provider", lambda: provider)
    return provider


def said(resp: Any) -> list[str]:
    return [str(m) for m in get_messages(resp.wsgi_request)]


def test_found_on_retry_fills_the_registered_fields(
    monkeypatch: Any, as_user: Any, enterprise_a: Any, unconfirmed: Any
) -> None:
    c = as_user(enterprise_a)
    page = lxml.html.fromstring(c.get(PAGE).content.decode())
    assert page.xpath(f"//form[@action='{REFRESH}']//button[normalize-space()='重新从天眼查获取']")
    info = CompanyInfo(
        name=unconfirmed.name,
        credit_code=unconfirmed.credit_code,
        legal_representative="周法人",
        registered_capital="800万人民币",
    )
    provider = use(monkeypatch, info)
    resp = c.post(REFRESH)
    assert resp.status_code == 302 and provider.asked == [unconfirmed.credit_code]
    assert any("已从天眼查获取企业登记信息" in m for m in said(resp))
    unconfirmed.refresh_from_db()
    filing = BasicInfo.objects.get(enterprise=unconfirmed)
    assert unconfirmed.provider_confirmed and filing.legal_representative == "周法人"
    assert "legal_representative" in filing.readonly_fields()
    event = AuditEvent.objects.get(action=Action.PROVIDER_REFRESH)
    assert event.detail == {"provider": "confirmed"} and event.user == enterprise_a
    # Confirmed now: the button is gone.
    assert not lxml.html.fromstring(c.get(PAGE).content.decode()).xpath(f"//form[@action='{REFRESH}']")


def test_unavailable_is_said_in_chinese(monkeypatch: Any, as_user: Any, enterprise_a: Any, unconfirmed: Any) -> None:
    use(monkeypatch, ProviderUnavailable("天眼查拒绝查询：300006", reason="天眼查账户余额不足"))
    resp = as_user(enterprise_a).post(REFRESH, follow=True)
    assert "暂时无法从天眼查获取（天眼查账户余额不足），请稍后重试，或按营业执照填写。" in resp.content.decode()
    unconfirmed.refresh_from_db()
    assert not unconfirmed.provider_confirmed and unconfirmed.provider_checked_at is not None
    assert AuditEvent.objects.get(action=Action.PROVIDER_REFRESH).detail == {
        "provider": "unavailable",
        "reason": "天眼查账户余额不足",
    }


def test_still_nothing_found(monkeypatch: Any, as_user: Any, enterprise_a: Any, unconfirmed: Any) -> None:
    use(monkeypatch, None)
    resp = as_user(enterprise_a).post(REFRESH, follow=True)
    assert "天眼查仍未查到该统一社会信用代码的登记信息" in resp.content.decode()


def test_not_while_declared(monkeypatch: Any, as_user: Any, enterprise_a: Any, reviewer: Any) -> None:
    info = basic_info_in_state(State.DECLARED, owner=enterprise_a, reviewer=reviewer)
    enterprise = info.enterprise
    enterprise.provider_confirmed = False
    enterprise.save()
    provider = use(monkeypatch, None)
    resp = as_user(enterprise_a).post(REFRESH)
    assert "不能更新企业登记信息" in " ".join(said(resp)) and provider.asked == []


def test_a_registered_code_asks_the_provider_nothing(monkeypatch: Any, enterprise_a: Any) -> None:
    provider = use(monkeypatch, None)
    with pytest.raises(Exception, match="已注册"):
        account_services.prepare_registration(
            name="任意公司",
            credit_code=enterprise_a.enterprise.credit_code,
            contact_name="赵六",
            phone="13900001111",
            password="Hz7$tq2Lm",
        )
    assert provider.asked == []
