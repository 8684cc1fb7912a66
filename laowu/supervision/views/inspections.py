"""现场检查 pages: the committee records and issues inspections and re-inspects the
enterprise's rectification; the enterprise reads its 整改通知 and replies with evidence."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_POST

from laowu.accounts.models import Role
from laowu.accounts.permissions import role_required
from laowu.accounts.scope import is_committee
from laowu.audit.services import Action, record, record_print
from laowu.contracts.models import ProjectFiling
from laowu.core.actions import run_action, run_form_action
from laowu.core.exports import Column, Kind, export_response
from laowu.core.http import client_ip
from laowu.core.pagination import paginate
from laowu.core.ratelimit import allow
from laowu.documents.responses import pdf_response
from laowu.documents.scans import record_scan
from laowu.documents.services import attachments_by_kind, missing_required_kinds

from .. import inspections as svc
from .. import rectification_notice
from ..forms.inspections import InspectionForm, InspectionSearchForm, ReplyForm, ReviewForm
from ..models import INSPECTION_ITEMS, Inspection, InspectionStatus, Rectification, RectificationStatus
from ..permissions import access, access_for_change, can_manage

E, R, S = Role.ENTERPRISE, Role.REVIEWER, Role.SUPERVISOR
PICKER_PAGE_SIZE = 10


def _search(request: HttpRequest) -> tuple[InspectionSearchForm, Any]:
    committee = is_committee(request.user)
    form = InspectionSearchForm(request.GET or None, committee=committee)
    return form, svc.inspection_list(user=request.user, **form.filters())


# ---------------------------------------------------------------- lists


@role_required(E, R, S)
def inspection_list(request: HttpRequest) -> HttpResponse:
    """The committee's list of all inspections in its districts, or the enterprise's own (no drafts)."""
    form, qs = _search(request)
    page, query = paginate(request, qs)
    today = timezone.localdate()
    for inspection in page.object_list:
        inspection.days_overdue = svc.days_overdue(inspection, today)
    return render(
        request,
        "supervision/inspections/list.html",
        {
            "form": form,
            "page": page,
            "query": query,
            "committee": is_committee(request.user),
            "can_manage": can_manage(request.user),
            "overdue_count": svc.inspection_list(user=request.user, overdue=True).count(),
        },
    )


@role_required(E, R, S)
def inspection_export(request: HttpRequest) -> HttpResponse:
    """The list as filtered on screen: the committee's, or the enterprise's own (no drafts)."""
    _, qs = _search(request)
    today = timezone.localdate()
    columns: list[Column[Inspection]] = [
        Column("整改通知书编号", lambda i: i.notice_no, width=18),
        Column("检查日期", lambda i: i.inspected_on, kind=Kind.DATE),
        Column("项目名称", lambda i: i.project.project_name, width=30),
        Column("合同编号", lambda i: i.project.contract_no, width=20),
        Column("企业名称", lambda i: i.enterprise.name, width=30),
        Column("统一社会信用代码", lambda i: i.enterprise.credit_code, width=20),
        Column("检查人员", lambda i: i.inspectors, width=14),
        *(
            Column(f"{label}（满分{full}）", lambda i, code=code: i.scores.get(code), kind=Kind.NUMBER, width=12)
            for code, label, full in INSPECTION_ITEMS
        ),
        Column("总分", lambda i: i.total_score, kind=Kind.NUMBER, width=6),
        Column("发现的问题", lambda i: i.problems, width=40),
        Column("需要整改", lambda i: "是" if i.needs_rectification else "否", width=8),
        Column("整改期限", lambda i: i.deadline, kind=Kind.DATE),
        Column("状态", lambda i: i.state_label + ("（已逾期）" if i.is_overdue else ""), width=14),
        Column("逾期天数", lambda i: svc.days_overdue(i, today) or None, kind=Kind.NUMBER, width=8),
        Column("整改轮次", lambda i: i.rounds, kind=Kind.NUMBER, width=8),
        Column("逾期整改", lambda i: "是" if i.replied_late else "否", width=8),
        Column("发出时间", lambda i: i.issued_at, kind=Kind.DATETIME),
        Column("闭环时间", lambda i: i.closed_at, kind=Kind.DATETIME),
    ]

    record(action=Action.EXPORT, request=request, detail={"list": "inspection", "query": request.GET.urlencode()})
    return export_response(
        filename="现场检查列表.xlsx", title="现场检查", columns=columns, rows=qs.iterator(chunk_size=2000)
    )


# ---------------------------------------------------------------- committee: record and issue


@role_required(R)
def inspection_new(request: HttpRequest) -> HttpResponse:
    """新增检查, step 1: choose the project (a GET search; 选择 is a plain link)."""
    q = request.GET.get("q", "").strip()
    page, query = paginate(request, svc.inspectable_projects(user=request.user, q=q), per_page=PICKER_PAGE_SIZE)
    return render(request, "supervision/inspections/pick_project.html", {"page": page, "query": query, "q": q})


def _project(request: HttpRequest, pk: Any) -> ProjectFiling:
    try:
        return svc.inspectable_projects(user=request.user).get(pk=pk)
    except (ProjectFiling.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


@role_required(R)
def inspection_create(request: HttpRequest, project_pk: int) -> HttpResponse:
    """新增检查, step 2: the inspection form for the chosen project; 保存 makes a draft."""
    project = _project(request, project_pk)
    form = InspectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = run_form_action(
            request,
            form,
            lambda: svc.create_inspection(project=project, data=form.to_data(), actor=request.user, request=request),
            success="已保存检查记录（草稿）。可上传检查记录及现场照片，核对无误后点击“发出”。",
            then=lambda inspection: inspection.get_absolute_url(),
            refused="supervision:inspection_new",
            errors=(svc.InspectionError,),
        )
        if done is not None:
            return done
    return render(
        request,
        "supervision/inspections/edit.html",
        {"form": form, "project": project, "inspection": None, "full_marks": svc.full_marks()},
    )


@role_required(R)
def inspection_edit(request: HttpRequest, pk: int) -> HttpResponse:
    inspection = access_for_change(request.user, Inspection, pk)
    if not inspection.is_editable:
        messages.error(request, f"该检查记录当前为“{inspection.state_label}”，已发出的检查记录不能修改。")
        return redirect(inspection.get_absolute_url())
    form = InspectionForm(request.POST or None, instance=inspection)
    if request.method == "POST" and form.is_valid():
        done = run_form_action(
            request,
            form,
            lambda: svc.update_inspection(
                inspection=inspection, data=form.to_data(), actor=request.user, request=request
            ),
            success="已保存检查记录。",
            then=inspection.get_absolute_url(),
            errors=(svc.InspectionError,),
        )
        if done is not None:
            return done
    return render(
        request,
        "supervision/inspections/edit.html",
        {"form": form, "project": inspection.project, "inspection": inspection, "full_marks": svc.full_marks()},
    )


@require_POST
@role_required(R)
def inspection_delete(request: HttpRequest, pk: int) -> HttpResponse:
    inspection = access_for_change(request.user, Inspection, pk)
    return run_action(
        request,
        lambda: svc.delete_inspection(inspection=inspection, actor=request.user, request=request),
        success=f"已删除“{inspection.project.project_name}”的检查记录草稿。",
        then="supervision:inspection_list",
        refused=inspection.get_absolute_url(),
        errors=(svc.InspectionError,),
    )


@require_POST
@role_required(R)
def inspection_issue(request: HttpRequest, pk: int) -> HttpResponse:
    inspection = access_for_change(request.user, Inspection, pk)
    return run_action(
        request,
        lambda: svc.issue_inspection(inspection=inspection, actor=request.user, request=request),
        success=_issued_message,
        then=inspection.get_absolute_url(),
        errors=(ValidationError, svc.InspectionError),
        prefix="暂不能发出：",
    )


def _issued_message(issued: Inspection) -> str:
    if issued.status == InspectionStatus.RECTIFYING:
        return f"已发出整改通知书 {issued.notice_no}，整改期限 {issued.deadline:%Y-%m-%d}，已通过站内消息告知企业。"
    return "已发出检查结果（无需整改），该检查已闭环。"


# ---------------------------------------------------------------- detail


def _render_detail(
    request: HttpRequest,
    inspection: Inspection,
    *,
    reply_form: ReplyForm | None = None,
    review_form: ReviewForm | None = None,
) -> HttpResponse:
    """The detail page; a form passed in (after an error) replaces the blank one."""
    user = request.user
    manage = can_manage(user)
    enterprise_user = not is_committee(user)
    replies = []
    draft = pending = None
    for reply in svc.replies_for(user=user, inspection=inspection):
        if enterprise_user and reply.is_editable:
            # The open round is edited in the reply panel, not listed with the sent ones.
            draft = reply
            continue
        if reply.status == RectificationStatus.SUBMITTED:
            pending = reply
        replies.append({"reply": reply, "attachment_groups": attachments_by_kind(reply)})
    if enterprise_user and inspection.status == InspectionStatus.RECTIFYING and reply_form is None:
        reply_form = ReplyForm(initial={"content": draft.content} if draft else None)
    if manage and inspection.status == InspectionStatus.REPLIED and pending is not None and review_form is None:
        review_form = ReviewForm()
    return render(
        request,
        "supervision/inspections/detail.html",
        {
            "inspection": inspection,
            "project": inspection.project,
            "items": svc.item_rows(inspection),
            "full_marks": svc.full_marks(),
            "days_overdue": svc.days_overdue(inspection),
            "committee": not enterprise_user,
            "can_manage": manage,
            "replies": replies,
            "draft": draft,
            "draft_groups": attachments_by_kind(draft) if draft else [],
            "draft_missing": [k.label for k in missing_required_kinds(draft)] if draft else [],
            "pending": pending,
            "reply_form": reply_form,
            "review_form": review_form if pending is not None else None,
            # The one attachment panel, for the inspection's own evidence.
            "filing": inspection,
            "filing_type": Inspection.ATTACHABLE_CODE,
            "attachment_groups": attachments_by_kind(inspection),
            "attachments_editable": manage and inspection.is_editable,
            "printable": rectification_notice.printable(inspection),
        },
    )


@role_required(E, R, S)
def inspection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The record, the 整改通知 and every reply round; the actions the viewer may take."""
    return _render_detail(request, access(request.user, Inspection, pk))


