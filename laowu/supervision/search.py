"""The search boxes of supervision's lists: the columns each one matches, written once.

Every list matches its term as a case-insensitive substring of any of its columns, its own or
those of the rows it points to (the enterprise, the project, the record). A 统一社会信用代码
or a number matches anywhere in it, not only by its ends as on the enterprise and personnel
lists: a clerk types whatever part of a 决定书文号 or 合同编号 they have. The match goes through
laowu.core.search, which keeps a province's lists indexed; the columns' indexes are created by
laowu/supervision/migrations/0003_search_indexes.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from laowu.core.search import Related, search

# The searched columns of an enterprise, of a filed project, and of a notice or message.
ENTERPRISE = ("name", "credit_code")
PROJECT = ("project_name", "contract_no", "project_code")
TEXT = ("title", "body")


def through(fk: str, columns: Iterable[str]) -> tuple[str, ...]:
    """`columns` of the row that `fk` points to, as paths (`enterprise__name`)."""
    return tuple(f"{fk}__{column}" for column in columns)


def matching(qs: QuerySet[Any], q: str, columns: Iterable[str]) -> QuerySet[Any]:
    """`qs` narrowed to rows where any of `columns` (own columns, or `fk__column` of the row a
    foreign key points to) contains `q`, whatever its case; `qs` itself for a blank `q`.

    Order `qs` first: on PostgreSQL the search weighs walking that order against reading the
    matches through the indexes."""
    text: list[str] = []
    related: list[Related] = []
    for path in columns:
        fk, _, column = path.rpartition("__")
        if not fk:
            text.append(column)
            continue
        if "__" in fk:
            raise ValueError(f"{path}: one foreign key at most")
        model = qs.model._meta.get_field(fk).related_model
        related.append(Related(fk, model, column))
    return search(qs, q, text=tuple(text), related=tuple(related), short_terms_match_related=True)
