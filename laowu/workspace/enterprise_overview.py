"""The committee's one-page view of an enterprise (review/enterprises/<pk>/): everything the
platform holds about it, each section with a link to the full list filtered to it.

It reads what several apps own — the filings of every registered type (review/registry.py),
the supervision records, the credit score, the messages sent — so it lives in workspace,
which may import them all (enterprises may not import supervision; docs/architecture.md).
Every section goes through its owner's scope rule: the enterprise must be in the viewer's
districts (404 otherwise), and each record set is the viewer's view of it.
"""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import urlencode

from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from laowu.accounts.models import Role
from laowu.accounts.permissions import role_required
from laowu.accounts.scope import can_see_personal_data
from laowu.core.validators import mask_mobile
from laowu.enterprises.models import BasicInfo, Enterprise
from laowu.enterprises.scope import enterprises_in_scope
from laowu.review import selectors as review_selectors
from laowu.review.models import Filing
from laowu.review.permissions import filings_in_scope
from laowu.review.registry import filing_models
from laowu.supervision.credit import CreditScore, credit_score
from laowu.supervision.models import Award, BadBehaviour, Inspection, Message
from laowu.supervision.permissions import in_scope

# Rows shown per section; the section's link opens the whole list.
SECTION_ROWS = 5


@dataclasses.dataclass(frozen=True)
class Section:
    """One kind of record about the enterprise: how many, the latest few, and the full list."""

    title: str
    count: int
    rows: list[Any]
    list_url: str
    list_label: str = "查看全部"

    @property
    def more(self) -> int:
        return max(0, self.count - len(self.rows))


@dataclasses.dataclass(frozen=True)
class FilingRow:
    filing: Filing
    title: str
    state_label: str
    state: str
    submission_id: int | None  # the revision the committee opens: pending first, else the approved one


def _url(name: str, **params: Any) -> str:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return f"{reverse(name)}?{query}" if query else reverse(name)


def _section(title: str, qs: QuerySet[Any], list_url: str, *, rows: list[Any] | None = None) -> Section:
    return Section(
        title=title, count=qs.count(), rows=rows if rows is not None else list(qs[:SECTION_ROWS]), list_url=list_url
    )


def filing_sections(*, user: Any, enterprise: Enterprise) -> list[Section]:
    """Every filing of every registered type, with its state; the link is that type's 申报 records
    of the enterprise in the review queue (all states), the one list every type shares."""
    sections = []
    for code, model in filing_models().items():
        qs = filings_in_scope(user, model).filter(enterprise=enterprise).order_by("-updated_at", "-id")
        rows = [
            FilingRow(
                filing=f,
                title=f.title(),
                state_label=f.state_label,
                state=f.state,
                submission_id=f.pending_submission_id or f.approved_submission_id,
            )
            for f in qs[:SECTION_ROWS]
        ]
        list_url = _url("review:queue", type=code, q=enterprise.credit_code, status="")
        sections.append(_section(model.FILING_LABEL, qs, list_url, rows=rows))
    return sections


def _records(user: Any, model: type[Model], enterprise: Enterprise, *order: str) -> QuerySet[Any]:
    return in_scope(user, model).filter(enterprise=enterprise).order_by(*order)


def supervision_sections(*, user: Any, enterprise: Enterprise) -> dict[str, Section]:
    code = enterprise.credit_code
    inspections = _records(user, Inspection, enterprise, "-inspected_on", "-id").select_related("project")
    records = _records(user, BadBehaviour, enterprise, "-publicity_start", "-id")
    awards = _records(user, Award, enterprise, "-year", "-id").select_related("project")
    return {
        "inspections": _section("现场检查", inspections, _url("supervision:inspection_list", enterprise=code)),
        "bad_behaviour": _section("不良行为记录", records, _url("supervision:bad_behaviour_list", q=code)),
        # year="" : every year, not the list's default of the latest one.
        "awards": _section("评优创先", awards, _url("supervision:award_list", q=code, year="")),
    }


def messages_section(*, enterprise: Enterprise) -> Section:
    """站内消息 sent to the enterprise. There is no committee list of messages, so the section
    links to nothing more and shows the latest ones."""
    qs = Message.objects.filter(enterprise=enterprise).order_by("-created_at", "-id")
    return Section(title="站内消息", count=qs.count(), rows=list(qs[: SECTION_ROWS * 2]), list_url="")


def enterprise_in_scope(*, user: Any, pk: Any) -> Enterprise:
    try:
        return enterprises_in_scope(user).select_related("district").get(pk=pk)
    except (Enterprise.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


@role_required(Role.REVIEWER, Role.SUPERVISOR)
def enterprise_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    enterprise = enterprise_in_scope(user=user, pk=pk)
    info = BasicInfo.objects.filter(enterprise=enterprise).first()
    score: CreditScore = credit_score(enterprise)
    phone = enterprise.contact_phone if can_see_personal_data(user) else mask_mobile(enterprise.contact_phone)
    return render(
        request,
        "workspace/enterprise_overview.html",
        {
            "enterprise": enterprise,
            "contact_phone": phone,
            "info": info,
            "history": review_selectors.history(info) if info else [],
            "filing_sections": filing_sections(user=user, enterprise=enterprise),
            **supervision_sections(user=user, enterprise=enterprise),
            "score": score,
            "messages_sent": messages_section(enterprise=enterprise),
            "today": timezone.localdate(),
        },
    )
