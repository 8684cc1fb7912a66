"""Every URL that takes an object id: enterprise B asking for A's object gets 404, exactly
as for an id that does not exist."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from laowu.documents.models import Attachment
from laowu.review.models import State

pytestmark = pytest.mark.django_db


@pytest.fixture
def a_objects(filing_in_state: Any) -> dict[str, Any]:
    info = filing_in_state(State.APPROVED)
    sub = info.approved_submission
    att = Attachment.objects.filter(filing_id=info.pk).first()
    return {"info": info, "sub": sub, "att": att, "sha": sub.snapshot["attachments"][0]["sha256"]}


GETS = [
    ("documents:attachment", lambda o: [o["att"].pk]),
    ("documents:submission_file", lambda o: [o["sub"].pk, o["sha"]]),
    ("documents:print", lambda o: [o["sub"].pk]),
    ("review:submission", lambda o: [o["sub"].pk]),
]
POSTS = [
    ("documents:attachment_delete", lambda o: [o["att"].pk]),
    ("documents:upload", lambda o: ["basic_info", o["info"].pk]),
    ("review:owner_action", lambda o: ["basic_info", o["info"].pk, "change"]),
]
MISSING = {
    "documents:submission_file": lambda o: [999999, o["sha"]],
    "documents:upload": lambda o: ["basic_info", 999999],
    "review:owner_action": lambda o: ["basic_info", 999999, "change"],
}


@pytest.mark.parametrize(("name", "args"), GETS + POSTS, ids=[n for n, _ in GETS + POSTS])
def test_other_enterprise_gets_404_like_missing(
    name: str, args: Any, a_objects: dict[str, Any], as_user: Any, enterprise_a: Any, enterprise_b: Any
) -> None:
    client_b = as_user(enterprise_b)
    method = client_b.post if (name, args) in POSTS else client_b.get
    url = reverse(name, args=args(a_objects))
    resp = method(url)
    # Committee pages refuse enterprise roles outright; everything else is "not found".
    expected = 403 if name == "review:submission" else 404
    assert resp.status_code == expected, (url, resp.status_code)
    missing_args = MISSING.get(name, lambda o: [999999])(a_objects)
    assert method(reverse(name, args=missing_args)).status_code == expected
    # The owner reaches it.
    if method == client_b.get and name != "review:submission":
        assert as_user(enterprise_a).get(url).status_code == 200
    # Nothing of A's changed.
    assert Attachment.objects.filter(pk=a_objects["att"].pk).exists()
    a_objects["info"].refresh_from_db()
    assert a_objects["info"].state == State.APPROVED


def test_wrong_sha_in_submission_is_404(a_objects: dict[str, Any], as_user: Any, enterprise_a: Any) -> None:
    url = reverse("documents:submission_file", args=[a_objects["sub"].pk, "0" * 64])
    assert as_user(enterprise_a).get(url).status_code == 404


def test_attachment_served_privately_inline(
    a_objects: dict[str, Any], as_user: Any, enterprise_a: Any, client: Any
) -> None:
    url = reverse("documents:attachment", args=[a_objects["att"].pk])
    assert client.get(url).status_code == 302  # anonymous → login
    resp = as_user(enterprise_a).get(url)
    assert resp["Content-Type"] == "application/pdf"
    assert resp["Content-Disposition"].startswith("inline; filename*=UTF-8''")
    assert resp["X-Content-Type-Options"] == "nosniff"
    assert resp.content.startswith(b"%PDF-")
