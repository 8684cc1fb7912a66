"""Every request has an id (kept from a well-formed X-Request-ID, else made), returned in the
response and carried by every log record written while it is served (laowu/core/logs.py)."""

from __future__ import annotations

import json
import logging
import re

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.urls import path

from laowu.core.logs import JsonFormatter, RequestIdFilter, request_id_var
from laowu.core.middleware import RequestLogMiddleware


def broken_view(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("boom")


urlpatterns = [path("broken", broken_view)]


def request_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "laowu.request"]


def test_a_well_formed_request_id_is_kept_and_returned(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="laowu.request")
    resp = Client(REMOTE_ADDR="10.1.2.3").get("/healthz", HTTP_X_REQUEST_ID="abc-123.X_y")
    assert resp["X-Request-ID"] == "abc-123.X_y"
    [line] = request_lines(caplog)
    assert line.request_id == "abc-123.X_y"
    assert (line.method, line.path, line.status, line.client_ip, line.user_id) == (
        "GET",
        "/healthz",
        200,
        "10.1.2.3",
        None,
    )
    assert isinstance(line.duration_ms, float) and line.duration_ms >= 0


@pytest.mark.parametrize("sent", [None, "", "a" * 65, "bad id", 'x"y', "ü"])
def test_a_missing_or_malformed_request_id_is_replaced(sent: str | None, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="laowu.request")
    headers = {} if sent is None else {"HTTP_X_REQUEST_ID": sent}
    resp = Client().get("/healthz", **headers)
    made = resp["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", made) and made != sent
    assert request_lines(caplog)[0].request_id == made
    assert request_id_var.get() == "-"  # nothing leaks to whatever the thread does next


@pytest.mark.django_db
def test_the_logged_in_user_is_on_the_line(caplog: pytest.LogCaptureFixture, enterprise_a: object) -> None:
    from tests.conftest import client_for

    caplog.set_level(logging.INFO, logger="laowu.request")
    client_for(enterprise_a).get("/")
    assert request_lines(caplog)[-1].user_id == enterprise_a.pk  # type: ignore[attr-defined]


@pytest.mark.urls(__name__)
def test_a_500_traceback_carries_the_request_id(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    resp = Client(raise_request_exception=False).get("/broken", HTTP_X_REQUEST_ID="trace-me")
    assert resp.status_code == 500 and resp["X-Request-ID"] == "trace-me"
    [error] = [r for r in caplog.records if r.name == "django.request"]
    assert error.exc_info and "boom" in str(error.exc_info[1])
    # The handler's filter (settings.LOGGING) stamps it; caplog's own handler has no filter.
    RequestIdFilter().filter(error)
    assert error.request_id == "trace-me"  # type: ignore[attr-defined]
    [line] = request_lines(caplog)
    assert (line.levelname, line.status, line.request_id) == ("ERROR", 500, "trace-me")


def test_the_json_line_has_time_level_id_fields_and_traceback() -> None:
    factory = RequestFactory()
    seen: list[str] = []
    formatter = JsonFormatter()
    log = logging.getLogger("laowu.test.json")

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(formatter.format(record))

    handler = Capture()
    handler.addFilter(RequestIdFilter())
    log.addHandler(handler)
    log.propagate = False
    try:

        def view(request: HttpRequest) -> HttpResponse:
            try:
                raise ValueError("失败")
            except ValueError:
                log.exception("导出失败", extra={"rows": 3})
            return HttpResponse()

        RequestLogMiddleware(view)(factory.get("/x", HTTP_X_REQUEST_ID="rid-1"))
    finally:
        log.removeHandler(handler)
        log.propagate = True
    line = json.loads(seen[0])
    assert line["request_id"] == "rid-1" and line["level"] == "ERROR" and line["message"] == "导出失败"
    assert line["rows"] == 3 and "ValueError: 失败" in line["exc"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", line["time"])


def test_settings_route_every_record_through_the_filter_and_formatter() -> None:
    from django.conf import settings

    console = settings.LOGGING["handlers"]["console"]
    assert console["filters"] == ["request_id"] and console["formatter"] == "json"
    root = logging.getLogger()
    handlers = [h for h in root.handlers if isinstance(h.formatter, JsonFormatter)]
    assert handlers and any(isinstance(f, RequestIdFilter) for f in handlers[0].filters)
