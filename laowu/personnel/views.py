"""安全员归集 and 劳资专管员归集 (docs/manual.md §5.1, §5.2), and the committee's lists of all personnel."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_http_methods, require_POST

from laowu.accounts.models import Role
from laowu.accounts.permissions import role_required
from laowu.accounts.scope import can_see_personal_data
from laowu.audit.services import Action, record
from laowu.core.actions import run_action
from laowu.core.exports import Column, export_response, field_column
from laowu.core.fields import column_context, masked, sealed_token
from laowu.core.fragments import bar_markup
from laowu.core.pagination import PreparedList, paginate
from laowu.core.rows import csrf_input, esc, row_url, ymd
from laowu.core.validators import mask_id_number, mask_mobile
from laowu.review import services as workflow
from laowu.review.editing import edit_own_filing
from laowu.review.models import EDITABLE_STATES, State
from laowu.review.permissions import access_own_filing
from laowu.review.rows import review_link

from . import selectors
from .forms import person_form_class
from .models import PERSON_MODELS, Person, SafetyOfficer
from .services import create_person, update_person


def _model(kind: str) -> type[Person]:
    model = PERSON_MODELS.get(kind)
    if model is None:
        raise Http404
    return model


# The lists' rows are written here rather than by a {% for %} in the templates: a row was some
# twenty template nodes (lookups, filters, links), most of the page's rendering. The markup,
# escaping (laowu/core/rows.py) and masking are the templates' own (personnel/list.html,
# personnel/committee_list.html say where the rows go); tests/personnel/test_list_rows.py
# compares them with the templates' former output.


# `Filing.state_label` without a model instance (the lists' rows are tuples: `_list_context`).
_STATE_LABELS: dict[str, str] = dict(State.choices)


def _masked_id(model: type[Person], p: Any) -> str:
    return masked(p.id_number_token, context=column_context(model, "id_number"), kind="id")  # type: ignore[attr-defined]


def _masked_mobile(model: type[Person], p: Any) -> str:
    return masked(p.mobile_token, context=column_context(model, "mobile"), kind="mobile")  # type: ignore[attr-defined]


def _valid_until(model: type[Person], p: Any) -> str:
    """The 有效期至 cell of a 安全员's row (`|date:"Y-m-d"|default:"—"`); 劳资专管员 have none."""
    return f'<td class="nowrap">{ymd(p.valid_until) or "—"}</td>' if model is SafetyOfficer else ""  # type: ignore[attr-defined]


def _own_rows(request: HttpRequest, page: Any, model: type[Person]) -> SafeString:
    """The enterprise's rows of personnel/list.html, with 编辑 / 删除 / 注销. The rows are named
    tuples of their columns (`_list_context`): 删除 is offered by the workflow's own rule of a
    filing's state (`workflow.deletable`, what `Person.deletable` asks), 编辑 for the states
    `Filing.is_editable` names."""
    kind, label = model.ROLE_URL, esc(model.FILING_LABEL)
    if not page.object_list:
        return mark_safe(f'<tr><td colspan="7" class="empty">暂无{label}，点击“新增”登记。</td></tr>')  # noqa: S308  # nosec B308 B703  # escaped label
    csrf = csrf_input(request)
    rows: list[str] = []
    for p in page.object_list:
        edit_url = row_url(request, "personnel:edit", kind, p.pk)
        name = esc(p.name)
        # Without JavaScript 删除 opens the confirmation page; with it, the same question in a dialog.
        delete = (
            f'<a class="danger-text" href="{row_url(request, "personnel:delete", kind, p.pk)}" '
            f'data-dialog="删除{label}">删除</a>'
            if workflow.deletable(p.state, p.approved_submission_id)
            else ""
        )
        deregister = (
            f'<form method="post" action="{row_url(request, "personnel:deregister", kind, p.pk)}" class="inline-form" '
            f'data-confirm="确定注销{label}“{name}”吗？注销后记录保留备查。">{csrf}'
            '<button type="submit" class="link-button danger">注销</button></form>'
            if p.state == "approved"
            else ""
        )
        rows.append(
            "\n      <tr>\n"
            f'        <td><a href="{edit_url}">{name}</a></td><td class="nowrap">{esc(_masked_id(model, p))}</td>'
            f'<td class="nowrap">{esc(_masked_mobile(model, p) or "—")}</td>\n'
            f"        <td>{esc(p.cert_no or '—')}</td>{_valid_until(model, p)}\n"
            f'        <td><span class="status status-{esc(p.state)}">{esc(_STATE_LABELS[p.state])}</span></td>\n'
            '        <td class="nowrap row-actions">\n'
            f'          <a href="{edit_url}">{"编辑" if p.state in EDITABLE_STATES else "查看"}</a>\n'
            "          \n"
            f"          {delete}\n"
            f"          {deregister}\n"
            "        </td>\n"
            "      </tr>\n    "
        )
    return mark_safe("".join(rows))  # noqa: S308  # nosec B308 B703  # esc()-escaped values and our own markup


