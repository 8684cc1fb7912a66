"""The SMS backend interface.

Every backend sends one verification code to one mainland mobile number. The
account code decides *whether* to send (rate limits, unknown numbers); a backend
only delivers, and raises SmsDeliveryError when the provider refuses or is down.
"""

from __future__ import annotations

from typing import Protocol


class SmsDeliveryError(Exception):
    """The provider did not accept the message (down, refused, bad signature)."""


class SmsBackend(Protocol):
    def send_code(self, *, phone: str, code: str, purpose: str) -> None:
        """Deliver ``code`` to ``phone``. ``purpose`` is e.g. ``"password_reset"``."""
        ...
