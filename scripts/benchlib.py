"""Helpers shared by the benchmark scripts (bench.py, bench_scale.py): PostgreSQL and gunicorn
lifecycle, the session shortcut, plain-HTTP fetching and report formatting.

Both scripts run the app as production does — gunicorn, production settings, PostgreSQL — on a
free loopback port, and talk to it with the standard library's http.client.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import platform
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from math import ceil, isnan
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent

# Variables a developer's shell may set that must not reach the benchmarked server: sessions must
# stay in the DB backend create_sessions writes to, production settings refuse the test captcha and
# DEBUG, and no write may land outside the run's data directory.
UNSAFE_ENV = (
    "REDIS_URL",
    "LAOWU_CAPTCHA_TEST_MODE",
    "DEBUG",
    "LAOWU_PRIVATE_MEDIA_ROOT",
    "LAOWU_STORAGE_BACKEND",
    "LAOWU_STORAGE_OPTIONS",
    "LAOWU_S3_BUCKET",  # would store the run's files in a developer's bucket (docs/object-storage.md)
    "LAOWU_SMS_OUTBOX",
)


KEY_NAMES = ("LAOWU_DATA_KEYS", "LAOWU_DATA_KEY_ID", "LAOWU_BLIND_INDEX_KEY", "LAOWU_AUDIT_HMAC_KEY")


def new_keys() -> dict[str, str]:
    """Fresh personal-data keys (laowu/core/crypto.py) and audit MAC key (docs/audit.md)."""
    return {
        "LAOWU_DATA_KEYS": f"bench1:sm4:{base64.b64encode(secrets.token_bytes(16)).decode()}",
        "LAOWU_DATA_KEY_ID": "bench1",
        "LAOWU_BLIND_INDEX_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "LAOWU_AUDIT_HMAC_KEY": secrets.token_urlsafe(48),
    }


def kept_keys(path: Path) -> dict[str, str]:
    """The keys of a dataset kept between runs (the province-scale one): its sealed personal data
    is readable only with the keys it was written with. Made on first use, readable by the owner
    only; a key file holds nothing but these generated, machine-local benchmark keys."""
    if path.exists():
        keys = json.loads(path.read_text())
        if set(keys) == set(KEY_NAMES):
            return keys
    keys = new_keys()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(json.dumps(keys))
    return keys


def bench_envs(
    database_url: str, data_dir: Path, *, keys: dict[str, str] | None = None, **local_extra: str
) -> tuple[dict[str, str], dict[str, str]]:
    """(local_env, prod_env): the environments for seeding (local settings) and for the server.

    Both share DATABASE_URL, LAOWU_DATA_DIR (static files, uploads, SMS outbox) and a SECRET_KEY
    generated per run, which lives only in this process and its children's environments; the
    data and audit keys too, unless `keys` gives a kept dataset's own (`kept_keys`).
    """
    base_env = {
        **os.environ,
        "SECRET_KEY": secrets.token_urlsafe(48),  # 64 characters
        **(keys or new_keys()),
        "DATABASE_URL": database_url,
        "LAOWU_DATA_DIR": str(data_dir),
    }
    for name in UNSAFE_ENV:
        base_env.pop(name, None)
    # Demo data is refused under production settings on purpose; it is created under local ones.
    local_env = {**base_env, "DJANGO_SETTINGS_MODULE": "laowu.settings.local", **local_extra}
    prod_env = {
        **base_env,
        "DJANGO_SETTINGS_MODULE": "laowu.settings.production",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        # Required in production (the printed sheets' QR codes); the benchmark never scans one.
        "LAOWU_PUBLIC_BASE_URL": "https://127.0.0.1",
        # The generated accounts' passwords are as old as their data (up to three years): the
        # benchmark measures the pages, not the 修改密码 page every expired login is sent to.
        "LAOWU_PASSWORD_MAX_AGE_DAYS": "0",
    }
    return local_env, prod_env


def pg_kwargs(pg_url: str) -> dict[str, object]:
    parts = urlsplit(pg_url)
    return {"host": parts.hostname, "port": parts.port or 5432, "user": parts.username or "postgres"}


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile of `values` (NaN when empty), in the values' unit."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, ceil(p / 100 * len(ordered)) - 1)]


# --------------------------------------------------------------------------- server lifecycle


def run(cmd: list[str], env: dict[str, str], timeout: float = 600, cwd: Path = ROOT) -> str:
    """Run a command from the repo root (or `cwd`: a baseline's copy); on failure show its output, which says why."""
    proc = subprocess.run(  # noqa: S603 - fixed argument lists built in this file
        cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])} … failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


