"""Plain HTTP end to end through deploy/'s nginx site: a browser's cookie rules, the Host with
its port, the CSRF origin check, and an instance that is down (proxy_next_upstream)."""

from __future__ import annotations

import http.cookiejar
import json
import re
import socket
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PASSWORD
from tests.deploy.servers import wait_for_port
from tests.deploy.test_deploy_kit import DEPLOY, nginx_binary, render

pytestmark = pytest.mark.django_db(transaction=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def nginx_in_front(live_server: Any, tmp_path: Path) -> Iterator[str]:
    """deploy/nginx/laowu-http.conf on a free port; of its two instances the first is down
    (nothing listens on its port) and the second is the live server."""
    port = free_port()
    live = urllib.parse.urlsplit(live_server.url).port
    for folder in ("conf.d", "snippets", "sites"):
        (tmp_path / folder).mkdir()
    upstream = (DEPLOY / "nginx" / "laowu-upstream.conf").read_text()
    upstream = upstream.replace("127.0.0.1:8001", f"127.0.0.1:{free_port()}")
    upstream = upstream.replace("127.0.0.1:8002", f"127.0.0.1:{live}")
    (tmp_path / "conf.d" / "laowu-upstream.conf").write_text(upstream)
    (tmp_path / "snippets" / "laowu-proxy.conf").write_text((DEPLOY / "nginx" / "laowu-proxy.conf").read_text())
    values = {"LAOWU_SERVER_NAME": "127.0.0.1", "LAOWU_HTTP_PORT": str(port)}
    site = render(DEPLOY / "nginx" / "laowu-http.conf", values)
    site = site.replace("listen [::]:", "# listen [::]:").replace("/var/log/nginx/", f"{tmp_path}/")
    (tmp_path / "sites" / "laowu").write_text(site)
    kinds = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    temp_paths = "".join(f"{k}_temp_path {tmp_path}/{k};\n" for k in kinds)
    (tmp_path / "nginx.conf").write_text(
        f"daemon off;\nmaster_process off;\npid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\n"
        f"events {{}}\nhttp {{\naccess_log {tmp_path}/access.log;\n{temp_paths}"
        "include conf.d/*.conf;\ninclude sites/*;\n}\n"
    )
    proc = subprocess.Popen(
        [nginx_binary(), "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-e", str(tmp_path / "e.log")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for_port(proc, port)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


class Browser:
    """urllib with a cookie jar, which, like a browser, never sends a Secure cookie over http;
    and an Origin on every POST, as a browser sends it."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> tuple[int, str, dict[str, str]]:
        return self._open(urllib.request.Request(self.base + path))

    def post(self, path: str, data: dict[str, str]) -> tuple[int, str, dict[str, str]]:
        body = urllib.parse.urlencode(data).encode()
        return self._open(urllib.request.Request(self.base + path, data=body, headers={"Origin": self.base}))

    def _open(self, request: urllib.request.Request) -> tuple[int, str, dict[str, str]]:
        try:
            with self.opener.open(request, timeout=30) as resp:
                return resp.status, resp.read().decode(), dict(resp.headers)
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode(), dict(err.headers)


def log_in(browser: Browser, username: str) -> tuple[int, str]:
    status, page, _ = browser.get("/accounts/login/")
    assert status == 200
    [token] = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    form = {"username": username, "password": PASSWORD, "captcha_0": "k", "captcha_1": "PASSED"}
    status, page, _ = browser.post("/accounts/login/", {"csrfmiddlewaretoken": token, **form})
    return status, page


def plain_http(settings: Any) -> None:
    # What LAOWU_PLAIN_HTTP=1 makes of production settings (tests/deploy/test_production_settings.py).
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.CSRF_TRUSTED_ORIGINS = []  # the Host nginx passes, port included, is the origin


def test_a_login_over_plain_http_works_through_nginx(
    settings: Any, nginx_in_front: str, enterprise_a: Any, tmp_path: Path
) -> None:
    plain_http(settings)
    browser = Browser(nginx_in_front)
    status, _ = log_in(browser, enterprise_a.username)
    assert status == 200
    # Logged in, on every request, whichever instance nginx tried first (one is down).
    for _ in range(4):
        status, page, headers = browser.get("/")
        assert status == 200 and "captcha_1" not in page and 'action="/accounts/logout/"' in page, page[:300]
        assert re.fullmatch(r"[0-9a-f]{32}", headers["X-Request-ID"])  # nginx's $request_id
    # nginx's JSON access log: a request that met the instance that is down was passed on.
    lines = [json.loads(line) for line in (tmp_path / "laowu.access.log").read_text().splitlines()]
    assert all(line["status"] == 200 for line in lines if line["method"] == "GET")
    assert any(", " in line["upstream"] and line["status"] == 200 for line in lines), lines


def test_secure_cookies_over_plain_http_fail_as_the_operator_saw(
    settings: Any, nginx_in_front: str, enterprise_a: Any
) -> None:
    plain_http(settings)
    settings.CSRF_COOKIE_SECURE = True  # https settings behind a plain-HTTP nginx
    status, _ = log_in(Browser(nginx_in_front), enterprise_a.username)
    assert status == 403
