"""Production settings for a deployment: the public address, plain HTTP behind an internal
nginx, HSTS, probes over plain HTTP and database connections (laowu/settings/production.py)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.core.test_settings_guards import GOOD_KEY, run

# Runs inside `manage.py shell` under production settings: the probes as a load balancer
# sends them (plain HTTP, straight to the instance), a page, and a form post's CSRF check.
PROBE = """
import json
from django.conf import settings
from django.middleware.csrf import CsrfViewMiddleware, get_token
from django.test import Client, RequestFactory

host = settings.LAOWU_PUBLIC_BASE_URL.split("://")[1]
c = Client(HTTP_HOST=host)
out = {name: c.get(path) for name, path in [("healthz", "/healthz"), ("readyz", "/readyz"), ("page", "/")]}
out = {k: [r.status_code, r.get("Location", "")] for k, r in out.items()}
rf = RequestFactory()
get = rf.get("/", HTTP_HOST=host)
token = get_token(get)
post = rf.post("/accounts/login/", {"csrfmiddlewaretoken": token}, HTTP_HOST=host,
               HTTP_ORIGIN=settings.LAOWU_PUBLIC_BASE_URL, secure=settings.LAOWU_PUBLIC_BASE_URL.startswith("https"))
post.COOKIES[settings.CSRF_COOKIE_NAME] = get.META["CSRF_COOKIE"]
refused = CsrfViewMiddleware(lambda r: None).process_view(post, lambda r: None, (), {})
db = settings.DATABASES["default"]
out.update(
    csrf_refused=refused is not None,
    secure_cookies=[settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE],
    hsts=[settings.SECURE_HSTS_SECONDS, settings.SECURE_HSTS_INCLUDE_SUBDOMAINS, settings.SECURE_HSTS_PRELOAD],
    trusted_origins=settings.CSRF_TRUSTED_ORIGINS,
    conn=[db.get("CONN_MAX_AGE"), db.get("CONN_HEALTH_CHECKS")],
)
print("RESULT " + json.dumps(out))
"""


def probe(tmp_path: Path, **env: str) -> dict:
    base = {
        "SECRET_KEY": GOOD_KEY,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'p.sqlite3'}",
        "LAOWU_STORAGE_OPTIONS": json.dumps({"location": str(tmp_path / "files")}),
        "LAOWU_DATA_DIR": str(tmp_path),
    }
    res = run({**base, **env}, "shell", "--no-imports", "-c", PROBE)
    assert res.returncode == 0, res.stderr
    [line] = [x for x in res.stdout.splitlines() if x.startswith("RESULT ")]
    return json.loads(line.removeprefix("RESULT "))


def test_probes_answer_over_plain_http_while_pages_redirect_to_https(tmp_path: Path) -> None:
    out = probe(tmp_path)
    assert out["healthz"] == [200, ""]
    assert out["readyz"] == [200, ""]
    assert out["page"] == [301, "https://laowu.example.cn/"]
    # A safe first deployment: one day of HSTS, no subdomains, no preload list.
    assert out["hsts"] == [86400, False, False]
    assert out["secure_cookies"] == [True, True]
    assert out["trusted_origins"] == ["https://laowu.example.cn"]
    assert out["csrf_refused"] is False


def test_hsts_is_chosen_by_the_environment(tmp_path: Path) -> None:
    env = {"SECURE_HSTS_SECONDS": "31536000", "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1", "SECURE_HSTS_PRELOAD": "1"}
    assert probe(tmp_path, **env)["hsts"] == [31536000, True, True]


def test_plain_http_behind_an_internal_nginx_works_end_to_end(tmp_path: Path) -> None:
    env = {
        "LAOWU_PLAIN_HTTP": "1",
        "LAOWU_PUBLIC_BASE_URL": "http://10.0.0.5:8280",
        "ALLOWED_HOSTS": "10.0.0.5",
    }
    out = probe(tmp_path, **env)
    # No redirect to https, cookies the browser sends back over http, a form post accepted.
    assert out["page"] == [302, "/accounts/login/?next=/"] and out["healthz"] == [200, ""]
    assert out["secure_cookies"] == [False, False]
    assert out["hsts"][0] == 0
    assert out["trusted_origins"] == ["http://10.0.0.5:8280"]
    assert out["csrf_refused"] is False
    res = run({"SECRET_KEY": GOOD_KEY, **env}, "check", "--deploy", "--fail-level", "WARNING")
    assert "security.W" not in res.stderr + res.stdout


def test_database_connections_are_checked_before_reuse(tmp_path: Path) -> None:
    pg = {"DATABASE_URL": "postgres://laowu@127.0.0.1:1/laowu"}
    script = "from django.conf import settings; d = settings.DATABASES['default'];" + (
        "print(d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'], d['OPTIONS']['connect_timeout'])"
    )
    res = run({"SECRET_KEY": GOOD_KEY, **pg}, "shell", "--no-imports", "-c", script)
    assert res.returncode == 0 and res.stdout.split() == ["60", "True", "5"], res.stderr
    res = run({"SECRET_KEY": GOOD_KEY, **pg, "CONN_MAX_AGE": "300"}, "shell", "--no-imports", "-c", script)
    assert res.returncode == 0 and res.stdout.split() == ["300", "True", "5"], res.stderr


def test_production_refuses_without_a_public_address() -> None:
    for value in ("", "laowu.example.cn", "https://laowu.example.cn/app", "ftp://laowu.example.cn"):
        res = run({"SECRET_KEY": GOOD_KEY, "LAOWU_PUBLIC_BASE_URL": value})
        assert res.returncode != 0 and "LAOWU_PUBLIC_BASE_URL" in res.stderr, value
    # http only for a deployment that says it is plain HTTP.
    res = run({"SECRET_KEY": GOOD_KEY, "LAOWU_PUBLIC_BASE_URL": "http://laowu.example.cn"})
    assert res.returncode != 0 and "LAOWU_PLAIN_HTTP" in res.stderr
    assert run({"SECRET_KEY": GOOD_KEY, "LAOWU_PUBLIC_BASE_URL": "https://laowu.example.cn/"}).returncode == 0
