"""Django settings: every value comes from the environment (SPEC §3), read once here.

Embedded defaults make a fresh clone run with nothing installed: no DATABASE_URL → SQLite file,
no REDIS_URL → Celery runs tasks eagerly in-process. Production must set SECRET_KEY and
INTERNAL_API_SECRET_KEY (start-up stops otherwise when DEBUG is off).
"""

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from dotenv import load_dotenv

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

# A real environment variable always wins over the .env file.
load_dotenv(BASE_DIR / ".env", override=False)

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
INTERNAL_API_SECRET_KEY = env_str("INTERNAL_API_SECRET_KEY")
# While a rotation overlaps: the old secret, accepted too until it is removed (docs/operations.md).
INTERNAL_API_SECRET_KEY_PREVIOUS = env_str("INTERNAL_API_SECRET_KEY_PREVIOUS")
# The sync webhooks take batches of up to 10,000 items (~1.6 MB of customers, ~2.5 MB of vehicles, more with long
# names): their own body limit, so that every other endpoint keeps Django's DATA_UPLOAD_MAX_MEMORY_SIZE.
SYNC_MAX_BODY_BYTES = env_int("SYNC_MAX_BODY_BYTES", 16 * 1024 * 1024)
# With DEBUG off these are required. Settings still load without them, so offline management
# commands (makemigrations, spectacular) work on a fresh clone; every process that serves or sends
# stops at start-up instead: WSGI, hence gunicorn and runserver (config/wsgi.py), and the Celery
# worker and beat (config/celery.py).
MISSING_REQUIRED_SETTINGS = (
    [name for name in ("SECRET_KEY", "INTERNAL_API_SECRET_KEY") if not globals()[name]] if not DEBUG else []
)
if not SECRET_KEY and DEBUG:
    # Development only (DEBUG on): a fixed, obviously insecure key so sessions survive restarts.
    SECRET_KEY = "django-insecure-solo-para-desarrollo-no-usar-en-produccion"
if not INTERNAL_API_SECRET_KEY and DEBUG:
    # Development only, as `make run` sets it: the README's internal-sync curl works with a copied .env.example.
    INTERNAL_API_SECRET_KEY = "dev-internal-secret"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # Django's admin with the office's site (apps/notifications/office/site.py).
    "config.apps.OfficeAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_api_key",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "drf_standardized_errors",
    "django_celery_beat",
    "django_celery_results",
    "apps.core",
    "apps.notifications",
    "apps.analytics",
    "apps.synchronization",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "apps.core.middleware.RequestIdMiddleware",
    "apps.core.middleware.HttpMetricsMiddleware",
    "apps.core.middleware.RejectUnstorableParametersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # No LocaleMiddleware: every page and every API error is in LANGUAGE_CODE (Spanish), whatever the browser's
    # Accept-Language or a language cookie says.
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

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 600), conn_health_checks=True
        )
    }
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Django's, with a health check that polls the socket instead of a SELECT 1 per request (its docstring).
        DATABASES["default"]["ENGINE"] = "apps.core.postgresql"
    # Parameters bound by the server, and a statement a connection has run twice is kept prepared (psycopg): the
    # send's and the dispatch's statements skip parsing and planning (docs/benchmarks.md §2c). A pooler in
    # transaction mode hands each transaction another server connection, where the statement does not exist: off
    # by default on port 6543 (Supabase's transaction pooler); PgBouncer in that mode needs max_prepared_statements.
    # PostgreSQL (and the backends built on it: PostGIS, TimescaleDB) only: another engine's driver refuses these
    # options (a sqlite:// DATABASE_URL did, at start-up).
    if any(name in DATABASES["default"]["ENGINE"] for name in ("postgresql", "postgis")) and env_bool(
        "DB_PREPARED_STATEMENTS", str(DATABASES["default"].get("PORT")) != "6543"
    ):
        DATABASES["default"].setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=2)
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": BASE_DIR / "db.sqlite3",
            "CONN_MAX_AGE": 0,
            "CONN_HEALTH_CHECKS": False,
            # SQLite serialises writers; waiting beats "database is locked" under the dev server.
            "OPTIONS": {"timeout": 20},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- I18N: Ecuador ---------------------------------------------------------------------------