def _committee_rows(request: HttpRequest, page: Any, model: type[Person]) -> SafeString:
    """The rows of personnel/committee_list.html: the person's enterprise and its filing's review."""
    if not page.object_list:
        return mark_safe(f'<tr><td colspan="8" class="empty">没有符合条件的{esc(model.FILING_LABEL)}。</td></tr>')  # noqa: S308  # nosec B308 B703  # escaped label
    rows: list[str] = []
    for p in page.object_list:
        review = review_link(request, p)
        rows.append(
            "\n      <tr>\n"
            f'        <td>{esc(p.name)}</td><td class="nowrap">{esc(_masked_id(model, p))}</td>'
            f'<td class="nowrap">{esc(_masked_mobile(model, p) or "—")}</td><td>{esc(p.cert_no or "—")}</td>\n'
            f"        {_valid_until(model, p)}\n"
            f'        <td><a href="{row_url(request, "directory:enterprise_detail", p.enterprise_id)}">'
            f"{esc(p.enterprise__name)}</a></td>\n"
            f'        <td><span class="status status-{esc(p.state)}">{esc(_STATE_LABELS[p.state])}</span></td>\n'
            f"        <td>{review}</td>\n"
            "      </tr>\n    "
        )
    return mark_safe("".join(rows))  # noqa: S308  # nosec B308 B703  # esc()-escaped values and our own markup


# The columns the rows show (`_own_rows`, `_committee_rows`, `review_link`), the list's order
# (the cursor's keys: updated_at, id) and `pk` (a search's page is read by id:
# laowu/core/pagination.py `_rows_by_id`): the rest of a filing is neither read nor converted.
# The two sealed ones the rows show masked are read as their tokens (`_SEALED_TOKENS`) and
# masked per token (laowu/core/fields.py `masked`). tests/personnel/test_list_reads.py fails if
# a row reads another.
_OWN_COLUMNS = ("pk", "id", "name", "cert_no", "state", "updated_at", "approved_submission_id")
# The committee's rows also name the person's enterprise and link its pending review.
_COMMITTEE_COLUMNS = (*_OWN_COLUMNS, "enterprise_id", "enterprise__name", "pending_submission_id")
_SEALED_TOKENS = {"id_number_token": sealed_token("id_number"), "mobile_token": sealed_token("mobile")}


def _own_list(model: type[Person], values: Mapping[str, Any]) -> QuerySet[Any]:
    """`selectors.person_list` of an enterprise user without a search: its enterprise's people
    (`filings_in_scope`), of the state asked for if any, in the list's order."""
    people = model.objects.filter(enterprise_id=values["enterprise"])
    if "state" in values:
        people = people.filter(state=values["state"])
    return people.order_by("-updated_at", "-id")


