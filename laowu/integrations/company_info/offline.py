"""An offline stand-in for 天眼查: a bundled set of fictional 相城区 labour enterprises.

Development, demos and tests run without a paid account or the network. Every
entry is made up. Their 统一社会信用代码 pass the GB 32100-2015 check, so they are
accepted as input, but apart from the fixed demo entry each one's 主体标识码
(characters 9-17) carries a deliberately wrong GB 11714 check digit, so it cannot
match a code the registration system really issued.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from pathlib import Path
from typing import Any

from laowu.core.validators import normalize_credit_code

from .base import CompanyInfo

DATA_FILE = Path(__file__).resolve().parent / "data" / "offline_companies.json"


def _date(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _from_record(record: dict[str, Any]) -> CompanyInfo:
    return CompanyInfo(
        name=record["name"],
        credit_code=record["credit_code"],
        legal_representative=record.get("legal_representative") or "",
        registered_capital=record.get("registered_capital") or "",
        established_date=_date(record.get("established_date")),
        company_type=record.get("company_type") or "",
        registration_authority=record.get("registration_authority") or "",
        business_status=record.get("business_status") or "",
        registered_address=record.get("registered_address") or "",
        business_scope=record.get("business_scope") or "",
        business_term_from=_date(record.get("business_term_from")),
        business_term_to=_date(record.get("business_term_to")),
    )


@functools.cache
def _load() -> tuple[tuple[CompanyInfo, ...], dict[str, CompanyInfo]]:
    # Read once per process: the file ships with the code and never changes at runtime.
    records = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    companies = tuple(_from_record(r) for r in records)
    return companies, {c.credit_code: c for c in companies}


def offline_companies() -> list[CompanyInfo]:
    """All bundled enterprises in file order; the first is the demo enterprise."""
    return list(_load()[0])


class OfflineCompanyInfoProvider:
    @classmethod
    def from_settings(cls) -> OfflineCompanyInfoProvider:
        return cls()

    def lookup(self, credit_code: str) -> CompanyInfo | None:
        return _load()[1].get(normalize_credit_code(credit_code))
