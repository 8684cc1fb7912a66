"""The committee's upload page: preview, confirm, cancel, and who may use it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from laowu.audit.models import AuditEvent
from laowu.audit.services import Action
from laowu.contracts import catalogue_views
from laowu.contracts.models import CatalogueContract
from tests.conftest import client_for
from tests.factories import StaffFactory

from .files import csv_bytes, rows, xlsx_bytes

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.contracts.urls")]

UPLOAD = "/review/catalogue/"
CONFIRM = "/review/catalogue/confirm/"
CANCEL = "/review/catalogue/cancel/"


def _upload(client: Client, data: bytes, name: str = "catalogue.csv") -> Any:
    return client.post(UPLOAD, {"file": SimpleUploadedFile(name, data)})


def _pending(client: Client) -> dict[str, str]:
    return client.session["catalogue_upload"]


def _stored(pending: dict[str, str]) -> str:
    return f"catalogue-uploads/{pending['token']}.{pending['ext']}"


def _messages(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_urls_are_where_the_project_mounts_them() -> None:
    assert reverse("catalogue:upload") == UPLOAD
    assert reverse("catalogue:confirm") == CONFIRM
    assert reverse("catalogue:cancel") == CANCEL


def test_form(reviewer: Any) -> None:
    response = client_for(reviewer).get(UPLOAD)
    assert response.status_code == 200
    html = response.content.decode()
    assert "上传并预览" in html and 'type="file"' in html
    assert "合同金额（万元）" in html


@pytest.mark.parametrize("persona", ["enterprise_a", "supervisor", "sysadmin", "auditadmin"])
def test_only_reviewers(persona: str, request: pytest.FixtureRequest) -> None:
    client = client_for(request.getfixturevalue(persona))
    assert client.get(UPLOAD).status_code == 403
    assert _upload(client, csv_bytes(rows(2))).status_code == 403
    assert client.post(CONFIRM, {"token": "0" * 40}).status_code == 403
    assert client.post(CANCEL).status_code == 403
    assert CatalogueContract.objects.count() == 0


def test_anonymous_goes_to_login() -> None:
    response = Client().get(UPLOAD)
    assert response.status_code == 302 and "/accounts/login" in response["Location"]


def test_preview_then_confirm(reviewer: Any) -> None:
    client = client_for(reviewer)
    existing = rows(60)
    client.post(CONFIRM)  # nothing pending: harmless
    _upload(client, csv_bytes(existing[:10]))
    client.post(CONFIRM, {"token": _pending(client)["token"]})
    assert CatalogueContract.objects.count() == 10

    changed = rows(60)
    changed[0]["项目名称"] = "变更后的项目名称"
    response = _upload(client, xlsx_bytes(changed), "省合同归集.xlsx")
    assert response.status_code == 200
    html = response.content.decode()
    summary = response.context["summary"]
    assert (summary.created, summary.updated, summary.unchanged) == (50, 1, 9)
    assert len(response.context["preview_rows"]) == 50
    assert [r["status"] for r in response.context["preview_rows"][:12]] == ["changed"] + ["unchanged"] * 9 + ["new"] * 2
    assert "另有10行未显示" in html and "确认导入" in html and "取消" in html
    assert "变更后的项目名称" in html
    pending = _pending(client)
    assert pending["ext"] == "xlsx" and pending["name"] == "省合同归集.xlsx"
    assert f'value="{pending["token"]}"' in html
    assert default_storage.exists(_stored(pending))
    # Nothing is written by the preview.
    assert CatalogueContract.objects.count() == 10

    response = client.post(CONFIRM, {"token": pending["token"]}, follow=True)
    assert response.redirect_chain[-1][0] == UPLOAD
    assert _messages(response) == ["“省合同归集.xlsx”导入完成：新增50条，更新1条，9条无变化。"]
    assert CatalogueContract.objects.count() == 60
    assert CatalogueContract.objects.get(contract_no="HT-2025-000001").project_name == "变更后的项目名称"
    assert "catalogue_upload" not in client.session
    assert not default_storage.exists(_stored(pending))
    event = AuditEvent.objects.filter(action=Action.CATALOGUE_IMPORT).latest("pk")
    assert event.user == reviewer and event.detail["origin"] == "省合同归集.xlsx"
    assert (event.detail["created"], event.detail["updated"], event.detail["unchanged"]) == (50, 1, 9)

    # The same confirm again (double submit, back button) imports nothing more.
    response = client.post(CONFIRM, {"token": pending["token"]}, follow=True)
    assert _messages(response) == ["该导入已失效或不是当前预览的文件，请重新上传。"]
    assert AuditEvent.objects.filter(action=Action.CATALOGUE_IMPORT).count() == 2


def test_cancel_discards_the_file(reviewer: Any) -> None:
    client = client_for(reviewer)
    _upload(client, csv_bytes(rows(3)))
    pending = _pending(client)
    response = client.post(CANCEL, follow=True)
    assert _messages(response) == ["已取消导入“catalogue.csv”，文件已删除。"]
    assert not default_storage.exists(_stored(pending))
    assert "catalogue_upload" not in client.session
    assert client.post(CONFIRM, {"token": pending["token"]}).status_code == 302
    assert CatalogueContract.objects.count() == 0


def test_a_new_upload_replaces_the_pending_one(reviewer: Any) -> None:
    client = client_for(reviewer)
    _upload(client, csv_bytes(rows(3)))
    first = _pending(client)
    _upload(client, csv_bytes(rows(4)))
    assert not default_storage.exists(_stored(first))
    client.post(CONFIRM, {"token": first["token"]})
    assert CatalogueContract.objects.count() == 0
    client.post(CONFIRM, {"token": _pending(client)["token"]})
    assert CatalogueContract.objects.count() == 4


def test_confirm_cannot_be_forged_with_another_token(reviewer: Any) -> None:
    mine, theirs = client_for(reviewer), client_for(StaffFactory(role="reviewer"))
    _upload(mine, csv_bytes(rows(2)))
    _upload(theirs, csv_bytes(rows(7, start=100)))
    their_token = _pending(theirs)["token"]

    # Another session's token names a real stored file, yet it is not this session's upload.
    response = mine.post(CONFIRM, {"token": their_token}, follow=True)
    assert _messages(response) == ["该导入已失效或不是当前预览的文件，请重新上传。"]
    for forged in ("", "0" * 40, "../../etc/passwd", _pending(mine)["token"].upper()):
        mine.post(CONFIRM, {"token": forged})
    assert CatalogueContract.objects.count() == 0
    # Neither upload was harmed by the attempts.
    assert default_storage.exists(_stored(_pending(theirs)))
    mine.post(CONFIRM, {"token": _pending(mine)["token"]})
    assert CatalogueContract.objects.count() == 2


def test_tampered_session_is_not_trusted(reviewer: Any) -> None:
    client = client_for(reviewer)
    session = client.session
    session["catalogue_upload"] = {"token": "../x", "ext": "csv", "name": "x.csv"}
    session.save()
    response = client.post(CONFIRM, {"token": "../x"}, follow=True)
    assert _messages(response) == ["该导入已失效或不是当前预览的文件，请重新上传。"]


def test_stored_file_gone(reviewer: Any) -> None:
    client = client_for(reviewer)
    _upload(client, csv_bytes(rows(2)))
    pending = _pending(client)
    default_storage.delete(_stored(pending))
    response = client.post(CONFIRM, {"token": pending["token"]}, follow=True)
    assert _messages(response) == ["待导入的文件已过期，请重新上传。"]
    assert CatalogueContract.objects.count() == 0


def test_bad_file_shows_all_errors_and_cannot_be_confirmed(reviewer: Any) -> None:
    client = client_for(reviewer)
    data = rows(4)
    data[1]["签订日期"] = "2025-02-30"
    data[2]["劳务分包单位统一社会信用代码"] = "91320507MA1XWL000D"
    data[3]["合同编号"] = data[0]["合同编号"]
    response = _upload(client, csv_bytes(data, encoding="gbk"), "bad.csv")
    assert response.status_code == 200
    html = response.content.decode()
    assert "文件中发现3处错误（涉及3行），不能导入" in html
    assert "第3行" in html and "日期不存在：2025-02-30" in html
    assert "第4行" in html and "统一社会信用代码校验位不正确" in html
    assert "第5行" in html and "与第2行重复" in html
    assert "确认导入" not in html and "重新上传" in html
    assert "catalogue_upload" not in client.session
    assert CatalogueContract.objects.count() == 0


def test_undecodable_file(reviewer: Any) -> None:
    response = _upload(client_for(reviewer), b"\x80\x81\xff\xfe" * 10)
    html = response.content.decode()
    assert "整个文件" in html and "文件编码无法识别，请使用UTF-8或GBK编码的CSV，或xlsx文件" in html
    assert "确认导入" not in html


def test_upload_form_errors(reviewer: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    client = client_for(reviewer)
    response = client.post(UPLOAD, {})
    assert response.status_code == 400 and "请选择要导入的CSV或xlsx文件。" in response.content.decode()
    response = _upload(client, b"a,b\r\n", "catalogue.txt")
    assert response.status_code == 400 and "只支持CSV（.csv）或Excel（.xlsx）文件。" in response.content.decode()
    monkeypatch.setattr(catalogue_views, "MAX_UPLOAD_BYTES", 2 * 1024 * 1024)
    response = _upload(client, csv_bytes(rows(1)) + b" " * (3 * 1024 * 1024))
    assert response.status_code == 400
    assert "文件大小为3.0MB，超过2MB的上限，请拆分后分批导入。" in response.content.decode()
    assert "catalogue_upload" not in client.session


def test_real_size_limit_is_20_mb() -> None:
    assert catalogue_views.MAX_UPLOAD_BYTES == 20 * 1024 * 1024


def test_abandoned_uploads_are_swept(reviewer: Any) -> None:
    with time_machine.travel(dt.datetime.now(dt.UTC) - dt.timedelta(days=2)):
        old = default_storage.save("catalogue-uploads/" + "a" * 40 + ".csv", ContentFile(b"x"))
    recent = default_storage.save("catalogue-uploads/" + "b" * 40 + ".csv", ContentFile(b"x"))
    _upload(client_for(reviewer), csv_bytes(rows(1)))
    assert not default_storage.exists(old)
    assert default_storage.exists(recent)
    default_storage.delete(recent)
