"""The HTTP pull adapter against a local stand-in for the 省合同归集系统 interface."""

from __future__ import annotations

import datetime as dt
import re
import urllib.parse
from collections.abc import Iterator
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from laowu.contracts import pull
from laowu.contracts.models import CatalogueContract, CatalogueSource
from laowu.contracts.pull import CataloguePullError, pull_catalogue
from tests.integrations.fake_servers import FakeResponse, FakeServer, RecordedRequest, closed_port_url

from .files import contract_row, rows

TOKEN = "catalogue-test-token"
PATH = "/api/contracts"


class CatalogueFake(FakeServer):
    """Serves ``items`` in pages of ``page_size``; ``next`` is relative (``?page=N``) or absolute."""

    def __init__(self, items: list[Any], *, page_size: int = 2, absolute_next: bool = False) -> None:
        super().__init__()
        self.items = items
        self.page_size = page_size
        self.absolute_next = absolute_next
        self.next_override: str | None = None

    def handle(self, request: RecordedRequest) -> FakeResponse:
        if request.method != "GET" or request.path != PATH:
            return FakeResponse.json({"code": 404, "msg": "接口不存在"}, status=404)
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return FakeResponse.json({"code": 401, "msg": "令牌无效"}, status=401)
        page = int(request.query.get("page", "1"))
        chunk = self.items[(page - 1) * self.page_size : page * self.page_size]
        more = page * self.page_size < len(self.items)
        next_url: str | None = None
        if self.next_override is not None:
            next_url = self.next_override
        elif more:
            query = {k: v for k, v in request.query.items() if k != "page"} | {"page": str(page + 1)}
            next_url = f"{PATH}?{urllib.parse.urlencode(query)}"
            if self.absolute_next:
                next_url = self.url + next_url
        return FakeResponse.json({"code": 0, "msg": "ok", "data": {"items": chunk, "next": next_url}})


@pytest.fixture
def fake() -> Iterator[CatalogueFake]:
    with CatalogueFake(rows(5)) as server:
        yield server


def _pull(server: FakeServer, **kwargs: Any) -> list[dict[str, Any]]:
    params: dict[str, Any] = {"url": server.url + PATH, "token": TOKEN, "timeout": 2} | kwargs
    return pull_catalogue(**params)


def test_pull_follows_pages_with_the_token(fake: CatalogueFake) -> None:
    result = _pull(fake)
    assert [r["contract_no"] for r in result] == [f"HT-2025-{n:06d}" for n in range(1, 6)]
    assert result[0]["signed_date"] == dt.date(2025, 1, 2)
    assert [r.query.get("page", "1") for r in fake.requests] == ["1", "2", "3"]
    for request in fake.requests:
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        assert request.headers["accept"] == "application/json"


def test_pull_absolute_next_and_since(fake: CatalogueFake) -> None:
    fake.absolute_next = True
    result = _pull(fake, since=dt.date(2025, 3, 1))
    assert len(result) == 5
    assert [r.query for r in fake.requests] == [
        {"since": "2025-03-01"},
        {"since": "2025-03-01", "page": "2"},
        {"since": "2025-03-01", "page": "3"},
    ]


def test_amounts_keep_their_decimals() -> None:
    item = contract_row(1) | {"合同金额（万元）": 1234.0001}
    with CatalogueFake([item]) as server:
        assert _pull(server)[0]["amount"] == Decimal("1234.0001")


def test_wrong_token_is_an_http_error(fake: CatalogueFake) -> None:
    with pytest.raises(CataloguePullError, match=r"HTTP 401"):
        _pull(fake, token="wrong")


@pytest.mark.parametrize(
    ("response", "message"),
    [
        (FakeResponse.json({"code": 0}, status=500), "HTTP 500"),
        (FakeResponse(200, b"<html>502 Bad Gateway</html>", "text/html"), "返回的不是JSON"),
        (FakeResponse.json({"code": 1003, "msg": "查询过于频繁"}), "拒绝请求：code=1003 查询过于频繁"),
        (FakeResponse.json({"code": 0, "data": {"list": []}}), "缺少 data.items"),
        (FakeResponse.json([1, 2]), "应答格式不正确"),
    ],
    ids=["http-500", "not-json", "code", "no-items", "not-object"],
)
def test_bad_replies(fake: CatalogueFake, response: FakeResponse, message: str) -> None:
    fake.override = response
    with pytest.raises(CataloguePullError, match=re.escape(message)):
        _pull(fake)


def test_timeout(fake: CatalogueFake) -> None:
    fake.delay = 3
    with pytest.raises(CataloguePullError, match="超时"):
        _pull(fake, timeout=0.3)


