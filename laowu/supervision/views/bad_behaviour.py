"""不良行为记录 (committee and enterprise), 提前移出, and the public 不良行为公示 page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.text import Truncator
from django.views.decorators.http import require_POST

from laowu.accounts.models import Role
from laowu.accounts.permissions import role_required
from laowu.accounts.scope import can_see_personal_data, is_enterprise_user
from laowu.audit.services import Action, record
from laowu.core.actions import run_action, run_form_action
from laowu.core.exports import Column, Kind, export_response
from laowu.core.forms import add_service_errors
from laowu.core.fragments import bar_markup
from laowu.core.pagination import paginate
from laowu.core.rows import esc, row_url, ymd, ymd_hm
from laowu.core.validators import mask_id_number, mask_name
from laowu.documents.services import attachments_by_kind, missing_required_kinds
from laowu.enterprises.models import Enterprise
from laowu.enterprises.scope import enterprises_in_scope

from .. import bad_behaviour as bb
from ..forms.bad_behaviour import (
    BadBehaviourForm,
    DecideForm,
    PublicSearchForm,
    RecordSearchForm,
    RemovalForm,
    RemovalSearchForm,
    RevokeForm,
)
from ..models import (
    BAD_BEHAVIOUR_CATEGORIES,
    BadBehaviour,
    BadBehaviourStatus,
    Grade,
    RemovalApplication,
    RemovalStatus,
    earliest_removal,
    shown_status,
)
from ..permissions import access, access_for_change, can_manage
from ..search import ENTERPRISE, matching

E, R, S = Role.ENTERPRISE, Role.REVIEWER, Role.SUPERVISOR
PUBLIC_PAGE_SIZE = 15


# ---------------------------------------------------------------- lists


@role_required(E, R, S)
def record_list(request: HttpRequest) -> HttpResponse:
    """The committee's records of its districts; for an enterprise, its own published ones."""
    enterprise = is_enterprise_user(request.user)
    form = RecordSearchForm(request.GET or None, enterprise=enterprise)
    filters = form.filters()
    today = timezone.localdate()
    if enterprise:
        # An enterprise's own records are few: page 1's count in its statement unless searched.
        page, query = paginate(
            request, bb.own_record_rows(user=request.user, **filters), count_with_page=not filters.get("q")
        )
        context = {
            "search": _record_search_html(form, enterprise=True),
            "page": page,
            "rows_html": _own_record_rows(request, page.object_list, today=today),
            "query": query,
        }
        return render(request, "supervision/bad_behaviour/enterprise_list.html", context)
    # Page 1's count in its statement unless a keyword search narrows the list: the records of
    # the committee's districts, of a grade, category or state, are few enough to count cheaply.
    page, query = paginate(request, bb.record_rows(user=request.user, **filters), count_with_page=not filters.get("q"))
    manage = can_manage(request.user)
    context = {
        "search": _record_search_html(form, enterprise=False),
        "page": page,
        "rows_html": _record_rows(request, page.object_list, today=today, manage=manage),
        "query": query,
        "tab": "records",
        "can_manage": manage,
        "pending": bb.pending_removal_count(user=request.user),
    }
    return render(request, "supervision/bad_behaviour/list.html", context)


def _record_rows(request: HttpRequest, records: list[Any], *, today: dt.date, manage: bool) -> SafeString:
    """The rows of supervision/bad_behaviour/list.html, from `bb.record_rows`' named tuples.
    Written here rather than by a {% for %} (with an include per row for the state) in the
    template: the rows were most of the page's rendering. Same markup and escaping (every shown
    text through laowu/core/rows.py `esc`); tests/supervision/test_record_list_bytes.py serves
    the page the former way too and compares the bytes."""
    if not records:
        return SafeString('<tr><td colspan="9" class="empty">没有符合条件的不良行为记录。</td></tr>')
    html_rows: list[str] = []
    for r in records:
        url = row_url(request, "supervision:bad_behaviour_detail", r.pk)
        if manage and r.status == BadBehaviourStatus.DRAFT:
            action = "编辑/发布"
        elif manage and r.removal_pending:
            action = "审核"
        else:
            action = "查看"
        html_rows.append(
            "\n      <tr>\n"
            f"        <td>{esc(r.enterprise__name)}</td>\n"
            f"{_record_cells(r, url)}"
            f'        <td class="nowrap">{ymd(r.publicity_start)}<br>至 {ymd(r.publicity_end)}</td>\n'
            f'        <td class="nowrap">{_state_cell(r, today)}</td>\n'
            f'        <td class="nowrap row-actions"><a href="{url}">{action}</a></td>\n'
            "      </tr>\n    "
        )
    return SafeString("".join(html_rows))  # nosec B703  # every shown text escaped by esc


