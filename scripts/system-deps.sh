#!/usr/bin/env bash
# Debian packages the platform needs: Python 3.11 with venv (to build .venv), Chromium for
# browser tests, Noto CJK so Chinese renders (pages and PDFs), HarfBuzz/Pango for
# WeasyPrint. With --test (make test) also nginx, to check deploy/'s site (`nginx -t`,
# tests/deploy/), and redis-server, for the two-instance test (tests/infra), which starts its
# own on free ports; `make run` needs neither. Installs only what is missing. PostgreSQL is not
# installed here: `make run` uses SQLite, and `make test` uses a PostgreSQL server only if one
# is reachable.
set -euo pipefail
PYTHON=${PYTHON:-python3.11}
PKGS=(chromium fonts-noto-cjk libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0)
if [ "${1:-}" = "--test" ]; then
  PKGS+=(nginx redis-server)
fi
# `make` creates .venv with `$PYTHON -m venv`, which on Debian needs the separate -venv
# package (ensurepip); not needed once .venv exists or if $PYTHON already has it.
if [ ! -x .venv/bin/python ] && ! "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null; then
  if [ "$PYTHON" = python3.11 ]; then
    PKGS+=(python3.11 python3.11-venv)
  else
    echo "$PYTHON cannot create a virtual environment (no venv/ensurepip); install its venv support." >&2
    exit 1
  fi
fi
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing Debian packages: ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
if ! DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"; then
  case " ${missing[*]} " in
    *" python3.11"*)
      echo "Could not install Python 3.11 from Debian (Debian 12 has it; newer releases do not)." \
        "Install Python 3.11 another way (e.g. pyenv) and run make with PYTHON=/path/to/python3.11." >&2 ;;
  esac
  exit 1
fi
