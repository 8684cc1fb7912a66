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
