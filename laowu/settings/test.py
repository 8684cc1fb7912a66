"""Test settings: the same stack as local, with fast hashing and test captcha."""

from __future__ import annotations

from .base import *  # noqa: F403
from .base import BASE_DIR

SECRET_KEY = "test-only-not-secret"  # noqa: S105 - test settings are never deployed
DEBUG = False
CAPTCHA_TEST_MODE = True
# Argon2 is the production hasher (checked in tests); MD5 only keeps fixtures fast.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
]
LAOWU_DATA_DIR_FOR_TESTS = BASE_DIR / "var" / "test"
LAOWU_DEMO_DATA_ALLOWED = True
ALLOWED_HOSTS = ["*"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
