"""/healthz (alive) and /readyz (ready: database, Redis when configured, storage), each check
given up at its deadline (laowu/core/health.py)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connections
from django.test import Client

from laowu.core import health
from tests.deploy.servers import wait_for_port

pytestmark = pytest.mark.django_db(transaction=True)


def redis_cache(url: str) -> dict[str, Any]:
    return {"default": {"BACKEND": "laowu.core.cache.RedisCache", "LOCATION": url}}


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A local port that accepts connections and never answers: a hung Redis."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def redis_running() -> Iterator[str]:
    """The machine's Redis, or one started for this test when it is down."""
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        pass
    else:
        yield "redis://127.0.0.1:6379/0"
        return
    binary = shutil.which("redis-server")
    if not binary:
        pytest.skip("no Redis at 127.0.0.1:6379 and no redis-server to start")
    port = closed_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(proc, port)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(10)


def test_healthz_answers_without_the_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(connections.settings, "default", {**connections.settings["default"], "NAME": "/nonexistent/x"})
    resp = Client().get("/healthz")
    assert resp.status_code == 200 and resp.content == b"ok"


def test_readyz_ready_names_each_check() -> None:
    resp = Client().get("/readyz")
    assert resp.status_code == 200, resp.content
    assert resp.json() == {"status": "ok", "checks": {"database": {"result": "ok"}, "storage": {"result": "ok"}}}
    assert resp["Cache-Control"] == "no-store"


def test_readyz_checks_redis_when_the_cache_is_there(settings: Any, redis_running: str) -> None:
    settings.CACHES = redis_cache(redis_running)
    resp = Client().get("/readyz")
    assert resp.status_code == 200 and resp.json()["checks"]["redis"] == {"result": "ok"}


def test_readyz_fails_when_the_database_is_unreachable(monkeypatch: pytest.MonkeyPatch) -> None:
    # The check opens a connection of its own from the settings, as the next request would.
    broken = dict(connections.settings["default"])
    if broken["ENGINE"].endswith("sqlite3"):
        broken["NAME"] = "/nonexistent/dir/db.sqlite3"
    else:
        broken.update(HOST="127.0.0.1", PORT=str(closed_port()))
    monkeypatch.setitem(connections.settings, "default", broken)
    resp = Client().get("/readyz")
    assert resp.status_code == 503
    body = resp.json()
    assert body["status"] == "failed"
    assert body["checks"]["database"] == {"result": "failed", "reason": "不可用"}
    assert body["checks"]["storage"] == {"result": "ok"}
    # Nothing of the failure's detail (addresses, paths, driver messages) leaves the server.
    assert "nonexistent" not in resp.content.decode() and "127.0.0.1" not in resp.content.decode()


def test_readyz_fails_when_redis_is_down(settings: Any) -> None:
    settings.CACHES = redis_cache(f"redis://127.0.0.1:{closed_port()}/0")
    resp = Client().get("/readyz")
    assert resp.status_code == 503
    assert resp.json()["checks"]["redis"] == {"result": "failed", "reason": "不可用"}
    assert resp.json()["checks"]["database"] == {"result": "ok"}


def test_a_hung_redis_fails_readyz_within_its_deadline(settings: Any, silent_server: int) -> None:
    settings.CACHES = redis_cache(f"redis://127.0.0.1:{silent_server}/0")
    start = time.monotonic()
    resp = Client().get("/readyz")
    elapsed = time.monotonic() - start
    assert resp.status_code == 503
    assert resp.json()["checks"]["redis"]["result"] == "failed"
    # The probe answers at the deadline (2 s), not when some client library gives up.
    assert elapsed < health_deadline() + 1.5, elapsed


def test_a_hung_storage_fails_readyz_within_its_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()

    def hang(name: str) -> bool:
        release.wait(30)
        return False

    monkeypatch.setattr(health.default_storage, "exists", hang)
    monkeypatch.setattr("laowu.core.views.READINESS_TIMEOUT", 0.5)
    start = time.monotonic()
    try:
        resp = Client().get("/readyz")
    finally:
        release.set()
    assert time.monotonic() - start < 2
    assert resp.status_code == 503
    assert resp.json()["checks"]["storage"] == {"result": "failed", "reason": "超时"}


def health_deadline() -> float:
    from laowu.core.views import READINESS_TIMEOUT

    return READINESS_TIMEOUT
