"""Settings for the Policy Recommendation Tracker.

Every value that differs between a laptop and production comes from the
environment; the defaults are safe for local use (SQLite in the project folder).
"""

from __future__ import annotations

import os
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import unquote, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.validators import validate_email

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    """Read a yes/no variable; anything unexpected is an error, not a silent False."""
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(
        f"{name} must be one of 1/0, true/false, yes/no, on/off; got {value!r}"
    )


def env_list(name: str, default: list[str]) -> list[str]:
    """Read a comma-separated list, ignoring blanks around the commas."""
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    """Read a whole number of zero or more."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit():
        raise ImproperlyConfigured(f"{name} must be a whole number; got {value!r}")
    return int(value)


def env_rate(name: str, default: str) -> str:
    """Read a request rate such as '600/minute' (per second, minute, hour or day)."""
    value = os.environ.get(name, "").strip() or default
    number, _, period = value.partition("/")
    if not (number.isdigit() and period in {"second", "minute", "hour", "day"}):
        raise ImproperlyConfigured(
            f"{name} must be a number of requests per second, minute, hour or day, "
            f"such as '600/minute'; got {value!r}"
        )
    return value


def env_addresses(name: str) -> list[tuple[str, str]]:
    """Read comma-separated e-mail addresses, `Name <address>` (a name without
    commas) or a bare address, as (name, address) pairs; a bare address is its own name."""
    pairs = []
    for item in env_list(name, []):
        label, address = parseaddr(item)
        try:
            validate_email(address)
            # parseaddr reads what it can and drops the rest ("a@x.org; b@x.org").
            if item != address and not item.endswith(f"<{address}>"):
                raise ValidationError("more than one address")
        except ValidationError:
            raise ImproperlyConfigured(
                f"{name} must be comma-separated addresses such as "
                f"'Ana <ana@example.org>,bob@example.org'; got {item!r}"
            ) from None
        pairs.append((label or address, address))
    return pairs


# The ways DJANGO_EMAIL_URL may send mail: its scheme, the Django settings it
# stands for, and the port when the URL names none.
MAIL_SCHEMES = {
    "smtp": ({}, 25),  # plain, e.g. to a relay on the same host or network
    "smtp+tls": ({"EMAIL_USE_TLS": True}, 587),  # STARTTLS
    "smtps": ({"EMAIL_USE_SSL": True}, 465),  # TLS from the start
}


def env_mail_url(name: str) -> dict:
    """Read an SMTP server as a URL (smtp://, smtp+tls://, smtps://, or console:// to
    print mail instead) into Django's EMAIL_* settings; {} when unset."""
    value = os.environ.get(name, "").strip()
    if not value:
        return {}
    url = urlsplit(value)
    if url.scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    try:
        flags, default_port = MAIL_SCHEMES[url.scheme]
        port = url.port or default_port
    except (KeyError, ValueError):  # an unknown scheme, or a port that is not a number
        raise ImproperlyConfigured(
            f"{name} must look like smtp+tls://user:password@smtp.example.org:587 "
            f"(or smtp://, smtps://, console://); got {url.scheme}://{url.hostname}"
        ) from None
    if not url.hostname:
        raise ImproperlyConfigured(f"{name} must name a mail server host")
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": url.hostname,
        "EMAIL_PORT": port,
        "EMAIL_HOST_USER": unquote(url.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(url.password or ""),
        **flags,
    }


DEBUG = env_bool("DJANGO_DEBUG", default=False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off. "
            "For local development, set DJANGO_DEBUG=1 (as `make run` does)."
        )
    SECRET_KEY = "django-insecure-local-development-only"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

