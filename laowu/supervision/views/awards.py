"""评优创先 pages: the committee's yearly lists, nominations and results; read-only for supervisors."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_POST

from laowu.accounts.models import Role
from laowu.accounts.permissions import role_required
from laowu.accounts.scope import is_enterprise_user
from laowu.audit.services import Action, record
from laowu.contracts.models import ProjectFiling
from laowu.core.actions import run_action, run_form_action
from laowu.core.exports import Column, Kind, export_response
from laowu.core.pagination import paginate
from laowu.documents.services import attachments_by_kind
from laowu.enterprises.models import Enterprise

from .. import awards as services
from ..forms.awards import AwardDecisionForm, AwardForm, AwardSearchForm, NomineeSearchForm
from ..models import Award, AwardStatus
from ..permissions import access, access_for_change, can_manage

E, R, S = Role.ENTERPRISE, Role.REVIEWER, Role.SUPERVISOR
PICKER_PAGE_SIZE = 10


def _search(request: HttpRequest) -> tuple[AwardSearchForm, dict[str, Any]]:
    data = request.GET.copy()
    if "year" not in data:
        data["year"] = str(services.default_year(user=request.user))
    form = AwardSearchForm(data, years=services.award_years(user=request.user))
    return form, form.filters()


@role_required(R, S)
def award_list(request: HttpRequest) -> HttpResponse:
    form, filters = _search(request)
    page, query = paginate(request, services.award_list(user=request.user, **filters))
    return render(
        request,
        "supervision/awards/list.html",
        {
            "form": form,
            "page": page,
            "query": query,
            "year": filters["year"],
            "can_manage": can_manage(request.user),
        },
    )


@role_required(R, S)
def award_export(request: HttpRequest) -> HttpResponse:
    _, filters = _search(request)
    qs = services.award_list(user=request.user, **filters).select_related("created_by")
    columns: list[Column[Award]] = [
        Column("年度", lambda a: a.year, kind=Kind.NUMBER, width=6),
        Column("奖项", lambda a: a.get_title_display(), width=20),
        Column("推荐企业", lambda a: a.enterprise.name, width=30),
        Column("统一社会信用代码", lambda a: a.enterprise.credit_code, width=20),
        Column("推荐项目", lambda a: a.project.project_name if a.project_id else None, width=30),
        Column("推荐理由", lambda a: a.reasons, width=40),
        Column("推荐时间", lambda a: timezone.localdate(a.created_at), kind=Kind.DATE),
        Column("状态", lambda a: a.state_label, width=8),
        Column("评定日期", lambda a: a.decided_on, kind=Kind.DATE),
    ]

    record(
        action=Action.EXPORT,
        request=request,
        detail={"list": "award", **{k: v for k, v in filters.items() if v}},
    )
    year = f"{filters['year']}年度" if filters["year"] else ""
    return export_response(
        filename=f"{year}评优创先推荐.xlsx",
        title="评优创先推荐",
        columns=columns,
        rows=qs.iterator(chunk_size=2000),
    )


def _nominee(request: HttpRequest, params: Any) -> tuple[Enterprise | None, ProjectFiling | None]:
    """The enterprise or project chosen (by id in the query or the form), within the user's scope."""
    if params.get("project"):
        try:
            project = services.nominable_projects(user=request.user).get(pk=params["project"])
        except (ProjectFiling.DoesNotExist, ValueError, TypeError):
            raise Http404 from None
        return project.enterprise, project
    if params.get("enterprise"):
        try:
            return services.nominable_enterprises(user=request.user).get(pk=params["enterprise"]), None
        except (Enterprise.DoesNotExist, ValueError, TypeError):
            raise Http404 from None
    return None, None


@role_required(R)
def award_new(request: HttpRequest) -> HttpResponse:
    """推荐: first find the enterprise or project (a plain GET search), then fill the nomination."""
    params = request.POST if request.method == "POST" else request.GET
    enterprise, project = _nominee(request, params)
    if enterprise is None:
        search = NomineeSearchForm(request.GET)
        search.is_valid()
        kind = search.cleaned_data.get("kind") or "enterprise"
        q = search.cleaned_data.get("q") or ""
        qs: Any = (
            services.nominable_projects(user=request.user, q=q)
            if kind == "project"
            else services.nominable_enterprises(user=request.user, q=q)
        )
        page, query = paginate(request, qs, per_page=PICKER_PAGE_SIZE)
        return render(
            request,
            "supervision/awards/pick.html",
            {"search": search, "kind": kind, "page": page, "query": query},
        )
    in_publicity = services.records_in_publicity(enterprise)
    form = AwardForm(request.POST or None, for_project=project is not None, ask_publicity=bool(in_publicity))
    if request.method == "POST" and form.is_valid():
        try:
            award = services.nominate(
                enterprise=enterprise,
                project=project,
                actor=request.user,
                request=request,
                **form.cleaned_data,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "已推荐。请在下方上传推荐材料（PDF）。")
            return redirect(award.get_absolute_url())
    return render(
        request,
        "supervision/awards/edit.html",
        {"form": form, "award": None, "enterprise": enterprise, "project": project, "in_publicity": in_publicity},
    )