# ---------------------------------------------------------------- the printed 整改通知书


@role_required(E, R, S)
def notice_print(request: HttpRequest, pk: int) -> HttpResponse:
    """打印: the issued 整改通知书 as an A4 PDF with its QR code (the enterprise's own, the committee's in scope)."""
    inspection = access(request.user, Inspection, pk)
    if not rectification_notice.printable(inspection):
        raise Http404
    data = rectification_notice.notice_pdf(
        inspection, base_url=request.build_absolute_uri("/"), full_marks=svc.full_marks()
    )
    record_print(request=request, obj=inspection, detail={"sheet": "整改通知书", "notice_no": inspection.notice_no})
    return pdf_response(data, f"整改通知书-{inspection.notice_no}.pdf")


def rectification_verify(request: HttpRequest, token: str) -> HttpResponse:
    """The public page the notice's QR code opens: its key facts and live status, no login."""
    # Fail open: a read-only public page (laowu/core/ratelimit.py).
    ip = client_ip(request)
    if not allow(f"verify:{ip}", limit=settings.LAOWU_VERIFY_RATE_PER_MINUTE, window_seconds=60, fail_open=True):
        return render(request, "supervision/inspections/verify.html", {"limited": True}, status=429)
    inspection = rectification_notice.by_token(token)
    record_scan(
        request,
        token=token,
        found=inspection is not None,
        sheet_type=rectification_notice.SHEET_TYPE if inspection else "",
        sheet_id=inspection.pk if inspection else None,
    )
    if inspection is None:
        return render(request, "supervision/inspections/verify.html", {"result": None}, status=404)
    return render(
        request, "supervision/inspections/verify.html", {"result": rectification_notice.verification(inspection)}
    )


