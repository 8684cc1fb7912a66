"""Credit-score pages: the committee list, detail and export, the enterprise's own page, the rules."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from laowu.audit.models import AuditEvent
from laowu.audit.services import Action
from laowu.supervision.models import AwardStatus, CreditRules, InspectionStatus
from tests.factories import DistrictFactory, EnterpriseFactory, StaffFactory, approved_project
from tests.supervision.test_credit import award, bad_behaviour, inspection

LIST = reverse("supervision:credit_list")
RULES = reverse("supervision:credit_rules")
MINE = reverse("supervision:my_credit")


def detail(enterprise: Any) -> str:
    return reverse("supervision:credit_detail", args=[enterprise.pk])


@pytest.fixture
def today() -> dt.date:
    return timezone.localdate()


@pytest.fixture
def scored(enterprise_a: Any, enterprise_b: Any, reviewer: Any, today: dt.date) -> dict[str, Any]:
    """A: one B-grade record with 2 points in publicity and a granted award; B: one A-grade record."""
    a, b = enterprise_a.enterprise, enterprise_b.enterprise
    rec = bad_behaviour(
        a,
        reviewer,
        grade="B",
        points=2,
        publicity_start=today - dt.timedelta(days=10),
        publicity_end=today + dt.timedelta(days=200),
        decision_no="相劳专〔2026〕7号",
    )
    prize = award(a, reviewer, year=today.year, decided_on=today)
    bad_behaviour(
        b,
        reviewer,
        grade="A",
        publicity_start=today - dt.timedelta(days=10),
        publicity_end=today + dt.timedelta(days=200),
        decision_no="相劳专〔2026〕9号",
    )
    return {"record": rec, "award": prize}


def test_committee_list_shows_scores_and_grades(as_user: Any, reviewer: Any, enterprise_a: Any, scored: Any) -> None:
    page = as_user(reviewer).get(LIST)
    assert page.status_code == 200
    rows = {e.pk: s for e, s in page.context["rows"]}
    assert rows[enterprise_a.enterprise.pk].score == 100 - 12 + 5
    html = page.content.decode()
    badge = '<span class="credit-badge credit-grade-{0}">{0}级'
    assert enterprise_a.enterprise.name in html and badge.format("A") in html
    assert badge.format("B") in html and badge.format("C") not in html  # B: 100 - 20 = 80


def test_committee_list_search_grade_and_order(
    as_user: Any, reviewer: Any, enterprise_a: Any, enterprise_b: Any, scored: Any
) -> None:
    client = as_user(reviewer)
    names = lambda r: [e.pk for e, _ in r.context["rows"]]  # noqa: E731
    a, b = enterprise_a.enterprise.pk, enterprise_b.enterprise.pk
    assert names(client.get(LIST, {"q": enterprise_b.enterprise.credit_code})) == [b]
    assert names(client.get(LIST, {"grade": "B"})) == [b]
    assert names(client.get(LIST, {"grade": "A"})) == [a]
    assert names(client.get(LIST, {"order": "score"})) == [b, a]
    assert names(client.get(LIST, {"order": "-score"})) == [a, b]
    # An unknown grade (a stale link) filters nothing.
    assert set(names(client.get(LIST, {"grade": "Z"}))) == {a, b}


def test_committee_list_scope_is_the_districts(as_user: Any, enterprise_a: Any, scored: Any) -> None:
    other = StaffFactory(role="reviewer", username="wz", districts=[DistrictFactory(code="320506", name="吴中区")])
    EnterpriseFactory(district=other.districts.get(), name="吴中劳务公司")
    page = as_user(other).get(LIST)
    assert [e.name for e, _ in page.context["rows"]] == ["吴中劳务公司"]
    assert as_user(other).get(detail(enterprise_a.enterprise)).status_code == 404


def test_list_page_queries_do_not_grow_with_rows(
    as_user: Any, reviewer: Any, django_assert_max_num_queries: Any, today: dt.date
) -> None:
    client = as_user(reviewer)
    client.get(LIST)  # session, rules row
    for _ in range(20):
        e = EnterpriseFactory()
        bad_behaviour(e, reviewer, publicity_start=today, publicity_end=today + dt.timedelta(days=200))
        award(e, reviewer, year=today.year, decided_on=today)
    # (+2 per request: whether the reviewer's districts are all of them, see covers_every_district)
    with django_assert_max_num_queries(14):
        page = client.get(LIST)
    assert len(page.context["rows"]) == 20 and all(s.score == 95 for _, s in page.context["rows"])
    # By score: the enterprises with events (3 queries) scored (3), the base-score block
    # counted and read by name, and its page scored (3): still the same for any list size.
    with django_assert_max_num_queries(18):
        assert len(client.get(LIST, {"order": "score"}).context["rows"]) == 20


def test_export_scores_every_enterprise(
    as_user: Any, supervisor: Any, enterprise_a: Any, enterprise_b: Any, scored: Any
) -> None:
    response = as_user(supervisor).get(reverse("supervision:credit_export"), {"order": "score"})
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("企业名称", "统一社会信用代码", "行政区划", "信用分", "信用等级")
    by_code = {r[1]: r for r in rows[1:]}
    a, b = by_code[enterprise_a.enterprise.credit_code], by_code[enterprise_b.enterprise.credit_code]
    assert (a[3], a[4], a[6], a[9]) == (93, "A级（优秀）", -12, 5)
    assert (b[3], b[4]) == (80, "B级（良好）")
    assert [r[1] for r in rows[1:]] == [enterprise_b.enterprise.credit_code, enterprise_a.enterprise.credit_code]
    assert AuditEvent.objects.filter(action=Action.EXPORT, detail__list="credit").count() == 1


def test_committee_detail_lists_events_with_links(as_user: Any, reviewer: Any, enterprise_a: Any, scored: Any) -> None:
    page = as_user(reviewer).get(detail(enterprise_a.enterprise))
    assert page.status_code == 200
    html = page.content.decode()
    assert "相劳专〔2026〕7号" in html and "相劳专〔2026〕9号" not in html
    assert reverse("supervision:bad_behaviour_detail", args=[scored["record"].pk]) in html
    assert reverse("supervision:award_detail", args=[scored["award"].pk]) in html
    assert page.context["score"].score == 93
    assert "信用分 ＝ 基础分（100分）" in html


def test_committee_detail_as_of_a_date(
    as_user: Any, reviewer: Any, enterprise_a: Any, scored: Any, today: dt.date
) -> None:
    client = as_user(reviewer)
    before = client.get(detail(enterprise_a.enterprise), {"on": (today - dt.timedelta(days=11)).isoformat()})
    assert before.context["score"].score == 100
    bad = client.get(detail(enterprise_a.enterprise), {"on": (today + dt.timedelta(days=1)).isoformat()})
    assert "计分日期不能晚于今天" in bad.content.decode() and bad.context["score"].on == today


def test_enterprise_sees_only_its_own_score(
    as_user: Any, enterprise_a: Any, enterprise_b: Any, scored: Any, reviewer: Any
) -> None:
    page = as_user(enterprise_a).get(MINE)
    assert page.status_code == 200
    html = page.content.decode()
    assert page.context["score"].score == 93 and page.context["score"].enterprise_id == enterprise_a.enterprise.pk
    assert "相劳专〔2026〕7号" in html and "相劳专〔2026〕9号" not in html
    assert "2026年度“优秀劳务企业”" in html or f"获评{scored['award'].year}年度" in html
    # B cannot open A's committee page; A's own address there leads to its own page.
    assert as_user(enterprise_b).get(detail(enterprise_a.enterprise)).status_code == 404
    assert as_user(enterprise_a).get(detail(enterprise_a.enterprise)).url == MINE
    assert as_user(enterprise_a).get(LIST).status_code == 403
    assert as_user(reviewer).get(MINE).status_code == 403


def test_enterprise_page_lists_its_awards_but_not_withdrawn(
    as_user: Any, enterprise_a: Any, enterprise_b: Any, reviewer: Any, today: dt.date
) -> None:
    a = enterprise_a.enterprise
    award(a, reviewer, title="credit_enterprise", status=AwardStatus.NOMINATED, decided_on=None)
    award(a, reviewer, year=today.year - 1, status=AwardStatus.WITHDRAWN, decided_on=None)
    award(enterprise_b.enterprise, reviewer, status=AwardStatus.GRANTED)
    page = as_user(enterprise_a).get(MINE)
    assert [(x.title, x.status) for x in page.context["awards"]] == [("credit_enterprise", "nominated")]
    assert page.context["score"].score == 100


def test_inspection_events_show_on_both_sides(as_user: Any, enterprise_a: Any, reviewer: Any, today: dt.date) -> None:
    project = approved_project(enterprise_a, reviewer)
    i = inspection(
        project,
        reviewer,
        total_score=55,
        inspected_on=today - dt.timedelta(days=30),
        status=InspectionStatus.RECTIFYING,
        deadline=today - dt.timedelta(days=3),
        notice_no="XC2026-0042",
    )
    for user in (enterprise_a, reviewer):
        url = MINE if user is enterprise_a else detail(enterprise_a.enterprise)
        html = as_user(user).get(url).content.decode()
        assert "检查不合格" in html and "整改逾期" in html and "XC2026-0042" in html
        assert reverse("supervision:inspection_detail", args=[i.pk]) in html
    assert as_user(enterprise_a).get(MINE).context["score"].score == 90


# ---------------------------------------------------------------- rules


def _rules_post(**changes: int) -> dict[str, int]:
    from laowu.supervision.credit import RULE_FIELDS

    rules = CreditRules.current()
    return {**{f: getattr(rules, f) for f in RULE_FIELDS}, **changes}


def test_reviewer_edits_the_rules_and_the_score_follows(
    as_user: Any, reviewer: Any, enterprise_a: Any, scored: Any
) -> None:
    client = as_user(reviewer)
    assert ">保存</button>" in client.get(RULES).content.decode()
    response = client.post(RULES, _rules_post(grade_b_deduction=30, per_point=5, award_addition=0))
    assert response.status_code == 302
    assert client.get(detail(enterprise_a.enterprise)).context["score"].score == 100 - 30 - 10
    event = AuditEvent.objects.get(action=Action.CREDIT_RULES_SAVE)
    assert event.detail["changes"]["grade_b_deduction"] == {"old": 10, "new": 30}
    assert event.detail["changes"]["per_point"] == {"old": 1, "new": 5}
    assert set(event.detail["changes"]) == {"grade_b_deduction", "per_point", "award_addition"}


def test_rules_form_errors_beside_the_fields(as_user: Any, reviewer: Any) -> None:
    response = as_user(reviewer).post(RULES, _rules_post(grade_a_min=70, grade_c_min=0, overdue_deduction=-3))
    assert response.status_code == 200
    form = response.context["form"]
    assert "请填写不小于0的整数。" in form.errors["overdue_deduction"]
    response = as_user(reviewer).post(RULES, _rules_post(grade_a_min=70))
    html = response.content.decode()
    assert "A级最低分应高于B级最低分。" in html and 'value="70"' in html
    assert CreditRules.current().grade_a_min == 90
    assert not AuditEvent.objects.filter(action=Action.CREDIT_RULES_SAVE).exists()


def test_supervisor_reads_the_rules_but_cannot_change_them(as_user: Any, supervisor: Any) -> None:
    client = as_user(supervisor)
    page = client.get(RULES)
    assert page.status_code == 200
    html = page.content.decode()
    assert "disabled" in html and "监管人员可查看评分规则" in html and ">保存</button>" not in html
    assert client.post(RULES, _rules_post(base_score=50)).status_code == 403
    assert CreditRules.current().base_score == 100


def test_enterprise_cannot_open_the_rules_page(as_user: Any, enterprise_a: Any) -> None:
    assert as_user(enterprise_a).get(RULES).status_code == 403


def test_score_order_and_grade_filter_page_through_every_enterprise(
    as_user: Any, reviewer: Any, today: dt.date
) -> None:
    """Only enterprises with events are scored up front; the base-score block between them
    is paged by name, and 下一页 crosses from one part to the next without loss or repeat."""
    district = reviewer.districts.first()
    plain = [EnterpriseFactory(district=district) for _ in range(23)]
    lower = [EnterpriseFactory(district=district) for _ in range(3)]
    higher = [EnterpriseFactory(district=district) for _ in range(2)]
    for i, e in enumerate(lower):
        bad_behaviour(
            e, reviewer, grade="C", points=i, publicity_start=today, publicity_end=today + dt.timedelta(days=200)
        )
    for e in higher:
        award(e, reviewer, year=today.year, decided_on=today)
    client = as_user(reviewer)

    def walk(params: dict[str, str]) -> list[tuple[str, int]]:
        seen, query = [], ""
        while True:
            response = client.get(f"{LIST}?{query}" if query else LIST, params if not query else None)
            page = response.context["page"]
            seen += [(e.name, s.score) for e, s in response.context["rows"]]
            if not page.has_next:
                return seen
            query = page.next_query

    everyone = {e.pk for e in (*plain, *lower, *higher)}
    ascending = walk({"order": "score"})
    assert len(ascending) == len(everyone) == len(set(ascending))
    assert [s for _, s in ascending] == sorted(s for _, s in ascending)
    base_block = [n for n, s in ascending if s == 100]
    assert base_block == sorted(base_block)
    descending = walk({"order": "-score"})
    assert [s for _, s in descending] == sorted((s for _, s in descending), reverse=True)
    # Grade A is the base grade here: all but nothing lower than 90.
    grade_a = walk({"grade": "A"})
    assert {s for _, s in grade_a} >= {100, 105} and all(s >= 90 for _, s in grade_a)
    assert len(grade_a) == len(everyone)  # C-grade records take 5 points or so: still A
    assert walk({"grade": "D"}) == []


def _text(resp: Any) -> str:
    import re

    return re.sub(r"<[^>]+>", "", resp.content.decode())


def test_pages_explain_the_scale_and_the_per_grade_arithmetic_from_the_rules(
    as_user: Any, reviewer: Any, enterprise_a: Any, scored: Any
) -> None:
    """B类 with 扣分 10 takes off 10 + 10×1 = 20, and an award lifts the score above the base:
    both are explained on every credit page, in the numbers of the rules in force."""
    CreditRules.current()
    CreditRules.objects.filter(pk=1).update(grade_b_deduction=12, per_point=2, base_score=100, award_addition=5)
    client = as_user(reviewer)
    for url in (detail(enterprise_a.enterprise), RULES):
        text = _text(client.get(url))
        assert "最低为0分" in text and "不设上限" in text
        assert "无扣分、获评1项的企业为105分" in text
        assert "共扣 12＋10×2＝32分" in text  # B类 from the edited rules
        assert "共扣 20＋10×2＝40分" in text  # A类 default
    mine = _text(as_user(enterprise_a).get(MINE))
    assert "共扣 12＋10×2＝32分" in mine and "不设上限" in mine
    assert "记录扣分×2" in _text(client.get(LIST))


def test_points_field_says_what_the_number_typed_does(as_user: Any, reviewer: Any, enterprise_a: Any) -> None:
    CreditRules.current()
    CreditRules.objects.filter(pk=1).update(grade_a_deduction=25, grade_b_deduction=10, per_point=1)
    url = reverse("supervision:bad_behaviour_new") + f"?enterprise={enterprise_a.enterprise.pk}"
    text = _text(as_user(reviewer).get(url))
    assert "等级扣分（A类25分、B类10分、C类5分）＋本栏扣分×1" in text
    assert "例如B类填10分，共扣10＋10×1＝20分" in text
