"""Production: fail fast on anything unsafe rather than serve insecurely."""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from laowu.core.crypto import load_keyring

from .base import *  # noqa: F403
from .base import (
    CAPTCHA_TEST_MODE,
    LAOWU_AUDIT_DEV_HMAC_KEY,
    LAOWU_AUDIT_HASH,
    LAOWU_AUDIT_MIN_RETENTION_DAYS,
    LAOWU_AUDIT_RETENTION_DAYS,
    LAOWU_COMPANY_INFO_PROVIDER,
    LAOWU_TIANYANCHA_BASE_URL,
    LAOWU_TRUSTED_PROXIES,
    PRIVATE_MEDIA_ROOT,
    SILENCED_SYSTEM_CHECKS,
    env,
)


def _is_s3(storage_class: type) -> bool:
    try:
        from storages.backends.s3 import S3Storage
    except ImportError:
        return False
    return isinstance(storage_class, type) and issubclass(storage_class, S3Storage)


def _s3_options(options: dict[str, Any]) -> dict[str, Any]:
    """django-storages' S3 options from the environment, LAOWU_STORAGE_OPTIONS winning: the
    bucket and endpoint, and a botocore Config with short timeouts and few retries, so a hung
    object store costs a download seconds, not botocore's 60 s per try. The keys come from
    AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, read by boto3 itself (never in a file here)."""
    from botocore.config import Config

    options = dict(options)
    for option, variable in (
        ("bucket_name", "LAOWU_S3_BUCKET"),
        ("endpoint_url", "LAOWU_S3_ENDPOINT_URL"),
        ("region_name", "LAOWU_S3_REGION"),
        ("addressing_style", "LAOWU_S3_ADDRESSING_STYLE"),
    ):
        if env.str(variable, default="") and option not in options:
            options[option] = env.str(variable)
    if not options.get("bucket_name"):
        raise ImproperlyConfigured("使用 S3 兼容对象存储须通过环境变量 LAOWU_S3_BUCKET 指定存储桶。")
    client_config = options.get("client_config", {})
    if not isinstance(client_config, dict):
        raise ImproperlyConfigured('LAOWU_STORAGE_OPTIONS 的 "client_config" 须为 JSON 对象，如 {"read_timeout": 10}。')
    # A client_config makes django-storages ignore its own addressing_style, signature_version
    # and proxies options, so they are carried into it.
    config: dict[str, Any] = {
        "s3": {"addressing_style": options.get("addressing_style")},
        "signature_version": options.get("signature_version"),
        "proxies": options.get("proxies"),
        "connect_timeout": env.float("LAOWU_S3_CONNECT_TIMEOUT", default=2.0),
        "read_timeout": env.float("LAOWU_S3_READ_TIMEOUT", default=10.0),
        # Every try, the first included: a hung store holds a request at most this many read timeouts.
        "retries": {"total_max_attempts": env.int("LAOWU_S3_MAX_ATTEMPTS", default=2), "mode": "standard"},
        **client_config,
    }
    try:
        options["client_config"] = Config(**config)
    except (TypeError, ValueError) as exc:
        raise ImproperlyConfigured(f'LAOWU_STORAGE_OPTIONS 的 "client_config" 无效：{exc}') from exc
    return options


DEBUG = False
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY or len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("生产环境必须通过环境变量 SECRET_KEY 提供至少50个字符的密钥。")
if CAPTCHA_TEST_MODE or env.bool("LAOWU_CAPTCHA_TEST_MODE", default=False):
    raise ImproperlyConfigured("生产环境禁止开启 LAOWU_CAPTCHA_TEST_MODE（测试验证码）。")
if env.bool("DEBUG", default=False):
    raise ImproperlyConfigured("生产环境禁止开启 DEBUG。")

# Personal data is sealed with keys only the environment holds (laowu/core/crypto.py).
if not (env.str("LAOWU_DATA_KEYS", default="") and env.str("LAOWU_DATA_KEY_ID", default="")):
    raise ImproperlyConfigured(
        "生产环境必须通过环境变量 LAOWU_DATA_KEYS 和 LAOWU_DATA_KEY_ID 提供个人信息加密密钥"
        "（生成方法见 docs/security.md）。"
    )
if len(env.str("LAOWU_BLIND_INDEX_KEY", default="")) < 44:
    raise ImproperlyConfigured("生产环境必须通过环境变量 LAOWU_BLIND_INDEX_KEY 提供至少32字节（Base64）的索引密钥。")
