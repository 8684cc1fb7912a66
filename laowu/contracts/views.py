"""项目信息归集 (docs/manual.md §6.1) and the committee's list of all project filings."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_POST

from laowu.accounts.models import Role
from laowu.accounts.permissions import role_required
from laowu.accounts.scope import in_user_district_ids, is_committee
from laowu.audit.services import Action, record
from laowu.core.actions import run_action
from laowu.core.exports import Column, export_response, field_column
from laowu.core.fragments import bar_markup
from laowu.core.numbers import format_amount
from laowu.core.pagination import Page, PreparedList, paginate
from laowu.core.rows import csrf_input, esc, row_url, ymd
from laowu.core.search import COVERED_WALK_COST, search
from laowu.review import services as workflow
from laowu.review.editing import edit_own_filing
from laowu.review.models import EDITABLE_STATES, State
from laowu.review.permissions import access_own_filing, filings_in_scope
from laowu.review.rows import review_link

from .forms import ProjectForm, ProjectSearchForm
from .models import (
    CATALOGUE_COLUMNS,
    CONTRACT_NO_GRAMS,
    PROJECT_TEXT_GRAMS,
    CatalogueContract,
    ProjectFiling,
    available_catalogue,
)
from .services import select_contract

PICKER_PAGE_SIZE = 10
# What a row of the enterprise's list shows (`_own_rows`), with the order's keys and `pk` (a
# search's page is read by id: laowu/core/pagination.py `_rows_by_id`).
OWN_LIST_FIELDS = (
    "pk",
    "id",
    "project_name",
    "contract_no",
    "builder",
    "signed_date",
    "amount",
    "state",
    "approved_submission_id",
)
# What a picker row shows (`_picker_rows`), with the order's keys (the 下一页 cursor's).
PICKER_FIELDS = ("project_code", "project_name", "contract_no", "builder", "signed_date", "amount")
_EXPORT_WIDTHS = {
    "project_name": 30,
    "project_location": 24,
    "builder": 28,
    "general_contractor": 28,
    "contract_no": 20,
    "subcontractor": 28,
    "subcontractor_credit_code": 20,
}


def _shown(value: object) -> object:
    """A catalogue value as the page shows it: amounts as a clerk writes them."""
    return format_amount(value) if isinstance(value, Decimal) else value


def _search(request: HttpRequest, qs: QuerySet[ProjectFiling]) -> tuple[ProjectSearchForm, QuerySet[ProjectFiling]]:
    form = ProjectSearchForm(request.GET or None)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        if data["state"]:
            qs = qs.filter(state=data["state"])
        if data["signed_from"]:
            qs = qs.filter(signed_date__gte=data["signed_from"])
        if data["signed_to"]:
            qs = qs.filter(signed_date__lte=data["signed_to"])
        if data["q"]:
            # Filtered first, so that the search plans for the rows left. project_signed_cover holds
            # the order, the dates and both searched columns, but not the state.
            walk_cost = 1.0 if data["state"] else COVERED_WALK_COST
            qs = search(
                qs,
                data["q"],
                text=("project_name", "contract_no"),
                walk_cost=walk_cost,
                ordered=CONTRACT_NO_GRAMS,
                partition_grams=PROJECT_TEXT_GRAMS,
            )
    return form, qs


# The lists' rows are written here rather than by a {% for %} in the templates: a row was some
# twenty template nodes (lookups, filters, links), most of the page's rendering. The markup and
# its escaping (laowu/core/rows.py) are the templates' own (contracts/list.html,
# contracts/committee_list.html, contracts/_picker_table.html say where the rows go);
# tests/contracts/test_list_rows.py compares them with the templates' former output.


# `Filing.state_label` without a model instance: the enterprise's rows are tuples (`_own_list`).
_STATE_LABELS: dict[str, str] = dict(State.choices)


def _own_rows(request: HttpRequest, page: Page) -> SafeString:
    """The enterprise's rows of contracts/list.html, with 编辑/查看, 删除 and 打印PDF. The rows are
    named tuples of `OWN_LIST_FIELDS` (`_own_list`): 编辑 for the states `Filing.is_editable`
    names, the state's label as `Filing.state_label` gives it."""
    if not page.object_list:
        return mark_safe(  # nosec B308 B703  # our own markup only
            '<tr><td colspan="7" class="empty">暂无项目信息，点击“新增”从省合同归集系统中选择项目。</td></tr>'
        )
    csrf = csrf_input(request)
    rows: list[str] = []
    for f in page.object_list:
        edit_url = row_url(request, "contracts:edit", f.pk)
        name = esc(f.project_name)
        editable = f.state in EDITABLE_STATES
        approved = f.approved_submission_id
        delete = (
            f'<form method="post" action="{row_url(request, "contracts:delete", f.pk)}" class="inline-form" '
            f'data-confirm="确定删除项目“{name}”吗？">{csrf}'
            '<button type="submit" class="link-button danger">删除</button></form>'
            if editable and not approved
            else ""
        )
        print_pdf = (
            f'<a href="{row_url(request, "printing:print", approved)}" target="_blank" rel="noopener">打印PDF</a>'
            if approved
            else ""
        )
        rows.append(
            "\n      <tr>\n"
            f'        <td><a href="{edit_url}">{name}</a></td><td>{esc(f.contract_no)}</td><td>{esc(f.builder)}</td>\n'
            f'        <td class="nowrap">{ymd(f.signed_date)}</td><td>{esc(format_amount(f.amount))}</td>\n'
            f'        <td><span class="status status-{esc(f.state)}">{esc(_STATE_LABELS[f.state])}</span></td>\n'
            '        <td class="nowrap row-actions">\n'
            f'          <a href="{edit_url}">{"编辑" if editable else "查看"}</a>\n'
            f"          {delete}\n"
            f"          {print_pdf}\n"
            "        </td>\n"
            "      </tr>\n    "
        )
    return mark_safe("".join(rows))  # noqa: S308  # nosec B308 B703  # esc()-escaped values and our own markup


