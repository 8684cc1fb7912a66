"""The benchmark scripts' report (scripts/bench.py, scripts/benchlib.py): the comparison table
`make bench BASELINE=rev` appends, the CPU per request it states, and the CPU meter behind it.
The runs themselves need gunicorn and a PostgreSQL server and are not run here."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


@pytest.fixture
def bench(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(SCRIPTS))
    import bench

    return bench


def result(bench: ModuleType, name: str, ms: list[float], wall: float, cpu: dict[str, float], **extra: object):
    target = next(t for t in bench.TARGETS if t.name == name)
    fields = {"errors": Counter(), "timed_out": False} | extra
    return bench.Result(
        target=target,
        path=target.path,
        requests=len(ms),
        latencies=[x / 1000 for x in ms],
        wall=wall,
        cpu=cpu,
        **fields,
    )


def test_comparison_table_reads_baseline_to_current_with_the_ratio(bench: ModuleType) -> None:
    cpu = {"gunicorn": 1.0, "postgres": 0.5, "driver": 0.25, "other": 0.1, "machine": 1.85}
    base_floor = result(bench, "healthz (floor)", [4.0] * 100, wall=0.1, cpu=cpu)  # 1000 req/s
    floor = result(bench, "healthz (floor)", [5.0] * 100, wall=0.125, cpu=cpu)  # 800 req/s
    base_home = result(bench, "enterprise home", [100.0] * 100, wall=1.0, cpu=cpu)  # 100 req/s
    home = result(bench, "enterprise home", [80.0] * 100, wall=0.5, cpu={k: v / 2 for k, v in cpu.items()})
    picker = result(bench, "project picker search", [50.0] * 9, wall=0.1, cpu=cpu, timed_out=True)
    picker.errors["HTTP 500"] = 1

    rows = bench.comparison_table([base_floor, base_home, None], [floor, home, picker])

    assert rows[0] == [
        "target",
        "path",
        "ok",
        "errors",
        "req/s",
        "share of floor",
        "goal",
        "p50 ms",
        "p95 ms",
        "gunicorn CPU ms/req",
        "PostgreSQL CPU ms/req",
        "driver CPU ms/req",
    ]
    assert rows[1][2:] == [
        "100 → 100",
        "0 → 0",
        "1000 → 800 (0.80×)",
        "100.0% → 100.0% (1.00×)",  # each side against its own floor
        "—",
        "4.0 → 5.0 (1.25×)",
        "4.0 → 5.0 (1.25×)",
        "10.00 → 10.00 (1.00×)",
        "5.00 → 5.00 (1.00×)",
        "2.50 → 2.50 (1.00×)",
    ]
    assert rows[2] == [
        "enterprise home",
        "/",
        "100 → 100",
        "0 → 0",
        "100 → 200 (2.00×)",
        "10.0% → 25.0% (2.50×)",
        "≥ 25% ✅",
        "100.0 → 80.0 (0.80×)",
        "100.0 → 80.0 (0.80×)",
        "10.00 → 5.00 (0.50×)",
        "5.00 → 2.50 (0.50×)",
        "2.50 → 1.25 (0.50×)",
    ]
    # A target the baseline could not set up: the current's figures alone, marked not comparable;
    # CPU per request counts the failed request too (10 sent).
    assert rows[3][2:] == [
        "n/c → 9*",
        "n/c → 1",
        "n/c → 100",
        "n/c → 12.5%",
        "≥ 25% ❌",
        "n/c → 50.0",
        "n/c → 50.0",
        "n/c → 100.00",
        "n/c → 50.00",
        "n/c → 25.00",
    ]
    markdown = bench.markdown_table(rows)
    assert markdown.splitlines()[1] == "|---|---|" + "|".join(["---:"] * 10) + "|"
    assert "| enterprise home | / | 100 → 100 |" in markdown


def test_single_run_table_states_cpu_per_request(bench: ModuleType) -> None:
    cpu = {"gunicorn": 0.4, "postgres": 0.2, "driver": 0.1, "other": 0.0, "machine": 0.7}
    floor = result(bench, "healthz (floor)", [4.0] * 100, wall=0.1, cpu=cpu)
    rows = bench.table([floor])
    assert rows[0][-3:] == ["gunicorn CPU ms/req", "PostgreSQL CPU ms/req", "driver CPU ms/req"]
    assert rows[1][-3:] == ["4.00", "2.00", "1.00"]


def test_halves_add_up(bench: ModuleType) -> None:
    a = result(bench, "login page", [10.0, 20.0], wall=1.0, cpu={"gunicorn": 0.1, "postgres": 0.2})
    b = result(bench, "login page", [30.0], wall=2.0, cpu={"gunicorn": 0.2, "postgres": 0.1}, timed_out=True)
    b.errors["marker missing"] = 1
    both = a + b
    assert (both.requests, both.sent, both.wall, both.timed_out) == (3, 4, 3.0, True)
    assert both.rps == pytest.approx(4 / 3)
    assert both.cpu_ms("gunicorn") == pytest.approx(75.0)
    assert both.pct(50) == pytest.approx(20.0)


def test_cpu_meter_keeps_a_polled_process_that_ended_in_the_window(bench: ModuleType) -> None:
    """A database backend that ends inside the window (Django reconnects after CONN_MAX_AGE) keeps
    the CPU it used up to the last poll; without polling it would count for nothing."""
    import benchlib

    burn = "import time\nend = time.process_time() + 0.4\nwhile time.process_time() < end: pass\n"
    child = subprocess.Popen([sys.executable, "-c", burn])
    meter = benchlib.CpuMeter(os.getpid(), pg_pids=lambda: {child.pid} if child.poll() is None else set(), poll=0.02)
    meter.start()
    child.wait()  # reaped: its /proc entry is gone by stop()
    time.sleep(0.05)
    used = meter.stop_seconds()
    assert used["postgres"] >= 0.25
    assert used["wall"] >= 0.3


def test_bench_scale_uses_the_shared_meter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(SCRIPTS))
    import bench_scale
    import benchlib

    assert bench_scale.CpuMeter is benchlib.CpuMeter


def test_not_comparable_targets_are_noted_once_per_reason(bench: ModuleType, tmp_path: Path) -> None:
    side = bench.Side("baseline", tmp_path, "abc1234", "laowu_bench_baseline", tmp_path)
    why = "the setup of “projects” failed on the baseline"
    side.not_comparable = {"projects": why, "project picker search": why, "statistics dashboard": "other"}
    assert bench.not_comparable_notes(side) == [
        f"n/c (not comparable): projects, project picker search — {why}",
        "n/c (not comparable): statistics dashboard — other",
    ]
