"""Shared fixtures: personas (enterprise A, enterprise B, reviewer, supervisor, the three
admins) and helpers. Factories live in tests/factories.py."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from laowu.review import services as workflow
from laowu.review.models import State
from tests.factories import EnterpriseUserFactory, StaffFactory, complete_basic_info, totp_device

PASSWORD = "Laowu@2026"

collect_ignore_glob: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    # In CI (LAOWU_REQUIRE_ALL=1) a skipped test is a failure: nothing may be skipped.
    if os.environ.get("LAOWU_REQUIRE_ALL") == "1" and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, which is not allowed: {report.longrepr}"


# Whether this session has built the sheet fonts, and the test being run (set before its
# fixtures are), so that the guard below can tell which test printed and whether it could.
_sheet_fonts_built = False
_current_item: pytest.Item | None = None
_PRINTED_WITHOUT_FONTS = pytest.StashKey[str]()


@pytest.fixture(scope="session")
def sheet_fonts() -> None:
    """Sheets print from the GB 2312 font cuts, as in production: `make` builds them; a bare
    `pytest` in a fresh clone builds them here once (about 25 s), and only when a test that
    prints is run. A test prints with the `prints` marker; a module- or session-scoped fixture
    that prints requests this fixture itself, since it is set up before the marker is seen."""
    global _sheet_fonts_built
    from laowu.documents.fonts import build_sheet_fonts

    build_sheet_fonts(log=lambda line: None)
    _sheet_fonts_built = True


@pytest.fixture(autouse=True)
def _sheet_fonts_for_printing_tests(request: pytest.FixtureRequest) -> Iterator[None]:
    if request.node.get_closest_marker("prints"):
        request.getfixturevalue("sheet_fonts")
    yield
    if why := request.node.stash.get(_PRINTED_WITHOUT_FONTS, None):
        pytest.fail(why)


@pytest.fixture(scope="session", autouse=True)
def _no_printing_without_sheet_fonts() -> Iterator[None]:
    """Without the cuts a sheet still prints, from the system faces: a printing test that forgot
    the fonts would pass in a fresh clone while checking another sheet than production's. Every
    sheet reads its faces through `font_face_css`, also in the live server's threads: a call
    from a test that is not marked `prints` (nor requests `sheet_fonts`), or before the fonts
    are built, fails that test when it is torn down."""
    from laowu.documents import fonts

    original = fonts.font_face_css

    def guarded() -> str:
        item = _current_item
        if item is None:
            raise RuntimeError("a sheet was printed outside a test")
        if not (item.get_closest_marker("prints") or "sheet_fonts" in item.fixturenames):
            item.stash[_PRINTED_WITHOUT_FONTS] = (
                "this test prints a sheet: mark it @pytest.mark.prints (the sheet fonts are built for it)"
            )
        elif not _sheet_fonts_built:
            item.stash[_PRINTED_WITHOUT_FONTS] = (
                "a sheet was printed before the sheet fonts were built: a module- or session-scoped"
                " fixture that prints must request `sheet_fonts`"
            )
        return original()

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fonts, "font_face_css", guarded)
        yield


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    global _current_item
    _current_item = item


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # PostgreSQL-only tests (triggers, row locks) run in the PostgreSQL pass of `make test`
    # and are deselected, not skipped, in the SQLite pass.
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    keep, drop = [], []
    for item in items:
        (drop if item.get_closest_marker("postgres_only") else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(autouse=True)
def _sms_outbox(settings: Any, tmp_path: Any) -> Any:
    settings.LAOWU_SMS_OUTBOX = tmp_path / "sms-outbox.jsonl"
    settings.LAOWU_SMS_BACKEND = "file"
    settings.LAOWU_COMPANY_INFO_PROVIDER = "offline"
    return settings.LAOWU_SMS_OUTBOX


@pytest.fixture
def enterprise_a(db: Any) -> Any:
    return EnterpriseUserFactory(password=PASSWORD)


@pytest.fixture
def enterprise_b(db: Any) -> Any:
    return EnterpriseUserFactory(password=PASSWORD)


@pytest.fixture
def reviewer(db: Any) -> Any:
    return StaffFactory(role="reviewer", username="reviewer", password=PASSWORD)


@pytest.fixture
def supervisor(db: Any) -> Any:
    return StaffFactory(role="supervisor", username="supervisor", password=PASSWORD)


@pytest.fixture
def sysadmin(db: Any) -> Any:
    return StaffFactory(role="sysadmin", username="sysadmin", password=PASSWORD)


@pytest.fixture
def secadmin(db: Any) -> Any:
    return StaffFactory(role="secadmin", username="secadmin", password=PASSWORD)


@pytest.fixture
def auditadmin(db: Any) -> Any:
    return StaffFactory(role="auditadmin", username="auditadmin", password=PASSWORD)


def client_for(user: Any) -> Client:
    """A client logged in as `user`, past both factors: a staff account (which must use a
    动态验证码, laowu/accounts/otp.py) or one that has turned it on gets an authenticator app
    and a session verified with it, as django_otp.login leaves it after a right code."""
    from django_otp import DEVICE_ID_SESSION_KEY, user_has_device

    from laowu.accounts import otp

    c = Client()
    c.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    if otp.otp_required(user) or user_has_device(user):
        session = c.session
        session[DEVICE_ID_SESSION_KEY] = totp_device(user).persistent_id
        session.save()
    return c


@pytest.fixture
def as_user() -> Any:
    return client_for


def basic_info_in_state(state: str, *, owner: Any, reviewer: Any) -> Any:
    """`owner`'s 基本信息, brought to a state through the real workflow."""
    info = complete_basic_info(owner.enterprise, actor=owner)
    if state == State.DRAFT:
        return info
    sub = workflow.declare(filing=info, actor=owner)
    if state == State.APPROVED:
        workflow.approve(submission=sub, actor=reviewer)
    elif state == State.REJECTED:
        workflow.reject(submission=sub, actor=reviewer, reason="营业执照不清晰")
    return type(info).objects.get(pk=info.pk)


@pytest.fixture
def filing_in_state(enterprise_a: Any, reviewer: Any) -> Any:
    """Enterprise A's 基本信息, brought to a state through the real workflow."""

    def make(state: str) -> Any:
        return basic_info_in_state(state, owner=enterprise_a, reviewer=reviewer)

    return make


@pytest.fixture(scope="module")
def module_db(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """Rows that a module's tests share, made once, as Django's TestCase.setUpTestData does:
    a module-scoped fixture that requests this one writes them (inside
    `django_db_blocker.unblock()`) in a transaction that stays open for the module. Each test's
    own transaction is a savepoint inside it, rolled back after the test as usual, and the
    module's is rolled back after its last test. For `django_db` tests only: a
    `transaction=True` test would commit and flush inside it. The shared instances are the
    fixture's; hand each test a copy (copy.deepcopy), since a test may change one in memory."""
    from django.db import transaction

    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        # As TestCase marks its own: a durable block inside counts this one as the test's.
        atomic._from_testcase = True
        atomic.__enter__()
    try:
        yield
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