def _record_cells(r: Any, url: str) -> str:
    """The cells both lists of records share, 决定书文号 (a link to the record) to 扣分."""
    return (
        f'        <td class="nowrap"><a href="{url}">{esc(r.decision_no)}</a></td>\n'
        f'        <td class="nowrap"><span class="bb-grade bb-grade-{esc(r.grade)}">'
        f"{esc(GRADE_LABELS.get(r.grade, r.grade))}</span></td>\n"
        f"        <td>{esc(CATEGORY_LABELS.get(r.category, r.category))}</td>\n"
        f'        <td class="nowrap">{esc(r.person_name) if r.person_name else "—"}</td>\n'
        f"        <td>{esc(r.points)}</td>\n"
    )


def _state_cell(r: Any, today: dt.date) -> str:
    """The 状态 cell's content of both lists of records, from a row of `bb.record_rows` or
    `bb.own_record_rows`: what supervision/bad_behaviour/_status.html writes, then the mark of an
    application awaiting the committee. The include began with a comment line and its file ends
    in a line break: the state sits between two breaks, the mark after the second."""
    shown = shown_status(r.status, r.publicity_end, today)
    state = f'<span class="status status-bb-{esc(shown)}">{esc(BadBehaviourStatus(shown).label)}</span>'
    if shown == BadBehaviourStatus.PUBLISHED and r.publicity_start > today:
        state += f' <span class="muted nowrap">{ymd(r.publicity_start)}起</span>'
    if r.ended_early_on:
        state += ' <span class="muted nowrap">已提前移出</span>'
    pending = '<br><span class="status status-declared">移出待审核</span>' if r.removal_pending else ""
    return f"\n{state}\n{pending}"


def _own_record_rows(request: HttpRequest, records: list[Any], *, today: dt.date) -> SafeString:
    """The rows of supervision/bad_behaviour/enterprise_list.html, from `bb.own_record_rows`'
    named tuples, as `_record_rows` writes the committee's (same escaping);
    tests/supervision/test_record_list_bytes.py serves the page the former way too."""
    if not records:
        return SafeString('<tr><td colspan="9" class="empty">暂无不良行为记录。</td></tr>')
    html_rows: list[str] = []
    for r in records:
        url = row_url(request, "supervision:bad_behaviour_detail", r.pk)
        html_rows.append(
            "\n      <tr>\n"
            f"{_record_cells(r, url)}"
            f"        <td>{esc(r.issuer)}</td>\n"
            f'        <td class="nowrap">{ymd(r.publicity_start)}<br>至 {ymd(r.publicity_end)}</td>\n'
            f'        <td class="nowrap">{_state_cell(r, today)}</td>\n'
            f'        <td class="nowrap"><a href="{url}">查看</a></td>\n'
            "      </tr>\n    "
        )
    return SafeString("".join(html_rows))  # nosec B703  # every shown text escaped by esc


# What get_grade_display / get_category_display show: a value outside the choices as it is.
GRADE_LABELS: dict[str, str] = dict(Grade.choices)
CATEGORY_LABELS: dict[str, str] = dict(BAD_BEHAVIOUR_CATEGORIES)

RECORD_SEARCH_TEMPLATE = "supervision/bad_behaviour/_search.html"
# The search bars of the lists of records and of 提前移出申请 as each list first shows it (no
# query string: the form unbound), kept once per process under the list's name. Their fields and
# choices are fixed in laowu/supervision/forms/bad_behaviour.py and laowu/supervision/models.py
# (an enterprise's bar leaves out 草稿, the 提前移出申请 bar starts at 待审核): nothing a write
# could make stale.
_plain_record_search: dict[Hashable, SafeString] = {}


