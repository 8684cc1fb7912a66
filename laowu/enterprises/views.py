from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from laowu.accounts.models import Role
from laowu.accounts.permissions import role_required
from laowu.review import selectors as review_selectors
from laowu.review.services import WorkflowError, declare_problems, save_fields
from laowu.review.views import filing_page_context

from .forms import BasicInfoForm
from .models import SUPPLEMENT_FIELDS
from .services import ensure_basic_info


@role_required(Role.ENTERPRISE)
def basic_info(request: HttpRequest) -> HttpResponse:
    """基本信息归集 (manual §4.1): confirm the provider's data, complete it, attach, 申报."""
    info = ensure_basic_info(enterprise=request.user.enterprise)  # type: ignore[union-attr]
    readonly = info.readonly_fields() if info.is_editable else frozenset(info.SNAPSHOT_FIELDS)
    form = BasicInfoForm(request.POST or None, instance=info, readonly=readonly)
    if request.method == "POST":
        if form.is_valid():
            data = {name: form.cleaned_data[name] for name in form.fields if name not in readonly}
            try:
                save_fields(filing=info, data=data, actor=request.user, request=request)
            except WorkflowError as exc:
                messages.error(request, exc.message)
                return redirect("enterprises:basic_info")
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, "已保存。附件上传完整后，请点击“申报”。")
                return redirect("enterprises:basic_info")
        messages.error(request, "保存失败，请按提示修改标红的项目。")
    provider_names = [f for f in form.visible_fields() if f.name not in SUPPLEMENT_FIELDS]
    supplement = [f for f in form.visible_fields() if f.name in SUPPLEMENT_FIELDS]
    return render(
        request,
        "enterprises/basic_info.html",
        {
            **filing_page_context(info),
            "form": form,
            "provider_fields": provider_names,
            "supplement_fields": supplement,
            "confirmed": info.provider_fields(),
            "problems": declare_problems(info) if info.is_editable else [],
            "history": review_selectors.history(info),
        },
    )