def test_nothing_listening() -> None:
    with pytest.raises(CataloguePullError, match="无法连接"):
        pull_catalogue(url=closed_port_url() + PATH, token=TOKEN, timeout=2)


def test_next_on_another_host_never_gets_the_token(fake: CatalogueFake) -> None:
    with FakeServer() as elsewhere:
        fake.next_override = elsewhere.url + PATH + "?page=2"
        with pytest.raises(CataloguePullError, match="指向其他站点"):
            _pull(fake)
        assert elsewhere.requests == []


def test_page_loop_and_page_limit(fake: CatalogueFake, monkeypatch: pytest.MonkeyPatch) -> None:
    fake.next_override = PATH + "?page=1"
    with pytest.raises(CataloguePullError, match="循环"):
        _pull(fake)
    monkeypatch.setattr(pull, "MAX_PAGES", 3)
    fake.next_override = None
    fake.items = rows(20)
    with pytest.raises(CataloguePullError, match="分页超过3页"):
        _pull(fake)


def test_bad_items_are_reported_by_item_number(fake: CatalogueFake) -> None:
    fake.items[3]["签订日期"] = "2025-02-30"  # item 4, on page 2
    fake.items[4]["合同编号"] = fake.items[0]["合同编号"]
    with pytest.raises(CataloguePullError) as caught:
        _pull(fake)
    assert caught.value.message == "省合同归集接口的数据有2处错误，未导入任何数据"
    assert [e.describe("条") for e in caught.value.errors] == [
        "第4条 签订日期：日期不存在：2025-02-30",
        "第5条 合同编号：合同编号“HT-2025-000001”与第1条重复",
    ]


def test_empty_url_is_refused() -> None:
    with pytest.raises(CataloguePullError, match="LAOWU_CATALOGUE_PULL_URL"):
        pull_catalogue(url="", token=TOKEN, timeout=1)


# --------------------------------------------------------------------------- the command


def _run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("pull_provincial_contracts", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def pull_settings(settings: Any, fake: CatalogueFake) -> Any:
    settings.LAOWU_CATALOGUE_PULL_URL = fake.url + PATH
    settings.LAOWU_CATALOGUE_PULL_TOKEN = TOKEN
    settings.LAOWU_CATALOGUE_PULL_TIMEOUT = 2
    return settings


@pytest.mark.django_db
def test_command_without_url(settings: Any) -> None:
    settings.LAOWU_CATALOGUE_PULL_URL = ""
    with pytest.raises(CommandError, match="LAOWU_CATALOGUE_PULL_URL"):
        _run()


@pytest.mark.django_db
def test_command_pulls_and_imports(pull_settings: Any, fake: CatalogueFake) -> None:
    out, _ = _run("--since", "2025-03-01")
    assert "同步完成：拉取5条，新增5条，更新0条，0条无变化。" in out
    assert fake.requests[0].query == {"since": "2025-03-01"}
    assert set(CatalogueContract.objects.values_list("source", flat=True)) == {CatalogueSource.PULL}
    fake.items[0]["项目名称"] = "更名后的项目"
    out, _ = _run("--dry-run")
    assert "试运行（未写入）：拉取5条，将新增0条，更新1条，4条无变化。" in out
    out, _ = _run()
    assert "新增0条，更新1条，4条无变化" in out
    assert CatalogueContract.objects.get(contract_no="HT-2025-000001").project_name == "更名后的项目"


@pytest.mark.django_db
def test_command_reports_item_errors(pull_settings: Any, fake: CatalogueFake) -> None:
    fake.items[1]["劳务分包单位统一社会信用代码"] = "123"
    err = StringIO()
    with pytest.raises(CommandError, match="1处错误"):
        call_command("pull_provincial_contracts", stdout=StringIO(), stderr=err)
    assert err.getvalue().splitlines() == ["第2条 劳务分包单位统一社会信用代码：统一社会信用代码应为18位：123"]
    assert CatalogueContract.objects.count() == 0


@pytest.mark.django_db
def test_command_reports_transport_errors(pull_settings: Any, fake: CatalogueFake) -> None:
    fake.override = FakeResponse.json({"code": 0}, status=503)
    with pytest.raises(CommandError, match="HTTP 503"):
        _run()


@pytest.mark.django_db
def test_command_with_nothing_to_pull(pull_settings: Any, fake: CatalogueFake) -> None:
    fake.items = []
    out, _ = _run()
    assert "接口没有返回合同数据" in out


@pytest.mark.django_db
def test_command_rejects_a_bad_since(pull_settings: Any) -> None:
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        _run("--since", "2025/03/01")