def _record_search_html(form: RecordSearchForm, *, enterprise: bool) -> SafeString:
    return bar_markup(
        _plain_record_search,
        RECORD_SEARCH_TEMPLATE,
        {"form": form},
        as_first_shown=not form.is_bound,
        key="own records" if enterprise else "records",
    )


def _removal_search_html(form: RemovalSearchForm, *, as_first_shown: bool) -> SafeString:
    return bar_markup(
        _plain_record_search, RECORD_SEARCH_TEMPLATE, {"form": form}, as_first_shown=as_first_shown, key="removals"
    )


@role_required(E, R, S)
def record_export(request: HttpRequest) -> HttpResponse:
    """The list as filtered on screen: the committee's, or the enterprise's own published records."""
    form = RecordSearchForm(request.GET or None, enterprise=is_enterprise_user(request.user))
    filters = form.filters()
    qs = bb.record_list(user=request.user, **filters)
    columns: list[Column[BadBehaviour]] = [
        Column("企业名称", lambda r: r.enterprise.name, width=30),
        Column("统一社会信用代码", lambda r: r.enterprise.credit_code, width=20),
        Column("当事人员", lambda r: r.person_name, width=10),
        # Exports leave the platform: the ID number is masked for every role.
        Column("身份证号", lambda r: mask_id_number(r.person_id_number), width=20),
        Column("等级", lambda r: r.get_grade_display(), width=8),
        Column("类别", lambda r: r.get_category_display(), width=14),
        Column("不良行为事实", lambda r: r.facts, width=40),
        Column("处理依据", lambda r: r.legal_basis, width=30),
        Column("决定书文号", lambda r: r.decision_no, width=20),
        Column("决定日期", lambda r: r.decision_date, kind=Kind.DATE),
        Column("扣分", lambda r: r.points, kind=Kind.NUMBER, width=6),
        Column("发布单位", lambda r: r.issuer, width=20),
        Column("公示开始日期", lambda r: r.publicity_start, kind=Kind.DATE),
        Column("公示截止日期", lambda r: r.publicity_end, kind=Kind.DATE),
        Column("状态", lambda r: r.display_status_label, width=10),
        Column("提前移出日期", lambda r: r.ended_early_on, kind=Kind.DATE),
        Column("撤销原因", lambda r: r.revoke_reason, width=30),
    ]

    record(
        action=Action.EXPORT,
        request=request,
        detail={"list": "bad_behaviour", **{k: str(v) for k, v in filters.items()}},
    )
    return export_response(
        filename="不良行为记录.xlsx", title="不良行为记录", columns=columns, rows=qs.iterator(chunk_size=2000)
    )


@role_required(R, S)
def removal_list(request: HttpRequest) -> HttpResponse:
    """提前移出申请 awaiting the committee (or, chosen, all decided ones)."""
    form = RemovalSearchForm(request.GET or None)
    status, q = RemovalStatus.PENDING, ""
    if form.is_bound and form.is_valid():
        status = form.cleaned_data["status"] if "status" in request.GET else RemovalStatus.PENDING
        q = form.cleaned_data["q"]
    first_shown = not form.is_bound
    if first_shown:
        form = RemovalSearchForm(initial={"status": RemovalStatus.PENDING})
    # Page 1's count in its statement unless a keyword search narrows the list: the applications
    # of the committee's districts in one state are few.
    page, query = paginate(request, bb.removal_rows(user=request.user, status=status, q=q), count_with_page=not q)
    manage = can_manage(request.user)
    return render(
        request,
        "supervision/bad_behaviour/removals.html",
        {
            "search": _removal_search_html(form, as_first_shown=first_shown),
            "page": page,
            "rows_html": _removal_rows(request, page.object_list, manage=manage),
            "query": query,
            "tab": "removals",
            "can_manage": manage,
            "pending": bb.pending_removal_count(user=request.user),
        },
    )


