"""`minute_text` (laowu/core/dates.py) is the template's `|date:"Y-m-d H:i"`, in the site's time zone."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template import engines

from laowu.core.dates import minute_text


@pytest.mark.parametrize(
    "value",
    [
        None,
        dt.datetime(2026, 3, 1, 23, 59, 59, tzinfo=dt.UTC),  # the next day in Asia/Shanghai
        dt.datetime(2026, 12, 31, 16, 0, tzinfo=dt.UTC),  # the next year
        dt.datetime(999, 1, 2, 3, 4, tzinfo=dt.UTC),  # a year of three digits, padded
        dt.datetime(2026, 7, 8, 9, 5, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
    ],
)
def test_as_the_date_filter_shows_it(value: dt.datetime | None) -> None:
    template = engines["django"].from_string('{{ value|date:"Y-m-d H:i" }}')
    assert minute_text(value) == template.render({"value": value})
