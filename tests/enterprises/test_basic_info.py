"""基本信息归集 over HTTP (docs/manual.md §4.1): provider-confirmed fields, required attachments at
申报, and the attachment list's rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

import lxml.html
import pytest
from django.contrib.messages import get_messages
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone

from laowu.documents.services import remove_attachment
from laowu.enterprises.models import PROVIDER_FIELDS, BasicInfo
from laowu.enterprises.services import ensure_basic_info
from laowu.review.models import State, Submission
from tests.factories import EnterpriseFactory, EnterpriseUserFactory

pytestmark = pytest.mark.django_db

PAGE = reverse("enterprises:basic_info")


def form_data(info: BasicInfo, **changes: str) -> dict[str, str]:
    """The form as the browser posts it (disabled fields are not sent, so neither are they here)."""
    data = {}
    for name in info.SNAPSHOT_FIELDS:
        value = getattr(info, name)
        data[name] = value.isoformat() if isinstance(value, dt.date) else ("" if value is None else str(value))
    data.update(changes)
    return data


def disabled_fields(page: str) -> set[str]:
    doc = lxml.html.fromstring(page)
    return {el.get("name") for el in doc.xpath("//form//*[@name][@disabled]")}


def by_class(el: Any, cls: str, tag: str = "*") -> list[Any]:
    return el.xpath(f".//{tag}[contains(concat(' ', normalize-space(@class), ' '), ' {cls} ')]")


def messages_of(resp: Any) -> list[str]:
    return [str(m) for m in get_messages(resp.wsgi_request)]


def test_confirmed_fields_read_only_and_forged_values_ignored(as_user: Any, enterprise_a: Any) -> None:
    c = as_user(enterprise_a)
    page = c.get(PAGE).content.decode()
    info = BasicInfo.objects.get(enterprise=enterprise_a.enterprise)
    disabled = disabled_fields(page)
    # The provider gave these: shown, marked 天眼查, not editable.
    assert {"name", "credit_code", "legal_representative", "registered_address"} <= disabled
    # It did not give 营业期限至 (无固定期限): the enterprise fills it in. Supplementary fields are open.
    assert "business_term_to" not in disabled and "office_address" not in disabled
    original = (info.name, info.legal_representative, info.credit_code)
    # A forged POST sending the disabled fields anyway changes none of them.
    resp = c.post(
        PAGE,
        form_data(
            info,
            name="篡改劳务有限公司",
            legal_representative="李四",
            credit_code="91320507MA0000000X",
            business_term_to="2040-01-01",
            office_address="苏州市相城区新址8号",
        ),
    )
    assert resp.status_code == 302 and "已保存" in " ".join(messages_of(resp))
    info.refresh_from_db()
    assert (info.name, info.legal_representative, info.credit_code) == original
    assert info.business_term_to == dt.date(2040, 1, 1) and info.office_address == "苏州市相城区新址8号"


def test_unconfirmed_enterprise_edits_everything_but_the_credit_code(as_user: Any) -> None:
    user = EnterpriseUserFactory(enterprise=EnterpriseFactory(provider_confirmed=False, provider_data={}))
    c = as_user(user)
    page = c.get(PAGE).content.decode()
    assert disabled_fields(page) == {"credit_code"}
    assert "未能从天眼查获取企业登记信息" in page and 'class="source-tag"' not in page.split("第1步", 1)[1]
    info = BasicInfo.objects.get(enterprise=user.enterprise)
    changes = {
        "name": "苏州自填劳务有限公司",
        "legal_representative": "王自填",
        "registered_capital": "300万人民币",
        "established_date": "2018-05-20",
        "registered_address": "苏州市相城区自填路1号",
        "business_term_from": "2018-05-20",
        "credit_code": "91320507MA0000000X",
    }
    resp = c.post(PAGE, form_data(info, **changes))
    assert resp.status_code == 302
    info.refresh_from_db()
    assert info.name == "苏州自填劳务有限公司" and info.legal_representative == "王自填"
    assert info.registered_capital == "300万人民币" and info.established_date == dt.date(2018, 5, 20)
    assert info.registered_address == "苏州市相城区自填路1号"
    assert info.credit_code == user.enterprise.credit_code  # the account's identity stays
    assert info.provider_fields() == frozenset()


@pytest.mark.parametrize(
    ("kind", "label"),
    [("business_license", "营业执照"), ("qualification", "施工劳务资质证书"), ("safety_license", "安全生产许可证")],
)
def test_declare_names_each_missing_required_attachment(
    kind: str, label: str, filing_in_state: Any, as_user: Any, enterprise_a: Any
) -> None:
    info = filing_in_state(State.DRAFT)
    for attachment in info.attachments.filter(kind=kind):
        remove_attachment(attachment=attachment, actor=enterprise_a)
    c = as_user(enterprise_a)
    resp = c.post(reverse("review:owner_action", args=["basic_info", info.pk, "declare"]))
    assert resp.status_code == 302
    assert messages_of(resp) == [f"请上传{label}"]
    info.refresh_from_db()
    assert info.state == State.DRAFT and not Submission.objects.exists()
    # The page's checklist says the same before anyone clicks 申报.
    assert f"请上传{label}" in c.get(PAGE).content.decode()


def test_declare_succeeds_with_only_the_optional_attachment_missing(
    filing_in_state: Any, as_user: Any, enterprise_a: Any
) -> None:
    info = filing_in_state(State.DRAFT)
    assert not info.attachments.filter(kind="other").exists()
    resp = as_user(enterprise_a).post(reverse("review:owner_action", args=["basic_info", info.pk, "declare"]))
    assert messages_of(resp) == ["已申报，请等待区劳务专委会审核。"]
    info.refresh_from_db()
    assert info.state == State.DECLARED
    assert {a["kind"] for a in info.pending_submission.snapshot["attachments"]} == {
        "business_license",
        "qualification",
        "safety_license",
    }


def test_attachment_row_shows_name_size_time_view_and_delete(
    filing_in_state: Any, as_user: Any, enterprise_a: Any
) -> None:
    info = filing_in_state(State.DRAFT)
    attachment = info.attachments.select_related("blob").get(kind="business_license")
    doc = lxml.html.fromstring(as_user(enterprise_a).get(PAGE).content.decode())
    [table] = by_class(doc, "attach-table", "table")
    [row] = [r for r in table.xpath("./tbody/tr") if "营业执照" in r.xpath("./td")[0].text_content()]
    [item] = by_class(row, "attach-item")
    assert by_class(item, "attach-name")[0].text_content() == attachment.original_name == "营业执照.pdf"
    uploaded = timezone.localtime(attachment.uploaded_at).strftime("%Y-%m-%d %H:%M")
    meta = by_class(item, "attach-meta")[0].text_content()
    assert meta == f"{filesizeformat(attachment.blob.size)} · {uploaded}"
    [view] = [a for a in item.xpath(".//a") if a.text_content() == "查看"]
    assert view.get("href") == reverse("documents:attachment", args=[attachment.pk])
    # 删除 submits the page's own form, with whatever was typed on it (laowu/review/editing.py).
    [delete] = item.xpath(".//button")
    assert delete.get("form") == "owner-form" and delete.text_content() == "删除"
    assert delete.get("name") == "delete_attachment" and delete.get("value") == str(attachment.pk)
    assert delete.get("data-confirm") == "确定删除附件“营业执照.pdf”吗？"
    # The row's upload form posts to this filing's slot.
    [upload] = by_class(row, "upload-form", "form")
    assert upload.get("action") == reverse("documents:upload", args=["basic_info", info.pk])
    assert upload.xpath(".//input[@name='kind']")[0].get("value") == "business_license"


def test_approved_attachment_rows_can_be_viewed_not_deleted(
    filing_in_state: Any, as_user: Any, enterprise_a: Any
) -> None:
    info = filing_in_state(State.APPROVED)
    doc = lxml.html.fromstring(as_user(enterprise_a).get(PAGE).content.decode())
    items = by_class(doc, "attach-item")
    assert len(items) == info.attachments.count() == 3
    for item in items:
        assert [a.text_content() for a in item.xpath(".//a")] == ["查看"]
        assert not item.xpath(".//form") and not item.xpath(".//button")
    assert not by_class(doc, "upload-form", "form")


def test_provider_fields_follow_the_provider_data(enterprise_a: Any) -> None:
    info = ensure_basic_info(enterprise=enterprise_a.enterprise)
    given = {f for f in PROVIDER_FIELDS if enterprise_a.enterprise.provider_data.get(f)}
    assert info.provider_fields() == given and "business_term_to" not in given
    assert info.readonly_fields() == given | {"credit_code"}
