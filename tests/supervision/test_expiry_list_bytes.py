# ruff: noqa: E501 - the template's rows as they were, line for line
"""证照到期提醒 as it is served now and as the former code served it, byte for byte: the
filings read whole (the approved revision's snapshot joined) and the rows written by the
template's {% for %} loop. The committee's list (both roles) and an enterprise's own; a
person's certificate and the enterprise's licences, one of them in a 变更; expired and near;
reminders sent, failed (the reason the committee only sees, escaped and cut) and unsent;
texts to escape; filters, a search, and the empty lists."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.template import engines
from django.test import Client

from laowu.enterprises.models import BasicInfo, Enterprise
from laowu.personnel.models import SafetyOfficer
from laowu.review import services as workflow
from laowu.supervision import reminders
from laowu.supervision.models import ExpiryReminder
from laowu.supervision.views import reminders as views
from tests.conftest import client_for
from tests.factories import approved_person, make_id_number
from tests.pagebytes import served_both_ways
from tests.supervision.test_reminders import EXPIRES, FAR, LIST, START, approved_info, at, before, change_dates

pytestmark = pytest.mark.django_db

FORMER_ROWS = """{% for row in rows %}{% with item=row.item %}
      <tr>
        {% if committee %}<td><a href="{% url 'directory:enterprise_detail' item.enterprise.pk %}">{{ item.enterprise.name }}</a></td>{% endif %}
        <td class="nowrap">{{ item.label }}</td>
        <td>{{ item.holder }}</td>
        <td>{{ item.number|default:"—" }}</td>
        <td class="nowrap">{{ item.expires_on|date:"Y-m-d" }}</td>
        <td class="nowrap"><span class="status expiry-{{ item.bucket }}">{{ item.status_text }}</span></td>
        <td>{% for r in row.reminders %}<div class="expiry-sent">{{ r.threshold }}天档 {{ r.created_at|date:"Y-m-d" }} · {% if r.sms_sent %}短信已发送{% elif r.sms_error %}{% if committee %}<span class="danger-text" title="{{ r.sms_error }}">短信失败：{{ r.sms_error|truncatechars:30 }}</span>{% else %}<span class="danger-text">短信发送失败</span>{% endif %}{% else %}短信未发送{% endif %}</div>{% empty %}<span class="muted">未提醒</span>{% endfor %}</td>
        <td class="nowrap"><a href="{% if committee %}{{ item.committee_link }}{% else %}{{ item.enterprise_link }}{% endif %}">{% if committee %}查看{% else %}去更新{% endif %}</a></td>
      </tr>
    {% endwith %}{% empty %}<tr><td colspan="{% if committee %}8{% else %}7{% endif %}" class="empty">{% if q or kind or bucket %}没有符合条件的证照。{% else %}没有90天内到期的证照。{% endif %}</td></tr>{% endfor %}"""


def _former_listed(qs: Any, source: Any) -> Any:
    return qs


def _former_rows(request: Any, items: list[Any], sent: dict[Any, Any], *, committee: bool, searched: bool) -> str:
    q, kind, bucket = (request.GET.get(name, "") for name in ("q", "kind", "threshold"))
    context = {
        "rows": [{"item": item, "reminders": sent.get(item.key, [])} for item in items],
        "committee": committee,
        "q": q,
        "kind": kind if kind in dict(reminders.kinds()) else "",
        "bucket": bucket if bucket in dict(reminders.BUCKETS) else "",
    }
    return engines["django"].from_string(FORMER_ROWS).render(context, request)


def _former_sent(items: Any) -> dict[Any, list[ExpiryReminder]]:
    """The reminders as whole model instances, one statement per kind of filing."""
    by_model: dict[Any, set[int]] = {}
    for item in items:
        by_model.setdefault(item.source.model, set()).add(item.subject.pk)
    found: dict[Any, list[ExpiryReminder]] = {}
    for model, ids in by_model.items():
        content_type = ContentType.objects.get_for_model(model)
        for r in ExpiryReminder.objects.filter(subject_type=content_type, subject_id__in=ids).order_by(
            "created_at", "id"
        ):
            found.setdefault((model, r.subject_id, r.field, r.expires_on), []).append(r)
    return found


def both_ways(client: Client, monkeypatch: pytest.MonkeyPatch, params: dict[str, str]) -> str:
    """The page now and formerly, compared; returns it."""
    former = [
        (reminders, "_listed", _former_listed),
        (views, "_expiry_rows", _former_rows),
        (reminders, "sent_for", _former_sent),
    ]
    now = served_both_ways(client, monkeypatch, LIST, former, params=params)
    assert "<h1>证照到期提醒" in now
    return now


PARAMS: list[dict[str, str]] = [
    {},
    {"kind": "safety_cert"},
    {"kind": "qualification", "threshold": "30"},
    {"threshold": "expired"},
    {"threshold": "nope", "kind": "nope"},
    {"q": "孙"},
    {"q": "没有这张证"},
]


@pytest.mark.parametrize("role", ["reviewer", "supervisor", "enterprise"])
def test_the_expiry_list_is_the_former_page(
    role: str, reviewer: Any, supervisor: Any, enterprise_a: Any, enterprise_b: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = {"reviewer": reviewer, "supervisor": supervisor, "enterprise": enterprise_a}[role]
    with at(START):
        client = client_for(user)
        assert "没有90天内到期的证照。" in both_ways(client, monkeypatch, {})
        approved_info(enterprise_a, reviewer)
        b_info = approved_info(enterprise_b, reviewer)
        # B's qualification expired ten days before the day the list is read, its licence later.
        change_dates(
            b_info,
            enterprise_b,
            reviewer,
            qualification_valid_until=EXPIRES - dt.timedelta(days=50),
            safety_license_valid_until=FAR,
        )
        officers = [
            approved_person(SafetyOfficer, enterprise_a, reviewer, id_number=make_id_number(), name=name)
            for name in ("孙安", "周全", "吴用")
        ]
    SafetyOfficer.objects.filter(pk=officers[1].pk).update(name="周<&'\">", cert_no="")
    Enterprise.objects.filter(pk=enterprise_a.enterprise.pk).update(name="<建&\"筑'>有限公司")
    with at(before(40)):
        reminders.send_expiry_reminders()
    sent = list(ExpiryReminder.objects.filter(enterprise=enterprise_a.enterprise).order_by("pk"))
    ExpiryReminder.objects.filter(pk=sent[0].pk).update(sms_sent=False, sms_error="<网关>&'\"拒绝：" + "超时" * 30)
    ExpiryReminder.objects.filter(pk=sent[1].pk).update(sms_sent=False, sms_error="")
    ExpiryReminder.objects.filter(pk=sent[2].pk).delete()
    with at(before(20)):
        # A's qualification in a 变更 not yet declared: the approved date and number are shown.
        info = BasicInfo.objects.get(enterprise=enterprise_a.enterprise)
        workflow.start_change(filing=info, actor=enterprise_a)
        workflow.save_fields(
            filing=BasicInfo.objects.get(pk=info.pk), data={"qualification_valid_until": FAR}, actor=enterprise_a
        )
        # A session is good for a day: the list is read a year on.
        client = client_for(user)
        pages = [both_ways(client, monkeypatch, params) for params in PARAMS]
    shown = "".join(pages)
    for text in (
        "已过期",
        "还有20天到期",
        "未提醒",
        "短信已发送",
        "短信未发送",
        "周&lt;&amp;&#x27;&quot;&gt;",
        "没有符合条件的证照。",
    ):
        assert text in shown, text
    assert ("&lt;网关&gt;&amp;&#x27;&quot;拒绝" in shown) == (role != "enterprise")
    assert ("短信发送失败" in shown) == (role == "enterprise")
    assert "&lt;建&amp;&quot;筑&#x27;&gt;有限公司" in shown
    assert pages[0].count("<tr>\n") == (5 if role == "enterprise" else 6)


def test_the_expiry_list_opens_no_sealed_value(
    reviewer: Any, enterprise_a: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The list shows a person's name and certificate: their ID number and phone are not read,
    nor, for a filing not in a 变更, the approved revision's snapshot."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.core.unseal_probe import unsealed

    with at(START):
        approved_info(enterprise_a, reviewer)
        approved_person(SafetyOfficer, enterprise_a, reviewer, id_number=make_id_number(), name="孙安")
    with at(before(20)):
        client = client_for(reviewer)
        client.get(LIST)
        with unsealed(monkeypatch) as counts, CaptureQueriesContext(connection) as queries:
            page = client.get(LIST).content.decode()
    assert "孙安" in page
    assert not {c for c in counts if not c.startswith("accounts.")}, counts
    listed = [q["sql"] for q in queries.captured_queries if "personnel_safetyofficer" in q["sql"]]
    assert listed
    for sql in listed:
        assert "id_number" not in sql and "phone" not in sql and "snapshot" not in sql, sql
    # Every kind's count in one statement, its page in one per kind shown, and the reminders sent
    # of every kind in one, reading only the shown columns.
    counts_sql = [sql for sql in listed if "COUNT(*)" in sql]
    assert len(counts_sql) == 1 and "UNION ALL" in counts_sql[0], counts_sql
    sent = [q["sql"] for q in queries.captured_queries if "supervision_expiryreminder" in q["sql"]]
    assert len(sent) == 1, sent
    assert "holder" not in sent[0] and "label" not in sent[0], sent[0]
