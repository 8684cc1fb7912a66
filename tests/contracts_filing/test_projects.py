"""项目信息归集: the picker, selection, filing, review and 打印PDF."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pypdf import PdfReader

from laowu.contracts import views
from laowu.contracts.models import ProjectFiling
from laowu.core.search import COVERED_WALK_COST, search
from laowu.documents.services import add_attachment
from laowu.review import services
from laowu.review.models import State
from tests.factories import CatalogueFactory, approved_person, make_pdf_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(enterprise_a: Any, enterprise_b: Any) -> dict[str, Any]:
    code_a, code_b = enterprise_a.enterprise.credit_code, enterprise_b.enterprise.credit_code
    own = [
        CatalogueFactory(subcontractor_credit_code=code_a, subcontractor=enterprise_a.enterprise.name) for _ in range(3)
    ]
    other = CatalogueFactory(subcontractor_credit_code=code_b, project_name="别家企业的项目")
    return {"own": own, "other": other}


def select(client: Any, catalogue_id: int) -> Any:
    return client.post(reverse("contracts:select"), {"catalogue": catalogue_id})


def test_picker_offers_only_own_unfiled_contracts(catalogue: dict[str, Any], as_user: Any, enterprise_a: Any) -> None:
    c = as_user(enterprise_a)
    page = c.get(reverse("contracts:picker")).content.decode()
    for contract in catalogue["own"]:
        assert contract.contract_no in page
    assert "别家企业的项目" not in page
    # Search inside the picker, and the JS dialog's fragment.
    first = catalogue["own"][0]
    fragment = c.get(reverse("contracts:picker"), {"q": first.contract_no, "partial": "1"}).content.decode()
    assert first.contract_no in fragment and catalogue["own"][1].contract_no not in fragment
    assert "<html" not in fragment
    # Once selected, it is no longer offered.
    select(c, first.pk)
    assert first.contract_no not in c.get(reverse("contracts:picker")).content.decode()


@pytest.mark.parametrize("partial", ["", "1"])
@pytest.mark.parametrize("filing", ["abc", '"><b>x', "12a", "٣", "-1"])
def test_picker_opened_with_a_filing_that_is_no_number(
    filing: str, partial: str, catalogue: dict[str, Any], as_user: Any, enterprise_a: Any
) -> None:
    """A hand-edited address: the picker of a new filing, not a server error."""
    response = as_user(enterprise_a).get(reverse("contracts:picker"), {"filing": filing, "partial": partial})
    page = response.content.decode()
    assert response.status_code == 200
    assert 'name="filing"' not in page and "<b>x" not in page
    assert page.count("选择</button>") == len(catalogue["own"])
    if not partial:
        assert f'href="{reverse("contracts:new")}"' in page  # 返回 to a new filing


def test_picker_search_matches_without_case_as_with_it(
    catalogue: dict[str, Any], as_user: Any, enterprise_a: Any
) -> None:
    """A term with no case (Chinese, digits) is matched without case folding (`_substring_lookup`),
    one with letters still folded: the same contracts either way."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    c = as_user(enterprise_a)
    first, second, _ = catalogue["own"]
    second.project_name = "元和街道Lab中心"
    second.save()

    def found(q: str) -> tuple[set[str], list[str]]:
        with CaptureQueriesContext(connection) as ctx:
            page = c.get(reverse("contracts:picker"), {"q": q, "partial": "1"}).content.decode()
        picked = [x["sql"] for x in ctx.captured_queries if "contracts_cataloguecontract" in x["sql"]]
        return {o.contract_no for o in catalogue["own"] if o.contract_no in page}, picked

    everyone = {o.contract_no for o in catalogue["own"]}
    assert views._substring_lookup("住宅") == "contains" and views._substring_lookup("2026-0") == "contains"
    assert views._substring_lookup("lab") == views._substring_lookup("Ⅲ期") == "icontains"
    assert found("住宅")[0] == everyone - {second.contract_no}
    assert found("2026-")[0] == everyone
    assert found(first.contract_no[-5:])[0] == {first.contract_no}
    # Letters are still matched whatever their case, in either the term or the column.
    assert found("lwfb")[0] == everyone
    assert found("LAB")[0] == found("lab")[0] == {second.contract_no}
    assert found("中心")[0] == {second.contract_no}
    if connection.vendor == "postgresql":
        assert all("UPPER(" not in sql for sql in found("住宅")[1])
        assert any("UPPER(" in sql for sql in found("lab")[1])


def test_forged_selection_is_refused(
    catalogue: dict[str, Any], as_user: Any, enterprise_a: Any, enterprise_b: Any
) -> None:
    assert select(as_user(enterprise_a), catalogue["other"].pk).status_code == 404
    assert select(as_user(enterprise_a), 999999).status_code == 404
    assert not ProjectFiling.objects.exists()
    # A contract is filed once: B can't take A's even by forging its id.
    select(as_user(enterprise_a), catalogue["own"][0].pk)
    assert select(as_user(enterprise_b), catalogue["own"][0].pk).status_code == 404
    assert ProjectFiling.objects.count() == 1


