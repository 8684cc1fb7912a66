"""Calendar arithmetic the rules are written in (months and years, not days)."""

from __future__ import annotations

import calendar
import datetime as dt

from django.utils.timezone import template_localtime


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later; the 31st becomes the month's last day where it has none."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def add_years(day: dt.date, years: int) -> dt.date:
    return add_months(day, 12 * years)


def minute_text(value: dt.datetime | None, use_tz: bool | None = None) -> str:
    """A template's `{{ value|date:"Y-m-d H:i" }}` (the format's Y, m, d, H and i,
    django/utils/dateformat.py) without the filter's format lookups: in the current time zone,
    as the filter shows it; "" for no value. For rows written in Python instead of a template."""
    if not value:
        return ""
    t = template_localtime(value, use_tz)
    return f"{t.year:04d}-{t.month:02d}-{t.day:02d} {t.hour:02d}:{t.minute:02d}"
