from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Mapping
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.db.models.fields.json import KT
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from django.views.decorators.http import require_POST

from laowu.accounts.models import District, Role
from laowu.accounts.permissions import role_required
from laowu.accounts.scope import can_review, can_see_personal_data, covers_every_district, is_committee
from laowu.audit.services import Action, record
from laowu.core.actions import run_action
from laowu.core.exports import Column, Kind, export_response
from laowu.core.fragments import bar_markup
from laowu.core.pagination import PreparedList, paginate
from laowu.core.rows import esc, row_url, ymd_hm
from laowu.core.validators import MASKS

from . import selectors, services
from .editing import DECLARED, tell_outcome
from .forms import QueueFilterForm, RejectForm
from .models import Submission, SubmissionStatus
from .permissions import access_own_filing, access_submission, access_submission_to_review, personal_files
from .registry import filing_model, filing_models
from .snapshots import diff

OWNER_ACTIONS = {
    "declare": (services.declare, DECLARED),
    "withdraw": (services.withdraw, "已撤回，现在可以修改后重新申报。"),
    "change": (services.start_change, "已开始变更。变更审核通过前，已通过的版本继续有效。"),
}


@require_POST
@role_required(Role.ENTERPRISE)
def owner_action(request: HttpRequest, filing_type: str, pk: int, action: str) -> HttpResponse:
    """申报 / 撤回 / 变更 for any filing type the user's enterprise owns."""
    model = filing_model(filing_type)
    if model is None or action not in OWNER_ACTIONS:
        raise Http404
    filing = access_own_filing(request.user, model, pk)
    func, done = OWNER_ACTIONS[action]
    tell_outcome(request, filing, func, done)
    return redirect(filing.get_absolute_url())


def _queue_search(request: HttpRequest) -> tuple[QueueFilterForm, str, str, QuerySet[Submission]]:
    """The queue's filters, shared by the list and its export: (form, status, filing type, submissions)."""
    form = QueueFilterForm(request.GET or None, initial={"status": SubmissionStatus.PENDING})
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    status = filters.get("status", SubmissionStatus.PENDING) if form.is_bound else SubmissionStatus.PENDING
    filing_type = request.GET.get("type", "")
    qs = selectors.review_queue(
        user=request.user,
        filing_type=filing_type,
        q=filters.get("q", ""),
        status=status,
        date_from=filters.get("date_from"),
        date_to=filters.get("date_to"),
    )
    return form, status, filing_type, qs


# `get_status_display` without building the choices' dict for every row: the field's choices are
# SubmissionStatus's (laowu/review/models.py), fixed in the code.
_STATUS_LABELS: dict[str, str] = dict(SubmissionStatus.choices)


def _queue_rows(request: HttpRequest, submissions: list[Any]) -> SafeString:
    """The rows of review/queue.html. Written here rather than by a {% for %} in the template: a
    row was some fifteen template nodes, most of the page's rendering. Same markup and escaping
    (every shown text through laowu/core/rows.py `esc`); tests/review/test_queue_rows.py compares them with the
    template's former loop."""
    if not submissions:
        return SafeString('<tr><td colspan="7" class="empty">没有符合条件的申报。</td></tr>')
    reviewer = request.user.role == "reviewer"  # type: ignore[union-attr]
    rows: list[str] = []
    for s in submissions:
        url = row_url(request, "review:submission", s.pk)
        label = s.snapshot_label
        rows.append(
            f'\n      <tr><td>{"" if label is None else esc(label)}</td><td><a href="{url}">{esc(s.title)}</a>'
            f"</td><td>{esc(s.enterprise__name)}</td>\n"
            f'      <td>第{esc(s.revision)}版</td><td class="nowrap">{ymd_hm(s.declared_at)}</td>\n'
            f'      <td><span class="status status-sub-{esc(s.status)}">'
            f"{esc(_STATUS_LABELS.get(s.status, s.status))}</span></td>\n"
            f'      <td><a href="{url}">{"审核" if s.status == "pending" and reviewer else "查看"}</a></td></tr>\n    '
        )
    return SafeString("".join(rows))  # nosec B703  # every shown text escaped by esc


