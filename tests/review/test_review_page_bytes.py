# ruff: noqa: E501 - the template's loops as they were, line for line
"""The committee's 审核页 (laowu/review/views.py `submission_detail`) as it is served now and as
review/submission.html's former loops wrote its 申报内容 rows and 附件 items, byte for byte (the
CSRF tokens and nonces aside): pending with the reject form, after a 退回 without a reason (the
error shown), rejected with a reason to escape, approved, a 变更 compared with the approved
revision, a person's ID card scan hidden from a supervisor, provider-confirmed rows, no
attachments; for a reviewer (who sees personal data in full, each view audited) and a supervisor."""

from __future__ import annotations

from typing import Any

import pytest
from django.template import engines
from django.urls import reverse
from django.utils.safestring import SafeString

from laowu.audit.models import AuditEvent
from laowu.audit.services import Action
from laowu.personnel.models import SafetyOfficer
from laowu.review import views
from laowu.review.models import Submission
from tests.factories import approved_person, basic_info_history, make_id_number
from tests.pagebytes import served_both_ways

pytestmark = pytest.mark.django_db

FORMER_SNAPSHOT_ROWS = """{% for row in snapshot.fields %}
    <tr><th>{{ row.label }}</th><td>{{ row.display|default:"—" }}{% if row.provider %} <span class="source-tag" title="天眼查核验">天眼查</span>{% endif %}</td></tr>
    {% endfor %}"""

FORMER_ATTACHMENTS = """{% for a in snapshot.attachments %}
  {% comment %}Closed, and lazy: a PDF viewer starting up in a frame dismisses any confirm() open on the
     page, which silently cancelled 通过 clicked while the first preview was still loading. The link
     sits beside the summary, not inside it: a link within the summary's toggle is not reachable as
     a control of its own.{% endcomment %}
  {% if a.sha256 in hidden_files %}
  <div class="attach-preview-row"><p class="note">{{ a.kind_label }}：{{ a.name }}（{{ a.size|filesizeformat }}）— 含个人身份信息，仅审核员可查看。</p></div>
  {% else %}
  <div class="attach-preview-row">
    <details class="attach-preview">
      <summary>{{ a.kind_label }}：{{ a.name }}（{{ a.size|filesizeformat }}）</summary>
      <iframe class="pdf-frame" loading="lazy" src="{% url 'printing:submission_file' submission.pk a.sha256 %}" title="{{ a.name }}"></iframe>
    </details>
    <a class="attach-open" href="{% url 'printing:submission_file' submission.pk a.sha256 %}" target="_blank" rel="noopener">新窗口查看</a>
  </div>
  {% endif %}
  {% empty %}<p class="note">没有附件。</p>{% endfor %}"""


def _former_snapshot_rows(snapshot: dict[str, Any]) -> SafeString:
    return SafeString(engines["django"].from_string(FORMER_SNAPSHOT_ROWS).render({"snapshot": snapshot}))


def _former_attachment_items(
    request: Any, submission: Submission, snapshot: dict[str, Any], hidden: set[str]
) -> SafeString:
    context = {"snapshot": snapshot, "submission": submission, "hidden_files": hidden}
    return SafeString(engines["django"].from_string(FORMER_ATTACHMENTS).render(context, request))


FORMER = [(views, "_snapshot_rows", _former_snapshot_rows), (views, "_attachment_items", _former_attachment_items)]


def test_every_state_as_the_former_loops_wrote_it(
    as_user: Any, enterprise_a: Any, reviewer: Any, supervisor: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    enterprise_a.enterprise.name = '相城<劳务> & "鑫达"'
    enterprise_a.enterprise.save()
    rejected, approved, changed = basic_info_history(enterprise_a, reviewer, office_address="相城区<新>'地址'")
    person = approved_person(SafetyOfficer, enterprise_a, reviewer, id_number=make_id_number(), name="王'安")
    person_sub = Submission.objects.get(pk=person.approved_submission_id)
    bare = Submission.objects.get(pk=changed.pk)
    bare.pk = None
    bare.revision += 10
    bare.snapshot = {
        **bare.snapshot,
        "attachments": [],
        "fields": [*bare.snapshot["fields"], {"name": "blank", "label": "<空>", "display": ""}],
    }
    bare.save()

    for user in (reviewer, supervisor):
        client = as_user(user)
        for submission in (rejected, approved, changed, person_sub, bare):
            url = reverse("review:submission", args=[submission.pk])
            before = AuditEvent.objects.filter(action=Action.PERSONAL_DATA_VIEW).count()
            page = served_both_ways(client, monkeypatch, url, FORMER)
            audited = AuditEvent.objects.filter(action=Action.PERSONAL_DATA_VIEW).count() - before
            assert audited == (2 if user == reviewer else 0), (user, submission)
            assert "<h2>申报内容</h2>" in page and "<h2>附件</h2>" in page
    # A 退回 without a reason: the page again, the error beside the field.
    url = reverse("review:decide", args=[changed.pk, "reject"])
    page = served_both_ways(as_user(reviewer), monkeypatch, url, FORMER, data={"reason": ""}, status=400)
    assert "has-error" in page and 'name="reason"' in page

    text = served_both_ways(as_user(reviewer), monkeypatch, reverse("review:submission", args=[changed.pk]), FORMER)
    assert "相城区&lt;新&gt;&#x27;地址&#x27;" in text and 'title="天眼查核验">天眼查</span>' in text
    assert text.count('class="attach-preview-row"') == len(changed.snapshot["attachments"]) > 0
    hidden = served_both_ways(
        as_user(supervisor), monkeypatch, reverse("review:submission", args=[person_sub.pk]), FORMER
    )
    assert "含个人身份信息，仅审核员可查看" in hidden and "王&#x27;安" in hidden
    empty = served_both_ways(as_user(reviewer), monkeypatch, reverse("review:submission", args=[bare.pk]), FORMER)
    assert '<p class="note">没有附件。</p>' in empty and "<tr><th>&lt;空&gt;</th><td>—</td></tr>" in empty
