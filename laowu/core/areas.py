"""GB/T 2260 administrative area codes: the first six digits of a 身份证号 (GB 11643-1999).

The table (laowu/core/data/gb2260.tsv, built by scripts/build_gb2260.py) holds every code
listed in any revision from 1980-12 to its latest revision, retired ones included: a number
keeps the code of the place where it was issued, however the map changed since. What is
and is not checked is in docs/security.md.
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

DATA_FILE = Path(__file__).resolve().parent / "data" / "gb2260.tsv"

# The provinces (and 台湾, 香港, 澳门) that GB/T 2260 has numbered since 1980.
PROVINCE_CODES = frozenset(
    {"11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42"}
    | {"43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82"}
)
# 港澳台居民居住证 numbers follow GB 11643 with these six digits; 830000 is not a GB/T 2260 code.
RESIDENCE_PERMIT_CODES = {"810000": "香港特别行政区", "820000": "澳门特别行政区", "830000": "台湾地区"}


@functools.cache
def _table() -> tuple[dict[str, str], dt.date]:
    names: dict[str, str] = {}
    latest = dt.date(1980, 12, 1)
    for line in DATA_FILE.read_text(encoding="utf-8").splitlines():
        if line.startswith("# latest-revision\t"):
            stamp = line.split("\t", 1)[1]
            latest = dt.date(int(stamp[:4]), int(stamp[4:6]), 1)
        elif line and not line.startswith("#"):
            code, name = line.split("\t", 1)
            names[code] = name
    return names, latest


def area_name(code: str) -> str | None:
    """The latest name of an area code, or None if no revision since 1980 listed it."""
    return RESIDENCE_PERMIT_CODES.get(code) or _table()[0].get(code)


def table_revision() -> dt.date:
    """The month of the newest revision the table holds."""
    return _table()[1]


def is_known_id_area(code: str, *, born: dt.date | None = None) -> bool:
    """Whether an ID number may begin with `code`.

    Every code in the table is accepted. A county created after the table's newest revision
    is not in it; a number carries the code of its first registration, normally at birth, so
    such a code is accepted only for someone born after that revision and only under a
    prefecture the table knows.
    """
    if code in RESIDENCE_PERMIT_CODES:
        return True
    if len(code) != 6 or not code.isascii() or not code.isdigit() or code[:2] not in PROVINCE_CODES:
        return False
    if area_name(code) is not None:
        return True
    return born is not None and born >= table_revision() and f"{code[:4]}00" in _table()[0]
