"""One settings module for every environment, driven by environment variables.

Defaults point at the machine's local PostgreSQL and Redis so that `make test` and `make demo`
work with nothing set. Production sets DEBUG=false, SECRET_KEY, ALLOWED_HOSTS and the TLS switches.
"""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# The development key serves DEBUG=true (the demo) and the test suite only. With DEBUG false and no
# SECRET_KEY the service refuses to start, and `check --deploy` fails on the development key
# (kat_clinic/checks.py), so nothing signed with a key written here is ever accepted in production.
DEVELOPMENT_SECRET_KEY = "dev-only-insecure-key-change-me-0123456789abcdefghijklmnopqrstuvwxyz"
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not (DEBUG or "pytest" in sys.modules):
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it to a long random value (DEBUG is false, so there is no default)."
        )
    SECRET_KEY = DEVELOPMENT_SECRET_KEY
# The largest request body read (JSON, forms): beyond it a 413 problem, before any parsing.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=1024 * 1024)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "pgtrigger",
    "pghistory",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "kat_clinic.apps.KatClinicConfig",
    "programs.apps.ProgramsConfig",
    "sessions.apps.ClinicSessionsConfig",
    "monitoring.apps.MonitoringConfig",
    "integration.apps.IntegrationConfig",
    "followups.apps.FollowupsConfig",
    "controlled.apps.ControlledConfig",
    "interop.apps.InteropConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "kat_clinic.audit.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "kat_clinic.lazy_messages.LazyMessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "kat_clinic.audit.middleware.AuditMiddleware",
    # Last, so that it sees failed logins that the views above report.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kat_clinic.urls"
WSGI_APPLICATION = "kat_clinic.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Project templates first, so kat_clinic/templates/admin/base_site.html overrides the admin's own.
        "DIRS": [BASE_DIR / "kat_clinic" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

DATABASES = {
    "default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/kat_clinic"),
}
# Every request is one transaction: a write that spans rows lands whole or not at all. The audit
# middleware writes after it, so audit rows of failed requests survive the rollback.
DATABASES["default"]["ATOMIC_REQUESTS"] = True
# A write PostgreSQL rolled back for a concurrent one's sake (a deadlock, a serialization failure)
# is run again, this many attempts in all, before answering 409 (kat_clinic/api/transactions.py).
API_TRANSACTION_ATTEMPTS = env.int("API_TRANSACTION_ATTEMPTS", default=5)
# The test database: TEST_DATABASE_NAME when set (`make test` sets one per checkout, so two
# checkouts run their suites at once), otherwise Django's test_<NAME>. Under pytest-xdist each
# process adds its own suffix (_gw0, _gw1).
DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME", default=None)}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Django's PostgreSQL backend, whose health check asks the socket before the server (kat_clinic/postgresql).
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["ENGINE"] = "kat_clinic.postgresql"
DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = 5
# Two database roles (kat_clinic/db_roles.py). The owner migrates: `manage.py migrate` and
# `manage.py create_runtime_role` run with DATABASE_URL set to the owner's connection
# (MIGRATION_DATABASE_URL in docker compose and the demo). The web, worker and beat run with
# DATABASE_URL naming the least-privilege runtime role, which may not alter the audit trail, the
# row history or the freezes.
RUNTIME_DB_ROLE = env.str("RUNTIME_DB_ROLE", default="kat_runtime")
RUNTIME_DB_PASSWORD = env.str("RUNTIME_DB_PASSWORD", default="")
# The runtime role on the same database as `default`. The suite connects as the owner through
# `default` (pytest-django creates, migrates and flushes the test database) and as the runtime
# role through this alias: live servers, Celery workers under test, the refusal tests. A process
# already running as the runtime role never opens it.
DATABASES["runtime"] = {
    **DATABASES["default"],
    "USER": RUNTIME_DB_ROLE,
    "PASSWORD": RUNTIME_DB_PASSWORD,
    "OPTIONS": dict(DATABASES["default"]["OPTIONS"]),
    "ATOMIC_REQUESTS": False,
    "CONN_MAX_AGE": 0,
    "TEST": {"MIRROR": "default"},
}
# Models whose rows the runtime role may insert but never update or delete, beyond every pghistory
# event model and every model declaring `APPEND_ONLY = True` ("app_label.ModelName").
APPEND_ONLY_MODELS: list[str] = [
    # The controlled-substance ledger: 21 CFR 1304 records, corrected only by new entries.
    "controlled.LedgerEntry",
    "controlled.Witnessing",
    "controlled.Count",
    "controlled.CountLine",
    "controlled.LossReport",
    "controlled.LossReportSignoff",
]
# The audit trail's hash chains (kat_clinic/audit/chain.py): a row is sealed once it is this old,
# by a periodic task that runs this often.
AUDIT_SEAL_SETTLE_SECONDS = env.int("AUDIT_SEAL_SETTLE_SECONDS", default=30)
AUDIT_SEAL_INTERVAL_SECONDS = env.int("AUDIT_SEAL_INTERVAL_SECONDS", default=60)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Django warns (fields.W161) when a TimeField's fixed default falls within ten seconds of the clock,
# taking it for a forgotten `now`: a clinic's quiet hours default to 21:00 and 08:00 on purpose, and
# the deploy check failed when run at those moments.
SILENCED_SYSTEM_CHECKS = ["fields.W161"]