def _list_context(request: HttpRequest, model: type[Person], *, committee: bool) -> dict[str, Any]:
    q = request.GET.get("q", "")
    state = request.GET.get("state", "")
    columns = _COMMITTEE_COLUMNS if committee else _OWN_COLUMNS
    columns += ("valid_until",) if model is SafetyOfficer else ()

    def shown(people: QuerySet[Any]) -> QuerySet[Any]:
        # The rows are read as named tuples of the columns they show (`_own_rows`,
        # `_committee_rows`): no model instance is made per row.
        if not committee:
            # An enterprise's own rows do not name it: no join to it.
            people = people.select_related(None)
        return people.annotate(**_SEALED_TOKENS).values_list(*columns, *_SEALED_TOKENS, named=True)

    listed: QuerySet[Any] | PreparedList
    if committee or q:
        listed = shown(selectors.person_list(user=request.user, model=model, q=q, state=state))
    else:
        # An enterprise's own list as it first shows it, or of one state: its query depends on the
        # enterprise and the state only, so page 1 with its count is written once per process
        # (laowu/core/pagination.py `PreparedList`); `_own_list` is `selectors.person_list`'s.
        values: dict[str, int | str] = {"enterprise": request.user.enterprise_id}  # type: ignore[union-attr]
        if state:
            values["state"] = state
        listed = PreparedList(
            ("personnel.own", model.ROLE_URL, bool(state)), lambda v: shown(_own_list(model, v)), values
        )
    # The page reads its bounded count with its first page unless a search narrows it
    # (laowu/core/pagination.py `paginate`): an enterprise's own people are counted on its index
    # as cheaply as the committee's all.
    page, query = paginate(request, listed, count_with_page=not q.strip())
    return {
        "model": model,
        "kind": model.ROLE_URL,
        "label": model.FILING_LABEL,
        "page": page,
        "query": query,
        "q": q,
        "state": state,
        "states": State.choices,
        "has_valid_until": model is SafetyOfficer,
    }


SEARCH_TEMPLATE = "personnel/_search.html"
# The search bar as the list first shows it (no 关键字, no 状态), rendered once per process. Its
# markup is made of the term and the state asked for, both empty here, and the states' choices,
# fixed in laowu/review/models.py: nothing of the request, the user, the date or the database, so
# there is nothing to key by and nothing that could go stale.
_plain_search: dict[Hashable, SafeString] = {}


def _search_html(context: dict[str, Any]) -> SafeString:
    """The search bar of the list's `context` (`_list_context`)."""
    values = {name: context[name] for name in ("q", "state", "states")}
    return bar_markup(_plain_search, SEARCH_TEMPLATE, values, as_first_shown=not (values["q"] or values["state"]))


@role_required(Role.ENTERPRISE)
def person_list(request: HttpRequest, kind: str) -> HttpResponse:
    """Step 1: the list, with 新增 / 编辑 / 删除."""
    model = _model(kind)
    context = _list_context(request, model, committee=False)
    context["rows"] = _own_rows(request, context["page"], model)
    context["search"] = _search_html(context)
    return render(request, "personnel/list.html", context)