# Malformed keys stop the start, not the first save of a person.
load_keyring(env.str("LAOWU_DATA_KEYS"), env.str("LAOWU_DATA_KEY_ID"), env.str("LAOWU_BLIND_INDEX_KEY"))
# The audit log's MAC key (docs/audit.md): a real one, never the development key.
LAOWU_AUDIT_HMAC_KEY = env.str("LAOWU_AUDIT_HMAC_KEY", default="")
if len(LAOWU_AUDIT_HMAC_KEY) < 32 or LAOWU_AUDIT_HMAC_KEY == LAOWU_AUDIT_DEV_HMAC_KEY:
    raise ImproperlyConfigured(
        "生产环境必须通过环境变量 LAOWU_AUDIT_HMAC_KEY 提供至少32个字符的审计日志密钥（不能使用开发密钥）。"
    )
if LAOWU_AUDIT_HASH not in ("sm3", "sha256"):
    raise ImproperlyConfigured("LAOWU_AUDIT_HASH 只能是 sm3 或 sha256。")
if LAOWU_AUDIT_RETENTION_DAYS < LAOWU_AUDIT_MIN_RETENTION_DAYS:
    raise ImproperlyConfigured(
        f"LAOWU_AUDIT_RETENTION_DAYS 不能少于 {LAOWU_AUDIT_MIN_RETENTION_DAYS} 天（等保要求审计记录至少保存6个月）。"
    )

if LAOWU_COMPANY_INFO_PROVIDER == "tianyancha" and not LAOWU_TIANYANCHA_BASE_URL.startswith("https://"):
    raise ImproperlyConfigured("LAOWU_TIANYANCHA_BASE_URL 必须以 https:// 开头：天眼查令牌随每次查询发送。")
# An immediate backend would send SMS inside the request again, and 忘记密码's reply time would
# tell registered numbers from unknown ones (docs/background-work.md).
if "Immediate" in env.str("LAOWU_TASKS_BACKEND", default=""):
    raise ImproperlyConfigured("生产环境的 LAOWU_TASKS_BACKEND 不能是 ImmediateBackend：短信须由后台进程发送。")

# The address people reach the platform at: every printed sheet's QR code points there, never
# at the Host a print was requested from (a print from "localhost:8280" would otherwise send
# every scan of that sheet nowhere).
LAOWU_PUBLIC_BASE_URL = env.str("LAOWU_PUBLIC_BASE_URL", default="").rstrip("/")
_public = urlsplit(LAOWU_PUBLIC_BASE_URL)
if _public.scheme not in ("http", "https") or not _public.hostname or _public.path or _public.query:
    raise ImproperlyConfigured(
        "生产环境必须通过环境变量 LAOWU_PUBLIC_BASE_URL 提供平台的访问地址，例如 https://laowu.example.cn"
        "（打印件二维码指向此地址；不含路径）。"
    )
# A plain-HTTP deployment (an internal network, behind an nginx without TLS): no redirect to
# https, cookies sent over http, no HSTS. Everything else is https-only (docs/deploy.md).
LAOWU_PLAIN_HTTP = env.bool("LAOWU_PLAIN_HTTP", default=False)
if not LAOWU_PLAIN_HTTP and _public.scheme != "https":
    raise ImproperlyConfigured(
        "LAOWU_PUBLIC_BASE_URL 必须以 https:// 开头；仅在内网使用 HTTP 部署时设置 LAOWU_PLAIN_HTTP=1。"
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
# The public address is an origin forms are posted from (its port included, as the browser sends it).
CSRF_TRUSTED_ORIGINS = list(
    dict.fromkeys([*env.list("CSRF_TRUSTED_ORIGINS", default=[]), f"{_public.scheme}://{_public.netloc}"])
)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not LAOWU_PLAIN_HTTP)
# Load balancers and the rolling restart probe the instances directly, over plain HTTP: a 301
# would read as "down" (laowu/core/views.py).
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SESSION_COOKIE_SECURE = not LAOWU_PLAIN_HTTP
CSRF_COOKIE_SECURE = not LAOWU_PLAIN_HTTP
# HSTS binds browsers to https for this long; a first deployment starts at one day and no
# preload (a preload list entry takes months to undo), and raises both once https is settled.
SECURE_HSTS_SECONDS = 0 if LAOWU_PLAIN_HTTP else env.int("SECURE_HSTS_SECONDS", default=86400)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
# Those defaults are chosen, not forgotten: `check --deploy` should not warn about them.
SILENCED_SYSTEM_CHECKS = [*SILENCED_SYSTEM_CHECKS, "security.W005", "security.W021"]
if LAOWU_PLAIN_HTTP:
    SILENCED_SYSTEM_CHECKS += ["security.W004", "security.W008", "security.W012", "security.W016"]
