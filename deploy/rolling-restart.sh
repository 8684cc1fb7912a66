#!/usr/bin/env bash
# Restart the app instances one at a time, each only after the previous one answers /readyz,
# so nginx always has one to send requests to and no request fails (docs/deploy.md).
#   sudo deploy/rolling-restart.sh            # laowu@8001, then laowu@8002
#   LAOWU_PORTS="8001 8002 8003" sudo deploy/rolling-restart.sh
# Stops (exit 1) at the first instance that is not ready in time, leaving the others running
# the old code: look at `journalctl -u laowu@<port>`, fix, and run it again.
set -euo pipefail

PORTS=${LAOWU_PORTS:-"8001 8002"}
ENV_FILE=${LAOWU_ENV_FILE:-/etc/laowu/laowu.env}
WAIT=${LAOWU_READY_WAIT:-90}
SYSTEMCTL=${SYSTEMCTL:-systemctl}

# /readyz is asked with the public host name: Django answers only hosts in ALLOWED_HOSTS.
host=${LAOWU_PROBE_HOST:-}
if [ -z "$host" ] && [ -r "$ENV_FILE" ]; then
  host=$(sed -n 's#^LAOWU_PUBLIC_BASE_URL=[a-z]*://\([^/]*\).*#\1#p' "$ENV_FILE" | tail -n 1)
fi
if [ -z "$host" ]; then
  echo "无法确定访问地址：请设置 LAOWU_PROBE_HOST，或在 $ENV_FILE 中设置 LAOWU_PUBLIC_BASE_URL。" >&2
  exit 2
fi

ready() {
  curl -fsS -o /dev/null --max-time 5 -H "Host: $host" "http://127.0.0.1:$1/readyz"
}

wait_ready() {
  local port=$1 deadline=$((SECONDS + WAIT))
  until ready "$port"; do
    if ((SECONDS >= deadline)); then
      return 1
    fi
    sleep 1
  done
}

# Restarting one instance while another is already down would leave none.
for port in $PORTS; do
  if ! ready "$port"; then
    echo "laowu@$port 当前未就绪，未重启任何实例。" >&2
    exit 1
  fi
done

for port in $PORTS; do
  echo "重启 laowu@$port …"
  "$SYSTEMCTL" restart "laowu@$port"
  if ! wait_ready "$port"; then
    echo "laowu@$port 在 ${WAIT} 秒内未就绪，已停止滚动重启（其余实例未重启）。" >&2
    exit 1
  fi
  echo "laowu@$port 已就绪。"
done
echo "全部实例已重启。"
