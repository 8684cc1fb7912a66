"""Production settings fail fast; `check --deploy` is clean when configured properly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOOD_KEY = "k" * 20 + "Q9!x" * 10


def run(env_over: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LAOWU_", "DJANGO_", "SECRET_KEY", "DEBUG"))}
    env.update({"DJANGO_SETTINGS_MODULE": "laowu.settings.production", "ALLOWED_HOSTS": "laowu.example.cn"})
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
    res = run({"SECRET_KEY": GOOD_KEY}, "check", "--deploy", "--fail-level", "WARNING")
    assert res.returncode == 0, res.stderr + res.stdout


@pytest.mark.parametrize("hasher", ["Argon2PasswordHasher"])
def test_production_hashes_with_argon2(hasher: str) -> None:
    from laowu.settings import base

    assert base.PASSWORD_HASHERS[0].endswith(hasher)
