"""The owner's page of the test type: the form, and around it what every filing page shows."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from laowu.accounts.models import Role
from laowu.accounts.permissions import role_required
from laowu.review.editing import edit_own_filing
from laowu.review.permissions import access_own_filing

from .forms import PermitForm
from .models import Permit
from .services import create_permit


@role_required(Role.ENTERPRISE)
def permit_new(request: HttpRequest) -> HttpResponse:
    form = PermitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            permit = create_permit(
                enterprise=request.user.enterprise,  # type: ignore[union-attr]
                data=form.cleaned_data,
                actor=request.user,
                request=request,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "已保存。请上传附件，然后点击“申报”。")
            return redirect(permit.get_absolute_url())
    return render(request, "minimal_filing/edit.html", {"form": form, "filing": None})


@role_required(Role.ENTERPRISE)
def permit_edit(request: HttpRequest, pk: int) -> HttpResponse:
    permit = access_own_filing(request.user, Permit, pk)
    form = PermitForm(request.POST or None, instance=permit, editable=permit.is_editable)
    return edit_own_filing(request, permit, form, template="minimal_filing/edit.html", saved="已保存。")
