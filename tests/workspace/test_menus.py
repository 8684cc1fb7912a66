"""The side menu marks exactly one entry as the current page: the longest matching one."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from laowu.workspace.menus import menu_for


def active(user: Any, path: str) -> list[str]:
    return [i["label"] for g in menu_for(user, path) for i in g["items"] if i["active"]]


def test_only_the_longest_matching_entry_is_current(reviewer: Any) -> None:
    # 待审核 is /review/, a prefix of the committee lists under /review/….
    assert active(reviewer, reverse("personnel:committee_list", args=["safety"])) == ["安全员"]
    assert active(reviewer, reverse("personnel:committee_list", args=["safety"]) + "123/") == ["安全员"]
    assert active(reviewer, reverse("review:queue")) == ["待审核"]
    assert active(reviewer, "/elsewhere/") == []


def test_every_role_with_a_menu_has_help(
    enterprise_a: Any, reviewer: Any, supervisor: Any, sysadmin: Any, secadmin: Any, auditadmin: Any
) -> None:
    for user in (enterprise_a, reviewer, supervisor, sysadmin, secadmin, auditadmin):
        items = {i["label"]: i["url"] for g in menu_for(user, "/") for i in g["items"]}
        assert items["帮助"] == reverse("workspace:help"), user.role


def test_side_menu_is_the_menu_of_the_role_and_page(
    as_user: Any, enterprise_a: Any, reviewer: Any, supervisor: Any
) -> None:
    """The side menu is rendered once per role and current entry (laowu/workspace/menus.py
    `side_menu`): each role still gets its own, with the current page marked, on the same path."""
    from django.template.loader import render_to_string

    from laowu.workspace.menus import side_menu

    safety = reverse("personnel:committee_list", args=["safety"])
    for user, path in ((reviewer, safety), (supervisor, safety), (reviewer, "/"), (enterprise_a, "/")):
        for _ in range(2):  # the second answer comes from the cache
            expected = render_to_string(
                "workspace/_side_menu.html",
                {"menu": menu_for(user, path), "home_active": path == "/", "home_url": reverse("workspace:home")},
            )
            assert side_menu(user, path) == expected, (user.role, path)
    page = as_user(reviewer).get(safety).content.decode()
    assert page.count('aria-current="page"') == 1
    assert 'class="side-item active" href="' + safety + '" aria-current="page">安全员</a>' in page
    assert "合同归集导入" in page  # the reviewer's own entry
    other = as_user(supervisor).get(safety).content.decode()
    assert "合同归集导入" not in other and "申报查询" in other
    home = as_user(enterprise_a).get("/").content.decode()
    assert 'class="side-home active" href="/" aria-current="page">首页</a>' in home
    assert "基本信息归集" in home and "待审核" not in home
    assert "side-group" not in side_menu(None, "/")  # anonymous: 首页 only


def test_context_processor_gives_the_signed_in_roles_menu(reviewer: Any, supervisor: Any, rf: Any) -> None:
    """The context processor reads the role off `request.user`'s wrapped user once loaded, and
    the menu cached by path is still each role's own (laowu/workspace/context_processors.py)."""
    from django.contrib.auth.models import AnonymousUser
    from django.utils.functional import SimpleLazyObject

    from laowu.workspace.context_processors import menu
    from laowu.workspace.menus import side_menu

    safety = reverse("personnel:committee_list", args=["safety"])
    for user in (reviewer, supervisor, reviewer, AnonymousUser()):
        request = rf.get(safety)
        request.user = SimpleLazyObject(lambda user=user: user)
        context = menu(request)
        assert context["side_menu"] == side_menu(user, safety)
        if user.is_authenticated:
            assert [i["label"] for g in context["menu"] for i in g["items"] if i["active"]] == ["安全员"]
        else:
            assert context["menu"] == [] and "side-group" not in context["side_menu"]
    assert "合同归集导入" in menu(_request(rf, safety, reviewer))["side_menu"]
    assert "合同归集导入" not in menu(_request(rf, safety, supervisor))["side_menu"]


def _request(rf: Any, path: str, user: Any) -> Any:
    request = rf.get(path)
    request.user = user
    return request
