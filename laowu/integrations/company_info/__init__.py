"""Looking up an enterprise's registered data; the provider is chosen by ``LAOWU_COMPANY_INFO_PROVIDER``."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from .base import CompanyInfo, CompanyInfoProvider, ProviderUnavailable

__all__ = [
    "PROVIDERS",
    "CompanyInfo",
    "CompanyInfoProvider",
    "ProviderUnavailable",
    "get_company_info_provider",
]

PROVIDERS: dict[str, str] = {
    "offline": "laowu.integrations.company_info.offline.OfflineCompanyInfoProvider",
    "tianyancha": "laowu.integrations.company_info.tianyancha.TianyanchaProvider",
}


def get_company_info_provider() -> CompanyInfoProvider:
    """Build the configured provider afresh, so a settings change (or override) takes effect."""
    name = (settings.LAOWU_COMPANY_INFO_PROVIDER or "").strip()
    path = PROVIDERS.get(name.lower(), name if "." in name else "")
    if not path:
        raise ImproperlyConfigured(
            f"LAOWU_COMPANY_INFO_PROVIDER={name!r}：应为 {', '.join(PROVIDERS)} 之一，或一个类的完整路径。"
        )
    try:
        cls = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(f"LAOWU_COMPANY_INFO_PROVIDER={name!r} 无法导入：{exc}") from exc
    factory = getattr(cls, "from_settings", None)
    return factory() if callable(factory) else cls()