LAOWU_DEMO_DATA_ALLOWED = False

# Client addresses (laowu.core.http.client_ip): the proxies whose forwarding headers are believed.
if env.str("LAOWU_PROXY_COUNT", default=""):
    raise ImproperlyConfigured(
        "LAOWU_PROXY_COUNT 已不再使用：请改为在 LAOWU_TRUSTED_PROXIES 中列出反向代理的地址（例如 127.0.0.1）。"
    )
try:
    for _proxy in LAOWU_TRUSTED_PROXIES:
        ipaddress.ip_network(_proxy.strip(), strict=False)
except ValueError as exc:
    raise ImproperlyConfigured(f"LAOWU_TRUSTED_PROXIES 中有无效的地址：{exc}。") from exc

# Attachments: the private folder on local disk by default (one server, or a folder every
# server mounts); S3-compatible object storage (阿里云 OSS, 腾讯云 COS, MinIO, SeaweedFS …)
# when LAOWU_S3_BUCKET is set, through laowu.documents.s3.S3Storage (django-storages, whose
# errors it turns into OSError); any other Django storage class by LAOWU_STORAGE_BACKEND.
# Checked here so a typo or a missing package stops the start rather than the first upload.
# docs/object-storage.md tells every variable.
# Files appear whole or not at all (laowu/core/storage.py).
_FILE_STORAGE = "laowu.core.storage.AtomicFileSystemStorage"
_S3_STORAGE = "laowu.documents.s3.S3Storage"
_storage_backend = env.str(
    "LAOWU_STORAGE_BACKEND", default=_S3_STORAGE if env.str("LAOWU_S3_BUCKET", default="") else _FILE_STORAGE
)
if _storage_backend in ("s3", "storages.backends.s3.S3Storage", "storages.backends.s3boto3.S3Boto3Storage"):
    _storage_backend = _S3_STORAGE  # the same backend, with its failures as OSError
try:
    _storage_options = env.json("LAOWU_STORAGE_OPTIONS", default={})
except ValueError:
    _storage_options = None
if not isinstance(_storage_options, dict):
    raise ImproperlyConfigured('LAOWU_STORAGE_OPTIONS 必须是 JSON 对象，例如 {"bucket_name": "laowu"}。')
try:
    _storage_class = import_string(_storage_backend)
except ImportError as exc:
    raise ImproperlyConfigured(
        f"无法加载附件存储后端 LAOWU_STORAGE_BACKEND={_storage_backend}：{exc}。"
        "使用 S3 兼容对象存储须安装 requirements.txt 中的 django-storages[s3] 和 boto3。"
    ) from exc
if not _storage_options and _storage_backend in (_FILE_STORAGE, "django.core.files.storage.FileSystemStorage"):
    # Only the file system takes a folder; for other backends "location" means something
    # else (an S3 key prefix), so an absolute local path must not leak into it.
    _storage_options = {"location": str(PRIVATE_MEDIA_ROOT)}
if _is_s3(_storage_class):
    _storage_options = _s3_options(_storage_options)
STORAGES = {
    "default": {"BACKEND": _storage_backend, "OPTIONS": _storage_options},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Redis (the `redis` package is pinned in requirements.txt): the cache, shared by every
# instance (rate limits, cached counts), and the sessions. Short socket timeouts and
# the breaker in laowu/core/cache.py keep a Redis that is down or hung from holding workers;
# what each use does without it is in docs/redis.md.
_redis = env.str("REDIS_URL", default="")
if _redis:
    _redis_cache = {
        "BACKEND": "laowu.core.cache.RedisCache",
        "LOCATION": _redis,
        "OPTIONS": {
            "socket_connect_timeout": env.float("LAOWU_REDIS_CONNECT_TIMEOUT", default=0.5),
            "socket_timeout": env.float("LAOWU_REDIS_TIMEOUT", default=0.5),
        },
        "BREAKER_SECONDS": env.float("LAOWU_REDIS_BREAKER_SECONDS", default=10.0),
    }
    CACHES = {"default": _redis_cache}
    # In Redis, in the database while Redis is unavailable (laowu/core/sessions.py).
    SESSION_ENGINE = "laowu.core.sessions"