def test_selection_copies_catalogue_fields_read_only(
    catalogue: dict[str, Any], as_user: Any, enterprise_a: Any
) -> None:
    c = as_user(enterprise_a)
    contract = catalogue["own"][0]
    resp = select(c, contract.pk)
    filing = ProjectFiling.objects.get()
    assert resp["Location"] == filing.get_absolute_url()
    assert filing.contract_no == contract.contract_no and filing.project_name == contract.project_name
    # Posting a catalogue field through the edit form changes nothing.
    c.post(
        filing.get_absolute_url(), {"site_manager": "刘工", "site_manager_phone": "13911112222", "project_name": "篡改"}
    )
    filing.refresh_from_db()
    assert filing.project_name == contract.project_name and filing.site_manager == "刘工"


def test_only_approved_active_people_can_be_assigned(
    catalogue: dict[str, Any], as_user: Any, enterprise_a: Any
) -> None:
    from laowu.personnel.models import SafetyOfficer

    draft = SafetyOfficer.objects.create(
        enterprise=enterprise_a.enterprise,
        name="草稿人",
        id_number="11010519491231002X",
        consent_confirmed_at="2026-01-01T00:00:00Z",
    )
    c = as_user(enterprise_a)
    select(c, catalogue["own"][0].pk)
    filing = ProjectFiling.objects.get()
    page = c.get(filing.get_absolute_url()).content.decode()
    assert "草稿人" not in page
    resp = c.post(filing.get_absolute_url(), {"safety_officer": draft.pk})
    assert resp.status_code == 200 and "有效" in resp.content.decode()
    filing.refresh_from_db()
    assert filing.safety_officer_id is None


