"""Time and profile `make bench`'s pages in process, to find where a page's time goes.

`make bench` says how fast each page is under gunicorn; this says why. It serves the same pages
(`TARGETS` in scripts/bench.py) from the same seeded data, under production settings and
PostgreSQL, through Django's test client in this one process: no network, no other worker, so
a page's CPU time and queries can be read per request and a cProfile of it taken.

    .venv/bin/python scripts/profile_pages.py prepare          # once: database + sessions (≈ 40 s)
    .venv/bin/python scripts/profile_pages.py measure 2>/dev/null  # every page: queries, SQL, p50, CPU
    .venv/bin/python scripts/profile_pages.py measure --only "enterprise home" --profile 2>/dev/null
    .venv/bin/python scripts/profile_pages.py measure --only "enterprise home" --sql 2>/dev/null

`prepare` migrates and seeds the database `--database` (dropped first) and writes the server's
environment, the pages and one logged-in session per user to `--out`/state.json; `measure`
reads that file, so it runs the code of the checkout it is started from against that data:
prepare once, then measure two checkouts (before and after a change) alternately. `--profile`
writes `--out`/<page>.prof (read it with `python -m pstats`). Compare by CPU ms: on a shared
machine wall times swing with the load, CPU time much less. The table goes to stdout, the app's
own JSON request log (a line per request, part of what a request costs) to stderr.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import (
    ROOT,
    CpuMeter,
    admin_connect,
    analyze,
    bench_envs,
    create_sessions,
    django_snippet,
    drop_database,
    manage,
)

ANONYMOUS = ("healthz (floor)", "login page", "public 不良行为公示")


class QueryTimer:
    """Each query's time, as a database execute wrapper: not CaptureQueriesContext, whose query log
    the test client's request_started signal empties mid-request."""

    def __init__(self) -> None:
        self.timings: list[float] = []
        self.statements: list[str] = []

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.timings.append(time.perf_counter() - started)
            self.statements.append(sql)


def prepare(args: argparse.Namespace) -> None:
    import bench
    from psycopg import sql

    out = Path(args.out)
    (out / "data").mkdir(parents=True, exist_ok=True)
    # BENCH_WORKERS: the sheets setup makes one spare fresh sheet per server worker (scripts/bench.py).
    local_env, prod_env = bench_envs(f"{args.pg.rstrip('/')}/{args.database}", out / "data", BENCH_WORKERS="1")
    admin = admin_connect(args.pg)
    try:
        drop_database(admin, args.database)
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(args.database)))
        manage(local_env, "migrate", "--noinput")
        manage(local_env, "seed_demo")
        values: dict[str, str] = {}
        for target in bench.TARGETS:
            if target.setup:
                print(f"setup for {target.name}", flush=True)
                values.update(django_snippet(local_env, target.setup))
        analyze(args.pg, args.database)
    finally:
        admin.close()
    pages = []
    for t in bench.TARGETS:
        item = json.loads(values[t.each])[0] if t.each else {}
        pages.append((t.name, t.path.format_map({**values, **item}), t.user.format_map({**values, **item})))
    wanted: Counter[str] = Counter(user for name, _, user in pages if name not in ANONYMOUS and user)
    sessions = create_sessions(prod_env, {user: 1 for user in wanted})
    manage(prod_env, "collectstatic", "--noinput")
    state = {"env": prod_env, "pages": pages, "sessions": sessions}
    state_file = out / "state.json"
    state_file.write_text(json.dumps(state, ensure_ascii=False, indent=1))
    state_file.chmod(0o600)  # the run's SECRET_KEY and data keys
    print(f"prepared {args.database}; now: {sys.argv[0]} measure --out {out}")


def _backend_cpu(connection: Any) -> tuple[int | None, float]:
    """The PostgreSQL backend serving this process's connection, and its CPU seconds so far: a
    page's PostgreSQL CPU is the difference over its requests, when the same backend served them
    all (a reconnect in between shows "?") and the server runs on this machine."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    proc = CpuMeter._proc(pid)
    return (pid, proc[3]) if proc is not None else (None, 0.0)


def measure(args: argparse.Namespace) -> None:
    out = Path(args.out)
    state = json.loads((out / "state.json").read_text())
    os.environ.update(state["env"])
    sys.path.insert(0, os.getcwd())
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    print(f"{'page':34} {'queries':>7} {'SQL ms':>7} {'p50 ms':>7} {'min ms':>7} {'CPU ms':>7} {'PG CPU ms':>9}")
    for name, path, user in state["pages"]:
        if (args.only and args.only not in name) or "first render" in name:
            continue  # a first render is measured once per sheet: `make bench` does that
        client = Client(HTTP_HOST="127.0.0.1")
        if name not in ANONYMOUS and user:
            client.cookies[settings.SESSION_COOKIE_NAME] = state["sessions"][user][0]
        response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"{name}: {path} answered {response.status_code}")
        for _ in range(5):
            client.get(path)
        timer = QueryTimer()
        with connection.execute_wrapper(timer):
            client.get(path)
        sql_ms = sum(timer.timings) * 1000
        profiler = cProfile.Profile() if args.profile else None
        if profiler:
            profiler.enable()
        times = []
        backend, backend_cpu = _backend_cpu(connection)
        cpu_started = time.process_time()
        for _ in range(args.requests):
            started = time.perf_counter()
            client.get(path)
            times.append(time.perf_counter() - started)
        cpu_ms = (time.process_time() - cpu_started) / args.requests * 1000
        backend_after, backend_cpu_after = _backend_cpu(connection)
        pg_ms = (
            f"{(backend_cpu_after - backend_cpu) / args.requests * 1000:9.3f}"
            if backend is not None and backend == backend_after
            else f"{'?':>9}"
        )
        if profiler:
            profiler.disable()
            profiler.dump_stats(out / f"{name.replace(' ', '_')}.prof")
        times.sort()
        print(
            f"{name:34} {len(timer.timings):7d} {sql_ms:7.2f} {times[len(times) // 2] * 1000:7.2f} "
            f"{times[0] * 1000:7.2f} {cpu_ms:7.2f} {pg_ms}",
            flush=True,
        )
        if args.sql:
            for took, statement in zip(timer.timings, timer.statements, strict=True):
                print(f"    {took * 1000:6.2f} ms  {statement}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=("prepare", "measure"))
    parser.add_argument("--out", default=str(ROOT / "var" / "profile"), help="state and profiles (default var/profile)")
    parser.add_argument("--pg", default=os.environ.get("LAOWU_BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--database", default="laowu_profile", help="dropped and recreated by prepare")
    parser.add_argument("--requests", type=int, default=100, help="measured requests per page (default 100)")
    parser.add_argument("--only", help="only the pages whose name holds this text")
    parser.add_argument("--profile", action="store_true", help="write a cProfile file per page")
    parser.add_argument("--sql", action="store_true", help="also print each query of a request and its time")
    args = parser.parse_args()
    (prepare if args.command == "prepare" else measure)(args)


if __name__ == "__main__":
    main()