@role_required(Role.ENTERPRISE)
def person_new(request: HttpRequest, kind: str) -> HttpResponse:
    model = _model(kind)
    form_class = person_form_class(model)
    form = form_class(request.POST or None, enterprise_id=request.user.enterprise_id)  # type: ignore[union-attr]
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "consent"}
        try:
            person = create_person(
                model=model,
                enterprise=request.user.enterprise,
                data=data,
                actor=request.user,
                request=request,  # type: ignore[union-attr]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "已保存。请上传附件，然后点击“提交”。")
            return redirect(person.get_absolute_url())
    return render(
        request, "personnel/edit.html", {"form": form, "label": model.FILING_LABEL, "kind": kind, "filing": None}
    )


@role_required(Role.ENTERPRISE)
def person_edit(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    model = _model(kind)
    # The page shows none of the enterprise: its id is the person's own column.
    person = access_own_filing(request.user, model, pk, with_enterprise=False)
    form_class = person_form_class(model)
    form = form_class(
        request.POST or None, instance=person, enterprise_id=person.enterprise_id, editable=person.is_editable
    )
    # Read-only fields (the 身份证号 once approved) are shown disabled, so a forged POST value
    # is replaced by the stored one; the service skips them as well.
    readonly = person.readonly_fields()
    for name in readonly & form.fields.keys():
        form.fields[name].disabled = True
    if "id_number" in readonly and person.is_editable:
        form.fields["id_number"].help_text = "已审核通过的人员不能修改身份证号；如登记有误，请注销后重新登记。"
    if request.method != "POST":
        # The owner sees the full ID number and phone here: each such view is on record.
        record(action=Action.PERSONAL_DATA_VIEW, request=request, obj=person)
    return edit_own_filing(
        request,
        person,
        form,
        template="personnel/edit.html",
        saved="已保存。附件上传完整后，请点击“提交”。",
        save=lambda data: update_person(person=person, data=data, actor=request.user, request=request),
        skip=readonly | {"consent"},
        context={
            "label": model.FILING_LABEL,
            "kind": kind,
            "can_delete": person.deletable,
            "can_deregister": person.state == State.APPROVED,
        },
    )


@require_http_methods(["GET", "POST"])
@role_required(Role.ENTERPRISE)
def person_delete(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """删除: GET asks for confirmation (a page without JavaScript, a dialog with it); POST deletes."""
    model = _model(kind)
    person = access_own_filing(request.user, model, pk)
    if request.method == "GET":
        # The dialog loads the same view with partial=1 and shows just the question.
        partial = request.GET.get("partial") == "1"
        return render(
            request,
            "personnel/_delete_confirm.html" if partial else "personnel/delete_confirm.html",
            {
                "person": person,
                "kind": kind,
                "label": model.FILING_LABEL,
                "refusal": workflow.delete_refusal(person),
            },
        )
    return run_action(
        request,
        lambda: workflow.delete_filing(filing=person, actor=request.user, request=request),
        success=f"已删除{model.FILING_LABEL}“{person.name}”。",
        then=reverse("personnel:list", kwargs={"kind": kind}),
        errors=(workflow.WorkflowError,),
    )


@require_POST
@role_required(Role.ENTERPRISE)
def person_deregister(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    model = _model(kind)
    person = access_own_filing(request.user, model, pk)
    return run_action(
        request,
        lambda: workflow.deregister(filing=person, actor=request.user, request=request),
        success=f"已注销{model.FILING_LABEL}“{person.name}”，其记录保留备查。",
        then=reverse("personnel:list", kwargs={"kind": kind}),
        errors=(workflow.WorkflowError,),
    )


def _export(request: HttpRequest, model: type[Person], *, with_enterprise: bool) -> HttpResponse:
    full = can_see_personal_data(request.user)
    qs = selectors.person_list(
        user=request.user, model=model, q=request.GET.get("q", ""), state=request.GET.get("state", "")
    )
    columns: list[Column[Person]] = [
        Column("姓名", lambda p: p.name, width=10),
        Column("性别", lambda p: p.gender, width=6),
        Column("身份证号", lambda p: p.id_number if full else mask_id_number(p.id_number), width=20),
        Column("手机号", lambda p: p.mobile if full else mask_mobile(p.mobile), width=13),
        Column(str(model._meta.get_field("cert_no").verbose_name), lambda p: p.cert_no, width=24),
    ]
    if model is SafetyOfficer:
        columns += [Column("证书类别", lambda p: p.cert_category, width=9), field_column(model, "valid_until")]
    columns += [Column("学历", lambda p: p.education, width=11), Column("状态", lambda p: p.state_label, width=8)]
    if with_enterprise:
        columns += [
            Column("企业名称", lambda p: p.enterprise.name, width=30),
            Column("统一社会信用代码", lambda p: p.enterprise.credit_code, width=20),
        ]
    record(
        action=Action.EXPORT,
        request=request,
        detail={"list": model.FILING_TYPE, "full_personal_data": full, "q": request.GET.get("q", "")},
    )
    return export_response(
        filename=f"{model.FILING_LABEL}列表.xlsx",
        title=model.FILING_LABEL,
        columns=columns,
        rows=qs.iterator(chunk_size=2000),
    )


@role_required(Role.ENTERPRISE)
def person_export(request: HttpRequest, kind: str) -> HttpResponse:
    return _export(request, _model(kind), with_enterprise=False)


# ---------------------------------------------------------------- committee


@role_required(Role.REVIEWER, Role.SUPERVISOR)
def committee_list(request: HttpRequest, kind: str) -> HttpResponse:
    model = _model(kind)
    context = _list_context(request, model, committee=True)
    context["rows"] = _committee_rows(request, context["page"], model)
    return render(request, "personnel/committee_list.html", context)


@role_required(Role.REVIEWER, Role.SUPERVISOR)
def committee_export(request: HttpRequest, kind: str) -> HttpResponse:
    return _export(request, _model(kind), with_enterprise=True)
