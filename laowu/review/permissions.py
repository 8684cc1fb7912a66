"""Who may see and act on filings, submissions and their files — the one place for it.

Built on the roles and district scope of `laowu/accounts/scope.py`: an enterprise user
reaches its own enterprise's filings, a committee user those of its district(s).

Access helpers answer "not found" (Http404) both for a missing object and for one the
user may not see, so nobody can learn that another enterprise's record exists.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import Http404

from laowu.accounts.scope import (
    EVERY_DISTRICT_ATTR,
    covers_every_district,
    in_user_districts,
    is_committee,
    is_enterprise_user,
    sees_personal_data_of,
)
from laowu.core import prepared
from laowu.documents.models import Blob
from laowu.documents.permissions import is_personal

from .models import Filing, Submission, SubmissionStatus

F = TypeVar("F", bound=Filing)


def submissions_in_scope(user: Any) -> QuerySet[Submission]:
    if is_committee(user):
        return in_user_districts(user, Submission.objects.all())
    if is_enterprise_user(user):
        return Submission.objects.filter(enterprise_id=user.enterprise_id)
    return Submission.objects.none()


def filings_in_scope(user: Any, model: type[F]) -> QuerySet[F]:
    if is_enterprise_user(user):
        return model.objects.filter(enterprise_id=user.enterprise_id)
    if is_committee(user):
        return in_user_districts(user, model.objects.all())
    return model.objects.none()


def access_own_filing(user: Any, model: type[F], pk: Any, *, with_enterprise: bool = True) -> F:
    """A filing the user's enterprise owns (for edits); 404 otherwise. ``with_enterprise``:
    its enterprise joined, for a page that shows it (its provider data and sealed phone are
    read and opened with it).

    The row is read by its id alone, its owner compared here, in a query whose SQL is written
    once per process (laowu/core/prepared.py): building and compiling the queryset cost the
    owner's pages (人员编辑, 项目信息) more than the database took to answer."""
    if not is_enterprise_user(user):
        raise Http404
    try:
        pk = int(pk)
    except (ValueError, TypeError):
        raise Http404 from None
    if not 0 < pk <= MAX_ID:
        raise Http404

    def build(value: int) -> QuerySet[F]:
        qs = model.objects.select_related("enterprise") if with_enterprise else model.objects.all()
        return qs.filter(pk=value)

    found = prepared.related_instances(("review.own_filing", model._meta.label, with_enterprise), build, pk)
    if not found or found[0].enterprise_id != user.enterprise_id:
        raise Http404
    return found[0]


def access_filing(user: Any, model: type[F], pk: Any) -> F:
    """A filing the user may read (owner or committee of its district); 404 otherwise."""
    try:
        return filings_in_scope(user, model).select_related("enterprise").get(pk=pk)
    except (model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def access_submission(user: Any, pk: Any, *, fields: Sequence[str] = ()) -> Submission:
    """``fields``: read only these (`QuerySet.only`, with the enterprise and the declarer
    joined); by default the whole row, its enterprise, declarer and decider."""
    qs = submissions_in_scope(user).select_related("enterprise", "declared_by", "decided_by")
    if fields:
        qs = qs.select_related(None).select_related("enterprise", "declared_by").only(*fields)
    try:
        return qs.get(pk=pk)
    except (Submission.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def access_submission_to_review(user: Any, pk: Any, *, fields: Sequence[str]) -> Submission:
    """`access_submission(user, pk, fields=fields)` for the committee's review page, its SQL
    written once per process (laowu/core/prepared.py) for each set of fields and each kind of
    scope: the whole province, or the user's districts (the user's id bound). The scope is
    `in_user_districts`'s own filter, built for a stand-in user of that id. Anyone else goes
    through `access_submission`."""
    if not is_committee(user):
        return access_submission(user, pk, fields=fields)
    try:
        pk = int(pk)
    except (ValueError, TypeError):
        raise Http404 from None
    if not 0 < pk <= MAX_ID:
        raise Http404
    every = covers_every_district(user)

    def build(values: dict[str, Any]) -> QuerySet[Submission]:
        stand_in = get_user_model()(pk=values.get("user"))
        setattr(stand_in, EVERY_DISTRICT_ATTR, every)
        qs = in_user_districts(stand_in, Submission.objects.all())
        return qs.select_related("enterprise", "declared_by").only(*fields).filter(pk=values["pk"])

    values = {"pk": pk} if every else {"pk": pk, "user": user.pk}
    found = prepared.related_instances(("review.to_review", every, *fields), build, values)
    if not found:
        raise Http404
    return found[0]


def access_submission_file(user: Any, submission_pk: Any, sha256: str) -> tuple[Submission, Blob, dict[str, Any]]:
    """A file frozen in a submission, named by its hash in the snapshot."""
    submission = access_submission(user, submission_pk)
    hidden = personal_files(user, submission)
    for item in submission.snapshot.get("attachments", []):
        if item["sha256"] == sha256 and sha256 not in hidden:
            try:
                personal = is_personal(_model_of(submission), item["kind"])
                return submission, Blob.objects.get(pk=sha256), {**item, "personal": personal}
            except Blob.DoesNotExist:
                break
    raise Http404


def _model_of(submission: Submission) -> Any:
    from .registry import filing_model  # the registry imports this module

    return filing_model(submission.snapshot["type"])


def personal_files(user: Any, submission: Submission) -> set[str]:
    """The hashes of the submission's files that hold personal data (ID card scans) and that
    `user` may not open: for them the submission page names the file and offers no link."""
    if sees_personal_data_of(user, submission.enterprise_id):
        return set()
    model = _model_of(submission)
    return {a["sha256"] for a in submission.snapshot.get("attachments", []) if is_personal(model, a["kind"])}


def access_printable(user: Any, submission_pk: Any, **annotations: Any) -> Submission:
    """Only the currently valid approved revision prints. The same scope as `access_submission`
    without its joins: printing a stored sheet needs neither the people nor the enterprise row
    (each with a sealed phone number to open), and a first render reads the enterprise's name
    by itself. `annotations` are read in the same query (the stored sheets, sheets.py)."""
    if is_enterprise_user(user):
        submission = _own_submission(user.enterprise_id, submission_pk, annotations)
    else:
        try:
            submission = submissions_in_scope(user).annotate(**annotations).get(pk=submission_pk)
        except (Submission.DoesNotExist, ValueError, TypeError):
            raise Http404 from None
    if submission.status != SubmissionStatus.APPROVED:
        raise Http404
    return submission


# The largest id of a BigAutoField: a larger number names no submission (the ORM answers so
# without asking; a bound value that large is refused by SQLite's driver).
MAX_ID = 2**63 - 1


def _own_submission(enterprise_id: int, submission_pk: Any, annotations: dict[str, Any]) -> Submission:
    """The enterprise's own submission `submission_pk`, what `submissions_in_scope` reaches for
    an enterprise user: the row read by its id alone, its owner compared here. The query's SQL
    is written once per process (laowu/core/prepared.py), keyed by the annotations' names: the
    one caller passes `sheets.stored_sheets()`, built once per process from constants."""
    try:
        pk = int(submission_pk)
    except (ValueError, TypeError):
        raise Http404 from None
    if not 0 < pk <= MAX_ID:
        raise Http404
    found = prepared.instances(
        ("review.printable", *sorted(annotations)),
        lambda value: Submission.objects.annotate(**annotations).filter(pk=value),
        pk,
    )
    if not found or found[0].enterprise_id != enterprise_id:
        raise Http404
    return found[0]
