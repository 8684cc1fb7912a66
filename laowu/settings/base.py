"""Settings shared by every environment. Everything site-specific comes from the environment."""

from __future__ import annotations

from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()

# Runtime data (SQLite file, private uploads, SMS outbox) lives outside the code tree's
# tracked files so that `make run` twice keeps what the first run made.
DATA_DIR = Path(env.str("LAOWU_DATA_DIR", default=str(BASE_DIR / "var")))
# The printed sheets' GB 2312 font cuts (laowu/documents/fonts.py), built once by `make`.
LAOWU_SHEET_FONTS_DIR = Path(env.str("LAOWU_SHEET_FONTS_DIR", default=str(BASE_DIR / "var" / "fonts")))

DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "axes",
    "captcha",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "laowu.core",
    "laowu.audit",
    "laowu.accounts",
    "laowu.enterprises",
    "laowu.integrations",
    "laowu.documents",
    "laowu.review",
    "laowu.personnel",
    "laowu.contracts",
    "laowu.supervision",
    "laowu.workspace",
    "laowu.scaledata",
]

MIDDLEWARE = [
    # First, so every response (a redirect, a refusal) carries its id and gets its log line.
    "laowu.core.middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # django-csp's, its header built once per policy rather than per response (laowu/core/middleware.py).
    "laowu.core.middleware.CSPMiddleware",
    "laowu.core.middleware.SecurityHeadersMiddleware",
    "laowu.core.middleware.RequestSizeLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "laowu.core.sessions.SessionTouchMiddleware",
    # Django's, minus its lookups of a language prefix no URL has (laowu/core/middleware.py).
    "laowu.core.middleware.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's and django_otp's, reading the user and its second-factor state in one query
    # (laowu/accounts/middleware.py); then the second-factor gate (laowu/accounts/otp.py).
    "laowu.accounts.middleware.AuthenticationMiddleware",
    "laowu.accounts.middleware.OTPMiddleware",
    "laowu.accounts.middleware.SecondFactorMiddleware",
    "laowu.accounts.middleware.PasswordChangeRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    # Inside the others, so it sees the final status of every refusal (laowu/audit/middleware.py).
    "laowu.audit.middleware.RefusalAuditMiddleware",
    # A missing stored file or a full disk: a page saying so, not a 500 (laowu/documents/middleware.py).
    "laowu.documents.middleware.StorageErrorMiddleware",
]
# A failed CSRF check is logged before Django's 403 page (laowu/audit/views.py).
CSRF_FAILURE_VIEW = "laowu.audit.views.csrf_failure"

# All scripts and styles are static files, so the policy can forbid inline code: an injected
# <script> does not run even if escaping ever fails. Responses that set their own policy keep
# it (django-csp leaves an existing header alone): attachments served inline are stricter
# still (laowu/documents/responses.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "img-src": [SELF, "data:"],
        "style-src": [SELF],
        "script-src": [SELF],
        "object-src": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
    },
}

ROOT_URLCONF = "laowu.urls"
# Covering indexes (Index.include) are PostgreSQL's; SQLite builds the same index without the
# included columns, which is all a development database needs.
SILENCED_SYSTEM_CHECKS = ["models.W040"]
WSGI_APPLICATION = "laowu.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "laowu" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "laowu.core.context_processors.platform",
                # Django's `csrf_token`, masked once per request (laowu/core/csrf.py).
                "laowu.core.csrf.csrf",
                "laowu.workspace.context_processors.menu",
            ],
            # `{% url %}` remembering its reversals, in every template (laowu/core/templatetags/urls.py).
            "builtins": ["laowu.core.templatetags.urls"],
        },
    },
]

