"""PostgreSQL connection options from the environment (laowu/settings/base.py), and that the
opt-in server-side binding really has PostgreSQL prepare a query the pages repeat."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PG_URL = "postgres://laowu@127.0.0.1:5432/laowu"

PRINT_OPTIONS = (
    "from django.conf import settings; import json; print(json.dumps(settings.DATABASES['default']['OPTIONS']))"
)


def python(env_over: dict[str, str], code: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LAOWU_PG_", "DATABASE_URL"))}
    env.update({"DJANGO_SETTINGS_MODULE": "laowu.settings.test", **env_over})
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def options(env_over: dict[str, str]) -> dict[str, object]:
    res = python({"DATABASE_URL": PG_URL, **env_over}, PRINT_OPTIONS)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout.strip().splitlines()[-1])


def test_server_side_binding_is_off_by_default() -> None:
    opts = options({})
    assert "server_side_binding" not in opts and "prepare_threshold" not in opts
    assert "plan_cache_mode" not in str(opts["options"])
    assert "-c random_page_cost=1.1" in str(opts["options"])


def test_server_side_binding_switch_sets_binding_and_threshold() -> None:
    opts = options({"LAOWU_PG_SERVER_SIDE_BINDING": "1"})
    assert opts["server_side_binding"] is True and opts["prepare_threshold"] == 5
    assert options({"LAOWU_PG_SERVER_SIDE_BINDING": "1", "LAOWU_PG_PREPARE_THRESHOLD": "2"})["prepare_threshold"] == 2


def test_plan_cache_mode_is_passed_and_a_wrong_one_refused() -> None:
    opts = options({"LAOWU_PG_SERVER_SIDE_BINDING": "1", "LAOWU_PG_PLAN_CACHE_MODE": "force_custom_plan"})
    assert str(opts["options"]).endswith("-c plan_cache_mode=force_custom_plan")
    res = python({"DATABASE_URL": PG_URL, "LAOWU_PG_PLAN_CACHE_MODE": "custom"}, PRINT_OPTIONS)
    assert res.returncode != 0 and "LAOWU_PG_PLAN_CACHE_MODE" in res.stderr


def test_sqlite_gets_no_postgresql_options() -> None:
    res = python(
        {"DATABASE_URL": "sqlite:///:memory:", "LAOWU_PG_SERVER_SIDE_BINDING": "1"},
        PRINT_OPTIONS,
    )
    assert res.returncode == 0, res.stderr
    assert "server_side_binding" not in res.stdout


# A query run more often than the threshold on one connection, through the settings as they are
# built from the environment: it is then a prepared statement on the server, and answers the same.
REPEAT = """
from django.db import connection
from laowu.accounts.models import District
answers = {tuple(District.objects.filter(code__startswith=c).values_list("pk", flat=True)) for c in ["9901"] * 7}
with connection.cursor() as cur:
    cur.execute("SELECT statement FROM pg_prepared_statements")
    prepared = [r[0] for r in cur.fetchall()]
import json
print(json.dumps({'answers': [list(a) for a in answers], 'prepared': prepared}))
"""


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("switch", ["1", "0"])
def test_a_repeated_query_is_prepared_only_with_the_switch(switch: str) -> None:
    from django.db import connection

    from laowu.accounts.models import District

    District.objects.bulk_create([District(code="990101", name="甲区"), District(code="990102", name="乙区")])
    want = sorted(District.objects.filter(code__startswith="9901").values_list("pk", flat=True))
    s = connection.settings_dict
    url = f"postgres://{s['USER']}:{s['PASSWORD'] or ''}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    res = python({"DATABASE_URL": url, "LAOWU_PG_SERVER_SIDE_BINDING": switch}, REPEAT)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert [sorted(a) for a in out["answers"]] == [want]
    on_district = [p for p in out["prepared"] if '"accounts_district"' in p]
    assert bool(on_district) is (switch == "1"), out["prepared"]
