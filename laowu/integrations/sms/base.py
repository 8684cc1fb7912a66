"""The SMS backend interface.

Every backend sends to one mainland mobile number: a verification code, or a
notification (证照到期提醒 and the like) through the provider's notice template. The
caller decides *whether* to send (rate limits, unknown numbers, once per threshold); a
backend only delivers, and raises SmsDeliveryError when the provider refuses or is down.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

# The notice template of 证照到期提醒, the first there was: a caller that names none means it.
# Every other notice names its own template (laowu/supervision/notifications.py), which the
# providers look up by that name in their template settings.
EXPIRY_NOTICE = "expiry"


class SmsDeliveryError(Exception):
    """The provider did not accept the message (down, refused, bad signature)."""


class SmsBackend(Protocol):
    def send_code(self, *, phone: str, code: str, purpose: str) -> None:
        """Deliver ``code`` to ``phone``. ``purpose`` is e.g. ``"password_reset"``."""
        ...

    def send_notice(
        self, *, phone: str, text: str, template_params: Mapping[str, str], template: str = EXPIRY_NOTICE
    ) -> None:
        """Deliver a notification to ``phone``.

        ``text`` is the message as the phone shows it (the outbox and console write it);
        the providers fill their approved notice template named ``template`` from
        ``template_params`` instead, by name (阿里云) or in the mapping's order (腾讯云 {1}, {2}, …).
        """
        ...
