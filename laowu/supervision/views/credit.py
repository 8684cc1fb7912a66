"""信用评分 pages: the committee's scored list and detail, the enterprise's own score, the rules."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.safestring import SafeString

from laowu.accounts.models import Role
from laowu.accounts.permissions import role_required
from laowu.accounts.scope import is_enterprise_user
from laowu.audit.services import Action, record
from laowu.core.exports import Column, Kind, export_response
from laowu.core.fragments import bar_markup
from laowu.core.pagination import Page, paginate, paginate_segments
from laowu.core.rows import esc, row_url
from laowu.enterprises.models import Enterprise
from laowu.enterprises.scope import enterprises_in_scope

from .. import credit
from ..forms.credit import CreditDateForm, CreditRulesForm, CreditSearchForm
from ..models import Award, CreditRules
from ..permissions import can_edit_credit_rules, in_scope

E, R, S = Role.ENTERPRISE, Role.REVIEWER, Role.SUPERVISOR


def _signed(value: int, sign: str, css: str) -> str:
    """`_credit_rows`' deduction or addition cell: markup, or a plain zero."""
    return f'<span class="{css}">{sign}{value}</span>' if value else "0"


def _credit_rows(request: HttpRequest, rows: list[tuple[Enterprise, credit.CreditScore]]) -> SafeString:
    """The rows of supervision/credit/list.html. Written here rather than by a {% for %} in the
    template: a row was some twenty template nodes, most of the page's rendering. Same markup and
    escaping (every shown text through laowu/core/rows.py `esc`; the score and points are ints);
    tests/supervision/test_credit_rows.py compares them with the template's former loop."""
    if not rows:
        return SafeString('<tr><td colspan="8" class="empty">没有符合条件的企业。</td></tr>')
    html_rows: list[str] = []
    for e, s in rows:
        url = row_url(request, "supervision:credit_detail", e.pk)
        html_rows.append(
            "\n      <tr>\n"
            f'        <td><a href="{url}">{esc(e.name)}</a></td>\n'
            f'        <td class="nowrap">{esc(e.credit_code)}</td>\n'
            f'        <td class="nowrap">{esc(e.district)}</td>\n'
            f'        <td class="num"><strong>{int(s.score)}</strong></td>\n'
            f'        <td class="nowrap"><span class="credit-badge credit-grade-{esc(s.grade)}">'
            f"{esc(s.grade_label)}</span></td>\n"
            f'        <td class="num">{_signed(int(s.deductions), "−", "credit-minus")}</td>\n'
            f'        <td class="num">{_signed(int(s.additions), "+", "credit-plus")}</td>\n'
            f'        <td class="nowrap"><a href="{url}">明细</a></td>\n'
            "      </tr>\n    "
        )
    return SafeString("".join(html_rows))  # nosec B703  # every shown text escaped by esc


SEARCH_TEMPLATE = "supervision/credit/_search.html"
# The search bar as the list first shows it (no query string: the form bound to no data, so no
# value and no error), rendered once per process. Nothing in it comes from the request, the
# user, the date or the database: the fields and their choices are fixed in
# laowu/supervision/forms/credit.py and laowu/supervision/credit.py, so there is nothing to
# key by and nothing that could go stale.
_plain_search: dict[Hashable, SafeString] = {}


def _search_html(request: HttpRequest, form: CreditSearchForm) -> SafeString:
    """The search bar of `form`; without a query string the same markup on every request."""
    return bar_markup(_plain_search, SEARCH_TEMPLATE, {"form": form}, as_first_shown=not request.GET)


def _page_of(request: HttpRequest, qs: QuerySet[Enterprise]) -> tuple[Page, str]:
    """The unfiltered list's page. Every committee user's list is many pages of enterprises,
    so page 1's count is always read: with its rows it costs one statement, not two."""
    return paginate(request, qs, count_with_page=True)


@role_required(R, S)
def credit_list(request: HttpRequest) -> HttpResponse:
    form = CreditSearchForm(request.GET)
    filters = form.filters()
    rules = credit.current_rules()
    # The rows show an enterprise's name, credit code and district (`_credit_rows`): the rest
    # of it (its sealed contact phone, opened on load; its provider data) is not read.
    qs = credit.credit_enterprises(user=request.user, q=filters["q"]).only("name", "credit_code", "district__name")
    if filters["grade"] or filters["order"]:
        # Only enterprises with events can differ from the base score: they are scored,
        # the rest stay a queryset whose page is scored like the unfiltered list's.
        segments = credit.scored_segments(qs, grade=filters["grade"], order=filters["order"], rules=rules)
        page, query = paginate_segments(request, segments)
        plain = [row for row in page.object_list if isinstance(row, Enterprise)]
        scores = credit.credit_scores(plain, rules=rules)
        rows = [row if isinstance(row, tuple) else (row, scores[row.pk]) for row in page.object_list]
    else:
        # Only the page's own enterprises are scored: one query for the page, page 1's bounded
        # count in its statement (laowu/core/pagination.py `paginate`'s `count_with_page`).
        page, query = _page_of(request, qs)
        scores = credit.credit_scores(page.object_list, rules=rules)
        rows = [(e, scores[e.pk]) for e in page.object_list]
    return render(
        request,
        "supervision/credit/list.html",
        {
            "form": form,
            "search": _search_html(request, form),
            "page": page,
            "rows": rows,
            "rows_html": _credit_rows(request, rows),
            "query": query,
            "rules": rules,
        },
    )


