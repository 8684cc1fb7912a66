"""POST → service → message → redirect (laowu/core/actions.py)."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from laowu.core.actions import run_action, run_form_action


class StateError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NoteForm(forms.Form):
    note = forms.CharField()


def post() -> Any:
    request = RequestFactory().post("/")
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


def flashed(request: Any) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in get_messages(request)]


def raises(exc: Exception) -> Any:
    def action() -> None:
        raise exc

    return action


def test_success_is_flashed_and_redirects() -> None:
    request = post()
    resp = run_action(
        request, lambda: 7, success=lambda n: f"已完成{n}项。", then=lambda n: f"/done/{n}/", refused="/x/"
    )
    assert resp.status_code == 302 and resp["Location"] == "/done/7/"
    assert flashed(request) == [("success", "已完成7项。")]


def test_a_refusal_is_flashed_with_its_prefix_and_redirects_back() -> None:
    request = post()
    resp = run_action(request, raises(ValidationError("缺少附件")), success="x", then="/list/", prefix="不能提交：")
    assert resp["Location"] == "/list/" and flashed(request) == [("error", "不能提交：缺少附件")]

    request = post()
    resp = run_action(
        request, raises(StateError("已审核")), success="x", then="/list/", refused="/item/", errors=(StateError,)
    )
    assert resp["Location"] == "/item/" and flashed(request) == [("error", "已审核")]


def test_other_exceptions_are_not_swallowed() -> None:
    with pytest.raises(StateError):
        run_action(post(), raises(StateError("x")), success="x", then="/")
    with pytest.raises(TypeError, match="refused"):
        run_action(post(), lambda: 1, success="x", then=lambda n: "/")


def test_form_action_puts_field_errors_beside_their_fields() -> None:
    request = post()
    form = NoteForm({"note": "x"})
    assert form.is_valid()
    error = ValidationError({"note": "太短。", "other": "不对。"})
    assert run_form_action(request, form, raises(error), success="x", then="/", errors=(ValidationError,)) is None
    assert form.errors == {"note": ["太短。"], "__all__": ["不对。"]} and flashed(request) == []


def test_form_action_errors_of_no_field_go_above_the_form_unless_claimed() -> None:
    request = post()
    form = NoteForm({"note": "x"})
    assert form.is_valid()
    assert run_form_action(request, form, raises(ValidationError("重复。")), success="x", then="/") is None
    assert form.non_field_errors() == ["重复。"]

    claimed = run_form_action(
        request, form, raises(ValidationError("重复。")), success="x", then="/", errors=(ValidationError,)
    )
    assert claimed is not None and claimed["Location"] == "/" and flashed(request) == [("error", "重复。")]


def test_form_action_flashes_state_errors_and_success() -> None:
    request = post()
    form = NoteForm({"note": "x"})
    assert form.is_valid()
    refused = run_form_action(
        request, form, raises(StateError("已发出")), success="x", then="/a/", errors=(StateError,)
    )
    done = run_form_action(request, form, lambda: "ok", success="已保存。", then="/b/")
    assert refused is not None and refused["Location"] == "/a/"
    assert done is not None and done["Location"] == "/b/"
    assert flashed(request) == [("error", "已发出"), ("success", "已保存。")]
