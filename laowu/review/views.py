from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from laowu.accounts.models import Role
from laowu.accounts.permissions import role_required
from laowu.audit.services import Action, record
from laowu.core.pagination import paginate
from laowu.core.validators import MASKS

from . import selectors, services
from .forms import QueueFilterForm, RejectForm
from .models import Filing, State, Submission, SubmissionStatus
from .permissions import (
    access_own_filing,
    access_submission,
    can_review,
    can_see_personal_data,
    enterprises_in_scope,
)
from .registry import filing_model
from .snapshots import diff


def filing_page_context(filing: Filing) -> dict[str, Any]:
    """What every filing's owner page shows around its own fields: status, reason,
    attachments and the actions the state allows."""
    from laowu.documents.services import attachments_by_kind

    return {
        "filing": filing,
        "filing_type": filing.FILING_TYPE,
        "attachment_groups": attachments_by_kind(filing),
        "can_declare": filing.is_editable,
        "can_withdraw": filing.state == State.DECLARED,
        "can_change": filing.state == State.APPROVED,
        "printable": filing.approved_submission,
    }


OWNER_ACTIONS = {
    "declare": (services.declare, "已申报，请等待区劳务专委会审核。"),
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
    try:
        func(filing=filing, actor=request.user, request=request)
    except services.DeclareBlocked as exc:
        for problem in exc.problems:
            messages.error(request, problem)
    except services.WorkflowError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect(filing.get_absolute_url())


@role_required(Role.REVIEWER, Role.SUPERVISOR)
def queue(request: HttpRequest) -> HttpResponse:
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
    page, query = paginate(request, qs)
    counts = selectors.pending_counts(user=request.user)
    tabs = [
        {"code": code, "label": label, "count": counts.get(code, 0), "active": code == filing_type}
        for code, label in selectors.filing_type_choices()
    ]
    return render(
        request,
        "review/queue.html",
        {
            "form": form,
            "page": page,
            "query": query,
            "tabs": tabs,
            "filing_type": filing_type,
            "total_pending": sum(counts.values()),
            "status": status,
        },
    )


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


def _render_submission(
    request: HttpRequest, submission: Submission, reject_form: RejectForm, status: int = 200
) -> HttpResponse:
    previous = selectors.previous_approved(submission)
    snapshot = masked_snapshot(request, submission)
    context = {
        "submission": submission,
        "snapshot": snapshot,
        "previous": previous,
        "changes": diff(previous.snapshot if previous else None, submission.snapshot),
        "history": selectors.history(submission),
        "enterprise": submission.enterprise,
        "can_decide": can_review(request.user) and submission.status == SubmissionStatus.PENDING,
        "reject_form": reject_form,
    }
    return render(request, "review/submission.html", context, status=status)


@role_required(Role.REVIEWER, Role.SUPERVISOR)
def submission_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_submission(request, access_submission(request.user, pk), RejectForm())


@require_POST
@role_required(Role.REVIEWER)
def decide(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    submission = access_submission(request.user, pk)
    if decision == "approve":
        try:
            services.approve(submission=submission, actor=request.user, request=request)
        except services.WorkflowError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"已审核通过：{submission.title}（第{submission.revision}版）。")
            return redirect("review:queue")
        return redirect("review:submission", pk=pk)
    if decision != "reject":
        raise Http404
    form = RejectForm(request.POST)
    if form.is_valid():
        try:
            services.reject(
                submission=submission, actor=request.user, reason=form.cleaned_data["reason"], request=request
            )
        except services.WorkflowError as exc:
            messages.error(request, exc.message)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"已退回：{submission.title}。")
            return redirect("review:queue")
        return redirect("review:submission", pk=pk)
    # Keep the page and show the error beside the reason field.
    return _render_submission(request, submission, form, status=400)


@role_required(Role.REVIEWER, Role.SUPERVISOR)
def enterprise_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    qs = enterprises_in_scope(request.user).select_related("district").order_by("-created_at", "-id")
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(credit_code__icontains=q.upper()) | Q(contact_name__icontains=q))
    page, query = paginate(request, qs)
    from laowu.enterprises.models import BasicInfo

    infos = {b.enterprise_id: b for b in BasicInfo.objects.filter(enterprise__in=[e.pk for e in page.object_list])}
    rows = [{"enterprise": e, "info": infos.get(e.pk)} for e in page.object_list]
    return render(request, "review/enterprise_list.html", {"page": page, "query": query, "q": q, "rows": rows})


@role_required(Role.REVIEWER, Role.SUPERVISOR)
def enterprise_detail(request: HttpRequest, pk: int) -> HttpResponse:
    from laowu.enterprises.models import BasicInfo

    try:
        enterprise = enterprises_in_scope(request.user).get(pk=pk)
    except (ValueError, enterprises_in_scope(request.user).model.DoesNotExist):
        raise Http404 from None
    info = BasicInfo.objects.filter(enterprise=enterprise).first()
    return render(
        request,
        "review/enterprise_detail.html",
        {"enterprise": enterprise, "info": info, "history": selectors.history(info) if info else []},
    )
