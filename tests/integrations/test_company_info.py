"""Company-information providers: the bundled offline set and 天眼查 against a local fake."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator

import pytest
from django.core.exceptions import ImproperlyConfigured

from laowu.core.validators import credit_code_check_char, is_valid_credit_code
from laowu.integrations.company_info import (
    CompanyInfo,
    ProviderUnavailable,
    get_company_info_provider,
)
from laowu.integrations.company_info.offline import (
    DATA_FILE,
    OfflineCompanyInfoProvider,
    offline_companies,
)
from laowu.integrations.company_info.tianyancha import TianyanchaProvider

from .fake_servers import FakeResponse, TianyanchaFake, closed_port_url, tianyancha_result

DEMO_CODE = "91320507MA1XWL000C"
# Valid check digit, in no data set.
UNKNOWN_CODE = "91320507MA1YYY999" + credit_code_check_char("91320507MA1YYY999")

# --------------------------------------------------------------------------- offline data set


def test_demo_enterprise_is_first() -> None:
    first = offline_companies()[0]
    assert first.credit_code[:17] == "91320507MA1XWL000"
    assert first.credit_code == "91320507MA1XWL000" + credit_code_check_char("91320507MA1XWL000")
    assert first.credit_code == DEMO_CODE
    assert first.name == "苏州相城鑫达建筑劳务有限公司"


def test_offline_set_is_large_valid_and_unique() -> None:
    companies = offline_companies()
    assert len(companies) >= 24
    codes = [c.credit_code for c in companies]
    assert all(is_valid_credit_code(code) for code in codes), [c for c in codes if not is_valid_credit_code(c)]
    assert len(set(codes)) == len(codes)
    assert len({c.name for c in companies}) == len(companies)


def _gb11714_check(body8: str) -> str:
    """The check digit of a GB 11714 organisation code (characters 9-16 of a credit code)."""
    values = [int(ch) if ch.isdigit() else ord(ch) - ord("A") + 10 for ch in body8]
    c = 11 - sum(v * w for v, w in zip(values, (3, 7, 9, 10, 5, 8, 4, 2), strict=True)) % 11
    return {10: "X", 11: "0"}.get(c, str(c))


def test_offline_codes_cannot_be_real_registrations() -> None:
    # Apart from the fixed demo code, each 主体标识码 carries a wrong GB 11714 check digit,
    # so no entry can collide with a code the registration system actually issued.
    for company in offline_companies()[1:]:
        org_code = company.credit_code[8:17]
        assert _gb11714_check(org_code[:8]) != org_code[8], company.name


def test_offline_entries_are_complete_labour_enterprises() -> None:
    companies = offline_companies()
    xiangcheng = [c for c in companies if c.credit_code.startswith("91320507")]
    assert len(xiangcheng) > len(companies) / 2
    assert len(xiangcheng) < len(companies)  # a few are registered elsewhere
    for c in xiangcheng:
        assert "相城区" in c.registered_address
        assert c.registration_authority.startswith("苏州市相城区")
    for c in companies:
        assert "劳务" in c.name and c.name.endswith("有限公司")
        assert c.legal_representative
        assert c.registered_capital.endswith("万人民币")
        assert c.company_type.startswith(("有限责任公司", "股份有限公司"))
        assert c.business_status in {"存续", "在业"}
        assert "劳务" in c.business_scope or "作业" in c.business_scope
        assert c.established_date is not None and c.established_date < dt.date.today()
        assert c.business_term_from == c.established_date
        assert c.business_term_to is None or c.business_term_to > c.business_term_from
    assert any(c.business_term_to is None for c in companies)  # 无固定期限
    assert any(c.business_term_to is not None for c in companies)


def test_offline_data_file_is_utf8_json_matching_the_dataclass() -> None:
    records = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    assert [r["credit_code"] for r in records] == [c.credit_code for c in offline_companies()]
    assert set(records[0]) == set(CompanyInfo.__dataclass_fields__)


def test_offline_lookup() -> None:
    provider = OfflineCompanyInfoProvider()
    info = provider.lookup(DEMO_CODE)
    assert info is not None
    assert info.name == "苏州相城鑫达建筑劳务有限公司"
    assert info.registration_authority == "苏州市相城区行政审批局"
    # Typed in lower case with stray spaces, as users do.
    assert provider.lookup(f"  {DEMO_CODE.lower()} ") == info
    # Loaded once: the same objects come back every time.
    assert provider.lookup(DEMO_CODE) is offline_companies()[0]


def test_offline_lookup_unknown_codes() -> None:
    provider = OfflineCompanyInfoProvider()
    unknown = UNKNOWN_CODE
    assert provider.lookup(unknown) is None
    assert provider.lookup("") is None
    assert provider.lookup("not a code") is None


def test_company_info_as_dict_is_json_safe() -> None:
    data = offline_companies()[0].as_dict()
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data
    assert data["established_date"] == offline_companies()[0].established_date.isoformat()


# --------------------------------------------------------------------------- 天眼查

KNOWN_CODE = "91320507MA1XWL0173"
KNOWN = {
    "name": "苏州相城宏远建筑劳务有限公司",
    "credit_code": KNOWN_CODE,
    "legal_person": "王志强",
    "reg_capital": "300万人民币",
    "established": dt.date(2019, 5, 6),
    "org_type": "有限责任公司(自然人投资或控股)",
    "institute": "苏州市相城区行政审批局",
    "status": "存续",
    "location": "苏州市相城区黄埭镇春申路1088号",
    "scope": "施工劳务作业；建筑劳务分包",
    "term_from": dt.date(2019, 5, 6),
    "term_to": dt.date(2049, 5, 5),
}


@pytest.fixture
def tianyancha() -> Iterator[TianyanchaFake]:
    with TianyanchaFake(companies={KNOWN_CODE: tianyancha_result(**KNOWN)}) as fake:
        yield fake


@pytest.fixture
def tyc_settings(settings, tianyancha: TianyanchaFake):
    settings.LAOWU_COMPANY_INFO_PROVIDER = "tianyancha"
    settings.LAOWU_TIANYANCHA_TOKEN = tianyancha.token
    settings.LAOWU_TIANYANCHA_BASE_URL = tianyancha.url
    settings.LAOWU_PROVIDER_TIMEOUT = 5.0
    return settings


def test_tianyancha_maps_every_field(tyc_settings, tianyancha: TianyanchaFake) -> None:
    provider = get_company_info_provider()
    assert isinstance(provider, TianyanchaProvider)
    info = provider.lookup(KNOWN_CODE)
    assert info == CompanyInfo(
        name="苏州相城宏远建筑劳务有限公司",
        credit_code=KNOWN_CODE,
        legal_representative="王志强",
        registered_capital="300万人民币",
        # Beijing midnight is 16:00 UTC the day before; the date must not slip.
        established_date=dt.date(2019, 5, 6),
        company_type="有限责任公司(自然人投资或控股)",
        registration_authority="苏州市相城区行政审批局",
        business_status="存续",
        registered_address="苏州市相城区黄埭镇春申路1088号",
        business_scope="施工劳务作业；建筑劳务分包",
        business_term_from=dt.date(2019, 5, 6),
        business_term_to=dt.date(2049, 5, 5),
    )


def test_tianyancha_request_shape(tyc_settings, tianyancha: TianyanchaFake) -> None:
    get_company_info_provider().lookup(KNOWN_CODE.lower())
    (request,) = tianyancha.requests
    assert request.method == "GET"
    assert request.path == "/services/open/ic/baseinfo/normal"
    assert request.query == {"keyword": KNOWN_CODE}
    assert request.headers["authorization"] == tianyancha.token  # raw token, no scheme


@pytest.mark.parametrize("to_time", [None, 0])
def test_tianyancha_open_ended_term(tyc_settings, tianyancha: TianyanchaFake, to_time: int | None) -> None:
    result = tianyancha_result(**KNOWN)
    result["toTime"] = to_time
    tianyancha.companies[KNOWN_CODE] = result
    info = get_company_info_provider().lookup(KNOWN_CODE)
    assert info is not None
    assert info.business_term_from == dt.date(2019, 5, 6)
    assert info.business_term_to is None


def test_tianyancha_missing_fields_become_empty(tyc_settings, tianyancha: TianyanchaFake) -> None:
    tianyancha.companies[KNOWN_CODE] = {"name": "苏州相城宏远建筑劳务有限公司", "creditCode": KNOWN_CODE}
    info = get_company_info_provider().lookup(KNOWN_CODE)
    assert info == CompanyInfo(name="苏州相城宏远建筑劳务有限公司", credit_code=KNOWN_CODE)


def test_tianyancha_date_before_1970(tyc_settings, tianyancha: TianyanchaFake) -> None:
    result = tianyancha_result(**{**KNOWN, "established": dt.date(1958, 10, 1), "term_from": dt.date(1958, 10, 1)})
    assert result["estiblishTime"] < 0
    tianyancha.companies[KNOWN_CODE] = result
    info = get_company_info_provider().lookup(KNOWN_CODE)
    assert info is not None
    assert info.established_date == dt.date(1958, 10, 1)


def test_tianyancha_no_result_is_none(tyc_settings, tianyancha: TianyanchaFake) -> None:
    unknown = UNKNOWN_CODE
    assert get_company_info_provider().lookup(unknown) is None
    assert len(tianyancha.requests) == 1


def test_tianyancha_other_company_returned_is_none(tyc_settings, tianyancha: TianyanchaFake) -> None:
    # keyword search is fuzzy: a reply about a different enterprise is not an answer.
    asked = UNKNOWN_CODE
    tianyancha.companies[asked] = tianyancha_result(**KNOWN)
    assert get_company_info_provider().lookup(asked) is None


def test_tianyancha_invalid_code_is_none_without_a_request(tyc_settings, tianyancha: TianyanchaFake) -> None:
    wrong_check = KNOWN_CODE[:17] + ("0" if KNOWN_CODE[17] != "0" else "1")
    assert get_company_info_provider().lookup(wrong_check) is None
    assert tianyancha.requests == []


def test_tianyancha_wrong_token(tyc_settings, tianyancha: TianyanchaFake, settings) -> None:
    settings.LAOWU_TIANYANCHA_TOKEN = "someone-elses-token"
    with pytest.raises(ProviderUnavailable, match="300003"):
        get_company_info_provider().lookup(KNOWN_CODE)


def test_tianyancha_missing_token_sends_nothing(tyc_settings, tianyancha: TianyanchaFake, settings) -> None:
    settings.LAOWU_TIANYANCHA_TOKEN = ""
    with pytest.raises(ProviderUnavailable):
        get_company_info_provider().lookup(KNOWN_CODE)
    assert tianyancha.requests == []


def test_tianyancha_other_error_code(tyc_settings, tianyancha: TianyanchaFake) -> None:
    tianyancha.refuse_with = 300004
    with pytest.raises(ProviderUnavailable, match="300004"):
        get_company_info_provider().lookup(KNOWN_CODE)


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (300003, "天眼查账号已过期"),
        (300006, "天眼查账户余额不足"),
        (300011, "IP地址未获天眼查授权"),
        (399999, "错误码399999"),
    ],
)
def test_tianyancha_error_codes_read_in_chinese(
    tyc_settings, tianyancha: TianyanchaFake, code: int, reason: str
) -> None:
    tianyancha.refuse_with = code
    with pytest.raises(ProviderUnavailable) as caught:
        get_company_info_provider().lookup(KNOWN_CODE)
    assert reason in caught.value.reason


def test_tianyancha_default_address_is_https() -> None:
    from laowu.settings import base

    assert base.LAOWU_TIANYANCHA_BASE_URL.startswith("https://")


@pytest.mark.parametrize(
    "reply",
    [
        FakeResponse(500, b'{"error_code": 0}'),
        FakeResponse(502, b"<html>Bad Gateway</html>", "text/html"),
        FakeResponse(200, b"<html>maintenance</html>", "text/html"),
        FakeResponse(200, b"[1, 2, 3]"),
        FakeResponse.json({"error_code": 0, "reason": "ok", "result": None}),
        FakeResponse.json({"error_code": 0, "reason": "ok", "result": {"creditCode": KNOWN_CODE}}),
        FakeResponse.json({"reason": "ok"}),
        FakeResponse.json({"error_code": 0, "result": {**tianyancha_result(**KNOWN), "estiblishTime": "2019年5月6日"}}),
    ],
    ids=["http-500", "http-502-html", "html-200", "json-list", "no-result", "no-name", "no-error-code", "bad-date"],
)
def test_tianyancha_malformed_replies(tyc_settings, tianyancha: TianyanchaFake, reply: FakeResponse) -> None:
    tianyancha.override = reply
    with pytest.raises(ProviderUnavailable):
        get_company_info_provider().lookup(KNOWN_CODE)


def test_tianyancha_server_down(tyc_settings, settings) -> None:
    settings.LAOWU_TIANYANCHA_BASE_URL = closed_port_url()
    with pytest.raises(ProviderUnavailable, match="无法连接"):
        get_company_info_provider().lookup(KNOWN_CODE)


def test_tianyancha_timeout(tyc_settings, tianyancha: TianyanchaFake, settings) -> None:
    tianyancha.delay = 3.0
    settings.LAOWU_PROVIDER_TIMEOUT = 0.3
    started = time.monotonic()
    with pytest.raises(ProviderUnavailable, match="超时"):
        get_company_info_provider().lookup(KNOWN_CODE)
    assert time.monotonic() - started < 2.0


def test_tianyancha_base_url_trailing_slash(tyc_settings, tianyancha: TianyanchaFake, settings) -> None:
    settings.LAOWU_TIANYANCHA_BASE_URL = tianyancha.url + "/"
    assert get_company_info_provider().lookup(KNOWN_CODE) is not None
    assert tianyancha.requests[0].path == "/services/open/ic/baseinfo/normal"


def test_tianyancha_token_not_in_repr() -> None:
    provider = TianyanchaProvider(token="very-secret-token", base_url="http://127.0.0.1:9", timeout=1)
    assert "very-secret-token" not in repr(provider)


# --------------------------------------------------------------------------- registry


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("offline", OfflineCompanyInfoProvider),
        ("tianyancha", TianyanchaProvider),
        ("Offline", OfflineCompanyInfoProvider),
        ("laowu.integrations.company_info.offline.OfflineCompanyInfoProvider", OfflineCompanyInfoProvider),
    ],
)
def test_get_company_info_provider_picks_by_setting(settings, name: str, cls: type) -> None:
    settings.LAOWU_COMPANY_INFO_PROVIDER = name
    assert isinstance(get_company_info_provider(), cls)


@pytest.mark.parametrize("name", ["", "qichacha", "laowu.integrations.company_info.offline.Nope"])
def test_get_company_info_provider_rejects_unknown(settings, name: str) -> None:
    settings.LAOWU_COMPANY_INFO_PROVIDER = name
    with pytest.raises(ImproperlyConfigured):
        get_company_info_provider()


def test_default_provider_is_offline_and_knows_the_demo_enterprise(settings) -> None:
    settings.LAOWU_COMPANY_INFO_PROVIDER = "offline"
    info = get_company_info_provider().lookup(DEMO_CODE)
    assert info is not None and info.credit_code == DEMO_CODE
