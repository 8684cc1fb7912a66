"""The filing contract's system check (laowu/review/checks.py): each rule on a throwaway filing
type that breaks it, and the installed filing types passing."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.db import models
from django.test.utils import isolate_apps

from laowu.documents.kinds import AttachmentKind
from laowu.review.checks import check_filing_types, concrete_filing_models, filing_errors
from laowu.review.models import ON_FILE, ExpiringDate, Filing

_names = itertools.count(1)


@pytest.fixture(autouse=True)
def isolated() -> Iterator[None]:
    # Throwaway filing types live in a registry of their own, never in the project's.
    with isolate_apps("laowu.review"):
        yield


def filing_type(**settings: Any) -> type[Filing]:
    """A filing type that keeps the contract, with `settings` (class settings, fields, methods,
    or "indexes") replacing its parts."""
    n = next(_names)
    indexes = settings.pop(
        "indexes",
        [models.Index(fields=["approved_valid_until", "id"], name=f"throwaway_{n}_expiry", condition=ON_FILE)],
    )
    attrs: dict[str, Any] = {
        "__module__": __name__,
        "Meta": type("Meta", (), {"app_label": "review", "indexes": indexes}),
        "FILING_TYPE": f"throwaway_{n}",
        "FILING_LABEL": "试验",
        "ATTACHMENT_KINDS": (AttachmentKind("licence", "证书", required=True), AttachmentKind("other", "其他")),
        "SNAPSHOT_FIELDS": ("name", "id_number", "valid_until"),
        "OPTIONAL_AT_DECLARE": frozenset({"valid_until"}),
        "SHEET_CODE": "SY",
        "SHEET_SECTIONS": (("信息", ("name", "valid_until")),),
        "VERIFY_FIELDS": ("name", "valid_until"),
        "VERIFY_MASKS": {"name": "name"},
        "SENSITIVE_FIELDS": {"id_number": "id"},
        "APPROVED_COPIES": {"valid_until": "approved_valid_until"},
        "EXPIRING_DATES": (expiring(kind=f"throwaway_{n}"),),
        "name": models.CharField(max_length=30),
        "id_number": models.CharField(max_length=18),
        "valid_until": models.DateField(null=True),
        "approved_valid_until": models.DateField(null=True, editable=False),
        "title": lambda self: self.name,
        "get_absolute_url": lambda self: "/",
    }
    attrs.update(settings)
    return type(f"Throwaway{n}", (Filing,), {k: v for k, v in attrs.items() if v is not DROP})


DROP = object()  # leaves the part out of the throwaway type


def expiring(**changes: Any) -> ExpiringDate:
    values = {
        "kind": "licence",
        "label": "证书",
        "field": "valid_until",
        "number_field": "id_number",
        "holder_field": "name",
        "fix_where": "试验归集",
    }
    return ExpiringDate(**{**values, **changes})


def ids(*filing_models: type[Filing]) -> list[str]:
    return sorted(e.id for e in filing_errors(filing_models))


def test_a_filing_type_that_keeps_the_contract_passes() -> None:
    assert filing_errors([filing_type(), filing_type()]) == []


def test_the_installed_filing_types_pass() -> None:
    assert {m.FILING_TYPE for m in concrete_filing_models()} == {
        "basic_info",
        "safety_officer",
        "wage_manager",
        "project",
    }
    assert check_filing_types() == []


def test_manage_check_fails_on_a_broken_filing_type(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.core.management.base import SystemCheckError

    from laowu.review import checks

    broken = filing_type(FILING_LABEL=DROP)
    monkeypatch.setattr(checks, "concrete_filing_models", lambda: [*concrete_filing_models(), broken])
    with pytest.raises(SystemCheckError, match=r"laowu\.E003"):
        call_command("check")


@pytest.mark.parametrize("code", [DROP, "", "Basic-Info", "has space", "a/b"])
def test_filing_type_code(code: Any) -> None:
    assert ids(filing_type(FILING_TYPE=code)) == ["laowu.E001"]


def test_filing_type_unique() -> None:
    errors = filing_errors([filing_type(FILING_TYPE="same"), filing_type(FILING_TYPE="same"), filing_type()])
    assert sorted(e.id for e in errors) == ["laowu.E002", "laowu.E002"]


@pytest.mark.parametrize("label", [DROP, "", "  "])
def test_filing_label(label: Any) -> None:
    assert ids(filing_type(FILING_LABEL=label)) == ["laowu.E003"]


def test_snapshot_fields_name_fields() -> None:
    assert ids(filing_type(SNAPSHOT_FIELDS=("name", "id_number", "valid_until", "nmae"))) == ["laowu.E004"]
    assert ids(filing_type(SNAPSHOT_FIELDS=("name", "id_number", "valid_until", "name"))) == ["laowu.E004"]
    # A relation the model does not hold as a column is no field to freeze.
    assert ids(filing_type(SNAPSHOT_FIELDS=("name", "id_number", "valid_until", "attachments"))) == ["laowu.E004"]
    assert "laowu.E004" in ids(filing_type(SNAPSHOT_FIELDS=()))


@pytest.mark.parametrize("name", ["enterprise", "state", "approved_valid_until"])
def test_snapshot_fields_leave_out_the_workflow_and_the_copies(name: str) -> None:
    assert ids(filing_type(SNAPSHOT_FIELDS=("name", "id_number", "valid_until", name))) == ["laowu.E005"]


def test_sheet_sections_name_snapshot_fields() -> None:
    assert ids(filing_type(SHEET_SECTIONS=(("信息", ("name",)), ("其他", ("approved_valid_until",))))) == ["laowu.E006"]


def test_verify_fields_name_snapshot_fields() -> None:
    assert ids(filing_type(VERIFY_FIELDS=("name", "created_at"))) == ["laowu.E007"]


def test_optional_at_declare_names_snapshot_fields() -> None:
    assert ids(filing_type(OPTIONAL_AT_DECLARE=frozenset({"valid_untill"}))) == ["laowu.E008"]


def test_sensitive_fields_name_snapshot_fields() -> None:
    assert ids(filing_type(SENSITIVE_FIELDS={"mobile": "mobile"})) == ["laowu.E009"]


def test_verify_masks_name_snapshot_fields() -> None:
    assert ids(filing_type(VERIFY_MASKS={"holder": "name"})) == ["laowu.E010"]


def test_mask_kinds_are_known() -> None:
    assert ids(filing_type(SENSITIVE_FIELDS={"id_number": "idcard"})) == ["laowu.E011"]
    assert ids(filing_type(VERIFY_MASKS={"name": "full"})) == ["laowu.E011"]


def test_approved_copies_copy_a_snapshot_date() -> None:
    assert ids(
        filing_type(
            APPROVED_COPIES={"name": "approved_name"},
            EXPIRING_DATES=(),
            approved_name=models.DateField(null=True, editable=False),
            indexes=[models.Index(fields=["approved_name"], name="throwaway_name", condition=ON_FILE)],
        )
    ) == ["laowu.E012"]
    # A date left out of the snapshot: the backfill reads the approved value from the snapshot.
    assert ids(
        filing_type(
            SNAPSHOT_FIELDS=("name", "id_number"),
            OPTIONAL_AT_DECLARE=frozenset(),
            SHEET_SECTIONS=(),
            VERIFY_FIELDS=("name",),
        )
    ) == ["laowu.E012"]


def test_approved_copies_have_their_column() -> None:
    assert ids(filing_type(approved_valid_until=DROP, indexes=[])) == ["laowu.E013"]
    assert ids(filing_type(APPROVED_COPIES={"valid_until": "valid_until_copy"})) == ["laowu.E013"]
    assert ids(filing_type(approved_valid_until=models.CharField(max_length=10, editable=False))) == ["laowu.E013"]
    assert ids(filing_type(approved_valid_until=models.DateTimeField(null=True, editable=False))) == ["laowu.E013"]


def test_approved_copies_have_a_partial_index_on_file() -> None:
    assert ids(filing_type(indexes=[])) == ["laowu.E014"]
    assert ids(filing_type(indexes=[models.Index(fields=["approved_valid_until"], name="throwaway_plain")])) == [
        "laowu.E014"
    ]
    assert ids(
        filing_type(
            indexes=[models.Index(fields=["id", "approved_valid_until"], name="throwaway_second", condition=ON_FILE)]
        )
    ) == ["laowu.E014"]


def test_attachment_kind_codes() -> None:
    twice = (AttachmentKind("licence", "证书"), AttachmentKind("licence", "证书（副本）"))
    assert ids(filing_type(ATTACHMENT_KINDS=twice)) == ["laowu.E015"]
    assert ids(filing_type(ATTACHMENT_KINDS=(AttachmentKind("", "证书"),))) == ["laowu.E015"]
    assert ids(filing_type(ATTACHMENT_KINDS=(AttachmentKind("x" * 41, "证书"),))) == ["laowu.E015"]


def test_title_is_overridden() -> None:
    assert ids(filing_type(title=DROP)) == ["laowu.E016"]


def test_get_absolute_url_is_overridden() -> None:
    assert ids(filing_type(get_absolute_url=DROP)) == ["laowu.E017"]


@pytest.mark.parametrize("code", [DROP, "", "xy", "X1"])
def test_sheet_code(code: Any) -> None:
    assert ids(filing_type(SHEET_CODE=code)) == ["laowu.E018"]


def test_expiring_dates_watch_an_approved_copy() -> None:
    assert ids(filing_type(EXPIRING_DATES=(expiring(field="name"),))) == ["laowu.E019"]
    assert ids(filing_type(APPROVED_COPIES={}, indexes=[])) == ["laowu.E019"]


def test_expiring_dates_read_number_and_holder_from_the_snapshot() -> None:
    assert ids(filing_type(EXPIRING_DATES=(expiring(number_field="cert_no"),))) == ["laowu.E020"]
    assert ids(filing_type(EXPIRING_DATES=(expiring(holder_field="holder"),))) == ["laowu.E020"]
    assert ids(filing_type(EXPIRING_DATES=(expiring(number_field=""),))) == ["laowu.E020"]
    # The enterprise as the holder.
    assert ids(filing_type(EXPIRING_DATES=(expiring(holder_field=""),))) == []


@pytest.mark.parametrize("missing", ["kind", "label", "fix_where"])
def test_expiring_dates_name_their_kind_label_and_page(missing: str) -> None:
    assert ids(filing_type(EXPIRING_DATES=(expiring(**{missing: ""}),))) == ["laowu.E021"]


def test_expiring_date_kinds_are_unique() -> None:
    one = filing_type(EXPIRING_DATES=(expiring(kind="cert"),))
    other = filing_type(EXPIRING_DATES=(expiring(kind="cert"),))
    assert ids(one, other) == ["laowu.E022", "laowu.E022"]
    assert ids(filing_type(EXPIRING_DATES=(expiring(kind="cert"), expiring(kind="cert")))) == [
        "laowu.E022",
        "laowu.E022",
    ]
