"""The workspace menus, one per role, in the manual's words.

The menu is also the list of what each role may open: `permissions.role_required`
on each view is the enforcement, this module only decides what is shown.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

from django.template.loader import render_to_string
from django.urls import get_script_prefix, get_urlconf, reverse

from laowu.accounts.models import Role


@dataclasses.dataclass(frozen=True)
class Item:
    label: str
    url_name: str
    args: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class Group:
    label: str
    items: tuple[Item, ...]


E, R, S = Role.ENTERPRISE, Role.REVIEWER, Role.SUPERVISOR
# Every role's menu ends with it: the order of the steps and whom to ask.
HELP = Group("使用帮助", (Item("帮助", "workspace:help"),))
ACCOUNT_SETTINGS = Group(
    "账号设置", (Item("修改密码", "accounts:password_change"), Item("动态验证码", "accounts:otp_settings"))
)

MENUS: dict[str, tuple[Group, ...]] = {
    E: (
        Group("企业信息管理", (Item("基本信息归集", "enterprises:basic_info"),)),
        Group(
            "人员信息管理",
            (
                Item("安全员归集", "personnel:list", ("safety",)),
                Item("劳资专管员归集", "personnel:list", ("wage",)),
            ),
        ),
        Group("项目信息管理", (Item("项目信息归集", "contracts:list"),)),
        Group(
            "监管信息",
            (
                Item("现场检查整改", "supervision:inspection_list"),
                Item("不良行为记录", "supervision:bad_behaviour_list"),
                Item("信用评分", "supervision:my_credit"),
                Item("证照到期提醒", "supervision:expiry_list"),
                Item("站内消息", "supervision:messages"),
                Item("通知公告", "supervision:notice_public_list"),
            ),
        ),
        ACCOUNT_SETTINGS,
        HELP,
    ),
    R: (
        Group(
            "审核管理",
            (
                Item("待审核", "review:queue"),
                Item("企业列表", "directory:enterprise_list"),
                Item("安全员", "personnel:committee_list", ("safety",)),
                Item("劳资专管员", "personnel:committee_list", ("wage",)),
                Item("项目信息", "contracts:committee_list"),
                Item("合同归集导入", "catalogue:upload"),
            ),
        ),
        Group(
            "行业监管",
            (
                Item("不良行为公示", "supervision:bad_behaviour_list"),
                Item("现场检查", "supervision:inspection_list"),
                Item("评优创先", "supervision:award_list"),
                Item("信用评分", "supervision:credit_list"),
                Item("证照到期提醒", "supervision:expiry_list"),
                Item("通知公告", "supervision:notice_list"),
                Item("统计分析", "supervision:statistics"),
            ),
        ),
        ACCOUNT_SETTINGS,
        HELP,
    ),
    S: (
        Group(
            "监管查询",
            (
                Item("申报查询", "review:queue"),
                Item("企业列表", "directory:enterprise_list"),
                Item("安全员", "personnel:committee_list", ("safety",)),
                Item("劳资专管员", "personnel:committee_list", ("wage",)),
                Item("项目信息", "contracts:committee_list"),
            ),
        ),
        Group(
            "行业监管",
            (
                Item("不良行为公示", "supervision:bad_behaviour_list"),
                Item("现场检查", "supervision:inspection_list"),
                Item("评优创先", "supervision:award_list"),
                Item("信用评分", "supervision:credit_list"),
                Item("证照到期提醒", "supervision:expiry_list"),
                Item("统计分析", "supervision:statistics"),
            ),
        ),
        ACCOUNT_SETTINGS,
        HELP,
    ),
    Role.SYSADMIN: (
        Group(
            "系统管理",
            (
                Item("账号管理", "accounts:user_list"),
                Item("新建工作人员", "accounts:staff_create"),
                Item("短信发送记录", "accounts:sms_list"),
            ),
        ),
        ACCOUNT_SETTINGS,
        HELP,
    ),
    Role.SECADMIN: (
        Group("安全管理", (Item("登录锁定", "accounts:lockouts"), Item("账号管理", "accounts:user_list"))),
        ACCOUNT_SETTINGS,
        HELP,
    ),
    Role.AUDITADMIN: (
        Group("审计管理", (Item("审计日志", "audit:event_list"),)),
        ACCOUNT_SETTINGS,
        HELP,
    ),
}


@functools.lru_cache(maxsize=64)
def _linked(role: str, prefix: str, urlconf: str | None) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """The role's menu with its links: fixed for a URL configuration and script prefix, so the
    twenty-odd `reverse` calls are made once per process instead of on every page."""
    return tuple(
        (group.label, tuple((i.label, reverse(i.url_name, args=i.args, urlconf=urlconf)) for i in group.items))
        for group in MENUS.get(role, ())
    )


def menu_for(user: Any, current_path: str) -> list[dict[str, Any]]:
    return _menu(getattr(user, "role", ""), get_script_prefix(), get_urlconf(), current_path)


def _menu(role: str, prefix: str, urlconf: str | None, current_path: str) -> list[dict[str, Any]]:
    linked = _linked(role, prefix, urlconf)
    groups = [
        {"label": label, "items": [{"label": text, "url": url, "active": False} for text, url in items]}
        for label, items in linked
    ]
    # Only the longest matching entry is the current one: 待审核 (/review/) is a prefix of
    # 安全员 (/review/personnel/safety/), and one page is one place in the menu.
    matching = [item for group in groups for item in group["items"] if current_path.startswith(item["url"])]
    if matching:
        max(matching, key=lambda item: len(item["url"]))["active"] = True
    return groups


def side_menu(user: Any, current_path: str) -> str:
    """The side menu of `workspace.html` as HTML (workspace/_side_menu.html). It depends only on
    the role, the URL configuration and script prefix, which entry is current and whether this
    is the home page, so it is rendered once per process for each of those and reused: no
    data of the user's goes into it, and the menus and URLs change only with a new release
    (a new process). An edited template shows after a restart."""
    role = getattr(user, "role", "") if user is not None and user.is_authenticated else ""
    return side_menu_for_role(role, current_path)


def side_menu_for_role(role: str, current_path: str) -> str:
    """`side_menu` for a user of `role` ("" for anonymous)."""
    return _side_menu_at(role, get_script_prefix(), get_urlconf(), current_path)


# By path too, so a page seen again skips the walk over the menu's entries: the answer is a
# function of the key alone (as `_side_menu_html`'s), and a path with an id in it only takes a
# place in the cache that the least recently seen path gives up.
@functools.lru_cache(maxsize=2048)
def _side_menu_at(role: str, prefix: str, urlconf: str | None, current_path: str) -> str:
    current = ""
    for _label, items in _linked(role, prefix, urlconf):
        for _text, url in items:
            if len(url) > len(current) and current_path.startswith(url):
                current = url
    return _side_menu_html(role, prefix, urlconf, current, current_path == "/")


@functools.lru_cache(maxsize=512)
def _side_menu_html(role: str, prefix: str, urlconf: str | None, current_url: str, home: bool) -> str:
    # The menu as `menu_for` marks it for the page at `current_url`: the longest entry matching
    # the page's path is the one whose URL is `current_url` ("" matches none).
    context = {
        "menu": _menu(role, prefix, urlconf, current_url),
        "home_active": home,
        "home_url": reverse("workspace:home", urlconf=urlconf),
    }
    return render_to_string("workspace/_side_menu.html", context)
