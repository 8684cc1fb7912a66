#!/usr/bin/env bash
# Run a manage.py command as the services run: user laowu, /etc/laowu/laowu.env, production
# settings, in /srv/laowu (docs/deploy.md). Examples:
#   sudo deploy/manage.sh migrate --noinput
#   sudo deploy/manage.sh check --deploy
#   sudo STAFF_PW='…' deploy/manage.sh create_staff NAME --role sysadmin --name 姓名 --password-env STAFF_PW
# systemd reads the environment file itself, with the same rules as for laowu@.service, so a
# value with spaces or quotes means the same here as in the service.
set -euo pipefail
ROOT=${LAOWU_ROOT:-/srv/laowu}
io=--pipe
[ -t 0 ] && [ -t 1 ] && io=--pty
# create_staff reads the new account's password from the variable named by --password-env.
passed=()
[ -n "${STAFF_PW:-}" ] && passed+=(-E STAFF_PW)
exec systemd-run --quiet --wait --collect "$io" "${passed[@]}" \
  --uid=laowu --gid=laowu --working-directory="$ROOT" \
  -p EnvironmentFile=/etc/laowu/laowu.env -E DJANGO_SETTINGS_MODULE=laowu.settings.production \
  "$ROOT/.venv/bin/python" manage.py "$@"