@role_required(R, S)
def credit_export(request: HttpRequest) -> HttpResponse:
    form = CreditSearchForm(request.GET)
    filters = form.filters()
    rules = CreditRules.current()
    qs = credit.credit_enterprises(user=request.user, q=filters["q"])
    scored = credit.scored_list(qs, grade=filters["grade"], order=filters["order"], rules=rules)
    kinds = credit.EventKind
    columns: list[Column[tuple[Enterprise, credit.CreditScore]]] = [
        Column("企业名称", lambda row: row[0].name, width=30),
        Column("统一社会信用代码", lambda row: row[0].credit_code, width=20),
        Column("行政区划", lambda row: str(row[0].district), width=10),
        Column("信用分", lambda row: row[1].score, kind=Kind.NUMBER, width=8),
        Column("信用等级", lambda row: row[1].grade_label, width=8),
        Column("基础分", lambda row: row[1].base, kind=Kind.NUMBER, width=8),
        Column("不良行为扣分", lambda row: row[1].points_of(kinds.BAD_BEHAVIOUR), kind=Kind.NUMBER, width=12),
        Column("检查不合格扣分", lambda row: row[1].points_of(kinds.INSPECTION_FAIL), kind=Kind.NUMBER, width=14),
        Column("整改逾期扣分", lambda row: row[1].points_of(kinds.OVERDUE), kind=Kind.NUMBER, width=12),
        Column("获评加分", lambda row: row[1].points_of(kinds.AWARD), kind=Kind.NUMBER, width=8),
        Column("计分日期", lambda row: row[1].on, kind=Kind.DATE),
    ]

    record(action=Action.EXPORT, request=request, detail={"list": "credit", **{k: v for k, v in filters.items() if v}})
    return export_response(filename="企业信用评分.xlsx", title="企业信用评分", columns=columns, rows=scored)


def _score_context(enterprise: Enterprise, awards: Any, on: Any = None) -> dict[str, Any]:
    rules = CreditRules.current()
    return {
        "enterprise": enterprise,
        "score": credit.credit_score(enterprise, on=on, rules=rules),
        "rules": rules,
        "explained": credit.explain_rules(rules),
        "awards": awards.select_related("project").order_by("-year", "-id"),
    }


@role_required(E, R, S)
def credit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One enterprise's score with the events behind it; an enterprise is sent to its own page."""
    try:
        enterprise = enterprises_in_scope(request.user).select_related("district").get(pk=pk)
    except (Enterprise.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if is_enterprise_user(request.user):
        return redirect("supervision:my_credit")
    date_form = CreditDateForm(request.GET or None)
    awards = in_scope(request.user, Award).filter(enterprise=enterprise)
    return render(
        request,
        "supervision/credit/detail.html",
        {**_score_context(enterprise, awards, date_form.date()), "date_form": date_form},
    )


@role_required(E)
def my_credit(request: HttpRequest) -> HttpResponse:
    enterprise = request.user.enterprise  # type: ignore[union-attr]
    awards = in_scope(request.user, Award)
    return render(request, "supervision/credit/mine.html", _score_context(enterprise, awards))


@role_required(R, S)
def credit_rules(request: HttpRequest) -> HttpResponse:
    """The scoring rules: reviewers edit them, supervisors read them."""
    editable = can_edit_credit_rules(request.user)
    if request.method == "POST" and not editable:
        raise PermissionDenied("信用评分规则全省统一，只有管辖全部区划的审核员可以修改；您只能查看。")
    rules = CreditRules.current()
    form = CreditRulesForm(request.POST or None, instance=rules, readonly=not editable)
    if request.method == "POST":
        if form.is_valid():
            try:
                credit.save_rules(
                    data={name: form.cleaned_data[name] for name in credit.RULE_FIELDS},
                    actor=request.user,
                    request=request,
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, "信用评分规则已保存，所有企业的信用分即时按新规则计算。")
                return redirect("supervision:credit_rules")
        messages.error(request, "保存失败，请按提示修改标红的项目。")
    return render(
        request,
        "supervision/credit/rules.html",
        {"form": form, "rules": rules, "explained": credit.explain_rules(rules), "editable": editable},
    )


urlpatterns = [
    path("supervision/credit/", credit_list, name="credit_list"),
    path("supervision/credit/export/", credit_export, name="credit_export"),
    path("supervision/credit/rules/", credit_rules, name="credit_rules"),
    path("supervision/credit/<int:pk>/", credit_detail, name="credit_detail"),
    path("enterprise/credit/", my_credit, name="my_credit"),
]