# ---------------------------------------------------------------- enterprise: the reply


@require_POST
@role_required(E)
def reply_save(request: HttpRequest, pk: int) -> HttpResponse:
    """保存 整改情况: opens the next round if none is open, else updates the open one."""
    inspection = access(request.user, Inspection, pk)
    form = ReplyForm(request.POST)
    if form.is_valid():
        done = run_form_action(
            request,
            form,
            lambda: svc.save_reply(
                inspection=inspection, content=form.cleaned_data["content"], actor=request.user, request=request
            ),
            success=lambda reply: f"已保存第{reply.round}轮整改情况。请上传整改证明材料及照片，然后点击“提交”。",
            then=inspection.get_absolute_url(),
            errors=(svc.InspectionError,),
        )
        if done is not None:
            return done
    return _render_detail(request, inspection, reply_form=form)


@require_POST
@role_required(E)
def reply_submit(request: HttpRequest, pk: int) -> HttpResponse:
    reply = access_for_change(request.user, Rectification, pk)
    return run_action(
        request,
        lambda: svc.submit_reply(rectification=reply, actor=request.user, request=request),
        success=lambda submitted: (
            f"已提交第{submitted.round}轮整改回复，等待区劳务专委会复查。"
            + ("本次提交已超过整改期限，将记为逾期整改。" if submitted.late else "")
        ),
        then=reply.get_absolute_url(),
        errors=(ValidationError, svc.InspectionError),
    )


