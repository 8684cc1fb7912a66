from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction
from django.urls import reverse

from laowu.accounts.models import Role, User
from laowu.audit.models import AuditEvent
from tests.factories import EnterpriseFactory, StaffFactory

pytestmark = pytest.mark.django_db

# Page → the only roles that may open it.
ROLE_PAGES = {
    "accounts:user_list": {Role.SYSADMIN, Role.SECADMIN},
    "accounts:staff_create": {Role.SYSADMIN},
    "accounts:lockouts": {Role.SECADMIN},
    "audit:event_list": {Role.AUDITADMIN},
    "enterprises:basic_info": {Role.ENTERPRISE},
    "contracts:list": {Role.ENTERPRISE},
    "review:queue": {Role.REVIEWER, Role.SUPERVISOR},
    "directory:enterprise_list": {Role.REVIEWER, Role.SUPERVISOR},
}


@pytest.fixture
def everyone(
    enterprise_a: Any, reviewer: Any, supervisor: Any, sysadmin: Any, secadmin: Any, auditadmin: Any
) -> dict[str, Any]:
    return {u.role: u for u in (enterprise_a, reviewer, supervisor, sysadmin, secadmin, auditadmin)}


@pytest.mark.parametrize("url_name", sorted(ROLE_PAGES))
def test_each_page_opens_for_its_roles_only(url_name: str, everyone: dict[str, Any], as_user: Any, client: Any) -> None:
    url = reverse(url_name)
    assert client.get(url).status_code == 302  # anonymous → login
    for role, user in everyone.items():
        status = as_user(user).get(url).status_code
        assert status == (200 if role in ROLE_PAGES[url_name] else 403), (role, status)


def test_forbidden_page_is_chinese(as_user: Any, enterprise_a: Any) -> None:
    resp = as_user(enterprise_a).get(reverse("audit:event_list"))
    assert resp.status_code == 403 and "无权访问" in resp.content.decode()


def test_enterprise_menu_matches_manual(as_user: Any, enterprise_a: Any) -> None:
    page = as_user(enterprise_a).get("/").content.decode()
    for label in (
        "企业信息管理",
        "基本信息归集",
        "人员信息管理",
        "安全员归集",
        "劳资专管员归集",
        "项目信息管理",
        "项目信息归集",
    ):
        assert label in page


def test_admin_homes(as_user: Any, sysadmin: Any, secadmin: Any, auditadmin: Any, reviewer: Any) -> None:
    assert as_user(sysadmin).get("/")["Location"] == reverse("accounts:user_list")
    assert as_user(secadmin).get("/")["Location"] == reverse("accounts:lockouts")
    assert as_user(auditadmin).get("/")["Location"] == reverse("audit:event_list")
    assert "区劳务专委会工作台" in as_user(reviewer).get("/").content.decode()


def test_no_superuser_and_enterprise_role_needs_enterprise(db: Any) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="root", role=Role.SYSADMIN, is_superuser=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="orphan", role=Role.ENTERPRISE)
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="rev", role=Role.REVIEWER, enterprise=EnterpriseFactory())


