"""Settings for dangjian, read only from environment variables (see README, 配置).

The embedded default is SQLite under var/ with no Redis; production sets DATABASE_URL
(PostgreSQL) and REDIS_URL.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url

from config.env import (
    check_rating_settings,
    env_bool,
    env_int,
    env_list,
    env_str,
    load_dotenv,
)

BASE_DIR = Path(__file__).resolve().parent.parent
load_dotenv(BASE_DIR / ".env")
VAR_DIR = Path(env_str("DANGJIAN_VAR_DIR", str(BASE_DIR / "var")))

SECRET_KEY = env_str("DANGJIAN_SECRET_KEY")
# Key for personal information at rest (ID numbers, phones): 32 bytes, urlsafe base64.
PII_KEY = env_str("DANGJIAN_PII_KEY")
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
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_AGE = env_int("DANGJIAN_SESSION_IDLE_SECONDS", 30 * 60)
SESSION_SAVE_EVERY_REQUEST = True  # the 30-minute timeout counts idle time
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
USE_TLS = env_bool("DANGJIAN_TLS", False)
SESSION_COOKIE_SECURE = USE_TLS
CSRF_COOKIE_SECURE = USE_TLS
SECURE_HSTS_SECONDS = 31536000 if USE_TLS else 0
SECURE_SSL_REDIRECT = USE_TLS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if USE_TLS else None

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
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
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
# Behind N reverse proxies the client address is the Nth entry from the right of
# X-Forwarded-For; 0 (direct) takes REMOTE_ADDR.
TRUSTED_PROXIES = env_int("DANGJIAN_TRUSTED_PROXIES", 0)
PUBLIC_BASE_URL = env_str("DANGJIAN_PUBLIC_URL", "").rstrip("/")
# `manage.py serve`'s HTTP server: gunicorn (default) or granian.
SERVER = env_str("DANGJIAN_SERVER", "gunicorn")
HOLIDAYS = env_list("DANGJIAN_HOLIDAYS", [])  # statutory holidays on weekdays (YYYY-MM-DD)
WORKDAYS = env_list("DANGJIAN_WORKDAYS", [])  # weekend days worked instead (调休)
check_rating_settings(globals())

# Upload limits: the import page takes workbooks up to this size.
IMPORT_MAX_BYTES = env_int("DANGJIAN_IMPORT_MAX_BYTES", 50 * 1024 * 1024)
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

REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    HUEY = {"huey_class": "huey.RedisHuey", "name": "dangjian", "url": REDIS_URL}
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "dangjian",
        "filename": str(VAR_DIR / "huey.sqlite3"),
        "immediate": False,
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("DANGJIAN_LOG_LEVEL", "WARNING")},
}
