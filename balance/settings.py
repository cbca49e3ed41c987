"""Settings for the balance project, driven by the environment (healthchecks style).

Defaults give a working development site: an embedded SQLite file, tasks run in-process and
DEBUG on. Production sets DATABASE_URL (PostgreSQL), REDIS_URL, SECRET_KEY, DEBUG=false and
ALLOWED_HOSTS; it refuses to start with the development SECRET_KEY.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: str) -> bool:
    return os.environ.get(name, default).strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: int) -> int:
    return int(os.environ.get(name, str(default)))


def envsecret(name: str, default: str = "") -> str:
    """Read NAME, or the file named by NAME_FILE (Docker secrets)."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text(encoding="utf-8").strip()
    return os.environ.get(name, default)


DEV_SECRET_KEY = "dev-only-insecure-key-change-me"  # noqa: S105 - refused below outside DEBUG
SECRET_KEY = envsecret("SECRET_KEY", DEV_SECRET_KEY)
DEBUG = envbool("DEBUG", "true")
TESTING = envbool("BALANCE_TESTING", "false")
if not DEBUG and SECRET_KEY == DEV_SECRET_KEY:
    raise ImproperlyConfigured("生产环境必须设置 SECRET_KEY / SECRET_KEY must be set when DEBUG is false")

ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "axes",  # login lockout by username and client address together (core.auth)
    "drf_spectacular",
    "drf_spectacular_sidecar",  # the API docs' JavaScript, shipped with the project (no CDN)
    "core",
    "audit",
    "schools",
    "indicators",
    "plans",
    "reports",
    "assessment",
    "city",
    "summaries",
    "planner",  # the cheapest path to pass
    "scenarios",  # what-if scenarios on a county's figures
    "demo",  # the demo county (manage.py seed_demo): above every app, nothing imports it
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a lockout into core.auth.lockout_response
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked username from that address
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "balance.urls"
WSGI_APPLICATION = "balance.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.navigation",
                "plans.context_processors.notifications",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=envint("DB_CONN_MAX_AGE", 60),
        # A PostgreSQL restart must not need a manual restart of the web process.
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Chinese first; English through Django's translation system (locale/en).
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_URL = "/media/"

# Celery: with no REDIS_URL the tasks run in-process (development default).
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
# Without a broker a report renders in a thread beside the request (which answers at once and
# shows progress), not inline in it: a county report takes seconds.
REPORT_RENDER_IN_THREAD = envbool("REPORT_RENDER_IN_THREAD", "false" if REDIS_URL else "true")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True  # a worker killed mid-task leaves the job for another worker
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A save, submit or approve must answer within a second when Redis is down: every call to the
# broker and to the result backend is bounded (connect timeout 1 s, one quick retry), and the
# change stays marked stale for the catch-up job (indicators.tasks.recompute_stale_balance).
# Nobody reads a task's return value (pages read the job rows and stored results), so results
# are not stored: publishing then never touches the result backend at all.
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
# The longest task (a 20,000-row import, a national nightly recompute) ends well within
# TASK_TIME_LIMIT; a task acknowledged late whose worker died is handed to another worker once
# VISIBILITY_TIMEOUT has passed since its delivery. The timeout is above the hard time limit, so
# a task still running is never delivered a second time. Report renders recover sooner through
# their heartbeat (reports.services: a stopped heartbeat is queued again).
CELERY_TASK_SOFT_TIME_LIMIT = 540
CELERY_TASK_TIME_LIMIT = 600
BROKER_VISIBILITY_TIMEOUT = 660
_REDIS_SOCKET = {"socket_connect_timeout": 1, "socket_timeout": 5, "socket_keepalive": True}
CELERY_BROKER_TRANSPORT_OPTIONS = {
    **_REDIS_SOCKET,
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
    "visibility_timeout": BROKER_VISIBILITY_TIMEOUT,
}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 1
CELERY_REDIS_SOCKET_TIMEOUT = 5
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {
    "retry_policy": {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2},
}
# Seconds a recompute waits after the first change, so a burst of saves gives one run.
BALANCE_COALESCE_SECONDS = envint("BALANCE_COALESCE_SECONDS", 2)
CELERY_BEAT_SCHEDULE = {
    "catch-up-stale-balance": {
        "task": "indicators.tasks.recompute_stale_balance",
        "schedule": 300,
    },
    "nightly-balance-recompute": {
        "task": "indicators.tasks.recompute_all_balance",
        "schedule": 60 * 60 * 24,
    },
    "daily-report-prune": {
        "task": "reports.tasks.prune_reports",
        "schedule": 60 * 60 * 24,
    },
    "requeue-interrupted-reports": {
        "task": "reports.tasks.requeue_interrupted_reports",
        "schedule": 60,
    },
}
# A worker renews a rendering report's heartbeat this often; a heartbeat older than the second
# figure means the render was interrupted, and the job is queued again (reports.services).
REPORT_HEARTBEAT_SECONDS = envint("REPORT_HEARTBEAT_SECONDS", 5)
REPORT_HEARTBEAT_STALE_SECONDS = envint("REPORT_HEARTBEAT_STALE_SECONDS", 30)
# Days a superseded report keeps its file (the newest of each report is always kept).
REPORT_KEEP_DAYS = envint("REPORT_KEEP_DAYS", 30)
# Processes that render the county report's parts at once (reports.pdfsplit); 1: one document.
# The parts render at once only while the load average is below REPORT_SPLIT_LOAD (default: the
# number of cores; 0: always), as busy cores would only be shared.
REPORT_RENDER_PROCESSES = envint("REPORT_RENDER_PROCESSES", 4)
REPORT_SPLIT_LOAD = float(os.environ["REPORT_SPLIT_LOAD"]) if os.environ.get("REPORT_SPLIT_LOAD") else None

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # A service's ValidationError answers 400 (core/api.py), so viewsets need no try/except each.
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"token": "10/min"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "义务教育均衡发展管理平台 API",
    "DESCRIPTION": "Districts, schools, annual statistics and their workflow, rule profiles, stored balance "
    "results, plans and progress, the audit trail, the county problem list, survey results and report "
    "jobs (request, status, download). Keys follow the data dictionary. Row scope is the same as the pages.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No validator badge (it is an image fetched from validator.swagger.io).
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "ENUM_NAME_OVERRIDES": {
        "StatisticsStatusEnum": "schools.models.Status",
        "ReviewStatusEnum": "plans.models.ReviewStatus",
        "ReportKindEnum": "reports.models.ReportKind",
        "ScenarioEditKindEnum": "scenarios.edits.KINDS",
    },
}