QUEUE_FILTERS_TEMPLATE = "review/_queue_filters.html"
# The filter's fields as the queue first shows them (no query string: the unbound form, its
# initial status and no error), rendered once per process. Nothing in them comes from the
# request, the user, the date or the database: the fields and their choices are fixed in
# laowu/review/forms.py, so there is nothing to key by and nothing that could go stale.
_unbound_filters: dict[Hashable, SafeString] = {}


def _filters_html(form: QueueFilterForm) -> SafeString:
    """`form`'s fields; an unbound form's are the same markup on every request."""
    return bar_markup(_unbound_filters, QUEUE_FILTERS_TEMPLATE, {"form": form}, as_first_shown=not form.is_bound)


def _queue_rows_of(qs: QuerySet[Submission]) -> QuerySet[Any]:
    """The queue as its rows read it: the columns they show (`_queue_rows`) and its order's keys,
    and of the enterprise its name only, as named tuples: no model instance per row. The
    snapshot's label is read as such: the whole snapshot (its personal rows unsealed on load,
    laowu/review/fields.py), the sealed phones of the enterprise and the declarer, the filing
    type and the declarer are not read for it. `pk`: a search's page is read by id
    (laowu/core/pagination.py `_rows_by_id`)."""
    return qs.annotate(snapshot_label=KT("snapshot__label")).values_list(
        "pk", "id", "title", "revision", "declared_at", "status", "enterprise__name", "snapshot_label", named=True
    )


def _queue_of(values: Mapping[str, Any], *, pending: bool) -> QuerySet[Submission]:
    """`selectors.review_queue` of a committee user without a search or a date: the submissions
    of the user's districts (`in_user_districts`: all for one over every district), of the
    status and the filing type given, oldest first when pending."""
    qs = Submission.objects.all()
    if "user" in values:
        qs = qs.filter(enterprise__district__in=District.objects.filter(staff=values["user"]))
    if "status" in values:
        qs = qs.filter(status=values["status"])
    if "type" in values:
        qs = qs.filter(filing_type_id=values["type"])
    return qs.order_by("declared_at", "id") if pending else qs.order_by("-declared_at", "-id")


@role_required(Role.REVIEWER, Role.SUPERVISOR)
def queue(request: HttpRequest) -> HttpResponse:
    form, status, filing_type, qs = _queue_search(request)
    # Its count in the page's statement unless a search or a date narrows it: the queue of a
    # status (and type) is counted through its index, cheap even when the page has few rows.
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    narrowed = any(filters.get(name) for name in ("q", "date_from", "date_to"))
    ct = selectors.content_type_for(filing_type) if filing_type else None
    listed: QuerySet[Any] | PreparedList
    if narrowed or not is_committee(request.user) or (filing_type and ct is None):
        listed = _queue_rows_of(qs)
    else:
        # A status (and type) of the queue, as a reviewer works it: its query depends on the
        # user's districts, the status and the type only, so page 1 with its count is written
        # once per process (laowu/core/pagination.py `PreparedList`); `_queue_of` is
        # `selectors.review_queue`'s without a search or a date.
        values: dict[str, int | str] = {}
        if not covers_every_district(request.user):
            values["user"] = request.user.pk
        if status:
            values["status"] = status
        if ct is not None:
            values["type"] = ct.pk
        key = ("review.queue", status == SubmissionStatus.PENDING, *sorted(values))
        listed = PreparedList(key, lambda v: _queue_rows_of(_queue_of(v, pending=key[1])), values)
    page, query = paginate(request, listed, count_with_page=not narrowed)
    counts = selectors.pending_counts(user=request.user)
    tabs = [
        {"code": code, "label": label, "count": counts.get(code, "0"), "active": code == filing_type}
        for code, label in selectors.filing_type_choices()
    ]
    return render(
        request,
        "review/queue.html",
        {
            "filters": _filters_html(form),
            "page": page,
            "rows": _queue_rows(request, page.object_list),
            "query": query,
            "tabs": tabs,
            "filing_type": filing_type,
            "total_pending": counts[""],
            "status": status,
        },
    )