def _removal_rows(request: HttpRequest, applications: list[Any], *, manage: bool) -> SafeString:
    """The rows of supervision/bad_behaviour/removals.html, from `bb.removal_rows`' named tuples:
    written here as the lists of records are (`_record_rows`), same markup and escaping;
    tests/supervision/test_removal_list_bytes.py serves the page the former way too."""
    if not applications:
        return SafeString('<tr><td colspan="8" class="empty">没有符合条件的提前移出申请。</td></tr>')
    html_rows: list[str] = []
    for a in applications:
        url = row_url(request, "supervision:bad_behaviour_detail", a.record_id)
        action = "审核" if manage and a.status == RemovalStatus.PENDING else "查看"
        html_rows.append(
            "\n      <tr>\n"
            f"        <td>{esc(a.enterprise__name)}</td>\n"
            f'        <td class="nowrap"><a href="{url}">{esc(a.record__decision_no)}</a></td>\n'
            f'        <td class="nowrap">{ymd(a.record__publicity_start)}<br>至 {ymd(a.record__publicity_end)}</td>\n'
            f'        <td class="nowrap">{ymd(earliest_removal(a.record__publicity_start))}</td>\n'
            f"        <td>{esc(Truncator(a.rectification).chars(60))}</td>\n"
            f'        <td class="nowrap">{ymd_hm(a.submitted_at)}</td>\n'
            f'        <td class="nowrap"><span class="status status-removal-{esc(a.status)}">'
            f"{esc(RemovalStatus(a.status).label)}</span></td>\n"
            f'        <td class="nowrap"><a href="{url}">{action}</a></td>\n'
            "      </tr>\n    "
        )
    return SafeString("".join(html_rows))  # nosec B703  # every shown text escaped by esc


@role_required(R, S)
def removal_export(request: HttpRequest) -> HttpResponse:
    form = RemovalSearchForm(request.GET or None)
    status, q = RemovalStatus.PENDING, ""
    if form.is_bound and form.is_valid():
        status = form.cleaned_data["status"] if "status" in request.GET else RemovalStatus.PENDING
        q = form.cleaned_data["q"]
    qs = bb.removal_list(user=request.user, status=status, q=q).select_related("decided_by")
    columns: list[Column[RemovalApplication]] = [
        Column("企业名称", lambda a: a.enterprise.name, width=30),
        Column("统一社会信用代码", lambda a: a.enterprise.credit_code, width=20),
        Column("决定书文号", lambda a: a.record.decision_no, width=20),
        Column("公示开始日期", lambda a: a.record.publicity_start, kind=Kind.DATE),
        Column("最早可移出日期", lambda a: a.record.earliest_removal, kind=Kind.DATE, width=14),
        Column("整改情况", lambda a: a.rectification, width=40),
        Column("提交时间", lambda a: a.submitted_at, kind=Kind.DATETIME),
        Column("状态", lambda a: a.state_label, width=8),
        Column("审核人", lambda a: str(a.decided_by) if a.decided_by else None, width=10),
        Column("审核时间", lambda a: a.decided_at, kind=Kind.DATETIME),
        Column("审核意见", lambda a: a.decision_note, width=30),
    ]

    record(action=Action.EXPORT, request=request, detail={"list": "removal", "status": status, "q": q})
    return export_response(
        filename="提前移出申请.xlsx", title="提前移出申请", columns=columns, rows=qs.iterator(chunk_size=2000)
    )


# ---------------------------------------------------------------- 登记 and 编辑


@role_required(R)
def record_new(request: HttpRequest) -> HttpResponse:
    """Step 1 searches the enterprises in scope (选择 → ?enterprise=<pk>); step 2 is the form."""
    enterprise_pk = request.GET.get("enterprise")
    if not enterprise_pk:
        q = request.GET.get("q", "").strip()
        qs = enterprises_in_scope(request.user).select_related("district").order_by("name", "id")
        page, query = paginate(request, matching(qs, q, ENTERPRISE))
        return render(request, "supervision/bad_behaviour/choose.html", {"page": page, "query": query, "q": q})
    try:
        enterprise = enterprises_in_scope(request.user).get(pk=enterprise_pk)
    except (ValueError, TypeError, Enterprise.DoesNotExist):
        raise Http404 from None
    form = BadBehaviourForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            rec = bb.create_record(enterprise=enterprise, data=form.cleaned_data, actor=request.user, request=request)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "已保存为草稿。请上传处理决定书等附件，核对无误后点击“发布”。")
            return redirect(rec.get_absolute_url())
    return render(request, "supervision/bad_behaviour/form.html", {"form": form, "enterprise": enterprise, "rec": None})