def manage(env: dict[str, str], *args: str, cwd: Path = ROOT) -> str:
    return run([sys.executable, "manage.py", *args], env, cwd=cwd)


def django_snippet(env: dict[str, str], code: str, cwd: Path = ROOT) -> dict[str, str]:
    """Run Python in a Django shell; return its `BENCH key=value` lines as a dict."""
    out = manage(env, "shell", "--no-startup", "-c", code, cwd=cwd)
    values: dict[str, str] = {}
    for line in out.splitlines():
        if line.startswith("BENCH ") and "=" in line:
            key, _, value = line[len("BENCH ") :].partition("=")
            values.setdefault(key.strip(), value.strip())
    return values


def admin_connect(pg_url: str) -> psycopg.Connection:
    """Connect to the maintenance database, starting the local cluster once if it is down (as scripts/test.sh)."""
    parts = urlsplit(pg_url)
    kwargs = {"host": parts.hostname, "port": parts.port or 5432, "user": parts.username or "postgres"}
    try:
        return psycopg.connect(dbname="postgres", autocommit=True, connect_timeout=3, **kwargs)
    except psycopg.OperationalError:
        clusters = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
        if not clusters or not shutil.which("pg_ctlcluster"):
            raise
        print("PostgreSQL is down; starting it", file=sys.stderr)
        subprocess.run(  # noqa: S603
            ["pg_ctlcluster", "--skip-systemctl-redirect", clusters[-1], "main", "start"],  # noqa: S607
            check=False,
        )
        for _ in range(20):
            time.sleep(1)
            try:
                return psycopg.connect(dbname="postgres", autocommit=True, connect_timeout=3, **kwargs)
            except psycopg.OperationalError:
                continue
        raise


def drop_database(admin: psycopg.Connection, name: str) -> None:
    # FORCE: a killed run may leave gunicorn's or the shell's connections behind.
    admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def analyze(pg_url: str, database: str) -> None:
    """VACUUM ANALYZE the seeded database, as autovacuum keeps a production one.

    Bulk-created rows have no planner statistics yet: the plans would be guessed from empty tables,
    and could change mid-run when autovacuum comes round.
    """
    parts = urlsplit(pg_url)
    kwargs = {"host": parts.hostname, "port": parts.port or 5432, "user": parts.username or "postgres"}
    with psycopg.connect(dbname=database, autocommit=True, **kwargs) as conn:
        conn.execute("VACUUM ANALYZE")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(proc: subprocess.Popen[bytes], port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode} before answering /healthz")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            conn.close()
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer /healthz within {timeout:.0f}s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()  # graceful: the master stops its workers
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        # The server runs in its own process group, so this reaches its workers and nothing else.
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


# --------------------------------------------------------------------------- CPU accounting