@role_required(Role.REVIEWER, Role.SUPERVISOR)
def queue_export(request: HttpRequest) -> HttpResponse:
    """The queue as filtered on screen, every page of it."""
    form, status, filing_type, qs = _queue_search(request)
    labels = dict(selectors.filing_type_choices())
    by_ct = {ContentType.objects.get_for_model(model).pk: model.FILING_LABEL for model in filing_models().values()}
    columns: list[Column[Submission]] = [
        Column("类型", lambda s: by_ct.get(s.filing_type_id, s.snapshot.get("label", "")), width=12),
        Column("申报名称", lambda s: s.title, width=30),
        Column("企业名称", lambda s: s.enterprise.name, width=30),
        Column("统一社会信用代码", lambda s: s.enterprise.credit_code, width=20),
        Column("版本", lambda s: s.revision, kind=Kind.NUMBER, width=6),
        Column("申报时间", lambda s: s.declared_at, kind=Kind.DATETIME),
        Column("状态", lambda s: s.get_status_display(), width=8),
        Column("审核时间", lambda s: s.decided_at, kind=Kind.DATETIME),
        Column("审核人", lambda s: str(s.decided_by) if s.decided_by else None, width=10),
        Column("退回原因", lambda s: s.reason, width=30),
    ]

    record(
        action=Action.EXPORT,
        request=request,
        detail={
            "list": "review_queue",
            "status": status,
            "type": filing_type,
            "q": form.cleaned_data.get("q", "") if form.is_bound and form.is_valid() else "",
        },
    )
    title = f"{labels.get(filing_type, '')}{SubmissionStatus(status).label if status else '全部申报'}"
    return export_response(
        filename=f"{title}列表.xlsx",
        title=title,
        columns=columns,
        rows=qs.select_related("decided_by").iterator(chunk_size=2000),
    )