LANGUAGE_CODE = env_str("LANGUAGE_CODE", "es-ec")
TIME_ZONE = env_str("TIME_ZONE", "America/Guayaquil")
USE_I18N = True
# Our Spanish names for third-party apps whose catalogues lack them (locale/es/LC_MESSAGES/django.po).
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Serve straight from the app folders when collectstatic has not run (dev, tests).
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# --- Security (effective when DEBUG is off; `manage.py check --deploy` is clean) --------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^api/v1/health/", r"^api/v1/analytics/health/"]
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# HSTS preload is a commitment the domain's owner makes on hstspreload.org (SECURE_HSTS_PRELOAD=true),
# not a default a service can take for them.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
# The analytics covering index (INCLUDE columns) is a PostgreSQL optimisation; on the embedded SQLite it is a
# plain index on created_at, which is all a development database needs.
SILENCED_SYSTEM_CHECKS += ["models.W040"]
# Likewise the analytics rollup's unique keys that carry their total (INCLUDE): the rollup exists only on PostgreSQL
# (apps/analytics/rollup.py); SQLite keeps its tables empty and unused, without the constraint.
SILENCED_SYSTEM_CHECKS += ["models.W039"]

# --- REST framework ----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.core.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["apps.core.permissions.HasApiKeyOrStaff"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "DEFAULT_PARSER_CLASSES": ["apps.core.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "apps.core.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "apps.core.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "apps.core.exception_handler.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
API_KEY_CUSTOM_HEADER = None  # use "Authorization: Api-Key <key>"

DRF_STANDARDIZED_ERRORS = {
    "ENABLE_IN_DEBUG_FOR_UNHANDLED_EXCEPTIONS": True,
    "ALLOWED_ERROR_STATUS_CODES": ["400", "401", "403", "404", "405", "406", "413", "415", "429", "500", "503"],
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Ambacar Notification Service API",
    "DESCRIPTION": (
        "Servicio de notificaciones multicanal (WhatsApp, email y Web Push) de los talleres Ambacar. "
        "Autenticación: cabecera `Authorization: Api-Key <clave>` en `/api/v1/`; "
        "`X-Internal-Secret` en `/api/internal/v1/`. Los errores tienen siempre la forma "
        '`{"type", "errors": [{"code", "detail", "attr"}]}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ValidationErrorEnum": "drf_standardized_errors.openapi_serializers.ValidationErrorEnum.choices",
        "ClientErrorEnum": "drf_standardized_errors.openapi_serializers.ClientErrorEnum.choices",
        "ServerErrorEnum": "drf_standardized_errors.openapi_serializers.ServerErrorEnum.choices",
        "ChannelEnum": "apps.core.constants.Channel.choices",
        "TargetEnum": "apps.core.constants.Target.choices",
        "EventTypeEnum": "apps.core.constants.EventType.choices",
        "NotificationStatusEnum": "apps.core.constants.NotificationStatus.choices",
        "DispatchStatusEnum": "apps.core.constants.DispatchStatus.choices",
        "ReminderStatusEnum": "apps.core.constants.ReminderStatus.choices",
        "ErrorKindEnum": "apps.core.constants.ErrorKind.choices",
        "ChannelHealthStatusEnum": ["healthy", "degraded", "unhealthy", "idle"],
        "WhatsAppStateEnum": ["open", "connecting", "close", "unknown"],
        "UnreadableBodyCodeEnum": "apps.core.openapi.BODY_ERROR_CODES",
        "UnreadableParameterCodeEnum": "apps.core.openapi.PARAMETER_ERROR_CODES",
    },
    # drf-standardized-errors' hook replaces drf-spectacular's (it names the error-code enums).
    "POSTPROCESSING_HOOKS": [
        "drf_standardized_errors.openapi_hooks.postprocess_schema_enums",
        "apps.core.openapi_hooks.document_error_attrs",
        "apps.core.openapi_hooks.document_server_limits",
    ],
}

# --- Redis / Celery ----------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
CELERY_EAGER = not REDIS_URL
# An explicit host: kombu warns on every publish about a missing one.
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
# kombu's Redis transport with one client per channel instead of one per command (apps/core/broker.py). Not for
# rediss://: kombu derives a TLS connection from that scheme's name, which an explicit transport replaces.
CELERY_BROKER_TRANSPORT = "apps.core.broker:Transport" if REDIS_URL.startswith("redis://") else None
# django-celery-results' "django-db" backend, logging instead of raising when the database is down
# (apps/core/celery_results.py).
CELERY_RESULT_BACKEND = "apps.core.celery_results.DatabaseBackend"
CELERY_RESULT_EXTENDED = True
CELERY_TASK_ALWAYS_EAGER = CELERY_EAGER
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_STORE_EAGER_RESULT = True
# Celery's Django fixup closes the database connection before and after every task, so each send opened a new
# PostgreSQL connection. Kept instead (config/celery.py closes one that failed or outlived DB_CONN_MAX_AGE).
CELERY_DB_REUSE_MAX = 1_000_000
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
DJANGO_CELERY_BEAT_TZ_AWARE = True