AUTH_USER_MODEL = "kat_clinic.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"  # Storage and logs are UTC; each clinic carries its own zone for local time.
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str("STATICFILES_BACKEND", default="whitenoise.storage.CompressedManifestStaticFilesStorage")
    },
}
# The web app (web/, built by `make web`): Vite writes web/dist, served under /static/web/ and,
# for every client-side path, web/dist/index.html (kat_clinic/web.py).
WEB_DIST_DIR = BASE_DIR / "web" / "dist"
STATICFILES_DIRS = [("web", WEB_DIST_DIR)] if WEB_DIST_DIR.is_dir() else []


def _immutable_file(path: str, url: str) -> bool:
    # Vite names its assets after their content hash: cache them for good.
    return url.startswith(STATIC_URL + "web/assets/")


WHITENOISE_IMMUTABLE_FILE_TEST = _immutable_file
# Serve straight from the app folders when collectstatic has not run (tests, first start).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
# Without collectstatic (tests), fall back to unhashed names instead of failing.
WHITENOISE_MANIFEST_STRICT = False

# --- Security and TLS switches -------------------------------------------------------------
# TLS=true (production behind HTTPS) turns on the redirect, HSTS and secure cookies together;
# each can still be set on its own. Plain-HTTP loopback (tests, demo, bench) leaves TLS off.
TLS = env.bool("TLS", default=False)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=TLS)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if TLS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = TLS
SECURE_HSTS_PRELOAD = TLS
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=TLS)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=TLS)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_TIMEOUT_SECONDS", default=30 * 60)
SESSION_SAVE_EVERY_REQUEST = True  # the session age is an idle timeout, renewed on each request
X_FRAME_OPTIONS = "DENY"

# --- Redis, Celery -------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# A message not acknowledged within this time is redelivered by Redis. No task may carry a broker
# ETA longer than this (the follow-up engine keeps due times in PostgreSQL instead).
CELERY_VISIBILITY_TIMEOUT_SECONDS = env.int("CELERY_VISIBILITY_TIMEOUT_SECONDS", default=3600)
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT_SECONDS}
if CELERY_BROKER_URL.startswith("filesystem://"):
    # Fallback for machines without Redis (make demo): kombu's filesystem transport.
    _folder = Path(env.str("CELERY_FILESYSTEM_FOLDER", default=str(BASE_DIR / ".data" / "broker")))
    for _sub in ("out", "processed"):
        (_folder / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS.update(
        data_folder_in=str(_folder / "out"),
        data_folder_out=str(_folder / "out"),
        processed_folder=str(_folder / "processed"),
        store_processed=True,
    )
# The cache: Redis, shared by every process (rate-limit counts live here). Where the demo has no
# Redis (kombu's filesystem broker), each process keeps its own in memory.
CACHE_URL = env.str("CACHE_URL", default="locmem://" if CELERY_BROKER_URL.startswith("filesystem://") else REDIS_URL)
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache"
        if CACHE_URL.startswith("locmem://")
        else "django.core.cache.backends.redis.RedisCache",
        "LOCATION": CACHE_URL,
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="kat"),
    }
}
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="kat_clinic")
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "UTC"

