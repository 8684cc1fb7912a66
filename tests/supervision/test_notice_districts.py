"""通知公告 and 信用评分规则 by district: a district's reviewers manage its notices only; an
account over every district publishes to all and edits the (province-wide) scoring rules."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse

from laowu.accounts.models import District
from laowu.documents.models import Attachment
from laowu.supervision import notices
from laowu.supervision.models import CreditRules, Notice
from tests.conftest import client_for
from tests.factories import DistrictFactory, EnterpriseFactory, EnterpriseUserFactory, StaffFactory, make_pdf_bytes

pytestmark = pytest.mark.django_db

RULES = reverse("supervision:credit_rules")


@pytest.fixture
def world(db: Any) -> dict[str, Any]:
    xc = DistrictFactory()  # 相城区, the default
    wz = District.objects.create(code="320506", name="吴中区")
    return {
        "xc": xc,
        "wz": wz,
        "xc_reviewer": StaffFactory(role="reviewer", username="xc", districts=[xc]),
        "wz_reviewer": StaffFactory(role="reviewer", username="wz", districts=[wz]),
        "province": StaffFactory(role="reviewer", username="sheng", districts=[xc, wz]),
    }


def client_of(user: Any) -> Client:
    return client_for(user)  # signed in, the second factor passed where the role needs it


def _new(client: Client, district: Any, title: str = "相城区劳务企业年度核查通知") -> Any:
    data = {"title": title, "body": "请于5月底前完成。", "district": district.pk if district else ""}
    return client.post(reverse("supervision:notice_new"), data)


def test_another_districts_reviewer_cannot_touch_a_notice(world: dict[str, Any]) -> None:
    xc, wz = client_of(world["xc_reviewer"]), client_of(world["wz_reviewer"])
    assert _new(xc, world["xc"]).status_code == 302
    notice = Notice.objects.get()
    assert notice.district == world["xc"]
    xc.post(reverse("supervision:notice_publish", args=[notice.pk]))
    assert Notice.objects.get().is_published
    # 吴中's reviewer: not in the list, and every page or button answers "not found".
    assert notice.title not in wz.get(reverse("supervision:notice_list")).content.decode()
    assert wz.get(reverse("supervision:notice_edit", args=[notice.pk])).status_code == 404
    for action in ("notice_unpublish", "notice_delete", "notice_publish"):
        assert wz.post(reverse(f"supervision:{action}", args=[notice.pk])).status_code == 404, action
    edit = {"title": "改了", "body": "x", "district": world["wz"].pk}
    assert wz.post(reverse("supervision:notice_edit", args=[notice.pk]), edit).status_code == 404
    notice.refresh_from_db()
    assert notice.is_published and notice.title == "相城区劳务企业年度核查通知"
    assert notice.title in xc.get(reverse("supervision:notice_list")).content.decode()


def test_a_district_reviewer_publishes_only_to_their_own_district(world: dict[str, Any]) -> None:
    xc = client_of(world["xc_reviewer"])
    form = xc.get(reverse("supervision:notice_new")).context["form"]
    assert list(form.fields["district"].queryset) == [world["xc"]]
    assert "全部区划" not in xc.get(reverse("supervision:notice_new")).content.decode()  # no such option
    for forged in (world["wz"], None):
        resp = _new(xc, forged)
        assert resp.status_code == 200 and "district" in resp.context["form"].errors
    assert not Notice.objects.exists()


def test_province_wide_account_publishes_to_all_and_manages_every_notice(world: dict[str, Any]) -> None:
    province, xc = client_of(world["province"]), client_of(world["xc_reviewer"])
    assert "全部区划" in province.get(reverse("supervision:notice_new")).content.decode()
    assert _new(province, None, title="全省通知").status_code == 302
    everywhere = Notice.objects.get(title="全省通知")
    assert everywhere.district is None and everywhere.scope_label == "全部区划"
    # A district's reviewer cannot change a province-wide notice.
    assert xc.get(reverse("supervision:notice_edit", args=[everywhere.pk])).status_code == 404
    _new(xc, world["xc"], title="相城通知")
    mine = Notice.objects.get(title="相城通知")
    listing = province.get(reverse("supervision:notice_list")).content.decode()
    assert "全省通知" in listing and "相城通知" in listing
    assert province.post(reverse("supervision:notice_publish", args=[mine.pk])).status_code == 302
    assert province.post(reverse("supervision:notice_unpublish", args=[mine.pk])).status_code == 302


def test_enterprise_home_shows_its_district_and_province_wide_notices(world: dict[str, Any]) -> None:
    def published(title: str, district: Any, actor: Any) -> None:
        n = notices.create_notice(data={"title": title, "body": "正文", "district": district}, actor=actor)
        notices.publish_notice(notice=n, actor=actor)

    published("相城通知", world["xc"], world["xc_reviewer"])
    published("吴中通知", world["wz"], world["wz_reviewer"])
    published("全省通知", None, world["province"])
    wz_enterprise = EnterpriseUserFactory(enterprise=EnterpriseFactory(district=world["wz"]))
    home = client_of(wz_enterprise).get("/").content.decode()
    assert "吴中通知" in home and "全省通知" in home and "相城通知" not in home
    # Public pages and the login page show every published notice.
    public = Client().get(reverse("supervision:notice_public_list")).content.decode()
    assert all(t in public for t in ("相城通知", "吴中通知", "全省通知"))


def test_draft_attachments_stay_with_their_districts_reviewers(world: dict[str, Any]) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    xc, wz = client_of(world["xc_reviewer"]), client_of(world["wz_reviewer"])
    _new(xc, world["xc"])
    notice = Notice.objects.get()
    pdf = SimpleUploadedFile("通知.pdf", make_pdf_bytes(), content_type="application/pdf")
    xc.post(reverse("documents:upload", args=["notice", notice.pk]), {"kind": "file", "file": pdf})
    attachment = Attachment.objects.get()
    url = reverse("documents:attachment", args=[attachment.pk])
    assert xc.get(url).status_code == 200
    assert wz.get(url).status_code == 404


def test_credit_rules_are_edited_only_over_every_district(world: dict[str, Any]) -> None:
    from laowu.supervision.credit import RULE_FIELDS

    rules = CreditRules.current()
    data = {**{f: getattr(rules, f) for f in RULE_FIELDS}, "base_score": 90}
    xc = client_of(world["xc_reviewer"])
    page = xc.get(RULES).content.decode()
    assert "全省统一" in page and ">保存</button>" not in page
    assert xc.post(RULES, data).status_code == 403
    assert CreditRules.current().base_score == 100
    assert client_of(world["province"]).post(RULES, data).status_code == 302
    assert CreditRules.current().base_score == 90


def test_migration_gives_old_notices_their_authors_district(world: dict[str, Any]) -> None:
    old = notices.create_notice(data={"title": "旧通知", "body": "正文"}, actor=world["wz_reviewer"])
    orphan = notices.create_notice(data={"title": "无作者区划", "body": "正文"}, actor=world["province"])
    world["province"].districts.clear()
    Notice.objects.update(district=None)
    migration = importlib.import_module("laowu.supervision.migrations.0005_notice_district")
    migration.assign_existing_notices(apps, None)
    assert Notice.objects.get(pk=old.pk).district == world["wz"]
    assert Notice.objects.get(pk=orphan.pk).district == world["xc"]