# HTTPS: on by default whenever debug is off. Turn it off only for a plain-HTTP
# test server (the test suite does), never in production.
HTTPS = env_bool("DJANGO_HTTPS", default=not DEBUG)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
CSRF_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = 31_536_000 if HTTPS else 0  # a year
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
# Behind a proxy that ends TLS (and strips this header from clients), say so:
BEHIND_PROXY = env_bool("DJANGO_BEHIND_PROXY", default=False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# No inline script or style anywhere: every page's CSS and JS are files.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

INSTALLED_APPS = [
    # Django's admin, with change lists that refuse impossible dates (tracker/admin_site.py).
    "tracker.admin_site.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "axes",
    "csp",
    "django_filters",
    "django_tables2",
    "simple_history",
    "tracker",
    # The read API (tracker/api/, settings below): Django REST framework, its token
    # sign-in (`manage.py drf_create_token USER`, and Tokens in the admin), and
    # drf-spectacular's OpenAPI schema with the docs page's assets served from here.
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
]

MIDDLEWARE = [
    # First: answers load balancers before host checks and HTTPS redirects.
    "tracker.middleware.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything reads the request: NUL in a URL or form is a 400.
    "tracker.middleware.RefuseNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Before any admin view runs: no write without a write permission.
    "tracker.admin_guard.AdminWriteGuardMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: counts failed sign-ins and locks out guessing.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 1  # hour
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
# Behind a proxy every request comes from the proxy's address, so one attacker's
# wrong passwords would lock an account for everyone: count the client's address
# the proxy appended to X-Forwarded-For instead. Without a proxy that header is
# the client's own word and is ignored.
AXES_CLIENT_IP_CALLABLE = "tracker.middleware.forwarded_client_ip" if BEHIND_PROXY else None

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
try:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
except ValueError as exc:  # an unknown scheme or a malformed URL
    raise ImproperlyConfigured(f"DATABASE_URL is not a usable database URL: {exc}") from exc
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Persistent connections buy nothing on SQLite and keep the file locked in tests.
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Report figures are cached (tracker/caching.py): in each process's memory by
# default, in a Redis every instance shares when REDIS_URL is set. Either way a
# change to the data shows at once: cache keys carry a version kept in the database.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    if not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(f"REDIS_URL must be a redis:// URL; got {REDIS_URL!r}")
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "tracker",
            # A Redis on the same network answers in a millisecond; one that has not
            # answered in half a second is down, and pages go on without it.
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
TRACKER_CACHE_SECONDS = env_int("TRACKER_CACHE_SECONDS", default=24 * 3600)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# en-us: its first date input format is ISO, which the admin calendar writes.
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = os.environ.get("DJANGO_STATIC_ROOT") or BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # In production: compressed files with hashed names (run collectstatic first).
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# In debug mode, serve straight from the apps' static folders.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

FIXTURE_DIRS = [BASE_DIR / "fixtures"]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "tracker:dashboard"

# Reports need sign-in unless this is on; then anyone may read them (never change).
TRACKER_PUBLIC_REPORTS = env_bool("TRACKER_PUBLIC_REPORTS", default=False)

# --- The read API (/api/v1/, tracker/api/) ------------------------------------------
# Read-only, for the same readers as the reports: a signed-in session or a token
# (`Authorization: Token <key>`) of a user who may read reports, or anyone when
# TRACKER_PUBLIC_REPORTS is on. Every method but GET, HEAD and OPTIONS is a 405.
# Requests are counted per user and, unsigned, per address, in Django's cache (a
# Redis shared by every instance when REDIS_URL is set; each process's own otherwise).
TRACKER_API_USER_RATE = env_rate("TRACKER_API_USER_RATE", "1200/minute")
TRACKER_API_ANON_RATE = env_rate("TRACKER_API_ANON_RATE", "120/minute")
REST_FRAMEWORK = {
    # Token first: an unsigned request is answered 401 with `WWW-Authenticate: Token`.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["tracker.api.permissions.ReadsReports"],
    "DEFAULT_THROTTLE_CLASSES": [
        "tracker.api.throttling.UserThrottle",
        "tracker.api.throttling.AnonymousThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {"user": TRACKER_API_USER_RATE, "anon": TRACKER_API_ANON_RATE},
    # The client's address for the anonymous rate: behind a proxy, the one it appended
    # to X-Forwarded-For; without one, the connection's (the header is the client's word).
    "NUM_PROXIES": 1 if BEHIND_PROXY else 0,
    # JSON only: the docs page (/api/docs/) is the API's page for people.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "tracker.api.pagination.NumberedPages",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Policy Recommendation Tracker API",
    "DESCRIPTION": "Read-only access to the tracker's published records and figures. "
    "Sign in, or send `Authorization: Token <key>`.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Operations grouped by what follows /api/v1/: frameworks, developments, …
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # The schema and the docs page are for the API's readers, as the API is.
    "SERVE_PERMISSIONS": ["tracker.api.permissions.ReadsReports"],
    # Swagger UI from this app's static files (drf-spectacular-sidecar), not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No badge from validator.swagger.io: the page talks to this site only.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    # Two choice sets share the name "status": name each after its model.
    "ENUM_NAME_OVERRIDES": {
        "DevelopmentStatusEnum": "tracker.models.DevelopmentStatus",
        "AssessmentStatusEnum": "tracker.models.AssessmentStatus",
    },
}

# Mail: off unless DJANGO_EMAIL_URL names a server. Password reset mails a link,
# so its pages exist only when mail can be sent (config/urls.py).
MAIL = env_mail_url("DJANGO_EMAIL_URL")
globals().update(MAIL)  # EMAIL_BACKEND, EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, ...
TRACKER_SENDS_MAIL = bool(MAIL)
if TRACKER_SENDS_MAIL:
    DEFAULT_FROM_EMAIL = SERVER_EMAIL = os.environ.get("DJANGO_EMAIL_FROM", "").strip()
    if not DEFAULT_FROM_EMAIL:
        raise ImproperlyConfigured("DJANGO_EMAIL_FROM must be set when DJANGO_EMAIL_URL is")
EMAIL_TIMEOUT = 10  # seconds: an error mail is sent within the failing request
EMAIL_SUBJECT_PREFIX = "[tracker] "

# Who is mailed each unhandled error, with its traceback and the settings, less
# their passwords (those inside DATABASE_URL and REDIS_URL too).
ADMINS = env_addresses("DJANGO_ADMINS")
if ADMINS and not TRACKER_SENDS_MAIL:
    raise ImproperlyConfigured("DJANGO_ADMINS needs DJANGO_EMAIL_URL to send its mail")
DEFAULT_EXCEPTION_REPORTER_FILTER = "tracker.error_mail.PasswordHidingFilter"

# Warnings and errors, unhandled ones with their traceback, go to standard error,
# where gunicorn (or systemd, or the container) collects them; with DJANGO_ADMINS
# set, unhandled errors are mailed too.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "line": {"format": "{asctime} {levelname} {name}: {message}", "style": "{"},
    },
    "filters": {
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
        "client_errors_in_one_line": {"()": "tracker.log_filters.ClientErrorsWithoutTraceback"},
    },
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stderr",
            "formatter": "line",
            "filters": ["client_errors_in_one_line"],
        },
        "mail_admins": {
            "class": "django.utils.log.AdminEmailHandler",
            "level": "ERROR",
            "filters": ["require_debug_false"],
        },
    },
    "root": {"handlers": ["stderr"], "level": "WARNING"},
    "loggers": {
        # Replaces Django's default, which writes to the console only in debug mode.
        "django": {"handlers": [], "level": "INFO"},
        # Unhandled errors (and 5xx answers); mail goes nowhere while ADMINS is empty.
        "django.request": {"handlers": ["mail_admins"], "level": "INFO"},
    },
}

