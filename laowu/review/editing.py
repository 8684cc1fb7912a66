"""The owner's edit page of a filing, the same flow for every filing type.

A type's page differs in its form and in what it shows beside the form; the rest is shared:
保存 through the workflow service (under its row lock), a refusal or a success flashed and
followed by a redirect to the page itself (a reload never posts twice), or the page again
with the form's errors, around the filing's status, attachments and actions.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from laowu.core.actions import run_form_action

from . import services
from .models import Filing, State
from .selectors import history


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
        if form.is_valid():
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
    return render(
        request,
        template,
        {
            **filing_page_context(filing),
            "form": form,
            "problems": services.declare_problems(filing) if filing.is_editable else [],
            "history": history(filing),
            **(context or {}),
        },
    )