SEARCH_TEMPLATE = "contracts/_search.html"
# The search bar as the enterprise's list first shows it (no query string: the unbound form, so
# no value and no error), rendered once per process. Nothing in it comes from the request, the
# user, the date or the database: the fields and their choices are fixed in
# laowu/contracts/forms.py (the states' in laowu/review/models.py), so there is nothing to key
# by and nothing that could go stale.
_plain_search: dict[Hashable, SafeString] = {}


def _search_html(form: ProjectSearchForm) -> SafeString:
    """The search bar of `form`; an unbound form's is the same markup on every request."""
    return bar_markup(_plain_search, SEARCH_TEMPLATE, {"form": form}, as_first_shown=not form.is_bound)


def _own_filings(values: Mapping[str, Any]) -> QuerySet[ProjectFiling]:
    """The enterprise's filings (`filings_in_scope` of its user), of the state asked for if any
    (`_search`'s state filter), in the list's order."""
    qs = ProjectFiling.objects.filter(enterprise_id=values["enterprise"])
    if "state" in values:
        qs = qs.filter(state=values["state"])
    return qs.order_by("-signed_date", "-id")


def _own_list(qs: QuerySet[ProjectFiling]) -> QuerySet[Any]:
    """The enterprise's list as its rows read it: the columns they show (`_own_rows`), as named
    tuples. No model instance is made per row (most of the page's reading was building them), and
    the sealed 现场负责人电话 is not read (unsealed) for the list."""
    return qs.values_list(*OWN_LIST_FIELDS, named=True)


@role_required(Role.ENTERPRISE)
def project_list(request: HttpRequest) -> HttpResponse:
    """Step 1: the enterprise's filed contracts, with the search bar."""
    form = ProjectSearchForm(request.GET or None)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    listed: QuerySet[Any] | PreparedList
    if data.get("q") or data.get("signed_from") or data.get("signed_to"):
        form, qs = _search(request, filings_in_scope(request.user, ProjectFiling).order_by("-signed_date", "-id"))
        listed = _own_list(qs)
    else:
        # The list as it first shows it, or of one state (what `_search` leaves of the form's
        # filters then): its query depends on the enterprise and the state only, so page 1 with
        # its count is written once per process (laowu/core/pagination.py `PreparedList`).
        values: dict[str, int | str] = {"enterprise": request.user.enterprise_id}  # type: ignore[union-attr]
        if data.get("state"):
            values["state"] = data["state"]
        listed = PreparedList(("contracts.own", "state" in values), lambda v: _own_list(_own_filings(v)), values)
    # The page counts the enterprise's filings in its own statement.
    page, query = paginate(request, listed, count_with_page=True)
    context = {"search": _search_html(form), "page": page, "query": query, "rows": _own_rows(request, page)}
    return render(request, "contracts/list.html", context)


@role_required(Role.ENTERPRISE)
def project_new(request: HttpRequest) -> HttpResponse:
    """Step 2 (新增): the edit page before a contract is chosen: 选择项目 comes first."""
    return render(request, "contracts/edit.html", {"filing": None, "columns": CATALOGUE_COLUMNS})


def _substring_lookup(term: str) -> str:
    """`icontains`, or the same match without its case folding for a term that has no case (a
    Chinese name, digits): no letter folds into or out of such characters, so both find the same
    rows. PostgreSQL then tests each column as it is instead of upper-casing every one first, and
    estimates the matches from the columns' statistics (it has none for UPPER(column)): seeing
    that they are many, it walks the contracts in the page's order and stops at the page's end
    instead of reading them all and sorting."""
    return "contains" if term.upper() == term == term.lower() else "icontains"


