"""gunicorn settings for one app instance (deploy/systemd/laowu@.service passes --bind per
instance). Values can be tuned from the environment file without editing this file."""

from __future__ import annotations

import multiprocessing
import os

wsgi_app = "laowu.wsgi:application"
bind = os.environ.get("LAOWU_BIND", "127.0.0.1:8001")
proc_name = "laowu"

# Sync workers: each serves one request at a time. With two instances on a server, one
# worker per core per instance keeps every core busy while one instance restarts.
workers = int(os.environ.get("LAOWU_GUNICORN_WORKERS", max(2, multiprocessing.cpu_count())))
# A worker silent this long is killed and replaced (a printed sheet or a catalogue import on a
# busy server takes seconds, not minutes). nginx waits a little longer (deploy/nginx/laowu-proxy.conf).
timeout = int(os.environ.get("LAOWU_GUNICORN_TIMEOUT", 120))
# On SIGTERM (systemctl stop/restart) the listening socket closes at once, so nginx sends new
# requests to the other instance, and requests in progress get this long to finish.
graceful_timeout = int(os.environ.get("LAOWU_GUNICORN_GRACEFUL_TIMEOUT", 30))
# Replaced now and then, so memory a long-lived worker accumulates (PDF rendering) is returned.
max_requests = 2000
max_requests_jitter = 200

# Only our nginx may tell the scheme (X-Forwarded-Proto); the same list the app trusts.
forwarded_allow_ips = os.environ.get("LAOWU_TRUSTED_PROXIES", "127.0.0.1,::1")

# Both logs to stderr, so journald keeps them with the app's own lines (journalctl -u 'laowu@*').
errorlog = "-"
accesslog = "-"
# key=value, values quoted: gunicorn writes header values as received and cannot escape them
# for JSON. client_ip is what nginx saw (X-Real-IP, set by deploy/nginx/laowu-proxy.conf);
# request_id is the id the app returned, the same as on nginx's and the app's lines.
access_log_format = (
    'time=%(t)s logger=gunicorn.access request_id="%({x-request-id}o)s" client_ip="%({x-real-ip}i)s" '
    'forwarded_for="%({x-forwarded-for}i)s" remote=%(h)s method=%(m)s path="%(U)s" status=%(s)s '
    'bytes=%(B)s duration_ms=%(M)s user_agent="%(a)s"'
)
