"""Test settings: the same stack as local, with fast hashing and test captcha."""

from __future__ import annotations

from .base import *  # noqa: F403
from .base import BASE_DIR, LAOWU_AUDIT_DEV_HMAC_KEY, env

SECRET_KEY = "test-only-not-secret"  # noqa: S105 - test settings are never deployed
# Fixed keys so test data opens across processes (the live server, helpers); never deployed.
LAOWU_DATA_KEYS = "test1:sm4:dGVzdC1vbmx5LWtleS0xNg=="
LAOWU_DATA_KEY_ID = "test1"
LAOWU_BLIND_INDEX_KEY = "dGVzdC1vbmx5LWJsaW5kLWluZGV4LWtleS0zMi1ieXRlcw=="
DEBUG = False
CAPTCHA_TEST_MODE = True
# Argon2 is the production hasher (checked in tests); MD5 only keeps fixtures fast.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "laowu.accounts.hashers.LaowuArgon2PasswordHasher",
]
LAOWU_DATA_DIR_FOR_TESTS = BASE_DIR / "var" / "test"
LAOWU_DEMO_DATA_ALLOWED = True
ALLOWED_HOSTS = ["*"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    import os

    # A file rather than :memory: — the live server's threads then each open their own
    # connection, as in production, instead of sharing one, which SQLite answers with
    # "database table is locked" when the browser sends two requests at once.
    LAOWU_DATA_DIR_FOR_TESTS.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["TEST"] = {"NAME": str(LAOWU_DATA_DIR_FOR_TESTS / f"test-{os.getpid()}.sqlite3")}  # noqa: F405

# Tests change data between two looks at the dashboard; its cache has a test of its own.
LAOWU_STATISTICS_CACHE_SECONDS = 0
LAOWU_PENDING_COUNTS_SECONDS = 0

# A fixed audit key when none is given: production refuses this one (production.py).
LAOWU_AUDIT_HMAC_KEY = env.str("LAOWU_AUDIT_HMAC_KEY", default="") or LAOWU_AUDIT_DEV_HMAC_KEY
# Many tests are refused from 127.0.0.1 within a minute; the limit has tests of its own.
LAOWU_AUDIT_REFUSALS_PER_MINUTE = 100_000

# SMS jobs run at once, inside the enqueueing transaction, so a test reads the outbox right
# after the request; the queue itself (retries, the worker, timing) has its own tests, which
# switch to the database backend (tests/accounts/test_sms_queue.py).
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default", "sms"]}}
