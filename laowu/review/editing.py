"""The owner's edit page of a filing, the same flow for every filing type.

A type's page differs in its form and in what it shows beside the form; the rest is shared:
保存 through the workflow service (under its row lock), a refusal or a success flashed and
followed by a redirect to the page itself (a reload never posts twice), or the page again
with the form's errors, around the filing's status, attachments and actions.

While the filing is editable the page is one form (`OWNER_FORM`): its 申报/提交, each slot's
上传 and each attachment's 删除 submit the fields on the screen with them, and the typed values
are saved (when they changed and are valid) before the action, so nothing typed is lost and
申报 declares what the clerk sees. With JavaScript on, laowu/static/laowu/upload.js sends files
on their own instead and the typed values stay on the screen, unsaved until 保存 or 申报.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from laowu.core.actions import run_form_action
from laowu.core.placed_messages import with_fragment

from . import services
from .models import Filing, State, Submission
from .selectors import filing_history

OWNER_FORM = "owner-form"

DECLARED = "已申报，请等待区劳务专委会审核。"
UNSAVED_NOT_DECLARED = "有未保存的修改，且填写的信息有误，未能申报。请按提示修改标红的项目后再申报。"
UNSAVED_INVALID = "页面上填写的信息有误，尚未保存，请按提示修改标红的项目后点击“保存”。"


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
        "owner_form": OWNER_FORM if filing.is_editable else "",
    }


def tell_outcome(request: HttpRequest, filing: Filing, action: Callable[..., object], done: str) -> None:
    """Run an owner's workflow action (申报, 撤回, 变更) on `filing` and flash what came of it:
    each reason 申报 is blocked, the workflow's refusal, or `done`."""
    try:
        action(filing=filing, actor=request.user, request=request)
    except services.DeclareBlocked as exc:
        for problem in exc.problems:
            messages.error(request, problem)
    except services.WorkflowError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)


def _attachment_action(request: HttpRequest, filing: Filing) -> str:
    """上传 or 删除 pressed inside the owner form (JavaScript off): store every file chosen in
    any slot, or remove one attachment of this filing. Returns the slot to come back to."""
    from laowu.documents.feedback import MSG_NO_FILE, remove_and_tell, shown_slot, tell, upload_and_tell
    from laowu.documents.permissions import access_attachment

    if "delete_attachment" in request.POST:
        attachment = access_attachment(request.user, request.POST["delete_attachment"], for_edit=True)
        if attachment.filing != filing:
            raise Http404
        return remove_and_tell(request, attachment)
    pressed = request.POST.get("upload", "")
    anchor = shown_slot(filing, pressed)
    sent = False
    for kind in filing.ATTACHMENT_KINDS:
        files = request.FILES.getlist(f"file-{kind.code}")
        if files:
            sent = True
            upload_and_tell(request, filing, kind.code, files)
            anchor = anchor or shown_slot(filing, kind.code)
    if not sent:
        tell(request, messages.ERROR, MSG_NO_FILE, anchor)
    return anchor


def edit_own_filing(
    request: HttpRequest,
    filing: Filing,
    form: forms.BaseForm,
    *,
    template: str,
    saved: str,
    context: Mapping[str, Any] | None = None,
    save: Callable[[dict[str, Any]], object] | None = None,
    skip: Collection[str] = (),
    refuse_when_locked: bool = True,
    invalid: str = "",
) -> HttpResponse:
    """The owner's page of `filing` (already accessed as the user's own), with `form` bound
    to the POST if any.

    ``saved`` is flashed after 保存; ``save`` writes the form's cleaned data except the
    ``skip`` fields (default: `services.save_fields`); ``refuse_when_locked`` refuses a POST
    to a filing not editable before validating the form (otherwise the service refuses it,
    with its own message); ``invalid`` is flashed above a form with errors; ``context`` is
    what the type's template shows besides the form and the workflow's panels.
    """
    url = filing.get_absolute_url()
    write = save or (lambda data: services.save_fields(filing=filing, data=data, actor=request.user, request=request))
    if request.method == "POST":
        if refuse_when_locked and not filing.is_editable:
            messages.error(request, f"当前状态为“{filing.state_label}”，不能修改。")
            return redirect(url)
        declaring = request.POST.get("do") == "declare"
        attaching = "upload" in request.POST or "delete_attachment" in request.POST
        if (declaring or attaching) and filing.is_editable:
            valid = form.is_valid()
            if valid and form.has_changed():
                data = {name: value for name, value in form.cleaned_data.items() if name not in skip}
                try:
                    write(data)
                except services.WorkflowError as exc:
                    messages.error(request, exc.message)
                    return redirect(url)
                filing.refresh_from_db()
            if attaching:
                anchor = _attachment_action(request, filing)
                if valid:
                    return redirect(with_fragment(url, anchor) if anchor else url)
                messages.error(request, UNSAVED_INVALID)
            elif valid:
                tell_outcome(request, filing, services.declare, DECLARED)
                return redirect(url)
            else:
                messages.error(request, UNSAVED_NOT_DECLARED)
        elif form.is_valid():
            data = {name: value for name, value in form.cleaned_data.items() if name not in skip}
            done = run_form_action(
                request,
                form,
                lambda: write(data),
                success=saved,
                then=url,
                errors=(services.WorkflowError,),
            )
            if done is not None:
                return done
            if invalid:
                messages.error(request, invalid)
        elif invalid:
            messages.error(request, invalid)
    history = filing_history(filing)
    _approved_from_history(filing, history)
    page = filing_page_context(filing)
    # The checklist's attachment kinds are those just read for the panel: no query of its own.
    present = {group["code"] for group in page["attachment_groups"] if group["attachments"]}
    return render(
        request,
        template,
        {
            **page,
            "form": form,
            "problems": services.declare_problems(filing, present_kinds=present) if filing.is_editable else [],
            "history": history,
            **(context or {}),
        },
    )


def _approved_from_history(filing: Filing, history: list[Submission]) -> None:
    """Give `filing.approved_submission` the row of it the history holds (every revision of
    the filing, the approved one among them): the page reads its id (打印) and, during a 变更,
    its revision (review/_status.html), which the history row has, rather than the whole row
    and its snapshot, opened on reading, in a query of its own."""
    field = type(filing)._meta.get_field("approved_submission")
    if filing.approved_submission_id is None or field.is_cached(filing):
        return
    for row in history:
        if row.pk == filing.approved_submission_id:
            field.set_cached_value(filing, row)
            return