def _picker_rows(request: HttpRequest, page: Page, filing_id: str) -> SafeString:
    """The rows of contracts/_picker_table.html, each with its 选择 button; none for an empty page
    (the template says why it is empty)."""
    csrf = csrf_input(request)
    select_url = row_url(request, "contracts:select")
    filing = f'<input type="hidden" name="filing" value="{esc(filing_id)}">' if filing_id else ""
    rows = [
        f"\n    <tr><td>{esc(c.project_code)}</td><td>{esc(c.project_name)}</td><td>{esc(c.contract_no)}</td>"
        f'<td>{esc(c.builder)}</td><td class="nowrap">{ymd(c.signed_date)}</td>'
        f"<td>{esc(format_amount(c.amount))}</td>\n"
        f'    <td><form method="post" action="{select_url}" class="inline-form">{csrf}'
        f'<input type="hidden" name="catalogue" value="{esc(c.pk)}">{filing}'
        '<button type="submit" class="btn btn-primary btn-small">选择</button></form></td></tr>\n  '
        for c in page.object_list
    ]
    return mark_safe("".join(rows))  # noqa: S308  # nosec B308 B703  # esc()-escaped values and our own markup


def _picker_query(values: Mapping[str, str], lookup: str) -> QuerySet[CatalogueContract]:
    """What the picker lists for ``values`` (the enterprise's credit code, the term if any)."""
    qs = available_catalogue(values["credit_code"]).order_by("-signed_date", "-id")
    if lookup:
        q = values["q"]
        qs = qs.filter(
            Q(**{f"project_name__{lookup}": q})
            | Q(**{f"contract_no__{lookup}": q})
            | Q(**{f"project_code__{lookup}": q})
            | Q(**{f"builder__{lookup}": q})
        )
    return qs.only(*PICKER_FIELDS)


@role_required(Role.ENTERPRISE)
def picker(request: HttpRequest) -> HttpResponse:
    """选择项目: the enterprise's own, not yet filed catalogue contracts, searchable.

    With JavaScript the fragment (partial=1) fills a dialog; without, it is a page."""
    enterprise = request.user.enterprise  # type: ignore[union-attr]
    q = request.GET.get("q", "").strip()
    lookup = _substring_lookup(q) if q else ""
    values = {"credit_code": enterprise.credit_code, "q": q} if q else {"credit_code": enterprise.credit_code}
    # Only the columns the rows show (`_picker_rows`); the page counts its matches in its own
    # statement: an enterprise's contracts are a few hundred at most. Its SQL is written once per
    # lookup (laowu/core/pagination.py `PreparedList`): the lookup is chosen by the term, not bound.
    listed = PreparedList(("contracts.picker", lookup), lambda v: _picker_query(v, lookup), values)
    page, query = paginate(request, listed, per_page=PICKER_PAGE_SIZE, count_with_page=True)
    # The filing being changed, when the picker was opened from one: only a number can name one
    # (its 返回 link is built from it); anything else is the picker of a new filing.
    filing_id = request.GET.get("filing", "")
    if not (filing_id.isascii() and filing_id.isdigit()):
        filing_id = ""
    rows = _picker_rows(request, page, filing_id)
    context = {"page": page, "query": query, "q": q, "filing_id": filing_id, "rows": rows}
    template = "contracts/_picker_table.html" if request.GET.get("partial") == "1" else "contracts/picker.html"
    return render(request, template, context)


@require_POST
@role_required(Role.ENTERPRISE)
def project_select(request: HttpRequest) -> HttpResponse:
    filing = None
    if request.POST.get("filing"):
        filing = access_own_filing(request.user, ProjectFiling, request.POST["filing"])
    return run_action(
        request,
        lambda: select_contract(
            enterprise=request.user.enterprise,  # type: ignore[union-attr]
            catalogue_id=request.POST.get("catalogue"),
            filing=filing,
            actor=request.user,
            request=request,
        ),
        success="已选择项目。请补充现场负责人等信息并上传劳务分包合同，然后点击“提交”。",
        then=lambda selected: selected.get_absolute_url(),
        refused="contracts:new",
        errors=(ValidationError, workflow.WorkflowError),
    )


@role_required(Role.ENTERPRISE)
def project_edit(request: HttpRequest, pk: int) -> HttpResponse:
    filing = access_own_filing(request.user, ProjectFiling, pk)
    form = ProjectForm(
        request.POST or None, instance=filing, enterprise_id=filing.enterprise_id, editable=filing.is_editable
    )
    return edit_own_filing(
        request,
        filing,
        form,
        template="contracts/edit.html",
        saved="已保存。附件上传完整后，请点击“提交”。",
        context={
            "columns": [(label, _shown(getattr(filing, name))) for name, label in CATALOGUE_COLUMNS],
            "can_delete": filing.approved_submission_id is None and filing.is_editable,
        },
    )