@require_POST
@role_required(E)
def reply_delete(request: HttpRequest, pk: int) -> HttpResponse:
    reply = access_for_change(request.user, Rectification, pk)
    return run_action(
        request,
        lambda: svc.delete_reply(rectification=reply, actor=request.user, request=request),
        success=f"已删除第{reply.round}轮整改回复草稿。",
        then=reply.get_absolute_url(),
        errors=(svc.InspectionError,),
    )


# ---------------------------------------------------------------- committee: the re-inspection


@require_POST
@role_required(R)
def reply_review(request: HttpRequest, pk: int) -> HttpResponse:
    """复查通过 or 退回整改 (the button pressed says which)."""
    reply = access(request.user, Rectification, pk)
    inspection = access(request.user, Inspection, reply.inspection_id)
    form = ReviewForm(request.POST)
    if form.is_valid():
        passed = form.cleaned_data["decision"] == "pass"
        done = run_form_action(
            request,
            form,
            lambda: svc.review_reply(
                rectification=reply,
                passed=passed,
                note=form.cleaned_data["note"],
                new_deadline=form.cleaned_data["new_deadline"],
                actor=request.user,
                request=request,
            ),
            success=(
                "复查通过，该整改通知已闭环，已通过站内消息告知企业。"
                if passed
                else "已退回整改，已通过站内消息告知企业继续整改。"
            ),
            then=inspection.get_absolute_url(),
            errors=(svc.InspectionError,),
        )
        if done is not None:
            return done
    return _render_detail(request, inspection, review_form=form)


urlpatterns = [
    path("supervision/inspections/", inspection_list, name="inspection_list"),
    path("supervision/inspections/export/", inspection_export, name="inspection_export"),
    path("supervision/inspections/new/", inspection_new, name="inspection_new"),
    path("supervision/inspections/new/<int:project_pk>/", inspection_create, name="inspection_create"),
    path("supervision/inspections/<int:pk>/", inspection_detail, name="inspection_detail"),
    path("supervision/inspections/<int:pk>/notice.pdf", notice_print, name="inspection_notice_print"),
    path("zg/<str:token>/", rectification_verify, name="rectification_verify"),
    path("supervision/inspections/<int:pk>/edit/", inspection_edit, name="inspection_edit"),
    path("supervision/inspections/<int:pk>/delete/", inspection_delete, name="inspection_delete"),
    path("supervision/inspections/<int:pk>/issue/", inspection_issue, name="inspection_issue"),
    path("supervision/inspections/<int:pk>/reply/", reply_save, name="inspection_reply_save"),
    path("supervision/rectifications/<int:pk>/submit/", reply_submit, name="rectification_submit"),
    path("supervision/rectifications/<int:pk>/delete/", reply_delete, name="rectification_delete"),
    path("supervision/rectifications/<int:pk>/review/", reply_review, name="rectification_review"),
]
