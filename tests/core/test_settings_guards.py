"""Production settings fail fast; `check --deploy` is clean when configured properly."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOOD_KEY = "k" * 20 + "Q9!x" * 10
# Personal-data keys in the format laowu/core/crypto.py reads (made up for these runs only).
DATA_KEYS = {
    "LAOWU_DATA_KEYS": "p1:sm4:" + base64.b64encode(b"0123456789abcdef").decode(),
    "LAOWU_DATA_KEY_ID": "p1",
    "LAOWU_BLIND_INDEX_KEY": base64.b64encode(b"i" * 32).decode(),
}
AUDIT_KEY = "audit-" + "Zr7%" * 10


def run(env_over: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LAOWU_", "DJANGO_", "SECRET_KEY", "DEBUG"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "laowu.settings.production",
            "ALLOWED_HOSTS": "laowu.example.cn",
            "LAOWU_PUBLIC_BASE_URL": "https://laowu.example.cn",
            "LAOWU_AUDIT_HMAC_KEY": AUDIT_KEY,
        }
    )
    env.update(DATA_KEYS)
    env.update(env_over)
    return subprocess.run(
        [sys.executable, "manage.py", *(args or ("check",))],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_without_secret_key() -> None:
    res = run({})
    assert res.returncode != 0 and "SECRET_KEY" in res.stderr


def test_production_refuses_short_secret_key() -> None:
    res = run({"SECRET_KEY": "short"})
    assert res.returncode != 0 and "SECRET_KEY" in res.stderr


@pytest.mark.parametrize("missing", ["LAOWU_DATA_KEYS", "LAOWU_DATA_KEY_ID", "LAOWU_BLIND_INDEX_KEY"])
def test_production_refuses_without_personal_data_keys(missing: str) -> None:
    res = run({"SECRET_KEY": GOOD_KEY, missing: ""})
    assert res.returncode != 0 and missing in res.stderr


def test_production_refuses_a_malformed_data_key() -> None:
    res = run({"SECRET_KEY": GOOD_KEY, "LAOWU_DATA_KEYS": "p1:sm4:" + base64.b64encode(b"short").decode()})
    assert res.returncode != 0 and "SM4 密钥须为16字节" in res.stderr


def test_production_refuses_captcha_test_mode() -> None:
    res = run({"SECRET_KEY": GOOD_KEY, "LAOWU_CAPTCHA_TEST_MODE": "1"})
    assert res.returncode != 0 and "LAOWU_CAPTCHA_TEST_MODE" in res.stderr


def test_production_refuses_debug() -> None:
    res = run({"SECRET_KEY": GOOD_KEY, "DEBUG": "1"})
    assert res.returncode != 0 and "DEBUG" in res.stderr


def test_production_refuses_demo_data(tmp_path: Path) -> None:
    res = run({"SECRET_KEY": GOOD_KEY, "DATABASE_URL": f"sqlite:///{tmp_path / 'p.sqlite3'}"}, "seed_demo")
    assert res.returncode != 0 and "生产环境不允许创建演示数据" in res.stderr


def test_check_deploy_is_clean() -> None:
    env = {"SECRET_KEY": GOOD_KEY, "LAOWU_COMMITTEE_CONTACT_PHONE": "0512-65001234"}
    res = run(env, "check", "--deploy", "--fail-level", "WARNING")
    assert res.returncode == 0, res.stderr + res.stdout


def test_check_deploy_asks_for_the_committees_phone() -> None:
    # Blocked pages and 帮助 name whom to call; a deployment without the number is told so.
    res = run({"SECRET_KEY": GOOD_KEY}, "check", "--deploy", "--fail-level", "WARNING")
    assert res.returncode != 0 and "laowu.W001" in res.stderr + res.stdout


@pytest.mark.parametrize("hasher", ["Argon2PasswordHasher"])
def test_production_hashes_with_argon2(hasher: str) -> None:
    from laowu.settings import base

    assert base.PASSWORD_HASHERS[0].endswith(hasher)


def test_argon2_parameters_fit_the_server_and_old_hashes_upgrade() -> None:
    """OWASP's Argon2id setting (19 MiB, t=2, p=1); a hash made with Django's heavier
    defaults still verifies and is marked for re-hashing at the next login."""
    import argon2
    from django.contrib.auth.hashers import Argon2PasswordHasher, check_password, get_hasher, make_password

    from laowu.accounts.hashers import LaowuArgon2PasswordHasher

    encoded = make_password("Laowu@2026", hasher=LaowuArgon2PasswordHasher())
    params = argon2.extract_parameters(encoded.removeprefix("argon2"))
    assert (params.memory_cost, params.time_cost, params.parallelism, params.type) == (
        19 * 1024,
        2,
        1,
        argon2.Type.ID,
    )
    old = make_password("Laowu@2026", hasher=Argon2PasswordHasher())
    assert check_password("Laowu@2026", old)
    assert isinstance(get_hasher("argon2"), LaowuArgon2PasswordHasher)
    assert get_hasher("argon2").must_update(old) and not get_hasher("argon2").must_update(encoded)


def test_production_with_redis_url_builds_its_cache_client() -> None:
    # The cache backend imports `redis` only when first used, so `check` alone would not
    # notice a missing package: build the client (no server is contacted for that).
    script = (
        "from django.conf import settings; from django.core.cache import caches;"
        "cache = caches['default']; client = cache._cache.get_client(write=True);"
        "print(type(cache).__module__, type(client).__module__, settings.SESSION_ENGINE,"
        " client is cache._cache.get_client(), client is cache._cache.get_client(write=True))"
    )
    res = run({"SECRET_KEY": GOOD_KEY, "REDIS_URL": "redis://127.0.0.1:1/0"}, "shell", "--no-imports", "-c", script)
    assert res.returncode == 0, res.stderr
    # One client per connection pool, not one per cache call (laowu.core.cache).
    assert res.stdout.split() == [
        "laowu.core.cache",
        "redis.client",
        "laowu.core.sessions",
        "True",
        "True",
    ]


def test_production_redis_has_short_timeouts_and_sessions_survive_it() -> None:
    script = (
        "from django.conf import settings; c = settings.CACHES;"
        "print(c['default']['OPTIONS']['socket_connect_timeout'], c['default']['OPTIONS']['socket_timeout'],"
        " c['default']['BREAKER_SECONDS'], settings.SESSION_ENGINE)"
    )
    env = {"SECRET_KEY": GOOD_KEY, "REDIS_URL": "redis://127.0.0.1:1/0"}
    res = run(env, "shell", "--no-imports", "-c", script)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["0.5", "0.5", "10.0", "laowu.core.sessions"]
    res = run(
        {**env, "LAOWU_REDIS_TIMEOUT": "0.2", "LAOWU_REDIS_BREAKER_SECONDS": "3"}, "shell", "--no-imports", "-c", script
    )
    assert res.stdout.split()[1:3] == ["0.2", "3.0"], res.stderr


def test_production_refuses_a_storage_backend_it_cannot_load() -> None:
    res = run({"SECRET_KEY": GOOD_KEY, "LAOWU_STORAGE_BACKEND": "storages.backends.nowhere.Storage"})
    assert res.returncode != 0 and "LAOWU_STORAGE_BACKEND" in res.stderr and "django-storages" in res.stderr
    res = run({"SECRET_KEY": GOOD_KEY, "LAOWU_STORAGE_OPTIONS": "not json"})
    assert res.returncode != 0 and "LAOWU_STORAGE_OPTIONS 必须是 JSON 对象" in res.stderr


def test_production_storage_options_reach_the_backend(tmp_path: Path) -> None:
    script = "from django.core.files.storage import default_storage as s; print(s.location)"
    res = run({"SECRET_KEY": GOOD_KEY}, "shell", "--no-imports", "-c", script)
    assert res.returncode == 0 and res.stdout.strip().endswith("/private"), res.stderr
    options = '{"location": "%s"}' % (tmp_path / "files")
    res = run({"SECRET_KEY": GOOD_KEY, "LAOWU_STORAGE_OPTIONS": options}, "shell", "--no-imports", "-c", script)
    assert res.returncode == 0 and res.stdout.strip() == str(tmp_path / "files"), res.stderr


def test_trusted_proxies_come_from_the_environment() -> None:
    script = "from django.conf import settings; print(settings.LAOWU_TRUSTED_PROXIES, settings.AXES_CLIENT_IP_CALLABLE)"
    env = {"SECRET_KEY": GOOD_KEY, "LAOWU_TRUSTED_PROXIES": "127.0.0.1,10.0.0.0/8"}
    res = run(env, "shell", "--no-imports", "-c", script)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["['127.0.0.1',", "'10.0.0.0/8']", "laowu.core.http.client_ip"]
    res = run({"SECRET_KEY": GOOD_KEY, "LAOWU_TRUSTED_PROXIES": "nginx"})
    assert res.returncode != 0 and "LAOWU_TRUSTED_PROXIES" in res.stderr
    # The count it replaced would silently trust nobody: refused with the new name.
    res = run({"SECRET_KEY": GOOD_KEY, "LAOWU_PROXY_COUNT": "1"})
    assert res.returncode != 0 and "LAOWU_TRUSTED_PROXIES" in res.stderr


def test_production_refuses_without_a_real_audit_key() -> None:
    from django.conf import settings

    for key in ("", "short-key", settings.LAOWU_AUDIT_DEV_HMAC_KEY):
        res = run({"SECRET_KEY": GOOD_KEY, "LAOWU_AUDIT_HMAC_KEY": key})
        assert res.returncode != 0 and "LAOWU_AUDIT_HMAC_KEY" in res.stderr, key


def test_production_refuses_audit_retention_under_six_months() -> None:
    res = run({"SECRET_KEY": GOOD_KEY, "LAOWU_AUDIT_RETENTION_DAYS": "179"})
    assert res.returncode != 0 and "LAOWU_AUDIT_RETENTION_DAYS" in res.stderr
    assert run({"SECRET_KEY": GOOD_KEY, "LAOWU_AUDIT_RETENTION_DAYS": "180"}).returncode == 0


S3_SCRIPT = (
    "from django.core.files.storage import storages; s = storages['default']; c = s.client_config;"
    "print(type(s).__module__, s.bucket_name, s.endpoint_url, c.connect_timeout, c.read_timeout,"
    " c.retries['total_max_attempts'], c.s3['addressing_style'])"
)


def test_production_s3_from_the_environment_with_short_timeouts() -> None:
    env = {
        "SECRET_KEY": GOOD_KEY,
        "LAOWU_S3_BUCKET": "laowu-files",
        "LAOWU_S3_ENDPOINT_URL": "http://127.0.0.1:8333",
        "LAOWU_S3_ADDRESSING_STYLE": "path",
    }
    res = run(env, "shell", "--no-imports", "-c", S3_SCRIPT)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == [
        "laowu.documents.s3",
        "laowu-files",
        "http://127.0.0.1:8333",
        "2.0",
        "10.0",
        "2",
        "path",
    ]
    tuned = {"LAOWU_S3_CONNECT_TIMEOUT": "1", "LAOWU_S3_READ_TIMEOUT": "3", "LAOWU_S3_MAX_ATTEMPTS": "1"}
    res = run({**env, **tuned}, "shell", "--no-imports", "-c", S3_SCRIPT)
    assert res.stdout.split()[3:6] == ["1.0", "3.0", "1"], res.stderr


def test_production_s3_client_config_json_becomes_a_botocore_config() -> None:
    # Once refused with "'dict' object has no attribute 'user_agent_extra'": the JSON object is
    # now a botocore Config, its keys over the environment's defaults.
    options = '{"bucket_name": "b", "client_config": {"read_timeout": 4, "retries": {"total_max_attempts": 3}}}'
    env = {
        "SECRET_KEY": GOOD_KEY,
        "LAOWU_STORAGE_BACKEND": "storages.backends.s3.S3Storage",
        "LAOWU_STORAGE_OPTIONS": options,
    }
    res = run(env, "shell", "--no-imports", "-c", S3_SCRIPT)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["laowu.documents.s3", "b", "None", "2.0", "4", "3", "None"]
    res = run({**env, "LAOWU_STORAGE_OPTIONS": '{"bucket_name": "b", "client_config": {"read_timout": 4}}'})
    assert res.returncode != 0 and "client_config" in res.stderr
    res = run({"SECRET_KEY": GOOD_KEY, "LAOWU_STORAGE_BACKEND": "s3"})
    assert res.returncode != 0 and "LAOWU_S3_BUCKET" in res.stderr