# Lets the project's templates override widget templates (the captcha's); the common widgets,
# labels and error lists are built without a template (laowu/core/form_renderer.py).
FORM_RENDERER = "laowu.core.form_renderer.FormRenderer"

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + a busy timeout let the dev server and a management command share the file.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    # A kept connection is tested before a request reuses it: after a database restart each
    # worker would otherwise answer one 500 on its dead connection.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("CONN_HEALTH_CHECKS", default=True)
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # PostgreSQL's default random_page_cost (4) prices a random read as a spinning disk's;
        # on SSD or a cached database 1.1 is the usual setting. With 4 the planner sorts a whole
        # table rather than walk an index in the list's order to the first page of a common
        # search term (docs/benchmarks/README.md, "Measurements behind design choices").
        # A request's query runs on one core: parallel workers take longer to start than a
        # page's queries take, and on a busy server the other cores serve other requests.
        _pg_options = {
            "random_page_cost": env.str("LAOWU_PG_RANDOM_PAGE_COST", default="1.1"),
            "max_parallel_workers_per_gather": env.str("LAOWU_PG_PARALLEL_WORKERS", default="0"),
        }
        _options = DATABASES["default"].setdefault("OPTIONS", {})
        # A database host that does not answer fails a request (and /readyz's check) within
        # seconds instead of holding the worker until gunicorn kills it.
        _options.setdefault("connect_timeout", env.int("LAOWU_PG_CONNECT_TIMEOUT", default=5))
        # Server-side binding lets psycopg prepare a statement on the server once the same SQL text
        # has run `prepare_threshold` times on a connection, so a kept connection (CONN_MAX_AGE)
        # skips parsing and planning of the queries every signed-in page repeats. Off by default:
        # a transaction-pooling pooler in front of PostgreSQL (pgbouncer before 1.21) loses
        # prepared statements between transactions, and most of the saving is PostgreSQL's
        # generic plan, chosen from a connection's first runs, which can walk a whole index for a
        # district or enterprise with few rows (docs/deploy.md, "数据库连接").
        # The lookups by a unique key that nearly every request makes (session, account, audit
        # chain head) are prepared whatever that setting says: one plan fits every key
        # (laowu/core/plans.py). Off only behind such a transaction-pooling pooler.
        LAOWU_PG_PREPARE_LOOKUPS = env.bool("LAOWU_PG_PREPARE_LOOKUPS", default=True)
        if env.bool("LAOWU_PG_SERVER_SIDE_BINDING", default=False):
            _options["server_side_binding"] = True
            _options["prepare_threshold"] = env.int("LAOWU_PG_PREPARE_THRESHOLD", default=5)
        _options["options"] = " ".join(
            [_options.get("options", ""), *(f"-c {k}={float(v):g}" for k, v in _pg_options.items() if v)]
        ).strip()
        # force_custom_plan keeps a prepared statement from switching to a generic plan, which
        # PostgreSQL may pick after five runs and which fits a skewed value (a district or an
        # enterprise with most of the rows) badly; it plans every run again, so saves little.
        _plan_mode = env.str("LAOWU_PG_PLAN_CACHE_MODE", default="")
        if _plan_mode:
            if _plan_mode not in ("auto", "force_custom_plan", "force_generic_plan"):
                raise ImproperlyConfigured(f"LAOWU_PG_PLAN_CACHE_MODE={_plan_mode!r} is not a plan_cache_mode")
            _options["options"] = f"{_options['options']} -c plan_cache_mode={_plan_mode}".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    # Argon2id with parameters for a 2-core server; it also verifies (and upgrades) hashes
    # made with Django's default Argon2 parameters, which share the "argon2" prefix.
    "laowu.accounts.hashers.LaowuArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# Every message in Chinese (tests/core/test_password_validators.py checks each): Django's own