if REDIS_URL:
    # Django's Redis cache with one client per pool instead of one per command (apps/core/cache.py).
    CACHES = {"default": {"BACKEND": "apps.core.cache.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Seconds a process keeps its configuration snapshot (catalog, matrix, templates, tallers, API keys) without a
# change being announced: a safety net; every change is announced (apps/notifications/services/config_cache.py).
CONFIG_CACHE_SECONDS = env_int("CONFIG_CACHE_SECONDS", 300)

# --- Email (SMTP through Django's mail backend) -------------------------------------------------
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Ambacar Service <notificaciones@ambacar.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("EMAIL_USE_TLS y EMAIL_USE_SSL no pueden estar activos a la vez.")

# --- WhatsApp (Evolution API) -------------------------------------------------------------------
EVOLUTION_API_URL = env_str("EVOLUTION_API_URL").rstrip("/")
EVOLUTION_API_KEY = env_str("EVOLUTION_API_KEY")
EVOLUTION_INSTANCE = env_str("EVOLUTION_INSTANCE")
EVOLUTION_TIMEOUT = env_int("EVOLUTION_TIMEOUT", 100)
EVOLUTION_API_VERSION = env_str("EVOLUTION_API_VERSION", "v2")
EVOLUTION_WEBHOOK_TOKEN = env_str("EVOLUTION_WEBHOOK_TOKEN")
EVOLUTION_WEBHOOK_TOKEN_PREVIOUS = env_str("EVOLUTION_WEBHOOK_TOKEN_PREVIOUS")
# Protecting the number (SPEC §13): per Evolution instance, shared by every worker through Redis.
WHATSAPP_MIN_INTERVAL_SECONDS = env_int("WHATSAPP_MIN_INTERVAL_SECONDS", 4)
WHATSAPP_MAX_JITTER_SECONDS = env_int("WHATSAPP_MAX_JITTER_SECONDS", 4)
WHATSAPP_DAILY_CAP = env_int("WHATSAPP_DAILY_CAP", 400)
WHATSAPP_ABSENT_DAYS = env_int("WHATSAPP_ABSENT_DAYS", 15)
WHATSAPP_DELIVERY_TIMEOUT_MINUTES = env_int("WHATSAPP_DELIVERY_TIMEOUT_MINUTES", 0)

# --- Web Push (VAPID) ----------------------------------------------------------------------------
VAPID_PUBLIC_KEY = env_str("VAPID_PUBLIC_KEY")
VAPID_PRIVATE_KEY = env_str("VAPID_PRIVATE_KEY")
VAPID_CONTACT_EMAIL = env_str("VAPID_CONTACT_EMAIL")
PUSH_TIMEOUT = env_int("PUSH_TIMEOUT", 10)
PUSH_TTL_SECONDS = env_int("PUSH_TTL_SECONDS", 86400)
PUSH_ALLOWED_HOSTS = env_list(
    "PUSH_ALLOWED_HOSTS",
    "fcm.googleapis.com,.googleapis.com,updates.push.services.mozilla.com,.push.services.mozilla.com,"
    "web.push.apple.com,.push.apple.com,.notify.windows.com",
)
PUSH_ALLOW_INSECURE_ENDPOINTS = env_bool("PUSH_ALLOW_INSECURE_ENDPOINTS", False)

FRONTEND_URL = env_str("FRONTEND_URL", "http://localhost:3000").rstrip("/")

# --- Notification policy -------------------------------------------------------------------------
NOTIFICATION_MAX_RETRIES = env_int("NOTIFICATION_MAX_RETRIES", 3)
NOTIFICATION_RETRY_BASE_SECONDS = env_int("NOTIFICATION_RETRY_BASE_SECONDS", 30)
NOTIFICATION_STUCK_AFTER_SECONDS = env_int("NOTIFICATION_STUCK_AFTER_SECONDS", 600)
# Celery kills a task after this many seconds (prefork); SoftTimeLimitExceeded is raised in it a little earlier.
NOTIFICATION_TASK_TIME_LIMIT = env_int("NOTIFICATION_TASK_TIME_LIMIT", 300)
CELERY_TASK_TIME_LIMIT = NOTIFICATION_TASK_TIME_LIMIT
CELERY_TASK_SOFT_TIME_LIMIT = NOTIFICATION_TASK_TIME_LIMIT - max(1, min(30, NOTIFICATION_TASK_TIME_LIMIT // 10))
DEFAULT_CHANNEL_PRIORITY = env_list("DEFAULT_CHANNEL_PRIORITY", "whatsapp,email,push")
PHONE_DEFAULT_REGION = env_str("PHONE_DEFAULT_REGION", "EC").upper()
LOG_RETENTION_DAYS = env_int("LOG_RETENTION_DAYS", 365)

# The sweeps take a row still `sending` after NOTIFICATION_STUCK_AFTER_SECONDS as one whose worker died: that is
# only true if no task can run that long. And a provider call that outlives the soft limit is cut short with an
# unknown outcome, so each channel's timeout must fit inside it.
if NOTIFICATION_STUCK_AFTER_SECONDS <= NOTIFICATION_TASK_TIME_LIMIT:
    raise ImproperlyConfigured(
        f"NOTIFICATION_STUCK_AFTER_SECONDS={NOTIFICATION_STUCK_AFTER_SECONDS} debe ser mayor que "
        f"NOTIFICATION_TASK_TIME_LIMIT={NOTIFICATION_TASK_TIME_LIMIT}: si no, el barrido podría tomar por "
        "abandonado un envío que sigue en curso."
    )
for _name in ("EVOLUTION_TIMEOUT", "EMAIL_TIMEOUT", "PUSH_TIMEOUT"):
    if globals()[_name] >= CELERY_TASK_SOFT_TIME_LIMIT:
        raise ImproperlyConfigured(
            f"{_name}={globals()[_name]} debe ser menor que el límite blando de las tareas "
            f"({CELERY_TASK_SOFT_TIME_LIMIT} s, de NOTIFICATION_TASK_TIME_LIMIT={NOTIFICATION_TASK_TIME_LIMIT})."
        )

_known_channels = {"email", "whatsapp", "push"}
if set(DEFAULT_CHANNEL_PRIORITY) - _known_channels or len(set(DEFAULT_CHANNEL_PRIORITY)) != len(
    DEFAULT_CHANNEL_PRIORITY
):
    raise ImproperlyConfigured(
        f"DEFAULT_CHANNEL_PRIORITY={','.join(DEFAULT_CHANNEL_PRIORITY)!r}: use canales distintos de "
        "email, whatsapp, push."
    )

# --- Metrics: GET /metrics (Prometheus), Authorization: Bearer <METRICS_TOKEN>; empty, the path is a 404 -------
METRICS_TOKEN = env_str("METRICS_TOKEN")
# Each process sums its counters and a background thread writes them to Redis this often (one MULTI/EXEC), so no
# request or send waits on Redis for its metrics. A process killed outright loses what it had not written (this
# much, or what it kept while Redis was down); 0 writes in the request or the send itself (a round trip each).
METRICS_FLUSH_MS = env_int("METRICS_FLUSH_MS", 1000)
if METRICS_FLUSH_MS < 0:
    raise ImproperlyConfigured(f"METRICS_FLUSH_MS={METRICS_FLUSH_MS}: use 0 o más milisegundos.")

# --- Logging: one line per event, with the request id; PII is masked where it is logged ----------
# A database error is written without PostgreSQL's text, which quotes the data it refused.
LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
# text: one readable line per event (the default); json: one JSON object per line (apps.core.logging.JsonFormatter).
# Celery's "Task … received" and "Task … succeeded" lines, two per task: at INFO they cost the worker more than
# the send they describe at hundreds of sends a second. Opt in with INFO; failures and retries log anyway.
WORKER_TASK_LOG_LEVEL = env_str("WORKER_TASK_LOG_LEVEL", "WARNING").upper()
if WORKER_TASK_LOG_LEVEL not in ("DEBUG", "INFO", "WARNING", "ERROR"):
    raise ImproperlyConfigured(f"WORKER_TASK_LOG_LEVEL={WORKER_TASK_LOG_LEVEL!r}: use DEBUG, INFO, WARNING o ERROR.")
LOG_FORMAT = env_str("LOG_FORMAT", "text").lower()
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT={LOG_FORMAT!r}: use text o json.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "apps.core.logging.RequestIdFilter"},
        "no_database_text": {"()": "apps.core.logging.DatabaseErrorTextFilter"},
    },
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [req=%(request_id)s] %(message)s"},
        "json": {"()": "apps.core.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id", "no_database_text"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "celery": {"level": "INFO"},
        "celery.app.trace": {"level": WORKER_TASK_LOG_LEVEL},
        "celery.worker.strategy": {"level": WORKER_TASK_LOG_LEVEL},
    },
}