# --- REST framework, OpenAPI ---------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "kat_clinic.access.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["kat_clinic.access.permissions.MatrixPermission"],
    "DEFAULT_FILTER_BACKENDS": ["kat_clinic.api.filters.StrictFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "kat_clinic.api.pagination.DefaultPagination",
    # JSON only (the schema advertises nothing else; any other media type is a 415), bounded in
    # size and depth before parsing (kat_clinic/api/parsers.py).
    "DEFAULT_PARSER_CLASSES": ["kat_clinic.api.parsers.BoundedJSONParser"],
    # DRF's negotiation, each answer worked out once per Accept header (kat_clinic/api/negotiation.py).
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "kat_clinic.api.negotiation.RememberedContentNegotiation",
    # DRF's JSON, written by orjson (kat_clinic/api/renderers.py); the browsable API as DRF has it.
    "DEFAULT_RENDERER_CLASSES": [
        "kat_clinic.api.renderers.OrjsonRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "kat_clinic.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "kat_clinic.api.exceptions.exception_handler",
    # Rate limits (kat_clinic/api/throttling.py): per address without a user, per user with one,
    # and per endpoint where a view names a scope. "n/s", "n/min", "n/hour" or "n/day".
    "DEFAULT_THROTTLE_CLASSES": [
        "kat_clinic.api.throttling.AnonymousThrottle",
        "kat_clinic.api.throttling.UserThrottle",
        "kat_clinic.api.throttling.EndpointThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("THROTTLE_ANON_RATE", default="120/min"),
        "user": env.str("THROTTLE_USER_RATE", default="1200/min"),
        # A clinic behind one address logs in together at 8 a.m.: generous, yet it stops a spray.
        "login": env.str("THROTTLE_LOGIN_RATE", default="30/min"),
        "checkin": env.str("THROTTLE_CHECKIN_RATE", default="20/min"),
        "sms_inbound": env.str("THROTTLE_SMS_INBOUND_RATE", default="300/min"),
        "schema": env.str("THROTTLE_SCHEMA_RATE", default="10/min"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
REST_KNOX = {
    "TOKEN_TTL": timedelta(minutes=env.int("TOKEN_IDLE_TIMEOUT_MINUTES", default=30)),
    # Each use pushes the expiry forward, so TOKEN_TTL acts as an idle timeout...
    "AUTO_REFRESH": True,
    # ...bounded by an absolute lifetime.
    "AUTO_REFRESH_MAX_TTL": timedelta(hours=env.int("TOKEN_MAX_HOURS", default=12)),
    # Signed-in devices per user at once: a login past it is refused until one signs out or expires.
    "TOKEN_LIMIT_PER_USER": env.int("TOKEN_LIMIT_PER_USER", default=10),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "KAT Clinic API",
    # For integrators: paths, authentication, roles, errors, pagination, time zones.
    "DESCRIPTION": (BASE_DIR / "kat_clinic" / "api" / "description.md").read_text(),
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "PREPROCESSING_HOOKS": ["kat_clinic.api.schema.only_versioned_api"],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "kat_clinic.api.schema.nullable_references",
        "kat_clinic.api.schema.add_error_responses",
        "kat_clinic.api.schema.describe_local_times",
        "kat_clinic.api.examples.attach_examples",
    ],
    # One tag per area, in this order in the docs; each app's section below adds its own. Every
    # operation carries exactly one of them (tests/kat_clinic/test_api_docs.py).
    "TAGS": [
        {"name": "Authentication", "description": "Log in for a token, log out, and who you are: clinics and roles."},
        {
            "name": "Clinics and staff",
            "description": "Clinics (time zone, hours, crisis line), rooms and chairs, staff.",
        },
        {"name": "Patients", "description": "Demographics, contacts and weights. Clinical records are under Charting."},
        {
            "name": "Program templates",
            "description": "Versioned programs: steps, rules, prerequisites, scale schedule.",
        },
        {"name": "Enrollments", "description": "A patient in one version of a program: status, plan and progress."},
        {"name": "Scheduling", "description": "The day board, searching free slots, booking a whole program at once."},
        {"name": "Sessions", "description": "Booked sessions and the front desk's actions: check in, cancel, move."},
        {"name": "Charting: session chart", "description": "A session's whole chart, its dosing gate and discharge."},
        {"name": "Charting: vital signs and scores", "description": "Vital signs, sedation (MOAA/S), dissociation."},
        {"name": "Charting: dosing", "description": "Ketamine and esketamine doses, other medications given."},
        {"name": "Charting: notes", "description": "Clinical notes per author role: draft, sign, co-sign, addenda."},
        {"name": "Charting: rating scales", "description": "PHQ-9, GAD-7, PCL-5, C-SSRS answers and trends."},
        {"name": "Charting: patient record", "description": "Allergies, diagnoses, medications, consents, screens."},
        {"name": "Charting: safety", "description": "Alerts, adverse events, escalations, overrides, attestations."},
        {"name": "Charting: esketamine REMS", "description": "REMS patient enrollments and monitoring forms."},
        {"name": "Integration care", "description": "Integration plans, patients' check-ins, the on-call list."},
        {"name": "Patient check-in links", "description": "What a patient opens from a signed link: no login."},
        {"name": "Follow-ups", "description": "Reminders, scale requests and staff tasks planned around sessions."},
        {"name": "SMS gateway", "description": "The SMS provider's inbound webhook (STOP and START keywords)."},
        {"name": "Controlled substances", "description": "The DEA ledger: stock, draws, waste, counts, losses."},
        {"name": "Webhooks", "description": "Signed event deliveries to a clinic's own systems (Standard Webhooks)."},
        {"name": "FHIR", "description": "FHIR R4 export of a patient's record, and bulk export of a clinic."},
        {"name": "Documents", "description": "PDFs: REMS monitoring form, consent, REMS enrollment, session summary."},
        {"name": "Exports", "description": "CSV: schedule, outcomes, audit trail, accounting of disclosures."},
        {"name": "Calendars", "description": "Private iCalendar feeds of a staff member's or a room's sessions."},
        {"name": "Audit", "description": "The audit trail, and break-glass access to a patient outside your clinics."},
    ],
}

# --- Login protection ----------------------------------------------------------------------
# A username at one address locks after AXES_FAILURE_LIMIT failures, a username from anywhere
# after AXES_USERNAME_FAILURE_LIMIT; an address alone never locks (a clinic shares one address).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_USERNAME_FAILURE_LIMIT = env.int("AXES_USERNAME_FAILURE_LIMIT", default=20)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username"]
AXES_HANDLER = "kat_clinic.access.lockout.UsernameAndAddressLockout"
# The client's address: REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT proxies the address the
# outermost trusted proxy saw (X-Forwarded-For); the audit trail uses the same function.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "kat_clinic.audit.middleware.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_CALLABLE = "kat_clinic.api.exceptions.axes_lockout_response"
OTP_TOTP_ISSUER = "KAT Clinic"
# TOTP is required at login for clinical roles; the demo may switch it off to keep its logins simple.
OTP_REQUIRED_FOR_CLINICAL_ROLES = env.bool("OTP_REQUIRED_FOR_CLINICAL_ROLES", default=True)

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="no-reply@kat-clinic.invalid")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- programs ---
# Several choice sets share field names ("kind"); name them so the OpenAPI schema stays warning-free.
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {}).update(
    {
        "SessionKindEnum": "programs.choices.SessionKind",
        "TemplateRuleKindEnum": "programs.models.TemplateRule.Kind",
        "PrerequisiteKindEnum": "programs.models.TemplatePrerequisite.Kind",
        "RoomKindEnum": "kat_clinic.models.Room.Kind",
        "RoomCapabilityEnum": "kat_clinic.models.Room.Capability",
    }
)

# --- sessions ---
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(
    {
        "SessionStatusEnum": "sessions.models.Session.Status",
        "LinkedIntegrationEnum": "sessions.services.linked_integration.LinkedIntegration",
    }
)

# --- controlled ---
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {}).update(
    {
        "ContainerKindEnum": "controlled.models.Container.Kind",
        "LedgerEntryKindEnum": "controlled.models.EntryKind",
        "CountKindEnum": "controlled.models.Count.Kind",
        "LossReportKindEnum": "controlled.models.LossReport.Kind",
        "DoseKindEnum": "monitoring.models.dosing.DoseAdministration.Kind",
    }
)

