from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from laowu.accounts.models import Role
from laowu.accounts.permissions import role_required
from laowu.review.editing import edit_own_filing
from laowu.review.services import WorkflowError

from .forms import BasicInfoForm
from .models import SUPPLEMENT_FIELDS
from .services import own_basic_info, refresh_from_provider


@role_required(Role.ENTERPRISE)
def basic_info(request: HttpRequest) -> HttpResponse:
    """基本信息归集 (docs/manual.md §4.1): confirm the provider's data, complete it, attach, 申报."""
    info = own_basic_info(request.user)
    readonly = info.readonly_fields() if info.is_editable else frozenset(info.SNAPSHOT_FIELDS)
    form = BasicInfoForm(request.POST or None, instance=info, readonly=readonly)
    return edit_own_filing(
        request,
        info,
        form,
        template="enterprises/basic_info.html",
        saved="已保存。附件上传完整后，请点击“申报”。",
        skip=readonly,
        # Not editable, every field is read-only and the service refuses the 保存, saying how
        # to make the record editable again.
        refuse_when_locked=False,
        invalid="保存失败，请按提示修改标红的项目。",
        context={
            "provider_fields": [f for f in form.visible_fields() if f.name not in SUPPLEMENT_FIELDS],
            "supplement_fields": [f for f in form.visible_fields() if f.name in SUPPLEMENT_FIELDS],
            "confirmed": info.provider_fields(),
        },
    )


@require_POST
@role_required(Role.ENTERPRISE)
def provider_refresh(request: HttpRequest) -> HttpResponse:
    """重新从天眼查获取, offered on 基本信息归集 while the registered data is not confirmed."""
    enterprise = request.user.enterprise  # type: ignore[union-attr]
    try:
        text = refresh_from_provider(enterprise=enterprise, actor=request.user, request=request)
    except WorkflowError as exc:
        messages.error(request, exc.message)
    else:
        (messages.success if enterprise.provider_confirmed else messages.warning)(request, text)
    return redirect("enterprises:basic_info")
