"""天眼查开放平台「企业基本信息」(``/services/open/ic/baseinfo/normal``)."""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from typing import Any

import requests
from django.conf import settings

from laowu.core.validators import is_valid_credit_code, normalize_credit_code

from .base import CompanyInfo, ProviderUnavailable

logger = logging.getLogger("laowu.company_info")

BASEINFO_PATH = "/services/open/ic/baseinfo/normal"
# 天眼查's "查询无结果"; every other non-zero code means we could not ask (token, quota, IP...).
NO_RESULT = 300000
# 天眼查's documented error codes, as a clerk (or the operator she calls) should read them.
ERROR_REASONS = {
    300001: "天眼查请求失败",
    300002: "天眼查账号已失效",
    300003: "天眼查账号已过期",
    300004: "天眼查访问过于频繁",
    300005: "天眼查账号无权使用该接口",
    300006: "天眼查账户余额不足",
    300007: "天眼查剩余查询次数不足",
    300008: "天眼查查询缺少必要参数",
    300009: "天眼查账号信息有误",
    300010: "天眼查接口地址不存在",
    300011: "本平台服务器的IP地址未获天眼查授权",
    300012: "天眼查数据生成中",
}
# The provider's timestamps are midnight Beijing time; read in UTC they fall on the previous day.
_CHINA_TZ = zoneinfo.ZoneInfo("Asia/Shanghai")


def _ms_date(value: Any) -> dt.date | None:
    """Epoch milliseconds → date in China; null/0 mean "not given" (e.g. 无固定期限)."""
    if value in (None, "", 0):
        return None
    try:
        ms = int(value)
    except (TypeError, ValueError) as exc:
        raise ProviderUnavailable(f"天眼查返回了无法识别的日期：{value!r}") from exc
    # timedelta rather than fromtimestamp: enterprises founded before 1970 have negative values.
    moment = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(milliseconds=ms)
    return moment.astimezone(_CHINA_TZ).date()


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


class TianyanchaProvider:
    def __init__(self, token: str, base_url: str, timeout: float) -> None:
        self._token = token
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    @classmethod
    def from_settings(cls) -> TianyanchaProvider:
        return cls(
            token=settings.LAOWU_TIANYANCHA_TOKEN,
            base_url=settings.LAOWU_TIANYANCHA_BASE_URL,
            timeout=settings.LAOWU_PROVIDER_TIMEOUT,
        )

    def __repr__(self) -> str:
        return f"<TianyanchaProvider base_url={self.base_url!r}>"

    def lookup(self, credit_code: str) -> CompanyInfo | None:
        if not self._token:
            raise ProviderUnavailable("未配置天眼查令牌（LAOWU_TIANYANCHA_TOKEN）", reason="平台未配置天眼查查询")
        code = normalize_credit_code(credit_code)
        # Each query is billed; a code failing its check digit cannot be registered anyway.
        if not is_valid_credit_code(code):
            return None
        try:
            resp = requests.get(
                self.base_url + BASEINFO_PATH,
                params={"keyword": code},
                headers={"Authorization": self._token, "Accept": "application/json"},
                timeout=self.timeout,
            )
        except requests.Timeout as exc:
            logger.warning("天眼查超时：%s", code)
            raise ProviderUnavailable("天眼查查询超时", reason="天眼查查询超时") from exc
        except requests.RequestException as exc:
            logger.warning("天眼查无法连接：%s：%s", code, type(exc).__name__)
            raise ProviderUnavailable(f"无法连接天眼查：{type(exc).__name__}", reason="无法连接天眼查") from exc
        if resp.status_code != 200:
            logger.warning("天眼查 HTTP %s：%s", resp.status_code, code)
            raise ProviderUnavailable(f"天眼查返回 HTTP {resp.status_code}")
        try:
            data = resp.json()
        except ValueError as exc:
            raise ProviderUnavailable("天眼查返回了无法解析的应答") from exc
        if not isinstance(data, dict):
            raise ProviderUnavailable("天眼查返回了无法解析的应答")
        error_code = data.get("error_code")
        if error_code == NO_RESULT:
            return None
        if error_code != 0:
            logger.warning("天眼查拒绝查询：%s %s（%s）", error_code, data.get("reason", ""), code)
            raise ProviderUnavailable(
                f"天眼查拒绝查询：{error_code} {data.get('reason', '')}".rstrip(),
                reason=ERROR_REASONS.get(error_code, f"天眼查拒绝查询（错误码{error_code}）"),
            )
        result = data.get("result")
        if not isinstance(result, dict) or not _text(result.get("name")):
            raise ProviderUnavailable("天眼查应答缺少企业信息")
        returned_code = normalize_credit_code(_text(result.get("creditCode")))
        if returned_code != code:
            # keyword is a fuzzy search; another company's record must not be taken for this one.
            logger.info("天眼查返回了其他企业：问 %s，得 %s", code, returned_code)
            return None
        return CompanyInfo(
            name=_text(result.get("name")),
            credit_code=returned_code,
            legal_representative=_text(result.get("legalPersonName")),
            registered_capital=_text(result.get("regCapital")),
            established_date=_ms_date(result.get("estiblishTime")),
            company_type=_text(result.get("companyOrgType")),
            registration_authority=_text(result.get("regInstitute")),
            business_status=_text(result.get("regStatus")),
            registered_address=_text(result.get("regLocation")),
            business_scope=_text(result.get("businessScope")),
            business_term_from=_ms_date(result.get("fromTime")),
            business_term_to=_ms_date(result.get("toTime")),
        )