def test_create_staff_command(db: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("STAFF_PW", "Staff@2026x")
    out = StringIO()
    call_command("create_staff", "wangshen", role="reviewer", name="王审", password_env="STAFF_PW", stdout=out)
    user = User.objects.get(username="wangshen")
    assert user.role == Role.REVIEWER and user.check_password("Staff@2026x")
    assert [d.code for d in user.districts.all()] == ["320507"]
    assert "已创建 审核员 账号 wangshen" in out.getvalue()
    assert AuditEvent.objects.filter(action="account.staff_create", object_id=str(user.pk)).exists()
    with pytest.raises(CommandError, match="已存在"):
        call_command("create_staff", "wangshen", role="supervisor", name="重复", password_env="STAFF_PW")
    monkeypatch.setenv("WEAK", "password")
    with pytest.raises(CommandError, match=r"三类|常见"):
        call_command("create_staff", "weak", role="supervisor", name="弱", password_env="WEAK")
    with pytest.raises(CommandError):
        call_command("create_staff", "ent", role="enterprise", name="企业", password_env="STAFF_PW")


def test_sysadmin_creates_staff_and_toggles_accounts(as_user: Any, sysadmin: Any, enterprise_a: Any) -> None:
    c = as_user(sysadmin)
    resp = c.post(
        reverse("accounts:staff_create"),
        {
            "username": "lishen",
            "display_name": "李审",
            "role": "supervisor",
            "phone": "",
            "password1": "Staff@2026x",
            "password2": "Staff@2026x",
        },
    )
    assert resp.status_code == 302
    assert User.objects.get(username="lishen").role == Role.SUPERVISOR
    resp = c.post(
        reverse("accounts:staff_create"),
        {
            "username": "qiye",
            "display_name": "x",
            "role": "enterprise",
            "password1": "Staff@2026x",
            "password2": "Staff@2026x",
        },
    )
    assert resp.status_code == 200 and "qiye" not in [u.username for u in User.objects.all()]
    listing = c.get(reverse("accounts:user_list"), {"q": "lishen"}).content.decode()
    assert "李审" in listing and enterprise_a.username not in listing
    c.post(reverse("accounts:user_set_active", args=[enterprise_a.pk]), {"active": "0"})
    enterprise_a.refresh_from_db()
    assert enterprise_a.is_active is False
    assert AuditEvent.objects.filter(action="account.set_active", object_id=str(enterprise_a.pk)).exists()
    # A disabled account cannot log in.
    from django.test import Client

    resp = Client().post(
        "/accounts/login/",
        {"username": enterprise_a.username, "password": "Laowu@2026", "captcha_0": "k", "captcha_1": "PASSED"},
    )
    assert resp.status_code == 200
    # Nor can the sysadmin disable themself.
    c.post(reverse("accounts:user_set_active", args=[sysadmin.pk]), {"active": "0"})
    sysadmin.refresh_from_db()
    assert sysadmin.is_active


def test_secadmin_sees_and_lifts_lockouts(as_user: Any, secadmin: Any, enterprise_a: Any) -> None:
    from django.test import Client

    attacker = Client(REMOTE_ADDR="10.9.9.9")
    for _ in range(5):
        attacker.post(
            "/accounts/login/",
            {"username": enterprise_a.username, "password": "x", "captcha_0": "k", "captcha_1": "PASSED"},
        )
    c = as_user(secadmin)
    page = c.get(reverse("accounts:lockouts")).content.decode()
    assert enterprise_a.username in page and "10.9.9.9" in page
    c.post(reverse("accounts:unlock"), {"username": enterprise_a.username, "ip_address": "10.9.9.9"})
    assert "当前没有被锁定" in c.get(reverse("accounts:lockouts")).content.decode()
    resp = Client().post(
        "/accounts/login/",
        {"username": enterprise_a.username, "password": "Laowu@2026", "captcha_0": "k", "captcha_1": "PASSED"},
    )
    assert resp.status_code == 302
    assert AuditEvent.objects.filter(action="account.unlock", user=secadmin).exists()


def test_staff_roles_are_single_valued(db: Any) -> None:
    user = StaffFactory(role=Role.SYSADMIN)
    # One role field: holding two admin roles is unrepresentable.
    assert isinstance(user.role, str) and user.role in Role.values


def test_sysadmin_cannot_create_or_disable_admin_roles(
    as_user: Any, sysadmin: Any, secadmin: Any, auditadmin: Any, reviewer: Any
) -> None:
    # 三员分立: the 系统管理员 must not make, nor silence, the admins who watch each other.
    c = as_user(sysadmin)
    form_page = c.get(reverse("accounts:staff_create")).content.decode()
    assert 'value="reviewer"' in form_page and 'value="supervisor"' in form_page
    for role in ("sysadmin", "secadmin", "auditadmin"):
        assert f'value="{role}"' not in form_page
    for role in ("sysadmin", "secadmin", "auditadmin"):
        resp = c.post(
            reverse("accounts:staff_create"),
            {
                "username": f"my{role}",
                "display_name": "x",
                "role": role,
                "phone": "",
                "password1": "Staff@2026x",
                "password2": "Staff@2026x",
            },
        )
        assert resp.status_code == 200
        assert "只能由服务器运维人员在服务器控制台使用 create_staff 命令创建" in resp.content.decode()
        assert not User.objects.filter(username=f"my{role}").exists()
        refused = AuditEvent.objects.get(action="account.staff_create", detail__role=role)
        assert refused.result == "failure" and refused.user == sysadmin and refused.detail["username"] == f"my{role}"

    other_sysadmin = StaffFactory(role=Role.SYSADMIN, username="sysadmin2")
    listing = c.get(reverse("accounts:user_list")).content.decode()
    assert "控制台管理" in listing
    assert reverse("accounts:user_set_active", args=[auditadmin.pk]) not in listing
    assert reverse("accounts:user_set_active", args=[reviewer.pk]) in listing
    for admin in (secadmin, auditadmin, other_sysadmin):
        resp = c.post(reverse("accounts:user_set_active", args=[admin.pk]), {"active": "0"}, follow=True)
        assert "只能由服务器运维人员在服务器控制台使用 set_account_active 命令启用或停用" in resp.content.decode()
        admin.refresh_from_db()
        assert admin.is_active
        refused = AuditEvent.objects.get(action="account.set_active", object_id=str(admin.pk))
        assert refused.result == "failure" and refused.user == sysadmin
    # Committee accounts stay the 系统管理员's to manage.
    c.post(reverse("accounts:user_set_active", args=[reviewer.pk]), {"active": "0"})
    reviewer.refresh_from_db()
    assert reviewer.is_active is False


def test_admin_accounts_are_managed_on_the_console(db: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("STAFF_PW", "Staff@2026x")
    out = StringIO()
    call_command("create_staff", "shenji2", role="auditadmin", name="审计二", password_env="STAFF_PW", stdout=out)
    admin = User.objects.get(username="shenji2")
    assert admin.role == Role.AUDITADMIN
    call_command("set_account_active", "shenji2", "--disable", stdout=out)
    admin.refresh_from_db()
    assert admin.is_active is False and "账号 shenji2 已停用" in out.getvalue()
    event = AuditEvent.objects.get(action="account.set_active", object_id=str(admin.pk))
    assert event.username == "manage.py" and event.user is None and event.detail == {"active": False}
    call_command("set_account_active", "shenji2", "--enable", stdout=out)
    admin.refresh_from_db()
    assert admin.is_active
    with pytest.raises(CommandError, match="不存在"):
        call_command("set_account_active", "nobody", "--enable")
