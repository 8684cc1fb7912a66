"""Numbers as a clerk writes them on pages, sheets and snapshots."""

from __future__ import annotations

from decimal import Decimal


def format_amount(value: Decimal | int | float | str | None) -> str:
    """An amount without the trailing zeros of its stored scale: 356, 356.5, 1280.1234.

    Amounts are stored with four decimals (万元 to the yuan); cutting them to two would hide
    yuan, while "356.0000" is not how anyone writes 356. No exponent, no thousands separator
    (a 万元 figure is short, and the sheets copy it as typed in contracts).
    """
    if value is None or value == "":
        return ""
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    if not number.is_finite():
        return str(number)
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