@role_required(R)
def record_edit(request: HttpRequest, pk: int) -> HttpResponse:
    rec = access_for_change(request.user, BadBehaviour, pk)
    if not rec.is_editable:
        messages.error(request, f"该记录当前为“{rec.display_status_label}”，不能修改。")
        return redirect(rec.get_absolute_url())
    form = BadBehaviourForm(request.POST or None, instance=rec)
    if request.method == "POST" and form.is_valid():
        try:
            bb.update_record(rec=rec, data=form.cleaned_data, actor=request.user, request=request)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "已保存。")
            return redirect(rec.get_absolute_url())
    return render(
        request, "supervision/bad_behaviour/form.html", {"form": form, "enterprise": rec.enterprise, "rec": rec}
    )


@require_POST
@role_required(R)
def record_delete(request: HttpRequest, pk: int) -> HttpResponse:
    rec = access_for_change(request.user, BadBehaviour, pk)
    return run_action(
        request,
        lambda: bb.delete_record(rec=rec, actor=request.user, request=request),
        success=f"已删除不良行为记录草稿（{rec.decision_no}）。",
        then="supervision:bad_behaviour_list",
        refused=rec.get_absolute_url(),
    )


@require_POST
@role_required(R)
def record_publish(request: HttpRequest, pk: int) -> HttpResponse:
    rec = access_for_change(request.user, BadBehaviour, pk)
    return run_action(
        request,
        lambda: bb.publish(rec=rec, actor=request.user, request=request),
        success=lambda published: (
            f"已发布，公示期{published.publicity_start:%Y-%m-%d}至{published.publicity_end:%Y-%m-%d}；"
            "已通过站内消息告知企业。"
        ),
        then=rec.get_absolute_url(),
        prefix="不能发布：",
    )


@require_POST
@role_required(R)
def record_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    rec = access_for_change(request.user, BadBehaviour, pk)
    form = RevokeForm(request.POST)
    if form.is_valid():
        done = run_form_action(
            request,
            form,
            lambda: bb.revoke(rec=rec, reason=form.cleaned_data["reason"], actor=request.user, request=request),
            success="已撤销，该记录不再公示；已通过站内消息告知企业。",
            then=rec.get_absolute_url(),
            errors=(ValidationError,),
        )
        if done is not None:
            return done
    return _detail(request, rec, revoke_form=form)


# ---------------------------------------------------------------- detail


def _detail(request: HttpRequest, rec: BadBehaviour, **forms: Any) -> HttpResponse:
    user = request.user
    enterprise_side = is_enterprise_user(user)
    manage = can_manage(user)
    removals = list(bb.visible_removals(user=user, rec=rec))
    open_app = next((a for a in removals if a.status in bb.OPEN_REMOVAL), None)
    today = timezone.localdate()
    full_id = not enterprise_side and can_see_personal_data(user)
    if full_id and rec.person_id_number:
        # The full 身份证号 shows on this page only (also when it is shown again after a form
        # error); each such view is on record.
        record(action=Action.PERSONAL_DATA_VIEW, request=request, obj=rec)
    context: dict[str, Any] = {
        "rec": rec,
        "enterprise_side": enterprise_side,
        "can_manage": manage,
        "today": today,
        "full_id": full_id,
        "filing": rec,
        "filing_type": BadBehaviour.ATTACHABLE_CODE,
        "attachment_groups": attachments_by_kind(rec),
        "attachments_editable": manage and rec.is_editable,
        "open_app": open_app,
        "past_apps": [a for a in removals if a is not open_app],
        "removal_refusal": bb.removal_refusal(rec, today=today),
        "in_publicity": rec.status == BadBehaviourStatus.PUBLISHED
        and rec.publicity_start <= today <= rec.publicity_end,
    }
    if open_app is not None:
        context["app_attachment_groups"] = attachments_by_kind(open_app)
        context["app_attachments_editable"] = enterprise_side and open_app.is_editable
        if enterprise_side and open_app.is_editable:
            context["missing_evidence"] = [k.label for k in missing_required_kinds(open_app)]
    if enterprise_side:
        if open_app is None:
            context["removal_form"] = forms.get("removal_form") or RemovalForm()
        elif open_app.is_editable:
            context["removal_form"] = forms.get("removal_form") or RemovalForm(
                initial={"rectification": open_app.rectification}
            )
    elif manage:
        context["revoke_form"] = forms.get("revoke_form") or RevokeForm()
        context["decide_form"] = forms.get("decide_form") or DecideForm()
    return render(request, "supervision/bad_behaviour/detail.html", context)