# Caches: API throttle counters, the survey pages' rate limits, drawn chart sections. Redis in
# production; while Redis cannot be reached each process falls back to its own memory
# (core.cache.FallbackRedisCache), so a Redis outage never turns a page into an error.


def redis_cache(url: str) -> dict[str, object]:
    """The cache configuration for a Redis at `url` (the fault tests use it with a closed port)."""
    return {
        "BACKEND": "core.cache.FallbackRedisCache",
        "LOCATION": url,
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }


# The table of data versions that database triggers keep (reports.models.InputsVersion): cached page
# fragments are keyed by them (core.identity.district_versions).
DATA_VERSIONS_TABLE = "reports_inputsversion"

CACHES = {
    "default": redis_cache(REDIS_URL) if REDIS_URL else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}
# Login lockout (core.auth, django-axes): a username is locked *from one client address* after
# LOGIN_FAILURE_LIMIT failures, for LOGIN_LOCKOUT_SECONDS; one address may fail
# LOGIN_ADDRESS_FAILURE_LIMIT logins in that time, whatever the usernames. The client address is
# REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT reverse proxies the address they saw (core.net).
LOGIN_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", 5)
LOGIN_LOCKOUT_SECONDS = envint("LOGIN_LOCKOUT_SECONDS", 900)
LOGIN_ADDRESS_FAILURE_LIMIT = envint("LOGIN_ADDRESS_FAILURE_LIMIT", 30)
TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", 0)
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"  # in PostgreSQL: holds with Redis down
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = "core.auth.failure_limit"
AXES_COOLOFF_TIME = "core.auth.cool_off"
AXES_CLIENT_IP_CALLABLE = "core.net.axes_address"
AXES_LOCKOUT_CALLABLE = "core.auth.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True  # failed attempts are what it is for; no table of every login
AXES_VERBOSE = False

# Security. Production (DEBUG false) is HTTPS-only; `manage.py check --deploy` passes.
SESSION_COOKIE_HTTPONLY = True
# The demo (`make run`: DEBUG off, plain http on 127.0.0.1) sets SECURE_COOKIES=false.
SECURE_COOKIES = envbool("SECURE_COOKIES", "false" if DEBUG else "true")
SESSION_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 8 * 3600)
CSRF_COOKIE_SECURE = SECURE_COOKIES
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "false" if DEBUG else "true")
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
if envbool("BEHIND_HTTPS_PROXY", "false"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