# --- followups ---
# A claimed follow-up whose lease runs out without a recorded delivery is claimed again.
FOLLOWUP_LEASE_SECONDS = env.int("FOLLOWUP_LEASE_SECONDS", default=120)
FOLLOWUP_SMS_PROVIDER = env.str("FOLLOWUP_SMS_PROVIDER", default="followups.channels.LoggingSmsProvider")
FOLLOWUP_EMAIL_PROVIDER = env.str("FOLLOWUP_EMAIL_PROVIDER", default="followups.channels.DjangoEmailProvider")
PATIENT_LINK_BASE_URL = env.str("PATIENT_LINK_BASE_URL", default="http://localhost:8000")
# Pages to staff link to the alert in the web app here (the same site unless told otherwise).
STAFF_APP_BASE_URL = env.str("STAFF_APP_BASE_URL", default=PATIENT_LINK_BASE_URL)

# --- monitoring ---
# Name the charting choice sets that share a field name with other apps' (schema warnings otherwise).
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {}).update(
    {
        "MedicationEnum": "programs.choices.Medication",
        "RouteEnum": "programs.choices.Route",
        "ClinicalNoteStatusEnum": "monitoring.models.notes.ClinicalNote.Status",
        "RemsFormStatusEnum": "monitoring.models.checklist.RemsMonitoringForm.Status",
        "VitalSourceEnum": "monitoring.models.vitals.VitalSign.Source",
        "ScaleResponseSourceEnum": "monitoring.models.scales.ScaleResponse.Source",
    }
)

# --- interop ---
SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"].append("interop.api.schema.restore_fhir_operation_names")
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {}).update({"WebhookEventEnum": "interop.models.WebhookEvent"})
# Webhook targets must resolve to public addresses. Networks listed here are allowed anyway, and only
# they may be reached over plain http: a receiver on the test machine ("127.0.0.1/32"), never production.
WEBHOOK_ALLOWED_NETWORKS = env.list("WEBHOOK_ALLOWED_NETWORKS", default=[])
# Well inside FOLLOWUP_LEASE_SECONDS, so a try ends before its row can be claimed again.
WEBHOOK_TIMEOUT_SECONDS = env.int("WEBHOOK_TIMEOUT_SECONDS", default=10)
