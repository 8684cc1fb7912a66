"""deploy/: the nginx sites pass `nginx -t`, gunicorn accepts its config, the systemd units
verify, the rolling restart waits for each instance, and the env file names real settings."""

from __future__ import annotations

import configparser
import datetime as dt
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def nginx_binary() -> str:
    found = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)
    if not found:
        pytest.skip("nginx is not installed: scripts/system-deps.sh installs it")
    return found


def render(template: Path, values: dict[str, str]) -> str:
    """What `envsubst '<the names>'` makes of a site (the command in each site's header)."""
    text = template.read_text()
    names = set(re.findall(r"\$\{(LAOWU_[A-Z_]+)\}", text))
    assert names == set(values), names
    for name, value in values.items():
        text = text.replace("${" + name + "}", value)
    return text


def self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "laowu.example.cn")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def nginx_test(tmp_path: Path, site: str) -> subprocess.CompletedProcess[str]:
    """`nginx -t` on a main config laid out as Debian's (conf.d/, snippets/, sites), with every
    path nginx writes moved under tmp_path so it runs as any user."""
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "snippets").mkdir()
    (tmp_path / "sites").mkdir()
    shutil.copy(DEPLOY / "nginx" / "laowu-upstream.conf", tmp_path / "conf.d")
    shutil.copy(DEPLOY / "nginx" / "laowu-proxy.conf", tmp_path / "snippets")
    (tmp_path / "sites" / "laowu").write_text(site.replace("/var/log/nginx/", f"{tmp_path}/"))
    temp_paths = "\n".join(
        f"    {kind}_temp_path {tmp_path}/{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\nhttp {{\n"
        f"    access_log {tmp_path}/access.log;\n{temp_paths}\n"
        "    include conf.d/*.conf;\n    include sites/*;\n}\n"
    )
    return subprocess.run(
        [nginx_binary(), "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-e", str(tmp_path / "e.log")],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_https_site_passes_nginx_t(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    site = render(
        DEPLOY / "nginx" / "laowu.conf",
        {"LAOWU_SERVER_NAME": "laowu.example.cn", "LAOWU_TLS_CERT": str(cert), "LAOWU_TLS_KEY": str(key)},
    )
    res = nginx_test(tmp_path, site)
    assert res.returncode == 0 and "test is successful" in res.stderr, res.stderr


def test_the_plain_http_site_passes_nginx_t(tmp_path: Path) -> None:
    site = render(DEPLOY / "nginx" / "laowu-http.conf", {"LAOWU_SERVER_NAME": "10.0.0.5", "LAOWU_HTTP_PORT": "8280"})
    res = nginx_test(tmp_path, site)
    assert res.returncode == 0 and "test is successful" in res.stderr, res.stderr


def test_the_proxy_passes_what_the_app_relies_on() -> None:
    from django.conf import settings

    proxy = (DEPLOY / "nginx" / "laowu-proxy.conf").read_text()
    for line in (
        "proxy_set_header Host $http_host;",  # the port too: CSRF origins and redirects
        "proxy_set_header X-Forwarded-Proto $scheme;",
        "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        "proxy_set_header X-Request-ID $request_id;",
    ):
        assert line in proxy
    # Retried on the next instance, never a POST that reached one.
    [retry] = re.findall(r"^proxy_next_upstream (.*);$", proxy, re.M)
    assert "error" in retry and "non_idempotent" not in retry
    upstream = (DEPLOY / "nginx" / "laowu-upstream.conf").read_text()
    assert len(re.findall(r"^\s+server 127\.0\.0\.1:\d+", upstream, re.M)) >= 2  # two instances or more
    for site in ("laowu.conf", "laowu-http.conf"):
        [size] = re.findall(r"client_max_body_size (\d+)m;", (DEPLOY / "nginx" / site).read_text())
        assert int(size) * 1024 * 1024 == settings.LAOWU_MAX_REQUEST_BYTES, site


def test_gunicorn_accepts_its_config() -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "laowu.settings.test"}
    gunicorn = Path(sys.executable).with_name("gunicorn")
    res = subprocess.run(
        [str(gunicorn), "--check-config", "--config", str(DEPLOY / "gunicorn.conf.py")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr + res.stdout
    res = subprocess.run(
        [str(gunicorn), "--print-config", "--config", str(DEPLOY / "gunicorn.conf.py")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    printed = dict(re.findall(r"^(\w+)\s+= (.*)$", res.stdout, re.M))
    assert printed["timeout"] == "120" and printed["graceful_timeout"] == "30"
    assert printed["accesslog"] == "-" and printed["wsgi_app"] == "laowu.wsgi:application"
    # The request id the app returned and the client nginx saw, on gunicorn's line too.
    assert "%({x-request-id}o)s" in printed["access_log_format"]
    assert "%({x-real-ip}i)s" in printed["access_log_format"]


def rendered_units(tmp_path: Path) -> list[Path]:
    """The units as installed from a checkout at ROOT (their ExecStart must exist)."""
    units = []
    for unit in sorted((DEPLOY / "systemd").glob("*.service")):
        target = tmp_path / unit.name
        target.write_text(unit.read_text().replace("/srv/laowu", str(ROOT)))
        units.append(target)
    return units


def test_the_systemd_units_verify(tmp_path: Path) -> None:
    units = rendered_units(tmp_path)
    assert {u.name for u in units} == {"laowu@.service", "laowu-worker.service"}
    analyze = shutil.which("systemd-analyze")
    if analyze:
        instance = tmp_path / "laowu@8001.service"
        res = subprocess.run(
            [analyze, "verify", str(instance), str(tmp_path / "laowu-worker.service")],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
        )
        assert res.returncode == 0 and "Unknown" not in res.stderr, res.stderr
    for unit in units:
        parser = configparser.ConfigParser(strict=False, interpolation=None)
        parser.optionxform = str  # type: ignore[assignment,method-assign]
        parser.read(unit)
        service = parser["Service"]
        assert service["EnvironmentFile"] == "/etc/laowu/laowu.env"
        assert service["Environment"] == "DJANGO_SETTINGS_MODULE=laowu.settings.production"
        assert parser["Install"]["WantedBy"] == "multi-user.target"
    app = (DEPLOY / "systemd" / "laowu@.service").read_text()
    assert "--bind 127.0.0.1:%i" in app and "--config /srv/laowu/deploy/gunicorn.conf.py" in app
    assert (
        "ExecStart=/srv/laowu/.venv/bin/python manage.py run_worker"
        in (DEPLOY / "systemd" / "laowu-worker.service").read_text()
    )


class Instance(http.server.ThreadingHTTPServer):
    ready = True
    # Once this file exists the instance answers 503: the fake systemctl creates it.
    down_after_restart: Path | None = None
    hosts: list[str]


class ReadyzHandler(http.server.BaseHTTPRequestHandler):
    server: Instance

    def do_GET(self) -> None:
        self.server.hosts.append(self.headers.get("Host", ""))
        down = self.server.down_after_restart
        ready = self.server.ready and not (down and down.exists())
        self.send_response(200 if self.path == "/readyz" and ready else 503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def instances() -> Iterator[list[Instance]]:
    servers = []
    for _ in range(2):
        server = Instance(("127.0.0.1", 0), ReadyzHandler)
        server.hosts = []
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    yield servers
    for server in servers:
        server.shutdown()
        server.server_close()


def rolling_restart(
    tmp_path: Path, instances: list[Instance], broken_after_restart: int | None = None
) -> tuple[subprocess.CompletedProcess[str], list[str], list[str]]:
    """Runs deploy/rolling-restart.sh with `systemctl` standing in: it records each restart and
    (for `broken_after_restart`) leaves that instance unready, as a failed deployment would."""
    log = tmp_path / "systemctl.log"
    ports = [str(s.server_address[1]) for s in instances]
    fake = tmp_path / "systemctl"
    script = f'#!/bin/sh\necho "$@" >> {log}\n'
    if broken_after_restart is not None:
        down = tmp_path / "down"
        instances[broken_after_restart].down_after_restart = down
        script += f'[ "$2" = "laowu@{ports[broken_after_restart]}" ] && touch {down}\nexit 0\n'
    fake.write_text(script)
    fake.chmod(0o755)
    env_file = tmp_path / "laowu.env"
    env_file.write_text("SECRET_KEY=x\nLAOWU_PUBLIC_BASE_URL=https://laowu.example.cn\n")
    env = {
        **os.environ,
        "LAOWU_PORTS": " ".join(ports),
        "LAOWU_ENV_FILE": str(env_file),
        "LAOWU_READY_WAIT": "2",
        "SYSTEMCTL": str(fake),
    }
    res = subprocess.run(
        ["bash", str(DEPLOY / "rolling-restart.sh")], env=env, capture_output=True, text=True, timeout=60
    )
    restarts = log.read_text().splitlines() if log.exists() else []
    return res, restarts, ports


def test_the_rolling_restart_goes_instance_by_instance(tmp_path: Path, instances: list[Instance]) -> None:
    res, restarts, ports = rolling_restart(tmp_path, instances)
    assert res.returncode == 0, res.stderr
    assert restarts == [f"restart laowu@{p}" for p in ports]
    assert set(instances[0].hosts) == {"laowu.example.cn"}


def test_the_rolling_restart_stops_at_an_instance_that_is_not_ready(tmp_path: Path, instances: list[Instance]) -> None:
    res, restarts, ports = rolling_restart(tmp_path, instances, broken_after_restart=0)
    assert res.returncode == 1 and "未就绪" in res.stderr
    assert restarts == [f"restart laowu@{ports[0]}"]  # the second keeps serving the old code


def test_the_rolling_restart_touches_nothing_while_an_instance_is_down(
    tmp_path: Path, instances: list[Instance]
) -> None:
    instances[1].ready = False
    res, restarts, _ = rolling_restart(tmp_path, instances)
    assert res.returncode == 1 and restarts == []


def test_the_scripts_parse() -> None:
    for script in sorted(DEPLOY.glob("*.sh")):
        res = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True, timeout=30)
        assert res.returncode == 0, (script.name, res.stderr)
        assert os.access(script, os.X_OK), script.name


def test_the_env_example_names_every_required_setting_and_only_real_ones() -> None:
    example = (DEPLOY / "laowu.env.example").read_text()
    names = re.findall(r"^([A-Z][A-Z0-9_]*)=", example, re.M)
    required = {
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "DATABASE_URL",
        "REDIS_URL",
        "LAOWU_PUBLIC_BASE_URL",
        "LAOWU_TRUSTED_PROXIES",
        "LAOWU_DATA_KEYS",
        "LAOWU_DATA_KEY_ID",
        "LAOWU_BLIND_INDEX_KEY",
        "LAOWU_AUDIT_HMAC_KEY",
        "LAOWU_COMMITTEE_CONTACT_PHONE",
    }
    assert required <= set(names)
    read = "".join(p.read_text() for p in (ROOT / "laowu" / "settings").glob("*.py"))
    read += (DEPLOY / "gunicorn.conf.py").read_text()
    unread = [n for n in names if f'"{n}"' not in read]
    assert unread == []
