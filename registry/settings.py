"""Settings for 工会两库, read from the environment.

Defaults need no server (SQLite, a filesystem Celery broker) so a newcomer's
machine runs the whole app; production fails closed (no built-in SECRET_KEY,
DEBUG off unless asked for).
"""

import json
import os
import re
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from registry import keys

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def envstr(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value is None or value == "" else value


def envbool(name: str, default: bool) -> bool:
    value = envstr(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {value!r}")


def envint(name: str, default: int) -> int:
    value = envstr(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from None


def envlist(name: str, default: list[str]) -> list[str]:
    value = envstr(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = envbool("DEBUG", False)

SECRET_KEY = envstr("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-never-use-in-production"  # noqa: S105

# Encryption at rest of ID numbers and phones (registry/crypto.py, docs/security.md): keys
# of their own, never derived from SECRET_KEY. Like SECRET_KEY, production refuses to start
# without them; DEBUG and the test suite use fixed development keys published in the source.
FIELD_ENCRYPTION_KEYS = envlist("FIELD_ENCRYPTION_KEYS", [])  # newest first
BLIND_INDEX_KEY = envstr("BLIND_INDEX_KEY")
if not FIELD_ENCRYPTION_KEYS or not BLIND_INDEX_KEY:
    if not DEBUG and "pytest" not in sys.modules:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS and BLIND_INDEX_KEY must be set when DEBUG is off "
            "(base64 of 32 random bytes each; see docs/security.md)."
        )
    _dev_field_key, _dev_index_key = keys.development_keys()
    FIELD_ENCRYPTION_KEYS = FIELD_ENCRYPTION_KEYS or [_dev_field_key]
    BLIND_INDEX_KEY = BLIND_INDEX_KEY or _dev_index_key
try:
    for _key in FIELD_ENCRYPTION_KEYS:
        keys.parse_key(_key, "FIELD_ENCRYPTION_KEYS")
    keys.parse_key(BLIND_INDEX_KEY, "BLIND_INDEX_KEY")
except keys.BadKey as _error:
    raise ImproperlyConfigured(str(_error)) from None

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "mptt",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "unions",
    "members",
    "progress",
    "imports",
    "selfservice",
]

MIDDLEWARE = [
    "registry.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Below WhiteNoise: static files keep their long cache; every other response is
    # no-store and carries the CSP and Permissions-Policy.
    "registry.headers.SecurityHeadersMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "unions.middleware.SessionRefreshMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "unions.middleware.ScopeOncePerRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # The gates, in this order (unions/middleware.py): absolute session lifetime,
    # second factor, initial password, confidentiality pledge.
    "unions.middleware.SessionLifetimeMiddleware",
    "unions.middleware.SecondFactorMiddleware",
    "unions.middleware.PasswordChangeRequiredMiddleware",
    "unions.middleware.PledgeGateMiddleware",
    "registry.errors.MethodNotAllowedPageMiddleware",
    # AxesMiddleware must be last: it turns lockouts into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "registry.urls"
WSGI_APPLICATION = "registry.wsgi.application"
ASGI_APPLICATION = "registry.asgi.application"

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
                "unions.context_processors.access_flags",
                "progress.context_processors.todo_counts",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        envstr("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=envint("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web and worker share one SQLite file in development: wait for locks
    # instead of failing, and take the write lock up front.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {"timeout": 30, "transaction_mode": "IMMEDIATE"}

# A PostgreSQL read replica for reports and exports (docs/deployment.md); without it,
# one database. In tests the alias mirrors `default` (Django's TEST MIRROR).
if envstr("DATABASE_REPLICA_URL", ""):
    DATABASES["replica"] = dj_database_url.parse(
        envstr("DATABASE_REPLICA_URL", ""),
        conn_max_age=envint("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["registry.db_router.ReplicaRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "unions.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
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

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sessions end after SESSION_IDLE_MINUTES without a request, and SESSION_ABSOLUTE_HOURS
# after the login however busy (unions.middleware.SessionLifetimeMiddleware). The idle
# deadline is pushed back by saving the session, at most once per SESSION_REFRESH_SECONDS
# (unions.middleware.SessionRefreshMiddleware), not on every request: a session ends
# between SESSION_IDLE_MINUTES minus that and SESSION_IDLE_MINUTES after the last request.
SESSION_COOKIE_AGE = envint("SESSION_IDLE_MINUTES", 30) * 60
SESSION_ABSOLUTE_HOURS = envint("SESSION_ABSOLUTE_HOURS", 12)
SESSION_SAVE_EVERY_REQUEST = False
SESSION_REFRESH_SECONDS = 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Two-factor authentication (unions/mfa.py): who must use it. Entries are role@level
# (role: admin, collector, viewer; level: county = a 地方总工会 or 产业工会, which exist at
# county level and above; all) or "operator" (platform operators, /ops/).
MFA_REQUIRED_ROLES = envlist("MFA_REQUIRED_ROLES", ["admin@county", "operator"])
for _entry in MFA_REQUIRED_ROLES:
    if _entry != "operator" and not re.fullmatch(
        r"(admin|collector|viewer)(@(county|all))?", _entry
    ):
        raise ImproperlyConfigured(
            f"MFA_REQUIRED_ROLES: {_entry!r} is not 'operator' or role@level "
            "(role: admin, collector, viewer; level: county, all)"
        )
OTP_TOTP_ISSUER = "工会两库"
OTP_STATIC_THROTTLE_FACTOR = 1
OTP_TOTP_THROTTLE_FACTOR = 1

# The confidentiality pledge (unions/pledge.py) gates every page of these URL namespaces.
PLEDGE_NAMESPACES = envlist("PLEDGE_NAMESPACES", ["members", "imports"])

# Lockout that fits offices (unions/lockout.py, docs/security.md): an account at one
# address, an account from anywhere, and an address alone only when it sprays many accounts.
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5)  # one account from one address
AXES_ACCOUNT_FAILURE_LIMIT = envint("AXES_ACCOUNT_FAILURE_LIMIT", 10)  # one account, any address
AXES_SPRAY_FAILURE_LIMIT = envint("AXES_SPRAY_FAILURE_LIMIT", 30)  # one address, any accounts
AXES_SPRAY_WINDOW_MINUTES = envint("AXES_SPRAY_WINDOW_MINUTES", 10)
AXES_COOLOFF_TIME = envint("AXES_COOLOFF_MINUTES", 30) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], ["username"]]
AXES_HANDLER = "unions.lockout.OfficeLockoutHandler"
AXES_LOCKOUT_CALLABLE = "unions.lockout.lockout_response"
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # one row per failure: the spraying rule counts them
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = envbool("AXES_VERBOSE", False)  # lockouts are in the audit log already
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_IPWARE_PROXY_COUNT = envint("PROXY_COUNT", 0)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Files browsers ask for at the site root (/favicon.ico), served by WhiteNoise.
WHITENOISE_ROOT = BASE_DIR / "static" / "root"
STATIC_ROOT = Path(envstr("STATIC_ROOT", str(VAR_DIR / "static")))
MEDIA_ROOT = Path(envstr("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "media/"  # never served directly: uploads go through access-checked views
# Uploads, error reports and export files: a directory on this machine by default; on
# several machines, an object store shared by web and worker (docs/deployment.md), e.g.
# FILE_STORAGE_BACKEND=storages.backends.s3.S3Storage with its options as JSON.
STORAGES = {
    "default": {
        "BACKEND": envstr("FILE_STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage"),
        "OPTIONS": json.loads(envstr("FILE_STORAGE_OPTIONS", "{}")),
    },
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Uploads: a sheet is read by the worker, never held whole in the web process.
MAX_UPLOAD_MB = envint("MAX_UPLOAD_MB", 20)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# Celery: a filesystem broker needs no server; CELERY_BROKER_URL=redis://… in production.
CELERY_BROKER_URL = envstr("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        # Kombu keeps its exchange tables (celery.exchange, celery.pidbox.exchange) here;
        # its default is ./control in whatever directory the process started in.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = envint("CELERY_TASK_TIME_LIMIT", 30 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 60
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE: dict = {}

# Production hardening: on unless DEBUG, each switchable for a TLS-terminating proxy.
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = envbool("CSRF_COOKIE_SECURE", not DEBUG)
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Which member columns an import requires; a deployment may add more.
MEMBER_REQUIRED_FIELDS = envlist("MEMBER_REQUIRED_FIELDS", ["name", "id_number", "mobile"])
ALLOW_LANDLINE = envbool("ALLOW_LANDLINE", False)

# Progress (issue 6): a daily snapshot of every union's members for trend lines.
from celery.schedules import crontab  # noqa: E402

CELERY_BEAT_SCHEDULE["unions.daily_snapshots"] = {
    "task": "progress.tasks.daily_snapshots",
    "schedule": crontab(hour=envint("SNAPSHOT_HOUR", 23), minute=50),
}
# 会员人数统计表: counted at download for subtrees of at most this many members; larger
# ones read the figures the daily snapshot counted (women and 身份类别 are in no tally).
STATISTICS_LIVE_MAX = envint("STATISTICS_LIVE_MAX", 50_000)
# 控制点 (issue 14): every tree frozen on the evening of a campaign's deadline.
CELERY_BEAT_SCHEDULE["progress.control_points_at_deadline"] = {
    "task": "progress.tasks.control_points_at_deadline",
    "schedule": crontab(hour=envint("SNAPSHOT_HOUR", 23), minute=55),
}

# Member register: the largest member list one export holds; a bigger selection is
# narrowed by union or other filters first. Exports run on the worker (members.tasks);
# the file is kept MEMBER_EXPORT_KEEP_HOURS for its owner to download, then deleted; a
# job whose worker has been silent MEMBER_EXPORT_STALL_MINUTES is failed by the sweep.
MEMBER_EXPORT_MAX_ROWS = envint("MEMBER_EXPORT_MAX_ROWS", 100_000)
MEMBER_EXPORT_KEEP_HOURS = envint("MEMBER_EXPORT_KEEP_HOURS", 24)
MEMBER_EXPORT_STALL_MINUTES = envint("MEMBER_EXPORT_STALL_MINUTES", 5)
CELERY_BEAT_SCHEDULE["members-sweep-exports"] = {
    "task": "members.tasks.sweep_exports",
    "schedule": 5 * 60,
}

# Accounts (issue 3): the length rule with a Chinese message (Django's zh-hans catalogue
# has none for it); the same limit as above.
for _validator in AUTH_PASSWORD_VALIDATORS:
    if _validator["NAME"].endswith(".MinimumLengthValidator"):
        _validator["NAME"] = "unions.password_validation.MinimumLengthValidator"
    if _validator["NAME"].endswith(".UserAttributeSimilarityValidator"):
        _validator["NAME"] = "unions.password_validation.UserAttributeSimilarityValidator"
# django-ipware is not installed, so Axes would ignore PROXY_COUNT and lock out the proxy's
# address; this callable reads X-Forwarded-For with that count, the same as the audit log.
AXES_CLIENT_IP_CALLABLE = "unions.audit.client_ip"

# Collection in the browser (imports app): how long uploaded sheets are kept, how
# often a job is tried before it is marked failed, and when a silent job counts as
# stalled (its worker died) and is queued again.
IMPORT_FILE_RETENTION_DAYS = envint("IMPORT_FILE_RETENTION_DAYS", 180)
IMPORT_MAX_ATTEMPTS = envint("IMPORT_MAX_ATTEMPTS", 3)
IMPORT_STALL_MINUTES = envint("IMPORT_STALL_MINUTES", 10)
CELERY_BEAT_SCHEDULE["imports-purge-old-files"] = {
    "task": "imports.tasks.purge_old_uploads",
    "schedule": 24 * 60 * 60,
}
# Outside lists compared with the registry (名单比对, imports/reconcile/) hold other
# organisations' personal data: kept only this many days, then deleted with their results.
RECONCILE_FILE_RETENTION_DAYS = envint("RECONCILE_FILE_RETENTION_DAYS", 7)
CELERY_BEAT_SCHEDULE["imports-purge-reconcile-lists"] = {
    "task": "imports.tasks.purge_reconcile_lists",
    "schedule": 6 * 60 * 60,
}
CELERY_BEAT_SCHEDULE["imports-recover-stalled-jobs"] = {
    "task": "imports.tasks.recover_stalled_jobs",
    "schedule": 5 * 60,
}
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # Redis delivers an unacknowledged task again (its worker died) after this many
    # seconds; it must outlast the longest task, or a slow job would run twice.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": envint("CELERY_VISIBILITY_TIMEOUT", CELERY_TASK_TIME_LIMIT + 600)
    }

# Self-service (issue 13): SMS codes for applicants and members. SMS_BACKEND names a class
# with send(phone, text), like EMAIL_BACKEND (docs/self-service.md).
SMS_BACKEND = envstr("SMS_BACKEND", "selfservice.sms.backends.ConsoleBackend")
SMS_FILE_PATH = envstr("SMS_FILE_PATH", str(VAR_DIR / "sms"))
SMS_CODE_TTL_SECONDS = envint("SMS_CODE_TTL_SECONDS", 5 * 60)
SMS_CODE_MAX_TRIES = envint("SMS_CODE_MAX_TRIES", 5)
SMS_RESEND_SECONDS = envint("SMS_RESEND_SECONDS", 60)
SMS_PER_PHONE_PER_HOUR = envint("SMS_PER_PHONE_PER_HOUR", 5)
SMS_PER_IP_PER_HOUR = envint("SMS_PER_IP_PER_HOUR", 50)
# Submissions of any public form (application, code, self-check, correction, status) per
# address and hour. A sign-up event behind one NAT (a factory's Wi-Fi) needs them raised.
PUBLIC_FORMS_PER_IP_PER_HOUR = envint("PUBLIC_FORMS_PER_IP_PER_HOUR", 150)
# How long a verified phone lets the member see their record and card.
SELF_SERVICE_SESSION_MINUTES = envint("SELF_SERVICE_SESSION_MINUTES", 15)

# Content-Security-Policy (django-csp; Django 5.2 has none of its own): scripts and
# styles only from this site, no inline script anywhere. Inline style *attributes*
# (widths of progress bars, chart heights) stay allowed: they cannot run code.
from csp.constants import NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), camera=(), display-capture=(), geolocation=(), "
    "gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(), usb=()"
)

# Audit retention (等保: at least 180 days). Nothing deletes younger entries; a purge
# (manage.py purge_audit, the daily beat task) removes only entries older than this.
AUDIT_RETENTION_DAYS = envint("AUDIT_RETENTION_DAYS", 365)
if AUDIT_RETENTION_DAYS < 180:
    raise ImproperlyConfigured("AUDIT_RETENTION_DAYS must be at least 180 (等级保护).")
AUDIT_EXPORT_MAX_ROWS = envint("AUDIT_EXPORT_MAX_ROWS", 200_000)
CELERY_BEAT_SCHEDULE["unions-purge-audit"] = {
    "task": "unions.tasks.purge_expired_audit",
    "schedule": crontab(hour=3, minute=30),
}

# No personal data in logs: every handler masks ID-number-like and mobile-like strings
# (registry/logfilter.py), in the web process and in Celery (registry/celery.py).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"personal_data": {"()": "registry.logfilter.PersonalDataFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["personal_data"]},
    },
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    # Django's own loggers get the same (filtered) handler instead of its defaults:
    # django.server prints request paths, and a search path can hold a phone number.
    # `propagate: False`: the root has the same handler, so a propagating record would be
    # printed twice (tests/test_log_lines_once.py).
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
