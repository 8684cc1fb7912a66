#!/usr/bin/env bash
# ruff, the import contracts (pyproject.toml) and bandit, then the suite on SQLite and on PostgreSQL. With CI=true nothing may be skipped:
# PostgreSQL is started if it is down, and the run fails loudly if it cannot be.
#
# The browser tests (marker `browser`, real Chromium) check pages, not the database, and are
# most of a pass's time: they run once, in the PostgreSQL pass, the production database.
# Without PostgreSQL (a laptop, never CI) they run in the SQLite pass instead, so that
# nothing is lost. Arguments go to both pytest runs; a `-m` given there replaces ours.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export DJANGO_SETTINGS_MODULE=laowu.settings.test
PG_URL=${LAOWU_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/laowu}
CI=${CI:-false}

pg_up() { $BIN/python - "$PG_URL" <<'PY'
import sys, psycopg
from urllib.parse import urlparse
u = urlparse(sys.argv[1])
try:
    psycopg.connect(host=u.hostname, port=u.port or 5432, user=u.username, dbname="postgres", connect_timeout=3).close()
except Exception as e:
    print(e, file=sys.stderr); sys.exit(1)
PY
}

if [ "$CI" = "true" ]; then
  export LAOWU_REQUIRE_ALL=1   # conftest turns any skip into a failure
fi

echo "== ruff =="
$BIN/ruff check laowu tests scripts || exit 1
echo "== import contracts =="
$BIN/lint-imports || exit 1
echo "== bandit (medium and high) =="
# A finding is fixed, or justified on its line with `# nosec <id>  # reason`.
$BIN/bandit -r laowu -ll -q || exit 1

# Whether there is a PostgreSQL pass decides where the browser tests run: find out first.
if ! pg_up 2>/dev/null; then
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    echo "PostgreSQL is down; starting it"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    for _ in $(seq 1 20); do pg_up 2>/dev/null && break; sleep 1; done
  fi
fi
if pg_up; then
  have_pg=true
elif [ "$CI" = "true" ]; then
  echo "FAIL: PostgreSQL at $PG_URL is not reachable and could not be started" >&2
  exit 1
else
  have_pg=false
fi

echo "== tests on SQLite =="
if $have_pg; then
  $BIN/pytest -m "not browser" "$@"   # deselected, not skipped: they run on PostgreSQL below
else
  $BIN/pytest "$@"
fi
rc_sqlite=$?

echo "== tests on PostgreSQL =="
if $have_pg; then
  DATABASE_URL=$PG_URL $BIN/pytest "$@"
  rc_pg=$?
else
  echo "WARNING: PostgreSQL not reachable; the PostgreSQL run was skipped and the browser tests ran on SQLite (CI would fail)" >&2
  rc_pg=0
fi
[ $rc_sqlite -eq 0 ] && [ $rc_pg -eq 0 ]
