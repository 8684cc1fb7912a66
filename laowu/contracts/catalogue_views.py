"""省合同归集数据导入: the committee uploads an export, previews it, then confirms.

Between preview and confirm the file waits in private storage under a random name
that only the session knows. The confirm step re-reads that stored file, so what is
imported is exactly what was previewed, and nothing the browser sends back (other
than the matching token) is trusted.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.views.decorators.http import require_POST

from laowu.accounts.models import Role
from laowu.accounts.permissions import role_required
from laowu.core.storage import is_storage_full
from laowu.documents.storage import MSG_STORAGE_FULL

from .catalogue import (
    HEADERS,
    XLSX_MAGIC,
    CatalogueImportError,
    ParseResult,
    import_catalogue,
    parse_catalogue,
    plan_catalogue,
)
from .models import CATALOGUE_FIELDS, CatalogueSource

log = logging.getLogger(__name__)

UPLOAD_DIR = "catalogue-uploads"
SESSION_KEY = "catalogue_upload"
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
PREVIEW_ROWS = 50
# A pending upload nobody confirmed (closed tab, expired session) is removed after this.
STALE_AFTER = dt.timedelta(days=1)
_TOKEN_RE = re.compile(r"^[0-9a-f]{40}$")


class CatalogueUploadForm(forms.Form):
    file = forms.FileField(
        label="导入文件",
        error_messages={"required": "请选择要导入的CSV或xlsx文件。", "empty": "所选文件为空。"},
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        name = (upload.name or "").lower()
        if not name.endswith((".csv", ".xlsx")):
            raise forms.ValidationError("只支持CSV（.csv）或Excel（.xlsx）文件。")
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"文件大小为{upload.size / 1024 / 1024:.1f}MB，超过{MAX_UPLOAD_BYTES // 1024 // 1024}MB的上限，"
                "请拆分后分批导入。"
            )
        return upload


def _path(token: str, ext: str) -> str:
    return f"{UPLOAD_DIR}/{token}.{ext}"


def _pending(request: HttpRequest) -> dict[str, str] | None:
    pending = request.session.get(SESSION_KEY)
    if (
        isinstance(pending, dict)
        and _TOKEN_RE.match(str(pending.get("token", "")))
        and pending.get("ext") in ("csv", "xlsx")
    ):
        return pending
    return None


def _discard(request: HttpRequest) -> None:
    pending = _pending(request)
    request.session.pop(SESSION_KEY, None)
    if pending is not None:
        default_storage.delete(_path(pending["token"], pending["ext"]))


def _sweep_stale() -> None:
    """Best effort: uploads left behind by sessions that ended without confirm or cancel."""
    try:
        _, files = default_storage.listdir(UPLOAD_DIR)
        limit = timezone.now() - STALE_AFTER
        for name in files:
            path = f"{UPLOAD_DIR}/{name}"
            if default_storage.get_modified_time(path) < limit:
                default_storage.delete(path)
    except (OSError, NotImplementedError):
        pass


def _render_upload(request: HttpRequest, form: CatalogueUploadForm, status: int = 200) -> HttpResponse:
    return render(
        request,
        "contracts/catalogue_upload.html",
        {"form": form, "headers": HEADERS, "max_mb": MAX_UPLOAD_BYTES // 1024 // 1024},
        status=status,
    )


def _cell(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return str(value)


def _preview_context(parsed: ParseResult, name: str) -> dict[str, Any]:
    context: dict[str, Any] = {"parsed": parsed, "name": name}
    if parsed.rows:
        plan = plan_catalogue(parsed.rows)
        statuses = plan.statuses()
        context["summary"] = plan.summary()
        context["preview_rows"] = [
            {"status": statuses.get(row["contract_no"], "unchanged"), **{f: _cell(row[f]) for f in CATALOGUE_FIELDS}}
            for row in parsed.rows[:PREVIEW_ROWS]
        ]
    context["more_rows"] = max(0, len(parsed.rows) - PREVIEW_ROWS)
    context["hidden_errors"] = parsed.error_count - len(parsed.errors)
    return context


@role_required(Role.REVIEWER)
def upload(request: HttpRequest) -> HttpResponse:
    """GET: the form. POST: read and check the file, then show the preview (nothing imported yet)."""
    if request.method != "POST":
        return _render_upload(request, CatalogueUploadForm())
    form = CatalogueUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render_upload(request, form, status=400)
    upload_file = form.cleaned_data["file"]
    name = upload_file.name
    data = upload_file.read()
    parsed = parse_catalogue(data, name)
    # A new upload replaces any earlier one still waiting for confirmation.
    _discard(request)
    context = _preview_context(parsed, name)
    if parsed.ok:
        _sweep_stale()
        token = secrets.token_hex(20)
        ext = "xlsx" if data.startswith(XLSX_MAGIC) else "csv"
        try:
            saved = default_storage.save(_path(token, ext), ContentFile(data))
        except OSError as exc:
            if not is_storage_full(exc):
                raise
            # Nothing was kept (laowu/core/storage.py): said beside the file field.
            form.add_error("file", MSG_STORAGE_FULL)
            return _render_upload(request, form)
        if saved != _path(token, ext):  # a storage that renamed it would break the confirm step
            default_storage.delete(saved)
            raise RuntimeError(f"storage renamed {_path(token, ext)} to {saved}")
        request.session[SESSION_KEY] = {"token": token, "ext": ext, "name": name[:200]}
        context["token"] = token
    return render(request, "contracts/catalogue_preview.html", context)


@require_POST
@role_required(Role.REVIEWER)
def confirm(request: HttpRequest) -> HttpResponse:
    pending = _pending(request)
    token = request.POST.get("token", "")
    if pending is None or not constant_time_compare(token, pending["token"]):
        # Another tab's upload, an expired session or a forged token: import nothing.
        messages.error(request, "该导入已失效或不是当前预览的文件，请重新上传。")
        return redirect("catalogue:upload")
    path = _path(pending["token"], pending["ext"])
    try:
        with default_storage.open(path, "rb") as fh:
            data = fh.read()
    except (FileNotFoundError, OSError):
        request.session.pop(SESSION_KEY, None)
        messages.error(request, "待导入的文件已过期，请重新上传。")
        return redirect("catalogue:upload")
    parsed = parse_catalogue(data, pending["name"])
    try:
        summary = import_catalogue(
            rows=parsed, source=CatalogueSource.IMPORT, actor=request.user, request=request, origin=pending["name"]
        )
    except CatalogueImportError as exc:
        # Still the previewed file: let the reviewer retry or cancel.
        messages.error(request, exc.message)
        context = _preview_context(parsed, pending["name"])
        if parsed.ok:
            context["token"] = pending["token"]
        return render(request, "contracts/catalogue_preview.html", context)
    _discard(request)
    messages.success(
        request,
        f"“{pending['name']}”导入完成：新增{summary.created}条，更新{summary.updated}条，{summary.unchanged}条无变化。",
    )
    return redirect("catalogue:upload")


@require_POST
@role_required(Role.REVIEWER)
def cancel(request: HttpRequest) -> HttpResponse:
    pending = _pending(request)
    _discard(request)
    if pending is not None:
        messages.info(request, f"已取消导入“{pending['name']}”，文件已删除。")
    return redirect("catalogue:upload")
