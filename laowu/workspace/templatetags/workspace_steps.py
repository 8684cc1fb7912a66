"""`{% step_gates "personnel" %}`: a page says what blocks its steps before the enterprise tries them.

The pages of 安全员, 劳资专管员 and 项目信息 share the one layout this app provides
(`workspace.html`); the tag renders `workspace/_gates.html` from `laowu/workspace/steps.py`
for the signed-in enterprise, and nothing for anyone else.
"""

from __future__ import annotations

from typing import Any

from django import template

from laowu.accounts.scope import is_enterprise_user

from .. import steps

register = template.Library()


@register.inclusion_tag("workspace/_gates.html", takes_context=True)
def step_gates(context: template.Context, page: str) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    gates = steps.page_gates(page, user.enterprise_id) if user is not None and is_enterprise_user(user) else []
    return {"gates": gates, "COMMITTEE_CONTACT": context.get("COMMITTEE_CONTACT")}