@pytest.mark.prints
def test_project_workflow_review_and_print(
    catalogue: dict[str, Any], filing_in_state: Any, as_user: Any, enterprise_a: Any, reviewer: Any
) -> None:
    from laowu.personnel.models import SafetyOfficer, WageManager

    filing_in_state(State.APPROVED)  # the enterprise's basic information
    officer = approved_person(SafetyOfficer, enterprise_a, reviewer, id_number="11010519491231002X", name="孙安")
    manager = approved_person(WageManager, enterprise_a, reviewer, id_number="110101199003074477", name="钱劳")
    c = as_user(enterprise_a)
    select(c, catalogue["own"][0].pk)
    filing = ProjectFiling.objects.get()
    c.post(
        filing.get_absolute_url(),
        {
            "site_manager": "刘建华",
            "site_manager_phone": "13911112222",
            "planned_workers": "120",
            "safety_officer": officer.pk,
            "wage_manager": manager.pk,
        },
    )
    filing.refresh_from_db()
    add_attachment(
        filing=filing,
        kind="subcontract",
        upload=SimpleUploadedFile("劳务分包合同.pdf", make_pdf_bytes("sub")),
        actor=enterprise_a,
    )
    c.post(reverse("review:owner_action", args=["project", filing.pk, "declare"]))
    filing.refresh_from_db()
    assert filing.state == State.DECLARED
    queue = as_user(reviewer).get(reverse("review:queue"), {"type": "project"}).content.decode()
    assert filing.project_name in queue
    services.approve(submission=filing.pending_submission, actor=reviewer)
    filing.refresh_from_db()
    listing = c.get(reverse("contracts:list")).content.decode()
    print_url = reverse("printing:print", args=[filing.approved_submission_id])
    assert "打印PDF" in listing and print_url in listing
    pdf = c.get(print_url).content
    text = "".join("".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "项目信息表" in text and filing.contract_no in text and filing.project_name in text
    verify = c.get(reverse("printing:verify", args=[filing.approved_submission.verify_token])).content.decode()
    assert "有效" in verify and "刘*华" in verify


def test_list_search(catalogue: dict[str, Any], as_user: Any, enterprise_a: Any) -> None:
    c = as_user(enterprise_a)
    for contract in catalogue["own"]:
        select(c, contract.pk)
    url = reverse("contracts:list")
    target = catalogue["own"][1]
    page = c.get(url, {"q": target.contract_no}).content.decode()
    assert target.project_name in page and catalogue["own"][0].project_name not in page
    assert "共 3 条" in c.get(url, {"state": "draft"}).content.decode()
    assert "暂无项目信息" in c.get(url, {"signed_from": "2030-01-01"}).content.decode()
    assert (
        "截止日期不能早于起始日期"
        in c.get(url, {"signed_from": "2026-05-01", "signed_to": "2026-01-01"}).content.decode()
    )


def test_other_enterprise_gets_404(
    catalogue: dict[str, Any], as_user: Any, enterprise_a: Any, enterprise_b: Any
) -> None:
    select(as_user(enterprise_a), catalogue["own"][0].pk)
    filing = ProjectFiling.objects.get()
    b = as_user(enterprise_b)
    assert b.get(filing.get_absolute_url()).status_code == 404
    assert b.post(reverse("contracts:delete", args=[filing.pk])).status_code == 404
    assert (
        b.post(reverse("contracts:select"), {"catalogue": catalogue["own"][1].pk, "filing": filing.pk}).status_code
        == 404
    )
    assert ProjectFiling.objects.filter(pk=filing.pk).exists()


def test_committee_list_and_export(catalogue: dict[str, Any], as_user: Any, enterprise_a: Any, supervisor: Any) -> None:
    import openpyxl

    select(as_user(enterprise_a), catalogue["own"][0].pk)
    c = as_user(supervisor)
    assert catalogue["own"][0].project_name in c.get(reverse("contracts:committee_list")).content.decode()
    wb = openpyxl.load_workbook(io.BytesIO(c.get(reverse("contracts:committee_export")).content))
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[0][0] == "项目编号" and rows[1][5] == catalogue["own"][0].contract_no
    assert rows[0][8:13] == ("合同金额（万元）", "签订日期", "计划开工日期", "计划竣工日期", "现场负责人")
    # Typed cells: the amount a number with its four decimals shown, the dates dates.
    amount, signed = wb.active["I2"], wb.active["J2"]
    assert amount.value == 1280.5 and amount.number_format == "General"
    assert signed.value == dt.datetime(2026, 3, 1) and signed.number_format == "yyyy-mm-dd"
    assert rows[1][16] == "草稿" and rows[1][15] is None  # 计划用工人数 not given: an empty cell


def test_committee_search_walks_the_covering_index_unless_filtered_by_state(
    catalogue: dict[str, Any], as_user: Any, enterprise_a: Any, supervisor: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # project_signed_cover holds the list's order and both searched columns but not the state:
    # only without a state filter is a walked row an index entry rather than a heap fetch.
    for contract in catalogue["own"]:
        select(as_user(enterprise_a), contract.pk)
    seen: list[float] = []

    def spy(qs: Any, term: str, **kwargs: Any) -> Any:
        seen.append(kwargs["walk_cost"])
        return search(qs, term, **kwargs)

    monkeypatch.setattr(views, "search", spy)
    c = as_user(supervisor)
    url = reverse("contracts:committee_list")
    target = catalogue["own"][1]
    page = c.get(url, {"q": target.contract_no}).content.decode()
    assert target.project_name in page and catalogue["own"][0].project_name not in page
    page = c.get(url, {"q": target.contract_no, "state": "draft"}).content.decode()
    assert target.project_name in page
    assert seen == [COVERED_WALK_COST, 1.0]


def test_enterprise_export_is_own_list_as_filtered(
    catalogue: dict[str, Any], as_user: Any, enterprise_a: Any, enterprise_b: Any
) -> None:
    import openpyxl

    from laowu.audit.models import AuditEvent

    a = as_user(enterprise_a)
    for contract in catalogue["own"][:2]:
        select(a, contract.pk)
    select(as_user(enterprise_b), catalogue["other"].pk)
    page = a.get(reverse("contracts:list"), {"q": catalogue["own"][0].contract_no}).content.decode()
    assert reverse("contracts:export") + "?q=" in page  # 导出 carries the search on screen

    wb = openpyxl.load_workbook(io.BytesIO(a.get(reverse("contracts:export")).content))
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[0][0] == "项目编号" and "申报企业" not in rows[0]
    assert sorted(r[5] for r in rows[1:]) == sorted(c.contract_no for c in catalogue["own"][:2])
    assert wb.active["I2"].value == 1280.5  # a typed amount, not text

    # The same filter as on screen, and the export is on record with it.
    resp = a.get(reverse("contracts:export"), {"q": catalogue["own"][0].contract_no})
    rows = list(openpyxl.load_workbook(io.BytesIO(resp.content)).active.iter_rows(values_only=True))
    assert [r[5] for r in rows[1:]] == [catalogue["own"][0].contract_no]
    event = AuditEvent.objects.filter(action="export").latest("pk")
    assert event.detail["list"] == "own_project" and event.detail["q"] == catalogue["own"][0].contract_no
    # Only the enterprise exports its own list.
    assert as_user(enterprise_b).get(reverse("contracts:export")).status_code == 200
    rows = list(
        openpyxl.load_workbook(
            io.BytesIO(as_user(enterprise_b).get(reverse("contracts:export")).content)
        ).active.iter_rows(values_only=True)
    )
    assert [r[5] for r in rows[1:]] == [catalogue["other"].contract_no]


def test_amounts_shown_as_written(catalogue: dict[str, Any], as_user: Any, enterprise_a: Any, supervisor: Any) -> None:
    """合同金额（万元） stored with four decimals is shown without its trailing zeros everywhere."""
    a = as_user(enterprise_a)
    select(a, catalogue["own"][0].pk)
    filing = ProjectFiling.objects.get()
    assert str(filing.amount) == "1280.5000"  # stored as it was
    pages = [
        a.get(reverse("contracts:list")),
        a.get(filing.get_absolute_url()),
        a.get(reverse("contracts:picker")),
        as_user(supervisor).get(reverse("contracts:committee_list")),
    ]
    for resp in pages:
        text = resp.content.decode()
        assert "1280.5" in text and "1280.5000" not in text and "1280.50" not in text
    from laowu.review.snapshots import field_rows

    row = next(r for r in field_rows(filing) if r["name"] == "amount")
    assert row["display"] == "1280.5" and row["value"] == "1280.5000"
