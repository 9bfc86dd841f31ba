"""Settings for dangjian, read only from environment variables (see README, 配置).

The embedded default is SQLite under var/ with no Redis; production sets DATABASE_URL
(PostgreSQL) and REDIS_URL.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url

from config.env import (
    EnvError,
    check_rating_settings,
    env_bool,
    env_dir,
    env_int,
    env_list,
    env_str,
    load_dotenv,
)
from config.lean_start import load_huey_storage_for_sqlite

BASE_DIR = Path(__file__).resolve().parent.parent
load_dotenv(BASE_DIR / ".env")
VAR_DIR = env_dir("DANGJIAN_VAR_DIR", BASE_DIR / "var")

SECRET_KEY = env_str("DANGJIAN_SECRET_KEY")
# Key for personal information at rest (ID numbers, phones): 32 bytes, urlsafe base64, with
# its version; during a key rotation the previous keys stay readable ("1:<key>,…").
PII_KEY = env_str("DANGJIAN_PII_KEY")
PII_KEY_VERSION = env_str("DANGJIAN_PII_KEY_VERSION", "1")
PII_OLD_KEYS = env_str("DANGJIAN_PII_OLD_KEYS", "")
DEBUG = env_bool("DANGJIAN_DEBUG", False)
ALLOWED_HOSTS = env_list("DANGJIAN_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("DANGJIAN_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "treebeard",
    "huey.contrib.djhuey",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "dangjian.core",
    "dangjian.accounts",
    "dangjian.orgs",
    "dangjian.members",
    "dangjian.imports",
    "dangjian.ledger",
    "dangjian.compliance",
    "dangjian.assessment",
    "dangjian.evaluation",
    "dangjian.schemes",
    "dangjian.rectification",
    "dangjian.notices",
    "dangjian.rating",
    "dangjian.dashboard",
    "dangjian.reports",
    "dangjian.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "dangjian.accounts.middleware.SlidingSessionMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # password change, second factor: what a signed-in user must do before anything else
    "dangjian.accounts.middleware.SignInStepsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "dangjian.core.middleware.RefuseNulCharactersMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "dangjian.core.middleware.SecurityHeadersMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dangjian.core.context_processors.role_flags",
            ],
        },
    }
]

SQLITE_PATH = VAR_DIR / "dangjian.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{SQLITE_PATH}"), conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Pages run short queries; JIT compilation only adds latency to them.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets the production server's workers read while one writes; IMMEDIATE avoids
        # lock-upgrade deadlocks between workers.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["dangjian.accounts.backends.ScopedModelBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# SPEC §8 password policy; the rules and their Chinese messages: dangjian/accounts/passwords.py
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "dangjian.accounts.passwords.MinimumLengthValidator"},
    {"NAME": "dangjian.accounts.passwords.CommonPasswordValidator"},
    {"NAME": "dangjian.accounts.passwords.NumericPasswordValidator"},
    {"NAME": "dangjian.accounts.passwords.OwnNameValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_AGE = env_int("DANGJIAN_SESSION_IDLE_SECONDS", 30 * 60)
# The 30-minute timeout counts idle time: SlidingSessionMiddleware restarts it, writing the
# session at most once every SESSION_TOUCH_SECONDS.
SESSION_TOUCH_SECONDS = 60
# Sign-in lockout (dangjian/accounts/lockout.py): this many failures within this many minutes
# lock for as many minutes. Behind reverse proxies, how many of them append X-Forwarded-For.
SIGN_IN_LOCKOUT_ATTEMPTS = env_int("DANGJIAN_LOCKOUT_ATTEMPTS", 5)
SIGN_IN_LOCKOUT_MINUTES = env_int("DANGJIAN_LOCKOUT_MINUTES", 15)
TRUSTED_PROXIES = env_int("DANGJIAN_TRUSTED_PROXIES", 0)
if SIGN_IN_LOCKOUT_ATTEMPTS < 1 or SIGN_IN_LOCKOUT_MINUTES < 1 or TRUSTED_PROXIES < 0:
    raise EnvError(
        "DANGJIAN_LOCKOUT_ATTEMPTS 和 DANGJIAN_LOCKOUT_MINUTES 应为正整数，"
        "DANGJIAN_TRUSTED_PROXIES 不能为负数"
    )
# Second factor (dangjian/accounts/second_factor.py): the issuer shown in authenticator apps.
OTP_TOTP_ISSUER = env_str("DANGJIAN_TOTP_ISSUER", "智慧党建")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
USE_TLS = env_bool("DANGJIAN_TLS", False)
SESSION_COOKIE_SECURE = USE_TLS
CSRF_COOKIE_SECURE = USE_TLS
SECURE_HSTS_SECONDS = 31536000 if USE_TLS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DANGJIAN_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DANGJIAN_HSTS_PRELOAD", True)
SECURE_SSL_REDIRECT = USE_TLS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if USE_TLS else None
# Scripts and styles from this site's own files only: no template has an inline <script>, an
# event-handler attribute or a style attribute (dangjian/core/middleware.py).
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
CSRF_FAILURE_VIEW = "dangjian.core.views.csrf_failure"
# manage.py purge_audit keeps this many months of the audit log (never fewer than six).
AUDIT_RETENTION_MONTHS = env_int("DANGJIAN_AUDIT_RETENTION_MONTHS", 6)

LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "dangjian.core.staticfiles.GzipManifestStaticFilesStorage"},
}

# C8 public rating (SPEC §5b): abuse limits per device and per network address within a sliding
# window, how long a repeated rating of one target by one device counts once, the working days
# a department has to answer a case, and the address the QR codes point to.
RATING_LIMIT_MINUTES = env_int("DANGJIAN_RATING_LIMIT_MINUTES", 60)
RATING_DEVICE_LIMIT = env_int("DANGJIAN_RATING_DEVICE_LIMIT", 20)
# A service hall's visitors share one address: 0 turns the per-address limit off.
RATING_ADDRESS_LIMIT = env_int("DANGJIAN_RATING_ADDRESS_LIMIT", 600)
RATING_REPEAT_HOURS = env_int("DANGJIAN_RATING_REPEAT_HOURS", 24)
CASE_WORKING_DAYS = env_int("DANGJIAN_CASE_WORKING_DAYS", 5)
PUBLIC_BASE_URL = env_str("DANGJIAN_PUBLIC_URL", "").rstrip("/")
# `manage.py serve`'s HTTP server: granian (default: about half of gunicorn's CPU per request)
# or gunicorn.
SERVER = env_str("DANGJIAN_SERVER", "granian")
# C16 dashboard: how long a rendered dashboard is reused (every batch that changes its rollups
# starts afresh; figures the batches do not announce, such as a new member, show within this
# many seconds); 0 renders every request.
DASHBOARD_CACHE_SECONDS = env_int("DANGJIAN_DASHBOARD_CACHE_SECONDS", 60)
HOLIDAYS = env_list("DANGJIAN_HOLIDAYS", [])  # statutory holidays on weekdays (YYYY-MM-DD)
WORKDAYS = env_list("DANGJIAN_WORKDAYS", [])  # weekend days worked instead (调休)
check_rating_settings(globals())

# Upload limits: the import page takes workbooks up to this size.
IMPORT_MAX_BYTES = env_int("DANGJIAN_IMPORT_MAX_BYTES", 50 * 1024 * 1024)
# ...and the most an uploaded workbook may unpack to (its XML compresses about tenfold).
IMPORT_MAX_UNPACKED_BYTES = env_int("DANGJIAN_IMPORT_MAX_UNPACKED_BYTES", 1024 * 1024 * 1024)
# A CSV directory imported into PostgreSQL streams its ledger sheets through staging tables,
# with this much working memory per sort or hash (and for index builds) in its transaction.
IMPORT_STREAMING = env_bool("DANGJIAN_IMPORT_STREAMING", True)
# ...when its streamable files hold at least this many bytes (smaller ones are read in memory).
IMPORT_STREAMING_MIN_BYTES = env_int("DANGJIAN_IMPORT_STREAMING_MIN_BYTES", 4 * 1024 * 1024)
IMPORT_WORK_MEM = env_str("DANGJIAN_IMPORT_WORK_MEM", "256MB")
IMPORT_MAINTENANCE_WORK_MEM = env_str("DANGJIAN_IMPORT_MAINTENANCE_WORK_MEM", "1GB")
# A workbook uploaded on the import page at least this large is imported by the task worker
# (`imports.background`), the page following its progress, rather than inside the request; it
# waits for the worker in IMPORT_UPLOAD_DIR, which the web server and the worker share.
IMPORT_BACKGROUND_MIN_BYTES = env_int("DANGJIAN_IMPORT_BACKGROUND_MIN_BYTES", 2 * 1024 * 1024)
IMPORT_UPLOAD_DIR = VAR_DIR / "imports"
# Processes checking the rows of a streamed 党员 sheet (0: one per core, at most 4).
IMPORT_WORKERS = env_int("DANGJIAN_IMPORT_WORKERS", 0)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "dangjian.core.api.Pagination",
    # DRF's parsers, with a JSON parser that refuses unpaired surrogates in Chinese
    "DEFAULT_PARSER_CLASSES": [
        "dangjian.core.api.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "dangjian.core.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "dangjian 智慧党建 API",
    "DESCRIPTION": "组织与党员等接口；所有数据按登录用户的管辖范围（组织子树）过滤。",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "RatedTargetKindEnum": "dangjian.rating.choices.TargetKind",
        "CaseStepKindEnum": "dangjian.rating.choices.StepKind",
        "LeaderKindEnum": "dangjian.rectification.choices.LeaderKind",
    },
    # The public rating endpoints are plain Django views (SPEC §5b); the hook describes them.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "dangjian.rating.api.schema.add_public_paths",
    ],
}

# The schedule's hours (日提醒 at 06:30, 周通报 on Monday mornings…) are TIME_ZONE's, not
# UTC's: huey reads its crontabs in UTC unless told otherwise (Django sets the process's zone).
HUEY_LOCAL_TIME = {"name": "dangjian", "utc": False}
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    HUEY = {**HUEY_LOCAL_TIME, "huey_class": "huey.RedisHuey", "url": REDIS_URL}
    # Dashboards drawn once for every reader; while Redis cannot be reached they are drawn
    # afresh (dangjian.core.cache), and a Redis that does not answer is given up on quickly.
    CACHES = {
        "default": {
            "BACKEND": "dangjian.core.cache.TolerantRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1},
        }
    }
else:
    load_huey_storage_for_sqlite()
    HUEY = {
        **HUEY_LOCAL_TIME,
        "huey_class": "huey.SqliteHuey",
        "filename": str(VAR_DIR / "huey.sqlite3"),
        "immediate": False,
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("DANGJIAN_LOG_LEVEL", "WARNING")},
    # The task worker adds a handler of its own to a "huey" logger without one, and its records
    # would also reach the root's: every line twice. Configured here, it uses this one only.
    "loggers": {
        "huey": {
            "handlers": ["console"],
            "level": env_str("DANGJIAN_LOG_LEVEL", "WARNING"),
            "propagate": False,
        }
    },
}