def _local(value: dt.datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def masked_snapshot(request: HttpRequest, submission: Submission) -> dict[str, Any]:
    """Personal data in full for reviewers (and each such view is audited), masked for others."""
    snapshot = dict(submission.snapshot)
    sensitive = [row for row in snapshot.get("fields", []) if row.get("mask")]
    if not sensitive:
        return snapshot
    if can_see_personal_data(request.user):
        record(action=Action.PERSONAL_DATA_VIEW, request=request, obj=submission)
        return snapshot
    snapshot["fields"] = [
        {**row, "display": MASKS[row["mask"]](row["display"])} if row.get("mask") and row["display"] else row
        for row in snapshot["fields"]
    ]
    return snapshot


def masked_changes(
    request: HttpRequest, changes: dict[str, list[dict[str, str]]], *snapshots: dict[str, Any]
) -> dict[str, list[dict[str, str]]]:
    """The diff's old and new values under the same rule as `masked_snapshot`.

    The diff is computed on the full values (a change in the masked-out digits is still a
    change) and masked afterwards; its rows carry only the label, so the mask is found by
    label in the snapshots compared. The full view is audited by `masked_snapshot`.
    """
    if can_see_personal_data(request.user):
        return changes
    masks = {row["label"]: row["mask"] for s in snapshots for row in s.get("fields", []) if row.get("mask")}
    if not masks:
        return changes

    def hide(label: str, value: str) -> str:
        return MASKS[masks[label]](value) if label in masks and value else value

    fields = [{**c, "old": hide(c["label"], c["old"]), "new": hide(c["label"], c["new"])} for c in changes["fields"]]
    return {**changes, "fields": fields}


# What the review page (`_render_submission`, review/submission.html) reads of the submission,
# its enterprise and its declarer: not the enterprise's provider data nor its contact's sealed
# phone, nor the users' (each opened on reading); the decider is shown by the history's rows.
REVIEW_PAGE_FIELDS = (
    "filing_type_id",
    "filing_id",
    "revision",
    "title",
    "snapshot",
    "status",
    "declared_at",
    "reason",
    "enterprise__name",
    "enterprise__credit_code",
    "enterprise__provider_confirmed",
    "declared_by__username",
    "declared_by__display_name",
)


# The 申报内容 rows and the 附件 items are written here rather than by {% for %} loops in
# review/submission.html (it says where they go): a snapshot's twenty-odd rows were most of the
# page's template nodes. The markup and its escaping (laowu/core/rows.py) are the loops' own;
# tests/review/test_review_page_bytes.py serves the page with the former loops put back.

_PROVIDER_TAG = ' <span class="source-tag" title="天眼查核验">天眼查</span>'
_NO_ATTACHMENTS = '<p class="note">没有附件。</p>'
_PERSONAL_FILE = "— 含个人身份信息，仅审核员可查看。"


def _snapshot_rows(snapshot: dict[str, Any]) -> SafeString:
    """The rows of 申报内容: each field's label and shown value (a dash for none)."""
    rows = [
        f"\n    <tr><th>{esc(row.get('label', ''))}</th><td>{esc(row.get('display') or '—')}"
        f"{_PROVIDER_TAG if row.get('provider') else ''}</td></tr>\n    "
        for row in snapshot.get("fields", ())
    ]
    return SafeString("".join(rows))  # nosec B703  # every shown text escaped by esc


def _attachment_items(
    request: HttpRequest, submission: Submission, snapshot: dict[str, Any], hidden: set[str]
) -> SafeString:
    """The items of 附件: a closed, lazy preview of each file and a link to open it, or, for a
    file of personal data the user may not open, its name only (review/submission.html says why
    the preview is closed and the link sits beside it)."""
    attachments = snapshot.get("attachments", ())
    if not attachments:
        return SafeString(_NO_ATTACHMENTS)  # nosec B703  # our own markup only
    items: list[str] = []
    for a in attachments:
        name = esc(a.get("name", ""))
        head = f"{esc(a.get('kind_label', ''))}：{name}（{esc(filesizeformat(a.get('size', '')))}）"
        if a.get("sha256") in hidden:
            item = f'\n  <div class="attach-preview-row"><p class="note">{head}{_PERSONAL_FILE}</p></div>\n  '
        else:
            url = row_url(request, "printing:submission_file", submission.pk, a.get("sha256", ""))
            item = (
                '\n  <div class="attach-preview-row">\n    <details class="attach-preview">\n'
                f"      <summary>{head}</summary>\n"
                f'      <iframe class="pdf-frame" loading="lazy" src="{url}" title="{name}"></iframe>\n'
                "    </details>\n"
                f'    <a class="attach-open" href="{url}" target="_blank" rel="noopener">新窗口查看</a>\n'
                "  </div>\n  "
            )
        items.append(f"\n  \n  {item}\n  ")
    return SafeString("".join(items))  # nosec B703  # every shown text escaped by esc


def _render_submission(
    request: HttpRequest, submission: Submission, reject_form: RejectForm, status: int = 200
) -> HttpResponse:
    history, previous = selectors.review_history(submission)
    snapshot = masked_snapshot(request, submission)
    before = previous.compared_snapshot if previous else None  # type: ignore[attr-defined]
    changes = diff(before, submission.snapshot)
    hidden_files = personal_files(request.user, submission)
    context = {
        "submission": submission,
        "snapshot": snapshot,
        "snapshot_rows": _snapshot_rows(snapshot),
        "attachment_items": _attachment_items(request, submission, snapshot, hidden_files),
        "previous": previous,
        "changes": masked_changes(request, changes, submission.snapshot, *([before] if before else [])),
        "history": history,
        "enterprise": submission.enterprise,
        "can_decide": can_review(request.user) and submission.status == SubmissionStatus.PENDING,
        "review_notes": selectors.review_notes(submission),
        "reject_form": reject_form,
    }
    return render(request, "review/submission.html", context, status=status)


@role_required(Role.REVIEWER, Role.SUPERVISOR)
def submission_detail(request: HttpRequest, pk: int) -> HttpResponse:
    submission = access_submission_to_review(request.user, pk, fields=REVIEW_PAGE_FIELDS)
    return _render_submission(request, submission, RejectForm())


@require_POST
@role_required(Role.REVIEWER)
def decide(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    submission = access_submission(request.user, pk)
    back = reverse("review:submission", args=[pk])
    if decision == "approve":
        return run_action(
            request,
            lambda: services.approve(submission=submission, actor=request.user, request=request),
            success=f"已审核通过：{submission.title}（第{submission.revision}版）。",
            then="review:queue",
            refused=back,
            errors=(services.WorkflowError,),
        )
    if decision != "reject":
        raise Http404
    form = RejectForm(request.POST)
    if form.is_valid():
        return run_action(
            request,
            lambda: services.reject(
                submission=submission, actor=request.user, reason=form.cleaned_data["reason"], request=request
            ),
            success=f"已退回：{submission.title}。",
            then="review:queue",
            refused=back,
            errors=(services.WorkflowError, ValidationError),
        )
    # Keep the page and show the error beside the reason field.
    return _render_submission(request, submission, form, status=400)
