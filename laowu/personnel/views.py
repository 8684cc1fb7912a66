"""安全员归集 and 劳资专管员归集 (docs/manual.md §5.1, §5.2), and the committee's lists of all personnel."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from laowu.accounts.models import Role
from laowu.accounts.permissions import role_required
from laowu.accounts.scope import can_see_personal_data
from laowu.audit.services import Action, record
from laowu.core.actions import run_action
from laowu.core.exports import Column, export_response, field_column
from laowu.core.pagination import paginate
from laowu.core.validators import mask_id_number, mask_mobile
from laowu.review import services as workflow
from laowu.review.editing import edit_own_filing
from laowu.review.models import State
from laowu.review.permissions import access_own_filing

from . import selectors
from .forms import person_form_class
from .models import PERSON_MODELS, Person, SafetyOfficer
from .services import create_person, update_person


def _model(kind: str) -> type[Person]:
    model = PERSON_MODELS.get(kind)
    if model is None:
        raise Http404
    return model


def _list_context(request: HttpRequest, model: type[Person]) -> dict[str, Any]:
    q = request.GET.get("q", "")
    state = request.GET.get("state", "")
    # The lists show the enterprise's name only: its sealed contact phone is not read (unsealed) for them.
    people = selectors.person_list(user=request.user, model=model, q=q, state=state).defer("enterprise__contact_phone")
    page, query = paginate(request, people)
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


@role_required(Role.ENTERPRISE)
def person_list(request: HttpRequest, kind: str) -> HttpResponse:
    """Step 1: the list, with 新增 / 编辑 / 删除."""
    return render(request, "personnel/list.html", _list_context(request, _model(kind)))


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
    person = access_own_filing(request.user, model, pk)
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
    context = _list_context(request, _model(kind))
    return render(request, "personnel/committee_list.html", context)


@role_required(Role.REVIEWER, Role.SUPERVISOR)
def committee_export(request: HttpRequest, kind: str) -> HttpResponse:
    return _export(request, _model(kind), with_enterprise=True)
