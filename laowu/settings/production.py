"""Production: fail fast on anything unsafe rather than serve insecurely."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import CAPTCHA_TEST_MODE, PRIVATE_MEDIA_ROOT, env

DEBUG = False
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY or len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("生产环境必须通过环境变量 SECRET_KEY 提供至少50个字符的密钥。")
if CAPTCHA_TEST_MODE or env.bool("LAOWU_CAPTCHA_TEST_MODE", default=False):
    raise ImproperlyConfigured("生产环境禁止开启 LAOWU_CAPTCHA_TEST_MODE（测试验证码）。")
if env.bool("DEBUG", default=False):
    raise ImproperlyConfigured("生产环境禁止开启 DEBUG。")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
LAOWU_DEMO_DATA_ALLOWED = False

STORAGES = {
    "default": {
        "BACKEND": env.str("LAOWU_STORAGE_BACKEND", default="django.core.files.storage.FileSystemStorage"),
        "OPTIONS": env.json("LAOWU_STORAGE_OPTIONS", default={}) or {"location": str(PRIVATE_MEDIA_ROOT)},
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

_redis = env.str("REDIS_URL", default="")
if _redis:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _redis}}
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