class CpuMeter:
    """CPU time of this process (the driver), the gunicorn tree and the PostgreSQL processes,
    and the machine's busy time, between start() and stop().

    PostgreSQL means every process named postgres*, unless `pg_pids` is given: then only the
    processes whose ids it returns (e.g. the backends of one database, from pg_stat_activity), so
    that other databases on a shared server don't count. Those are polled every `poll` seconds
    while the meter runs, because a backend may end inside the window (Django reconnects after
    CONN_MAX_AGE): its CPU up to the last poll stays counted.
    """

    TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self, gunicorn_pid: int, pg_pids: Callable[[], set[int]] | None = None, poll: float = 0.5) -> None:
        self.gunicorn_pid = gunicorn_pid
        self.pg_pids = pg_pids
        self.poll = poll
        self._seen: dict[int, float] = {}  # pg pid → its CPU seconds when last read
        self._stop_polling = threading.Event()
        self._poller: threading.Thread | None = None

    @staticmethod
    def _procs() -> Iterator[tuple[int, int, str, float]]:
        """(pid, ppid, comm, cpu seconds) of every process."""
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            proc = CpuMeter._proc(int(entry))
            if proc is not None:
                yield proc

    @staticmethod
    def _proc(pid: int) -> tuple[int, int, str, float] | None:
        try:
            raw = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return None
        comm = raw[raw.index("(") + 1 : raw.rindex(")")]
        rest = raw[raw.rindex(")") + 2 :].split()
        # utime + stime, and cutime + cstime: the children it has reaped (PostgreSQL backends that
        # ended, gunicorn workers that were replaced) stay counted.
        return pid, int(rest[1]), comm, sum(int(x) for x in rest[11:15]) / CpuMeter.TICK

    def _read_pg(self) -> None:
        """Record the current CPU seconds of the `pg_pids` processes (kept after they end)."""
        assert self.pg_pids is not None
        for pid in self.pg_pids() | set(self._seen):
            proc = self._proc(pid)
            if proc is not None:
                self._seen[pid] = proc[3]

    def _poll(self) -> None:
        while not self._stop_polling.wait(self.poll):
            self._read_pg()

    def _snapshot(self) -> dict[str, Any]:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        procs = list(self._procs())
        tree = {self.gunicorn_pid}
        grew = True
        while grew:
            before = len(tree)
            tree |= {pid for pid, ppid, _, _ in procs if ppid in tree}
            grew = len(tree) > before
        ticks = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        if self.pg_pids is None:
            postgres = {pid: cpu for pid, _, comm, cpu in procs if comm.startswith("postgres")}
        else:
            self._read_pg()
            postgres = dict(self._seen)
        return {
            "wall": time.perf_counter(),
            "driver": usage.ru_utime + usage.ru_stime,
            "gunicorn": {pid: cpu for pid, _, _, cpu in procs if pid in tree},
            "postgres": postgres,
            "machine": (sum(ticks[:8]) - ticks[3] - ticks[4]) / self.TICK,  # all but idle and iowait
        }

    def start(self) -> None:
        self.before = self._snapshot()
        if self.pg_pids is not None:
            self._stop_polling.clear()
            self._poller = threading.Thread(target=self._poll, daemon=True)
            self._poller.start()

    def stop_seconds(self) -> dict[str, float]:
        """CPU seconds used since start() by the driver, gunicorn, postgres, the whole machine and
        everything else ("other"), and the wall seconds. A process that started in between counts
        from zero; one that exited in between is lost, unless counted by its parent (gunicorn's
        master, PostgreSQL's postmaster) or by the `pg_pids` polling."""
        if self._poller is not None:
            self._stop_polling.set()
            self._poller.join()
            self._poller = None
        after, before = self._snapshot(), self.before
        used = {k: after[k] - before[k] for k in ("driver", "machine")}
        for k in ("gunicorn", "postgres"):
            used[k] = sum(cpu - before[k].get(pid, 0.0) for pid, cpu in after[k].items())
        used["other"] = used["machine"] - used["driver"] - used["gunicorn"] - used["postgres"]
        return used | {"wall": after["wall"] - before["wall"]}

    def stop(self) -> dict[str, float]:
        """Cores used on average. A process that started in between counts from zero; one that exited
        in between is lost (gunicorn's workers and Django's persistent connections live through)."""
        used = self.stop_seconds()
        wall = used.pop("wall")
        return {k: v / wall for k, v in used.items()} | {"wall": wall}


# --------------------------------------------------------------------------- HTTP


# A keep-alive connection the server already closed fails like this before any byte of answer.
STALE_CONNECTION = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