def _detail_context(request: HttpRequest, award: Award, decision_form: AwardDecisionForm | None) -> dict[str, Any]:
    manage = can_manage(request.user) and award.is_editable
    return {
        "award": award,
        "enterprise_side": is_enterprise_user(request.user),
        "filing": award,
        "filing_type": Award.ATTACHABLE_CODE,
        "attachment_groups": attachments_by_kind(award),
        "attachments_editable": manage,
        "can_manage": manage,
        "decision_form": (decision_form or AwardDecisionForm()) if manage else None,
        # The committee deciding a nomination sees the records in publicity; the enterprise sees its own elsewhere.
        "in_publicity": (
            services.records_in_publicity(award.enterprise_id)
            if award.status == AwardStatus.NOMINATED and not is_enterprise_user(request.user)
            else []
        ),
    }


@role_required(E, R, S)
def award_detail(request: HttpRequest, pk: int) -> HttpResponse:
    award = access(request.user, Award, pk)
    return render(request, "supervision/awards/detail.html", _detail_context(request, award, None))


@role_required(R)
def award_edit(request: HttpRequest, pk: int) -> HttpResponse:
    award = access_for_change(request.user, Award, pk)
    if not award.is_editable:
        messages.error(request, f"该推荐当前为“{award.state_label}”，不能编辑。")
        return redirect(award.get_absolute_url())
    initial = {"year": award.year, "title": award.title, "reasons": award.reasons}
    form = AwardForm(request.POST or None, initial=initial, for_project=award.project_id is not None, year=award.year)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_nomination(award=award, actor=request.user, request=request, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "已保存。")
            return redirect(award.get_absolute_url())
    return render(
        request,
        "supervision/awards/edit.html",
        {
            "form": form,
            "award": award,
            "enterprise": award.enterprise,
            "project": award.project,
            "in_publicity": services.records_in_publicity(award.enterprise_id),
        },
    )


@require_POST
@role_required(R)
def award_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    award = access_for_change(request.user, Award, pk)
    return run_action(
        request,
        lambda: services.withdraw(award=award, actor=request.user, request=request),
        success=lambda _: f"已撤回对“{services.subject_label(award)}”的推荐。",
        then="supervision:award_list",
        refused=award.get_absolute_url(),
    )


@require_POST
@role_required(R)
def award_decide(request: HttpRequest, pk: int) -> HttpResponse:
    award = access_for_change(request.user, Award, pk)
    if not award.is_editable:
        messages.error(request, f"该推荐当前为“{award.state_label}”，不能登记评定结果。请刷新页面后查看。")
        return redirect(award.get_absolute_url())
    form = AwardDecisionForm(request.POST)
    if form.is_valid():
        done = run_form_action(
            request,
            form,
            lambda: services.decide(
                award=award,
                granted=form.cleaned_data["result"] == AwardStatus.GRANTED,
                decided_on=form.cleaned_data["decided_on"],
                actor=request.user,
                request=request,
            ),
            success=lambda decided: f"已登记评定结果：{decided.state_label}。已通过站内消息告知企业。",
            then=award.get_absolute_url(),
            errors=(ValidationError,),
        )
        if done is not None:
            return done
    # The detail page again, with the errors beside the fields and the input kept.
    return render(request, "supervision/awards/detail.html", _detail_context(request, award, form), status=400)


urlpatterns = [
    path("supervision/awards/", award_list, name="award_list"),
    path("supervision/awards/export/", award_export, name="award_export"),
    path("supervision/awards/new/", award_new, name="award_new"),
    path("supervision/awards/<int:pk>/", award_detail, name="award_detail"),
    path("supervision/awards/<int:pk>/edit/", award_edit, name="award_edit"),
    path("supervision/awards/<int:pk>/withdraw/", award_withdraw, name="award_withdraw"),
    path("supervision/awards/<int:pk>/decide/", award_decide, name="award_decide"),
]
