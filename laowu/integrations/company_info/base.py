"""The company-information provider interface (天眼查 and its offline stand-in)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Protocol


class ProviderUnavailable(Exception):
    """The provider could not be asked (network, quota, bad token, malformed reply).

    `reason` is the short Chinese phrase a page may show ("天眼查账户余额不足"); the message
    itself is for the log."""

    def __init__(self, message: str = "", *, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason or "天眼查暂时无法访问"


@dataclasses.dataclass(frozen=True)
class CompanyInfo:
    """An enterprise's registered data as the provider holds it.

    Empty strings / None mean the provider did not give the field; the
    enterprise may then fill it in itself.
    """

    name: str
    credit_code: str
    legal_representative: str = ""
    registered_capital: str = ""
    established_date: dt.date | None = None
    company_type: str = ""
    registration_authority: str = ""
    business_status: str = ""
    registered_address: str = ""
    business_scope: str = ""
    business_term_from: dt.date | None = None
    business_term_to: dt.date | None = None  # None with a from-date means 无固定期限

    def as_dict(self) -> dict[str, str | None]:
        """JSON-safe form, stored with the enterprise as the provider's evidence."""
        out: dict[str, str | None] = {}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            out[f.name] = v.isoformat() if isinstance(v, dt.date) else v
        return out


class CompanyInfoProvider(Protocol):
    def lookup(self, credit_code: str) -> CompanyInfo | None:
        """Return the registered data, None when the provider has no such company.

        Raises ProviderUnavailable when the provider cannot be asked.
        """
        ...