def fetch(conn: http.client.HTTPConnection, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    reused = conn.sock is not None
    try:
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
    except STALE_CONNECTION:
        if not reused:
            raise
        # Browsers retry an idempotent request once on a fresh connection; so do we.
        conn.close()
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
    body = resp.read()
    if resp.will_close:  # gunicorn's sync workers answer `Connection: close`
        conn.close()
    return resp.status, body


# --------------------------------------------------------------------------- report


def git_commit() -> str:
    try:
        head = run(["git", "rev-parse", "--short", "HEAD"], dict(os.environ), timeout=10).strip()
        dirty = run(["git", "status", "--porcelain", "--untracked-files=no"], dict(os.environ), timeout=10).strip()
    except (OSError, RuntimeError, subprocess.TimeoutExpired):
        return "unknown"
    return f"{head}{' (uncommitted changes)' if dirty else ''}"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def ms(value: float) -> str:
    return "—" if isnan(value) else f"{value:.1f}"


def ratio(value: float, floor: float) -> str:
    return "—" if isnan(value) or isnan(floor) or not floor else f"{value / floor:.1f}×"


def text_table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        cells = [c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))]
        lines.append("  ".join(cells))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "|".join(["---", "---"] + ["---:"] * (len(rows[0]) - 2)) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows[1:]]
    return "\n".join(lines)


# --------------------------------------------------------------------------- sessions and server


SESSION_SNIPPET = """
from importlib import import_module
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from laowu.accounts import otp
store = import_module(settings.SESSION_ENGINE).SessionStore
for username, count in {wanted!r}:
    user = get_user_model().objects.get(username=username)
    # Past the 动态验证码 too, as django_otp.login leaves a staff session (laowu/accounts/otp.py).
    device = None
    if otp.otp_required(user):
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
            user=user, name=otp.TOTP_DEVICE_NAME, confirmed=True
        )
    for i in range(count):
        s = store()
        s[SESSION_KEY] = user._meta.pk.value_to_string(user)
        s[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        s[HASH_SESSION_KEY] = user.get_session_auth_hash()
        if device is not None:
            s[DEVICE_ID_SESSION_KEY] = device.persistent_id
        s.create()
        print(f"BENCH session:{{username}}:{{i}}={{s.session_key}}")
"""


def create_sessions(prod_env: dict[str, str], wanted: dict[str, int], cwd: Path = ROOT) -> dict[str, list[str]]:
    """`wanted[username]` logged-in session keys per user, written straight into the session store.

    A real login needs the image captcha, which production settings rightly cannot bypass, so the
    session gets the keys django.contrib.auth.login would set. It runs under the server's settings
    and environment because its SECRET_KEY signs both the session data and the auth hash.
    """
    values = django_snippet(prod_env, SESSION_SNIPPET.format(wanted=sorted(wanted.items())), cwd=cwd)
    return {user: [values[f"session:{user}:{i}"] for i in range(count)] for user, count in wanted.items()}


def start_gunicorn(
    prod_env: dict[str, str], args: argparse.Namespace, log_path: Path, cwd: Path = ROOT
) -> tuple[subprocess.Popen[bytes], int, str]:
    # Sync workers by default. Measured on this 2-core machine (docs/benchmarks/README.md), gthread
    # workers gave about the same throughput on the logged-in page and ~40% worse p95/p99: the pages
    # are short and CPU-bound (template rendering, a few sub-millisecond queries on a local DB), so
    # threads mostly add GIL contention. Sync workers don't keep connections alive; neither does
    # a reverse proxy talking to gunicorn in production, so a new connection per request is realistic.
    # 2×cores workers (gunicorn's own advice) keep both cores busy while a worker waits on PostgreSQL.
    port = free_port()
    worker_args = ["--worker-class", "gthread", "--threads", str(args.threads)] if args.threads > 1 else []
    cmd = [sys.executable, "-m", "gunicorn", "laowu.wsgi:application", "--bind", f"127.0.0.1:{port}"]
    cmd += ["--workers", str(args.workers), *worker_args, "--error-logfile", str(log_path)]
    # The control socket would sit at one fixed path in $HOME, shared with any other gunicorn.
    cmd += ["--no-control-socket"]
    kind = f"gunicorn, {args.workers} " + (
        f"gthread workers × {args.threads} threads" if args.threads > 1 else "sync workers"
    )
    print(f"starting {kind} on 127.0.0.1:{port}", flush=True)
    # Own process group, so that stop() can reach the workers should the master not stop them.
    server = subprocess.Popen(  # noqa: S603
        cmd, cwd=cwd, env=prod_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    return server, port, kind
