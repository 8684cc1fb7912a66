"""帮助: the manual's steps in order and the committee's contact, for anyone, linked from the login page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

HELP = reverse("workspace:help")
# The manual's button labels, word for word (docs/manual.md).
MANUAL_WORDS = (
    "用户注册",
    "忘记密码",
    "基本信息归集",
    "“选择”",
    "“上传”",
    "“申报”",
    "“撤回”",
    "“打印”",
    "“新增”",
    "“编辑”",
    "“删除”",
    "“保存”",
    "“提交”",
    "“选择项目”",
    "“打印PDF”",
)


def test_anyone_can_read_it_from_the_login_page(settings: Any) -> None:
    settings.LAOWU_COMMITTEE_CONTACT_NAME = "周老师"
    settings.LAOWU_COMMITTEE_CONTACT_PHONE = "0512-65001234"
    login = Client().get(reverse("accounts:login")).content.decode()
    assert f'href="{HELP}"' in login

    response = Client().get(HELP)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="sidebar"' not in html  # the public layout, with the way back to login
    page = re.sub(r"<[^>]+>", "", html)
    for word in MANUAL_WORDS:
        assert word in page, word
    # The order of the steps, in that order.
    order = [
        page.index(s) for s in ("一、办理顺序", "三、基本信息归集", "四、安全员、劳资专管员归集", "五、项目信息归集")
    ]
    assert order == sorted(order)
    assert "基本信息审核通过后才能“提交”人员" in page
    assert "只能选择已审核通过的人员" in page
    assert "如有疑问请联系区劳务专委会：周老师 0512-65001234" in page
    assert 'href="tel:051265001234"' in html


@pytest.mark.parametrize("persona", ["enterprise_a", "reviewer", "auditadmin"])
def test_signed_in_it_opens_in_the_workspace(persona: str, request: pytest.FixtureRequest, as_user: Any) -> None:
    html = as_user(request.getfixturevalue(persona)).get(HELP).content.decode()
    assert 'class="sidebar"' in html
    assert re.search(r'class="side-item active" href="/help/"( aria-current="page")?>帮助</a>', html)


def test_without_a_phone_the_contact_names_the_office(settings: Any) -> None:
    settings.LAOWU_COMMITTEE_CONTACT_PHONE = ""
    page = Client().get(HELP).content.decode()
    assert "如有疑问请联系区劳务专委会：专委会办公室</p>" in page and "tel:" not in page