@require_POST
@role_required(Role.ENTERPRISE)
def project_delete(request: HttpRequest, pk: int) -> HttpResponse:
    filing = access_own_filing(request.user, ProjectFiling, pk)
    return run_action(
        request,
        lambda: workflow.delete_filing(filing=filing, actor=request.user, request=request),
        success=f"已删除项目“{filing.project_name}”，该合同可重新选择。",
        then="contracts:list",
        errors=(workflow.WorkflowError,),
    )


# ---------------------------------------------------------------- committee


def _committee_filings(user: Any) -> QuerySet[ProjectFiling]:
    """The filings `filings_in_scope` gives a committee user, the user's districts written as
    their ids: the search plans for the list's real size (laowu/accounts/scope.py)."""
    if not is_committee(user):
        return filings_in_scope(user, ProjectFiling)
    return in_user_district_ids(user, ProjectFiling.objects.all())


def _committee_rows(request: HttpRequest, page: Page) -> SafeString:
    """The rows of contracts/committee_list.html: the filing's enterprise and its review."""
    if not page.object_list:
        empty = '<tr><td colspan="7" class="empty">没有符合条件的项目信息。</td></tr>'
        return mark_safe(empty)  # noqa: S308  # nosec B308 B703  # our own markup only
    rows: list[str] = []
    for f in page.object_list:
        review = review_link(request, f)
        rows.append(
            f"\n      <tr><td>{esc(f.project_name)}</td><td>{esc(f.contract_no)}</td>"
            f'<td><a href="{row_url(request, "directory:enterprise_detail", f.enterprise_id)}">'
            f"{esc(f.enterprise.name)}</a></td>\n"
            f'      <td class="nowrap">{ymd(f.signed_date)}</td><td>{esc(format_amount(f.amount))}</td>'
            f'<td><span class="status status-{esc(f.state)}">{esc(f.state_label)}</span></td>\n'
            f"      <td>{review}</td></tr>\n    "
        )
    return mark_safe("".join(rows))  # noqa: S308  # nosec B308 B703  # esc()-escaped values and our own markup


@role_required(Role.REVIEWER, Role.SUPERVISOR)
def committee_list(request: HttpRequest) -> HttpResponse:
    qs = _committee_filings(request.user).select_related("enterprise").order_by("-signed_date", "-id")
    form, qs = _search(request, qs)
    page, query = paginate(request, qs.defer("site_manager_phone"))
    context = {"form": form, "page": page, "query": query, "rows": _committee_rows(request, page)}
    return render(request, "contracts/committee_list.html", context)


@role_required(Role.REVIEWER, Role.SUPERVISOR)
def committee_export(request: HttpRequest) -> HttpResponse:
    return _export(request, _committee_filings(request.user), committee=True)


@role_required(Role.ENTERPRISE)
def project_export(request: HttpRequest) -> HttpResponse:
    """导出 of 项目信息归集: the enterprise's own filings, as filtered on screen."""
    return _export(request, filings_in_scope(request.user, ProjectFiling), committee=False)


def _export(request: HttpRequest, qs: QuerySet[ProjectFiling], *, committee: bool) -> HttpResponse:
    """The list as filtered on screen, every page of it; the committee's names the enterprise."""
    qs = qs.select_related("enterprise", "safety_officer", "wage_manager")
    form, qs = _search(request, qs.order_by("-signed_date", "-id"))
    columns = [
        *(
            field_column(ProjectFiling, name, header=label, width=_EXPORT_WIDTHS.get(name))
            for name, label in CATALOGUE_COLUMNS
        ),
        field_column(ProjectFiling, "site_manager", width=10),
        Column("安全员", lambda f: f.safety_officer.name if f.safety_officer else None, width=10),
        Column("劳资专管员", lambda f: f.wage_manager.name if f.wage_manager else None, width=10),
        field_column(ProjectFiling, "planned_workers", width=12),
        Column("状态", lambda f: f.state_label, width=8),
    ]
    if committee:
        columns.append(Column("申报企业", lambda f: f.enterprise.name, width=30))
    filters = {k: str(v) for k, v in form.cleaned_data.items() if v} if form.is_bound and form.is_valid() else {}
    record(
        action=Action.EXPORT,
        request=request,
        detail={"list": "project" if committee else "own_project", **filters},
    )
    return export_response(
        filename="项目信息列表.xlsx", title="项目信息", columns=columns, rows=qs.iterator(chunk_size=2000)
    )
