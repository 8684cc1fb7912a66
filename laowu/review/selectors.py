from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db.models import Case, QuerySet, Subquery, When

from laowu.accounts.scope import covers_every_district
from laowu.core import prepared
from laowu.core.cache import CacheUnavailable
from laowu.core.pagination import bounded_count
from laowu.core.search import Related, search

from .fields import SnapshotField
from .models import Filing, Submission, SubmissionStatus
from .permissions import submissions_in_scope
from .registry import filing_models


def filing_type_choices() -> list[tuple[str, str]]:
    return [(code, m.FILING_LABEL) for code, m in filing_models().items()]


def content_type_for(code: str) -> ContentType | None:
    model = filing_models().get(code)
    return ContentType.objects.get_for_model(model) if model else None


def review_queue(
    *,
    user: Any,
    filing_type: str = "",
    q: str = "",
    status: str = SubmissionStatus.PENDING,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[Submission]:
    qs = submissions_in_scope(user).select_related("enterprise", "filing_type", "declared_by")
    if status:
        qs = qs.filter(status=status)
    if filing_type:
        ct = content_type_for(filing_type)
        qs = qs.filter(filing_type=ct) if ct else qs.none()
    if q := q.strip():
        # The enterprise model through the foreign key: enterprises builds on review, not the reverse.
        enterprise = Submission._meta.get_field("enterprise").related_model
        qs = search(
            qs,
            q,
            text=("title",),
            related=(
                Related("enterprise", enterprise, "name"),
                Related("enterprise", enterprise, "credit_code", code=True),
            ),
        )
    if date_from:
        qs = qs.filter(declared_at__date__gte=date_from)
    if date_to:
        qs = qs.filter(declared_at__date__lte=date_to)
    # Oldest first: the queue is worked in the order filings arrived.
    return (
        qs.order_by("declared_at", "id") if status == SubmissionStatus.PENDING else qs.order_by("-declared_at", "-id")
    )


def pending_counts(*, user: Any) -> dict[str, str]:
    """Pending submissions per filing type code ("" for all), for the queue's tabs: bounded counts, as a
    province's queue can hold hundreds of thousands and a tab only needs to say how many. Kept for
    PENDING_COUNTS_SECONDS per scope: six counts of up to 10,000 rows on every queue page would
    cost more than the page itself, and the list below them is always current."""
    districts = [] if covers_every_district(user) else sorted(user.districts.values_list("pk", flat=True))
    key = f"laowu:pending-counts:{user.role}:{user.enterprise_id}:{districts}"
    try:
        cached = cache.get(key)
    except CacheUnavailable:  # Redis down: count now, as with a cold cache
        cached = None
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    pending = submissions_in_scope(user).filter(status=SubmissionStatus.PENDING)
    counts = {
        code: bounded_count(pending.filter(filing_type=ContentType.objects.get_for_model(m)))
        for code, m in filing_models().items()
    }
    counts[""] = bounded_count(pending)
    with contextlib.suppress(CacheUnavailable):
        cache.set(key, counts, settings.LAOWU_PENDING_COUNTS_SECONDS)
    return counts


def history(of: Filing | Submission) -> QuerySet[Submission]:
    """Every revision of one filing, newest first; given a submission, that of its filing."""
    if isinstance(of, Submission):
        where = {"filing_type_id": of.filing_type_id, "filing_id": of.filing_id}
    else:
        where = {"filing_type": ContentType.objects.get_for_model(of), "filing_id": of.pk}
    return Submission.objects.filter(**where).select_related("declared_by", "decided_by").order_by("-revision")


# What the owner's history table (review/_history.html) reads of a submission and its users.
HISTORY_FIELDS = (
    "revision",
    "declared_at",
    "status",
    "decided_at",
    "reason",
    "declared_by__username",
    "declared_by__display_name",
    "decided_by__username",
    "decided_by__display_name",
)


def filing_history(filing: Filing) -> list[Submission]:
    """`history(filing)` read for the owner's page, which shows it on every view: its SQL is
    written once per process and filing type (laowu/core/prepared.py; the type's ContentType
    id is in the key).

    Only the columns review/_history.html shows are read: not the snapshot, opened (decrypted)
    row by row on reading, nor the users' sealed phones; a user is shown by `User.__str__`
    (display name, else username). Reading another field of these rows costs a query each."""
    type_id = ContentType.objects.get_for_model(filing).pk

    def build(filing_id: int) -> QuerySet[Submission]:
        return (
            Submission.objects.filter(filing_type_id=type_id, filing_id=filing_id)
            .select_related("declared_by", "decided_by")
            .only(*HISTORY_FIELDS)
            .order_by("-revision")
        )

    return prepared.related_instances(("review.filing_history", type_id), build, filing.pk)


# The statuses of a revision once approved: the reviewer compares a new one against the last.
COMPARED_STATUSES = (SubmissionStatus.APPROVED, SubmissionStatus.SUPERSEDED, SubmissionStatus.REVOKED)


def _approved_before(submission: Submission) -> QuerySet[Submission]:
    return _approved_before_revision(submission.filing_type_id, submission.filing_id, submission.revision)


def _approved_before_revision(filing_type_id: Any, filing_id: Any, revision: Any) -> QuerySet[Submission]:
    return Submission.objects.filter(
        filing_type=filing_type_id,
        filing_id=filing_id,
        revision__lt=revision,
        decided_at__isnull=False,
        status__in=COMPARED_STATUSES,
    ).order_by("-revision")


def review_notes(submission: Submission) -> list[str]:
    """`Filing.review_notes` of the submission's filing while its decision is open (afterwards
    the notes would describe today, not then). A type that writes none (the base's empty
    list) is not read for them: its filing row would be a query for nothing."""
    if submission.status != SubmissionStatus.PENDING:
        return []
    model = ContentType.objects.get_for_id(submission.filing_type_id).model_class()
    if model is None or model.review_notes is Filing.review_notes:  # type: ignore[attr-defined]
        return []
    filing: Filing = model._base_manager.get(pk=submission.filing_id)
    return filing.review_notes()


def previous_approved(submission: Submission) -> Submission | None:
    """The revision the reviewer compares against: the last approved one before it."""
    return _approved_before(submission).first()


def review_history(submission: Submission) -> tuple[list[Submission], Submission | None]:
    """The review page's `history(submission)` and `previous_approved(submission)` in one query.

    The rows read what review/_history.html shows (`HISTORY_FIELDS`): every revision's
    snapshot is opened (decrypted) on reading, and only the previous approved one's is
    needed, read as its `compared_snapshot`; the other rows carry None there. The previous
    revision is one of the history's rows, picked out by the same conditions as
    `previous_approved` (its revision, in a subquery of its own). Its SQL is written once per
    process (laowu/core/prepared.py), the filing and the revision bound."""

    def build(values: dict[str, Any]) -> QuerySet[Submission]:
        last = _approved_before_revision(values["type"], values["filing"], values["revision"]).values("revision")[:1]
        return (
            Submission.objects.filter(filing_type_id=values["type"], filing_id=values["filing"])
            .select_related("declared_by", "decided_by")
            .only(*HISTORY_FIELDS)
            .annotate(
                compared_snapshot=Case(When(revision=Subquery(last), then="snapshot"), output_field=SnapshotField()),
            )
            .order_by("-revision")
        )

    rows = prepared.related_instances(
        ("review.review_history",),
        build,
        {"type": submission.filing_type_id, "filing": submission.filing_id, "revision": submission.revision},
    )
    previous = next((row for row in rows if row.compared_snapshot is not None), None)  # type: ignore[attr-defined]
    return rows, previous