@role_required(E, R, S)
def record_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, access(request.user, BadBehaviour, pk))


# ---------------------------------------------------------------- 提前移出


@require_POST
@role_required(E)
def removal_new(request: HttpRequest, pk: int) -> HttpResponse:
    rec = access(request.user, BadBehaviour, pk)
    form = RemovalForm(request.POST)
    if form.is_valid():
        done = run_form_action(
            request,
            form,
            lambda: bb.create_removal(
                rec=rec, rectification=form.cleaned_data["rectification"], actor=request.user, request=request
            ),
            success="已保存申请。请上传整改证明材料，然后点击“提交”。",
            then=rec.get_absolute_url(),
            errors=(ValidationError,),
            prefix="不能申请：",
        )
        if done is not None:
            return done
    return _detail(request, rec, removal_form=form)


@require_POST
@role_required(E)
def removal_save(request: HttpRequest, pk: int) -> HttpResponse:
    application = access_for_change(request.user, RemovalApplication, pk)
    rec = application.record
    form = RemovalForm(request.POST)
    if form.is_valid():
        done = run_form_action(
            request,
            form,
            lambda: bb.update_removal(
                application=application,
                rectification=form.cleaned_data["rectification"],
                actor=request.user,
                request=request,
            ),
            success="已保存。",
            then=rec.get_absolute_url(),
            errors=(ValidationError,),
        )
        if done is not None:
            return done
    return _detail(request, rec, removal_form=form)


@require_POST
@role_required(E)
def removal_submit(request: HttpRequest, pk: int) -> HttpResponse:
    application = access_for_change(request.user, RemovalApplication, pk)
    return run_action(
        request,
        lambda: bb.submit_removal(application=application, actor=request.user, request=request),
        success="已提交，等待区劳务专委会审核。",
        then=application.record.get_absolute_url(),
        prefix="不能提交：",
    )


@require_POST
@role_required(R)
def removal_decide(request: HttpRequest, pk: int) -> HttpResponse:
    application = access(request.user, RemovalApplication, pk)
    rec = access_for_change(request.user, BadBehaviour, application.record_id)
    decision = request.POST.get("decision")
    if decision not in ("approve", "reject"):
        messages.error(request, "请选择“同意”或“不同意”。")
        return redirect(rec.get_absolute_url())
    form = DecideForm(request.POST)
    if form.is_valid():
        approve = decision == "approve"
        done = run_form_action(
            request,
            form,
            lambda: bb.decide_removal(
                application=application,
                approve=approve,
                note=form.cleaned_data["note"],
                actor=request.user,
                request=request,
            ),
            success="已同意提前移出，该记录今日起不再公示；已告知企业。"
            if approve
            else "已作出不同意的决定，并已告知企业。",
            then=rec.get_absolute_url(),
            errors=(ValidationError,),
            prefix="不能同意：" if approve else "",
        )
        if done is not None:
            return done
    return _detail(request, rec, decide_form=form)


# ---------------------------------------------------------------- 不良行为公示 (public)


