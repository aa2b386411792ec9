"""One settings module, driven by the environment.

Every value that differs between a laptop and a server comes from an environment variable, read
through helpers that refuse values they do not understand, so a typo fails at start-up instead of
silently changing behaviour.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def envbool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of true/false/1/0/yes/no, not {raw!r}")


def envint(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}")
    return value


def envlist(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def envstr(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise ImproperlyConfigured(f"{name} must be set")
    return value


def envchoice(name: str, default: str, choices: set[str]) -> str:
    value = os.environ.get(name, default).strip().lower()
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {sorted(choices)}, not {value!r}")
    return value


# "development" (the default: laptops, tests, CI) or "production" (real patients' data).
PRODUCTION = envchoice("DJANGO_ENV", "development", {"development", "production"}) == "production"
DEBUG = envbool("DEBUG", False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off when DJANGO_ENV=production")
# Development runs with a throwaway key; production must set its own.
SECRET_KEY = envstr("SECRET_KEY", None if PRODUCTION else "dev-only-insecure-key-" + "x" * 40)

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "bootstrap",
    "crispy_forms",
    "crispy_bootstrap5",
    "csp",
    "django_htmx",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "patients",
    "infusions",
    "diary",
    "reports",
]

# A failed form security check says that nothing was saved and goes back to the page (and for
# htmx, which shows nothing for an error answer, moves the whole page there).
CSRF_FAILURE_VIEW = "config.views.csrf_failure"

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # After messages and htmx: an idle sign-out answers as the access gate does (a message, and
    # for htmx a whole-page move to sign-in, never the sign-in page inside the quick log).
    "config.middleware.IdleTimeoutMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "config.middleware.NoStoreMiddleware",
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
            ],
            # {% extends %} finding base.html's blocks once, not on every render.
            "builtins": ["config.template_extends"],
        },
    }
]

# --- Database -------------------------------------------------------------------------------
# SQLite by default, tuned for a small web app: WAL lets readers and one writer work at once,
# IMMEDIATE transactions take the write lock up front (no "database is locked" half-way through
# a write), and the busy timeout makes writers wait instead of failing.
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": (
        "PRAGMA journal_mode=WAL;"
        "PRAGMA synchronous=NORMAL;"
        "PRAGMA foreign_keys=ON;"
        "PRAGMA busy_timeout=20000;"
    ),
}
# Persistent connections: opening one (and, on SQLite, running the PRAGMAs above) on every
# request costs more than the page's own queries. Health checks drop a connection that died.
CONN_MAX_AGE = envint("CONN_MAX_AGE", 600, minimum=0)
DATABASE_URL = os.environ.get("DATABASE_URL", "").strip()
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=CONN_MAX_AGE, conn_health_checks=True
        )
    }
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        DATABASES["default"]["OPTIONS"] = dict(SQLITE_OPTIONS)
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            "OPTIONS": dict(SQLITE_OPTIONS),
            "CONN_MAX_AGE": CONN_MAX_AGE,
            "CONN_HEALTH_CHECKS": True,
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts -------------------------------------------------------------------------------
AUTH_USER_MODEL = "patients.User"
# Django's and allauth's backends, the signed-in user read by a compiled query (patients/auth.py).
AUTHENTICATION_BACKENDS = [
    "patients.auth.ModelBackend",
    "patients.auth.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "patients:index"

ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = envchoice(
    "ACCOUNT_EMAIL_VERIFICATION", "mandatory", {"mandatory", "optional", "none"}
)
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
ACCOUNT_SESSION_REMEMBER = None  # ask: "keep me signed in" on a personal device
ACCOUNT_FORMS = {"login": "patients.forms.SignInForm"}  # that question in plain words
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PASSWORD_MIN_LENGTH = 10
ACCOUNT_RATE_LIMITS = {
    # Failed logins per user/IP; allauth locks further attempts for a while.
    "login_failed": "5/5m/ip,5/5m/key",
    "login": "30/m/ip",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
    "change_password": "5/m/user",
    "reauthenticate": "10/m/user",
}
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Infusion diary] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if PRODUCTION else "http"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Infusion diary"

# Idle timeout: a session that is not "kept signed in" ends after 30 quiet minutes.
# Django's database sessions, read by a compiled query (patients/sessions.py).
SESSION_ENGINE = "patients.sessions"
SESSION_IDLE_TIMEOUT = envint("SESSION_IDLE_TIMEOUT", 30 * 60, minimum=60)
SESSION_COOKIE_AGE = envint(
    "SESSION_COOKIE_AGE", int(timedelta(days=30).total_seconds()), minimum=60
)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if os.environ.get("EMAIL_HOST")
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 587, minimum=1)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Infusion diary <diary@localhost>")

# --- Security headers -------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", PRODUCTION)
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000 if PRODUCTION else 0, minimum=0)
# includeSubDomains is on with HSTS by default: hosts under the diary's own name (e.g.
# *.diary.example.org) should be HTTPS-only too. Turn it off when the diary is served from an
# organisation's apex domain whose other subdomains still need plain HTTP.
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0 and envbool(
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", True
)
# Preload is a commitment for the whole registrable domain, hard to undo (browsers ship the list
# for months), so only the operator who owns that domain turns it on, never a default.
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", False)
if SECURE_HSTS_PRELOAD and not (SECURE_HSTS_SECONDS >= 31536000 and SECURE_HSTS_INCLUDE_SUBDOMAINS):
    # hstspreload.org refuses anything less, so a header that asks for it would be a lie.
    raise ImproperlyConfigured(
        "SECURE_HSTS_PRELOAD needs SECURE_HSTS_SECONDS >= 31536000 and "
        "SECURE_HSTS_INCLUDE_SUBDOMAINS on"
    )
SILENCED_SYSTEM_CHECKS = []
if SECURE_HSTS_SECONDS > 0 and not SECURE_HSTS_PRELOAD:
    # security.W021 only says "not on the preload list": off is our deliberate default (above),
    # and `check --deploy --fail-level WARNING` must stay clean for a production that keeps it.
    SILENCED_SYSTEM_CHECKS.append("security.W021")
if SECURE_HSTS_SECONDS > 0 and not SECURE_HSTS_INCLUDE_SUBDOMAINS:
    # security.W005: reached only when the operator turned includeSubDomains off on purpose.
    SILENCED_SYSTEM_CHECKS.append("security.W005")
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if envbool("BEHIND_TLS_PROXY", False) else None
)

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# --- Internationalisation and time -------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
try:
    ZoneInfo(TIME_ZONE)
except (ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(f"TIME_ZONE {TIME_ZONE!r} is not a known time zone") from None

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Django's and WhiteNoise's, with each address kept per process (config/static_storage.py)
        "BACKEND": "config.static_storage.KeptManifestStaticFilesStorage"
        if envbool("STATIC_MANIFEST", PRODUCTION)
        else "config.static_storage.KeptStaticFilesStorage"
    },
}

# --- Cache ----------------------------------------------------------------------------------
# Page fragments (patients.caching, the header's {% cache %}) and allauth's rate limits live here.
# Without a URL: a memory cache in each process, right for one process (`make run`, tests).
# Several processes or machines must share one cache, or each counts rate limits on its own:
# CACHE_URL (or REDIS_URL, as hosts name it; CACHE_URL wins) points at Redis, e.g.
# redis://cache.internal:6379/0 or rediss://:password@cache.example.org:6380/0. Several URLs
# separated by commas: the first is written to, the others are read replicas. Give the diary a
# Redis database of its own: cache.clear() (the tests call it) flushes the whole database.
CACHE_URL = (os.environ.get("CACHE_URL") or os.environ.get("REDIS_URL") or "").strip()
if CACHE_URL:
    # Several URLs are separated by commas or semicolons (spaces around them allowed); every
    # part must be a Redis URL. The message names only the scheme: the URL may hold a password.
    CACHE_SERVERS = [server.strip() for server in re.split("[;,]", CACHE_URL) if server.strip()]
    for _scheme in {urlsplit(server).scheme for server in CACHE_SERVERS}:
        if _scheme not in {"redis", "rediss", "unix"}:
            raise ImproperlyConfigured(
                "CACHE_URL/REDIS_URL must be redis://, rediss:// or unix:// URLs, not "
                + (f"{_scheme}://" if _scheme else "a URL without a scheme")
            )
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_SERVERS,
            # Sets the diary's keys apart in a shared database (clear() still flushes it all).
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "diary"),
            "OPTIONS": {
                # Like the database, Redis is then needed to serve pages: one that stopped
                # answering fails a request within seconds instead of hanging the worker.
                "socket_connect_timeout": 2,
                "socket_timeout": 2,
                "health_check_interval": 30,
            },
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": envint("CACHE_MAX_ENTRIES", 5000, minimum=100)},
        }
    }

# --- Background tasks -------------------------------------------------------------------------
# django-tasks (the backport of Django 6's django.tasks) with django-tasks-db's database backend:
# a task waits in the database until a worker, `manage.py db_worker`, runs it. `make run` starts
# one next to the server; docs/deploy.md says how to run them in production. "immediate" runs
# each task at once in the process that queued it (tests; never for PDFs on a real site).
TASKS_BACKEND = envchoice("TASKS_BACKEND", "database", {"database", "immediate"})
TASKS = {
    "default": {
        "BACKEND": {
            "database": "django_tasks_db.DatabaseBackend",
            "immediate": "django_tasks.backends.immediate.ImmediateBackend",
        }[TASKS_BACKEND]
    }
}
# The report's PDF is kept in the database (no file on an app server's disk), up to this size.
REPORT_PDF_MAX_BYTES = envint("REPORT_PDF_MAX_BYTES", 20 * 1024 * 1024, minimum=1024 * 1024)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Admin ----------------------------------------------------------------------------------
# Django's admin at /admin/: mounted only when ADMIN_ENABLED is on (default: on in development,
# off in production, where an operator turns it on deliberately). Its sign-in is allauth's
# (config/urls.py), so two-factor and the login rate limits apply to it too.
ADMIN_ENABLED = envbool("ADMIN_ENABLED", not PRODUCTION)

# --- Logging --------------------------------------------------------------------------------
# No secret reaches a log: calendar feed addresses (/calendar/<token>.ics) are rewritten to
# /calendar/[redacted].ics (config/redaction.py). The filter sits on the loggers that print
# request paths, so every handler (Django's defaults too) gets the redacted record, and on our
# handlers for anything else. Naming a logger here replaces its handlers, so django.server's
# (runserver's request lines) is declared again as Django's default. gunicorn's own logs get the
# same filter through gunicorn.conf.py.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_secrets": {"()": "config.redaction.RedactSecrets"}},
    "formatters": {
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["redact_secrets"]},
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["redact_secrets"],
        },
    },
    "loggers": {
        "django.request": {"filters": ["redact_secrets"]},
        "django.server": {
            "handlers": ["django.server"],
            "level": "INFO",
            "propagate": False,
            "filters": ["redact_secrets"],
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