# --- Background tasks ------------------------------------------------------------------
# Admin imports and exports of more than TRACKER_BACKGROUND_ROWS records run as
# background jobs (tracker/jobs.py) through django-tasks, the backport of Django 6's
# tasks framework: the request answers at once and the admin's job page shows the
# progress and the result. The tasks wait in the database for `manage.py db_worker`
# (which `make run` starts beside the server), or, when REDIS_URL is set, in Redis
# for `manage.py rqworker default`.
TRACKER_BACKGROUND_ROWS = env_int("TRACKER_BACKGROUND_ROWS", default=1000)
INSTALLED_APPS += ["django_tasks", "django_tasks_db"]
if REDIS_URL:
    # Before the tracker, whose admin takes django-rq's queue pages away again: they
    # let any staff member empty or requeue the queues (`manage.py rqstats` shows them).
    INSTALLED_APPS.insert(INSTALLED_APPS.index("tracker"), "django_rq")
    INSTALLED_APPS += ["django_tasks_rq"]
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    # RQ stops a job after 180 seconds unless told otherwise; a large import takes longer.
    RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 6 * 3600}}
    # The job class that runs django-tasks' tasks, for `manage.py rqworker`.
    RQ = {"JOB_CLASS": "django_tasks_rq.Job"}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Export files wait here for their download, which a view hands out to the job's
# owner only: nothing under it is served as a public URL.
MEDIA_ROOT = os.environ.get("DJANGO_MEDIA_ROOT") or BASE_DIR / "media"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Write-ahead logging: pages (and the job page that follows an import) read while
    # a worker's import holds SQLite's one write lock, instead of waiting for it.
    DATABASES["default"].setdefault("OPTIONS", {})["init_command"] = "PRAGMA journal_mode=WAL"
