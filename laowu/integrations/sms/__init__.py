"""Sending verification codes and notifications by SMS; the backend is chosen by ``LAOWU_SMS_BACKEND``."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from .base import EXPIRY_NOTICE, SmsBackend, SmsDeliveryError

__all__ = ["BACKENDS", "EXPIRY_NOTICE", "SmsBackend", "SmsDeliveryError", "get_sms_backend"]

BACKENDS: dict[str, str] = {
    "file": "laowu.integrations.sms.backends.FileOutboxBackend",
    "console": "laowu.integrations.sms.backends.ConsoleBackend",
    "aliyun": "laowu.integrations.sms.backends.AliyunDysmsBackend",
    "tencent": "laowu.integrations.sms.backends.TencentSmsBackend",
}


def get_sms_backend() -> SmsBackend:
    """Build the configured backend afresh, so a settings change (or override) takes effect."""
    name = (settings.LAOWU_SMS_BACKEND or "").strip()
    path = BACKENDS.get(name.lower(), name if "." in name else "")
    if not path:
        raise ImproperlyConfigured(f"LAOWU_SMS_BACKEND={name!r}：应为 {', '.join(BACKENDS)} 之一，或一个类的完整路径。")
    try:
        cls = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(f"LAOWU_SMS_BACKEND={name!r} 无法导入：{exc}") from exc
    factory = getattr(cls, "from_settings", None)
    return factory() if callable(factory) else cls()