# rules are subclassed in laowu/core/validators.py with their messages written there.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "laowu.core.validators.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "laowu.core.validators.PasswordComplexityValidator"},
    {
        "NAME": "laowu.core.validators.UserAttributeSimilarityValidator",
        # display_name too: Django's default looks at first/last name, which this platform leaves empty.
        "OPTIONS": {"user_attributes": ("username", "display_name", "first_name", "last_name", "email")},
    },
    {"NAME": "laowu.core.validators.CommonPasswordValidator"},
    {"NAME": "laowu.core.validators.CommonPatternPasswordValidator"},
    {"NAME": "laowu.core.validators.PersonalNumberPasswordValidator"},
    {"NAME": "laowu.accounts.passwords.PasswordHistoryValidator"},
]
# 等保 level 3: a password older than this many days must be changed at the next login
# (laowu/accounts/middleware.py); 0 turns expiry off. A new password may not repeat any of
# the account's last LAOWU_PASSWORD_HISTORY ones (laowu/accounts/passwords.py).
LAOWU_PASSWORD_MAX_AGE_DAYS = env.int("LAOWU_PASSWORD_MAX_AGE_DAYS", default=90)
LAOWU_PASSWORD_HISTORY = 5
LOGIN_URL = "accounts:login"
# Second factor (TOTP, laowu/accounts/otp.py): the name an authenticator app shows beside the
# account, and how many wrong codes (TOTP or recovery) an account may enter in the login lock
# window before it must wait for the window to pass; django-otp's own doubling delay applies
# between any two wrong codes as well.
OTP_TOTP_ISSUER = "相城区劳务平台"
LAOWU_OTP_FAILURE_LIMIT = env.int("LAOWU_OTP_FAILURE_LIMIT", default=5)
LOGIN_REDIRECT_URL = "workspace:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# 30 minutes idle ends a session. It is renewed at most once a minute rather than saved on
# every request (laowu/core/sessions.py), so the idle time allowed is 29 to 30 minutes.
# Kept in the database by Django's own store with its SQL written once (laowu/core/session_db.py);
# with Redis, in Redis (laowu/settings/production.py).
SESSION_ENGINE = "laowu.core.session_db"
SESSION_COOKIE_AGE = env.int("LAOWU_SESSION_IDLE_SECONDS", default=30 * 60)
SESSION_SAVE_EVERY_REQUEST = False
LAOWU_SESSION_TOUCH_SECONDS = env.int("LAOWU_SESSION_TOUCH_SECONDS", default=60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Lockout: 5 failures lock for 15 minutes, counted per account and, separately, per IP.
AXES_FAILURE_LIMIT = env.int("LAOWU_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("LAOWU_LOGIN_LOCK_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_CALLABLE = "laowu.accounts.views.lockout_response"
# Our own reverse proxies (nginx, a load balancer): addresses or networks, comma-separated,
# e.g. "127.0.0.1,::1" for an nginx on the same server. Only a request whose REMOTE_ADDR is one
# of them has its X-Forwarded-For / X-Real-IP believed, and only up to the first hop that is
# not one of them (laowu.core.http.client_ip). Lockouts, the audit log, the SMS per-IP limit
# and the request log all ask that function, so they agree on who the caller is.
LAOWU_TRUSTED_PROXIES = env.list("LAOWU_TRUSTED_PROXIES", default=[])
AXES_CLIENT_IP_CALLABLE = "laowu.core.http.client_ip"
AXES_VERBOSE = False

LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "laowu" / "static"]

# Uploaded attachments are private: no MEDIA_URL is ever routed; files leave only
# through views that check permission.
PRIVATE_MEDIA_ROOT = Path(env.str("LAOWU_PRIVATE_MEDIA_ROOT", default=str(DATA_DIR / "private")))
STORAGES = {
    "default": {
        # Files appear whole or not at all (laowu/core/storage.py).
        "BACKEND": "laowu.core.storage.AtomicFileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_MEDIA_ROOT), "base_url": "/nonexistent/"},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Uploads larger than FILE_UPLOAD_MAX_MEMORY_SIZE are spooled here rather than to the system's
# temporary folder, so what a killed worker leaves is found and removed by
# `manage.py storage_check --repair` (created at start-up: laowu/documents/apps.py).
FILE_UPLOAD_TEMP_DIR = str(Path(env.str("LAOWU_UPLOAD_TEMP_DIR", default=str(DATA_DIR / "tmp" / "uploads"))))
# Attachments (docs/workflow.md): PDF only, at most this many bytes each.
LAOWU_ATTACHMENT_MAX_BYTES = env.int("LAOWU_ATTACHMENT_MAX_BYTES", default=5 * 1024 * 1024)
# Upload content checks (laowu/documents/validation.py): pages one PDF may have, and
# pixels one photo may have before it is decoded (25 million is a 6000x4000 camera
# picture with room to spare; decoded as RGBA that is 100 MB, the bound on one decode).
LAOWU_PDF_MAX_PAGES = env.int("LAOWU_PDF_MAX_PAGES", default=200)
LAOWU_IMAGE_MAX_PIXELS = env.int("LAOWU_IMAGE_MAX_PIXELS", default=25_000_000)
# Any request body: room for the 20 MB catalogue upload and its form fields, nothing more.
LAOWU_MAX_REQUEST_BYTES = env.int("LAOWU_MAX_REQUEST_BYTES", default=21 * 1024 * 1024)

# Captcha: 4 letters, case-insensitive; test mode (never in production) accepts PASSED.
CAPTCHA_CHALLENGE_FUNCT = "captcha.helpers.random_char_challenge"
CAPTCHA_LENGTH = 4
CAPTCHA_TIMEOUT = 5
CAPTCHA_IMAGE_SIZE = (110, 36)
CAPTCHA_FONT_SIZE = 26
CAPTCHA_LETTER_ROTATION = (-20, 20)
CAPTCHA_TEST_MODE = env.bool("LAOWU_CAPTCHA_TEST_MODE", default=False)

# Outside systems (docs/architecture.md): each with an offline default.
LAOWU_DEFAULT_DISTRICT = ("320507", "相城区")
# Personal data sealed at rest (laowu/core/crypto.py): the data keys ("<id>:<sm4|aes>:<base64>",
# comma-separated; old keys stay listed until `rotate_keys` has re-sealed their values), the id of
# the key new values are sealed with, and the blind index's own key (base64, ≥ 32 bytes).
LAOWU_DATA_KEYS = env.str("LAOWU_DATA_KEYS", default="")
LAOWU_DATA_KEY_ID = env.str("LAOWU_DATA_KEY_ID", default="")
LAOWU_BLIND_INDEX_KEY = env.str("LAOWU_BLIND_INDEX_KEY", default="")

LAOWU_COMPANY_INFO_PROVIDER = env.str("LAOWU_COMPANY_INFO_PROVIDER", default="offline")
LAOWU_TIANYANCHA_TOKEN = env.str("LAOWU_TIANYANCHA_TOKEN", default="")
# https: the token travels in a header of every query.
LAOWU_TIANYANCHA_BASE_URL = env.str("LAOWU_TIANYANCHA_BASE_URL", default="https://open.api.tianyancha.com")
LAOWU_PROVIDER_TIMEOUT = env.float("LAOWU_PROVIDER_TIMEOUT", default=5.0)

# 省合同归集系统's JSON export, pulled by `manage.py pull_provincial_contracts`; empty URL = not configured.
LAOWU_CATALOGUE_PULL_URL = env.str("LAOWU_CATALOGUE_PULL_URL", default="")
LAOWU_CATALOGUE_PULL_TOKEN = env.str("LAOWU_CATALOGUE_PULL_TOKEN", default="")
LAOWU_CATALOGUE_PULL_TIMEOUT = env.float("LAOWU_CATALOGUE_PULL_TIMEOUT", default=10.0)

LAOWU_SMS_BACKEND = env.str("LAOWU_SMS_BACKEND", default="file")
LAOWU_SMS_OUTBOX = Path(env.str("LAOWU_SMS_OUTBOX", default=str(DATA_DIR / "sms-outbox.jsonl")))
LAOWU_SMS_ALIYUN_ACCESS_KEY_ID = env.str("LAOWU_SMS_ALIYUN_ACCESS_KEY_ID", default="")
LAOWU_SMS_ALIYUN_ACCESS_KEY_SECRET = env.str("LAOWU_SMS_ALIYUN_ACCESS_KEY_SECRET", default="")
LAOWU_SMS_ALIYUN_SIGN_NAME = env.str("LAOWU_SMS_ALIYUN_SIGN_NAME", default="")
LAOWU_SMS_ALIYUN_TEMPLATE_CODE = env.str("LAOWU_SMS_ALIYUN_TEMPLATE_CODE", default="")
# 证照到期提醒 go through a notice template:
# 您单位的${cert}（${holder}）有效期至${date}，${status}，请及时办理延续并在平台更新信息。
LAOWU_SMS_ALIYUN_NOTICE_TEMPLATE_CODE = env.str("LAOWU_SMS_ALIYUN_NOTICE_TEMPLATE_CODE", default="")
# The other notices (审核通过, 退回, 不良行为公示 …) each have a template of their own, approved with
# the text and variables of `NOTICE_TEMPLATES` in laowu/supervision/notifications.py, given by name:
# "filing_approved=SMS_1,filing_rejected=SMS_2,…". A notice whose template is missing is not sent (logged).
LAOWU_SMS_ALIYUN_NOTICE_TEMPLATE_CODES = env.dict("LAOWU_SMS_ALIYUN_NOTICE_TEMPLATE_CODES", default={})
LAOWU_SMS_ALIYUN_ENDPOINT = env.str("LAOWU_SMS_ALIYUN_ENDPOINT", default="https://dysmsapi.aliyuncs.com/")
LAOWU_SMS_TENCENT_SECRET_ID = env.str("LAOWU_SMS_TENCENT_SECRET_ID", default="")
LAOWU_SMS_TENCENT_SECRET_KEY = env.str("LAOWU_SMS_TENCENT_SECRET_KEY", default="")
LAOWU_SMS_TENCENT_APP_ID = env.str("LAOWU_SMS_TENCENT_APP_ID", default="")
LAOWU_SMS_TENCENT_SIGN_NAME = env.str("LAOWU_SMS_TENCENT_SIGN_NAME", default="")
LAOWU_SMS_TENCENT_TEMPLATE_ID = env.str("LAOWU_SMS_TENCENT_TEMPLATE_ID", default="")
# The same notice template on 腾讯云, its variables in that order: {1} 证照 {2} 持有人 {3} 日期 {4} 状态.
LAOWU_SMS_TENCENT_NOTICE_TEMPLATE_ID = env.str("LAOWU_SMS_TENCENT_NOTICE_TEMPLATE_ID", default="")
# The other notices' templates on 腾讯云, as above: "filing_approved=2000003,…", variables in
# the order `NOTICE_TEMPLATES` lists them.
LAOWU_SMS_TENCENT_NOTICE_TEMPLATE_IDS = env.dict("LAOWU_SMS_TENCENT_NOTICE_TEMPLATE_IDS", default={})
LAOWU_SMS_TENCENT_REGION = env.str("LAOWU_SMS_TENCENT_REGION", default="ap-guangzhou")
LAOWU_SMS_TENCENT_ENDPOINT = env.str("LAOWU_SMS_TENCENT_ENDPOINT", default="https://sms.tencentcloudapi.com/")
LAOWU_SMS_TIMEOUT = env.float("LAOWU_SMS_TIMEOUT", default=5.0)

# Verification-code rules: 6 digits, valid 5 minutes, a resend after 60 s, a daily cap per
# phone and per IP, and a code voided after too many wrong tries.
LAOWU_SMS_CODE_TTL_SECONDS = 300
LAOWU_SMS_RESEND_SECONDS = 60
LAOWU_SMS_DAILY_PER_PHONE = 10
LAOWU_SMS_HOURLY_PER_IP = env.int("LAOWU_SMS_HOURLY_PER_IP", default=20)
LAOWU_SMS_MAX_WRONG_TRIES = 5

# SMS leave the request: the request writes an SmsMessage row and a job in its own transaction,
# and `manage.py run_worker` (started by `make run`, a systemd unit in production) sends it
# (docs/background-work.md). The job queue is a table in the same database (SQLite or PostgreSQL).
TASKS = {
    "default": {
        "BACKEND": env.str("LAOWU_TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default", "sms"],
    }
}
# Seconds to wait before each retry of a failed SMS; one send plus one retry per entry.
LAOWU_SMS_RETRY_DELAYS = [int(s) for s in env.list("LAOWU_SMS_RETRY_DELAYS", default=["30", "120", "600"])]

# Whom an enterprise asks when a step is blocked: shown on the home page, the blocked pages and 帮助.
LAOWU_COMMITTEE_CONTACT_NAME = env.str("LAOWU_COMMITTEE_CONTACT_NAME", default="专委会办公室")
LAOWU_COMMITTEE_CONTACT_PHONE = env.str("LAOWU_COMMITTEE_CONTACT_PHONE", default="")

# Printed sheets' QR codes point here, e.g. "https://laowu.example.cn" (required in production,
# laowu/settings/production.py); empty, locally, means "the host the sheet was printed from".
LAOWU_PUBLIC_BASE_URL = env.str("LAOWU_PUBLIC_BASE_URL", default="")
LAOWU_VERIFY_RATE_PER_MINUTE = env.int("LAOWU_VERIFY_RATE_PER_MINUTE", default=30)

# One JSON line per log record on stderr (journald keeps it under systemd), each with the id of
# the request it belongs to; one "laowu.request" line per request (laowu/core/logs.py,
# docs/deploy.md). django.request's own 4xx warnings would repeat that line: only its errors
# (with their tracebacks) are kept.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "laowu.core.logs.RequestIdFilter"}},
    "formatters": {"json": {"()": "laowu.core.logs.JsonFormatter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "django.request": {"level": "ERROR"},
    },
}

# The statistics dashboard aggregates whole tables: at province scale it is computed at most
# once per this many seconds per scope and filter, and says when it was computed. 0 = live.
LAOWU_STATISTICS_CACHE_SECONDS = env.int("LAOWU_STATISTICS_CACHE_SECONDS", default=300)
# With nothing cached yet, a request waits this long for the figures before the page says they
# are being prepared and reloads itself.
LAOWU_STATISTICS_WAIT_SECONDS = env.float("LAOWU_STATISTICS_WAIT_SECONDS", default=0.3)
# The 待审核 tabs' counts (the list itself is always read live).
LAOWU_PENDING_COUNTS_SECONDS = env.int("LAOWU_PENDING_COUNTS_SECONDS", default=30)

# The audit log's hash chain (docs/audit.md): SM3 by default (GB/T 32905, what 等保 asks of
# a domestic deployment), `sha256` selectable. Every row carries an HMAC with the server key
# LAOWU_AUDIT_HMAC_KEY and that key's id; after a rotation the retired keys stay listed in
# LAOWU_AUDIT_HMAC_OLD_KEYS ("k1=…,k2=…") so older rows still verify. Production refuses to
# start without a real key (laowu/settings/production.py); local and test use a fixed one.
LAOWU_AUDIT_HASH = env.str("LAOWU_AUDIT_HASH", default="sm3")
LAOWU_AUDIT_HMAC_KEY = env.str("LAOWU_AUDIT_HMAC_KEY", default="")
LAOWU_AUDIT_HMAC_KEY_ID = env.str("LAOWU_AUDIT_HMAC_KEY_ID", default="k1")
LAOWU_AUDIT_HMAC_OLD_KEYS = env.dict("LAOWU_AUDIT_HMAC_OLD_KEYS", default={})
# The development key: accepted only outside production (production.py refuses it).
LAOWU_AUDIT_DEV_HMAC_KEY = "laowu-development-audit-key-never-use-in-production"
# 等保 keeps audit records at least 6 months: `archive_audit` moves out only older rows.
LAOWU_AUDIT_RETENTION_DAYS = env.int("LAOWU_AUDIT_RETENTION_DAYS", default=190)
LAOWU_AUDIT_MIN_RETENTION_DAYS = 180
# Refused requests (403/404, CSRF, refused uploads, login failures and lockouts) are logged
# at most this many per caller IP and kind per minute; the rest are counted in one summary row.
LAOWU_AUDIT_REFUSALS_PER_MINUTE = env.int("LAOWU_AUDIT_REFUSALS_PER_MINUTE", default=20)