def _public_rows(request: HttpRequest, records: list[BadBehaviour], *, searched: bool) -> SafeString:
    """The rows of supervision/bad_behaviour/public_list.html. Written here rather than by a
    {% for %} in the template: a row was some twenty template nodes, most of the page's
    rendering. Same markup and escaping (every shown text through laowu/core/rows.py `esc`, the
    person's name masked first as the `mask_name` filter did);
    tests/supervision/test_public_rows.py compares them with the template's former loop."""
    if not records:
        if searched:
            return SafeString('<tr><td colspan="8" class="empty">没有符合条件的公示记录。</td></tr>')
        return SafeString('<tr><td colspan="8" class="empty">当前没有正在公示的不良行为记录。</td></tr>')
    html_rows: list[str] = []
    for r in records:
        enterprise = r.enterprise
        person = esc(mask_name(r.person_name)) if r.person_name else "—"
        url = row_url(request, "supervision:public_bad_behaviour_detail", r.pk)
        html_rows.append(
            "\n        <tr>\n"
            f"          <td>{esc(enterprise.name)}</td>\n"
            f'          <td class="nowrap">{esc(enterprise.credit_code)}</td>\n'
            f'          <td class="nowrap">{person}</td>\n'
            f'          <td class="nowrap"><span class="bb-grade bb-grade-{esc(r.grade)}">'
            f"{esc(r.get_grade_display())}</span></td>\n"
            f"          <td>{esc(r.get_category_display())}</td>\n"
            f"          <td>{esc(r.decision_no)}</td>\n"
            f'          <td class="nowrap">{ymd(r.publicity_start)}<br>至 {ymd(r.publicity_end)}</td>\n'
            f'          <td class="nowrap"><a href="{url}">查看</a></td>\n'
            "        </tr>\n      "
        )
    return SafeString("".join(html_rows))  # nosec B703  # every shown text escaped by esc


PUBLIC_SEARCH_TEMPLATE = "supervision/bad_behaviour/_public_search.html"
# The search fields as the public page first shows them (no query string: the form unbound, so
# no value and no error), rendered once per process. Nothing in them comes from the request,
# the date or the database: the fields and their choices are fixed in
# laowu/supervision/forms/bad_behaviour.py and laowu/supervision/models.py, so there is nothing
# to key by and nothing that could go stale.
_plain_public_search: dict[Hashable, SafeString] = {}


def _public_search_html(request: HttpRequest, form: PublicSearchForm) -> SafeString:
    """The search fields of `form`; without a query string the same markup on every request."""
    return bar_markup(_plain_public_search, PUBLIC_SEARCH_TEMPLATE, {"form": form}, as_first_shown=not request.GET)


def public_list(request: HttpRequest) -> HttpResponse:
    """不良行为公示: no login; only what is in publicity today."""
    form = PublicSearchForm(request.GET or None)
    page, query = paginate(request, bb.public_list(**form.filters()), per_page=PUBLIC_PAGE_SIZE)
    return render(
        request,
        "supervision/bad_behaviour/public_list.html",
        {
            "search": _public_search_html(request, form),
            "page": page,
            "rows_html": _public_rows(request, list(page.object_list), searched=form.is_bound),
            "query": query,
            "today": timezone.localdate(),
        },
    )


def public_detail(request: HttpRequest, pk: int) -> HttpResponse:
    rec = bb.public_record(pk)
    if rec is None:
        raise Http404
    return render(request, "supervision/bad_behaviour/public_detail.html", {"rec": rec, "today": timezone.localdate()})


urlpatterns = [
    path("supervision/bad-behaviour/", record_list, name="bad_behaviour_list"),
    path("supervision/bad-behaviour/export/", record_export, name="bad_behaviour_export"),
    path("supervision/bad-behaviour/new/", record_new, name="bad_behaviour_new"),
    path("supervision/bad-behaviour/<int:pk>/", record_detail, name="bad_behaviour_detail"),
    path("supervision/bad-behaviour/<int:pk>/edit/", record_edit, name="bad_behaviour_edit"),
    path("supervision/bad-behaviour/<int:pk>/delete/", record_delete, name="bad_behaviour_delete"),
    path("supervision/bad-behaviour/<int:pk>/publish/", record_publish, name="bad_behaviour_publish"),
    path("supervision/bad-behaviour/<int:pk>/revoke/", record_revoke, name="bad_behaviour_revoke"),
    path("supervision/bad-behaviour/<int:pk>/removal/", removal_new, name="removal_new"),
    path("supervision/bad-behaviour/removals/", removal_list, name="removal_list"),
    path("supervision/bad-behaviour/removals/export/", removal_export, name="removal_export"),
    path("supervision/bad-behaviour/removals/<int:pk>/save/", removal_save, name="removal_save"),
    path("supervision/bad-behaviour/removals/<int:pk>/submit/", removal_submit, name="removal_submit"),
    path("supervision/bad-behaviour/removals/<int:pk>/decide/", removal_decide, name="removal_decide"),
    path("gs/", public_list, name="public_bad_behaviour"),
    path("gs/<int:pk>/", public_detail, name="public_bad_behaviour_detail"),
]
