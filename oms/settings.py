"""Django settings, read from the environment only (django-environ); embedded defaults need no server."""

from datetime import timedelta
from pathlib import Path

import environ
from cryptography.fernet import Fernet
from django.utils.translation import gettext_lazy as _

from oms.paths import BASE_DIR, VAR_DIR, local_secret

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)  # optional; the environment wins

VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="") or local_secret("secret_key")
# Key for channel credentials at rest. Rotate by setting OMS_ENCRYPTION_KEYS="new,old" (first one encrypts).
OMS_ENCRYPTION_KEYS = env.list("OMS_ENCRYPTION_KEYS", default=[]) or [
    local_secret("encryption_key", factory=lambda: Fernet.generate_key().decode())
]
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from our static files, not a CDN
    "django_celery_beat",
    "axes",
    "inventory",
    "orders",
    "channels",
    "shipping",
    "notifications",
    "oms",
]

MIDDLEWARE = [
    # First, so every log line of the request carries its id (oms.logs).
    "oms.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # The collected static files (STATIC_ROOT) from any WSGI server: gunicorn in docker-compose serves the
    # dashboard's CSS and the API docs' scripts itself, with far-future caching of hashed names.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Content-Security-Policy (django-csp; settings.CONTENT_SECURITY_POLICY).
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out login into its lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "oms.urls"
WSGI_APPLICATION = "oms.wsgi.application"

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
                "django.template.context_processors.i18n",
            ],
        },
    },
]


def _database() -> dict:
    if env.str("DATABASE_URL", default=""):
        db = env.db("DATABASE_URL")
        db.setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
        db["CONN_HEALTH_CHECKS"] = True
        return db
    # Embedded default: one SQLite file. WAL lets the web server read while the worker writes;
    # IMMEDIATE transactions take the write lock up front so concurrent writers wait instead of failing.
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": env.str("SQLITE_PATH", default=str(VAR_DIR / "oms.sqlite3")),
        "OPTIONS": {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
    }


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="ja")
LANGUAGES = [("ja", _("Japanese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
LOGIN_URL = "dashboard:login"
LOGIN_REDIRECT_URL = "dashboard:home"
LOGOUT_REDIRECT_URL = "dashboard:login"

# Login throttling (django-axes): a username is locked out from an address after 5 failed logins, for
# 15 minutes; a successful login resets the count. The database handler shares counts between processes.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "dashboard/locked_out.html"

# Mail: SMTP by default (a local catcher in development); any django-anymail ESP via EMAIL_BACKEND.
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="127.0.0.1")
EMAIL_PORT = env.int("EMAIL_PORT", default=1025)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="shop@example.jp")
ANYMAIL = env.dict("ANYMAIL", default={})

# Celery: Redis when REDIS_URL is set, else kombu's filesystem transport under var/ (no server needed).
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {"visibility_timeout": 3600}
else:
    _queue_dir = VAR_DIR / "celery" / "queue"
    _processed_dir = VAR_DIR / "celery" / "processed"
    for _dir in (_queue_dir, _processed_dir):
        _dir.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_RESULT_BACKEND = None
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(_processed_dir),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
# The cache is shared by web, worker and beat processes (access tokens, push debounce, poll leases).
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 600
CELERY_TASK_SOFT_TIME_LIMIT = 540
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Beat copies these into django-celery-beat's tables at start; edit intervals there (admin) afterwards.
CELERY_BEAT_SCHEDULE = {
    "idempotency-prune": {
        "task": "oms.tasks.prune_idempotency_keys",
        "schedule": env.float("OMS_IDEMPOTENCY_PRUNE_SECONDS", default=3600.0),
    },
    "stock-reconcile": {
        "task": "inventory.tasks.stock_reconcile",
        "schedule": env.float("OMS_RECONCILE_SECONDS", default=3600.0),
    },
    "stock-push-pending": {
        "task": "channels.tasks.push_stock_all",
        "schedule": env.float("OMS_PUSH_SWEEP_SECONDS", default=5.0),
    },
    "allocate-waiting-orders": {
        "task": "orders.tasks.allocate_waiting_orders",
        "schedule": env.float("OMS_ALLOCATE_WAITING_SECONDS", default=30.0),
    },
    "release-scheduled-orders": {
        "task": "orders.tasks.release_scheduled_orders",
        "schedule": env.float("OMS_RELEASE_SCHEDULED_SECONDS", default=600.0),
    },
    "push-pending-shipments": {
        "task": "shipping.tasks.push_pending_shipments",
        "schedule": env.float("OMS_SHIPMENT_SWEEP_SECONDS", default=300.0),
    },
    # Labels of the orders waiting for shipment, built as they arrive so that an export only assembles them.
    "prepare-labels": {
        "task": "shipping.tasks.prepare_labels",
        "schedule": env.float("OMS_LABEL_PREPARE_SECONDS", default=20.0),
    },
    "listing-drift": {
        "task": "channels.tasks.check_listing_drift",
        "schedule": env.float("OMS_DRIFT_CHECK_SECONDS", default=900.0),
    },
    # Customer mails whose on-commit enqueue was lost, and sends whose outcome is overdue.
    "send-pending-mails": {
        "task": "notifications.tasks.send_pending_mails",
        "schedule": env.float("OMS_MAIL_SWEEP_SECONDS", default=10.0),
    },
    # Buyer inquiries (問い合わせ) from every shop, and replies whose send was lost, failed or is overdue.
    "poll-inquiries": {
        "task": "channels.inquiry_tasks.poll_all_inquiries",
        "schedule": env.float("OMS_INQUIRY_POLL_SECONDS", default=60.0),
    },
    "send-pending-inquiry-replies": {
        "task": "channels.inquiry_tasks.send_pending_inquiry_replies",
        "schedule": env.float("OMS_INQUIRY_SWEEP_SECONDS", default=15.0),
    },
    # Webhook deliveries whose task was lost or whose worker died during the POST (oms.webhooks.services).
    "webhook-sweep": {
        "task": "oms.webhooks.tasks.webhook_sweep",
        "schedule": env.float("OMS_WEBHOOK_SWEEP_SECONDS", default=30.0),
    },
}

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "oms.api.schema.ScopedAutoSchema",
    # API keys (`Authorization: Token <key>` or `Bearer <key>`) for integrations, sessions for the dashboard.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "oms.api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "oms.api.permissions.HasScope",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": ["oms.api.throttling.ApiKeyRateThrottle"],
    # Per API key (or session user); a settings.OMS_API_RATE, where defined, wins.
    "DEFAULT_THROTTLE_RATES": {"api_key": env.str("OMS_API_RATE", default="600/min")},
    "EXCEPTION_HANDLER": "oms.api.errors.api_exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    # No OPTIONS self-description: the OpenAPI schema is the description (OPTIONS answers 405).
    "DEFAULT_METADATA_CLASS": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "OMS API",
    "DESCRIPTION": (
        "Orders, stock and shipments for 3PL warehouses, CS agencies and the seller's own tools.\n\n"
        "**Authentication:** `Authorization: Token <key>` (or `Bearer <key>`) with a key made by "
        "`manage.py create_api_key --name NAME --scopes orders:read,...` or in the admin. Each endpoint "
        "names the scope it needs (`x-required-scope`). The dashboard's own calls use the staff session.\n\n"
        '**Errors** always read `{"error": {"code", "message", "field", "details"}}`: branch on '
        "`code`; `message` follows `Accept-Language` (ja or en).\n\n"
        "**Rate limit:** per key (default 600 requests a minute); over it, 429 with `Retry-After`.\n\n"
        "**Pages:** lists are cursor-paginated: follow `next` until it is null.\n\n"
        "**Webhooks** (`/webhooks/`, scope `webhooks:manage`): each delivery is a POST of "
        "`{id, event, created_at, data}` with `X-OMS-Event`, `X-OMS-Delivery` (deduplicate on it: delivery is "
        'at least once) and `X-OMS-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`. '
        "Verify it over the raw body and reject a `t` older than 5 minutes, e.g. in Python: "
        '`hmac.compare_digest(hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest(), v1)` '
        "(oms/webhooks/signing.py, docs/webhooks.md)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "TAGS": [
        {"name": "orders", "description": "Orders from every shop, their holds and status."},
        {"name": "stock", "description": "The one stock truth and what each shop was told."},
        {"name": "catalogue", "description": "Products and SKUs."},
        {"name": "channels", "description": "Health of each shop connection."},
        {"name": "shipments", "description": "For 3PL warehouses: orders to ship, claims, tracking numbers."},
        {"name": "webhooks", "description": "Subscriptions to order and stock events, and their deliveries."},
        {"name": "inquiries", "description": "Buyer inquiries (問い合わせ): read, reply, close."},
    ],
    "ENUM_NAME_OVERRIDES": {
        "OrderStatusEnum": "orders.models.OrderStatus",
        "DeliveryTimeEnum": "orders.models.DeliveryTime",
        "PaymentMethodEnum": "orders.models.PaymentMethod",
        "ChannelKindEnum": "channels.models.Channel.Kind",
        "WebhookEventEnum": "oms.webhooks.models.WebhookEvent",
        "CarrierCodeEnum": "shipping.models.Carrier.Code",
        "InquiryStatusEnum": "notifications.models.InquiryThread.Status",
        "InquiryStatusFilterEnum": "oms.api.inquiries.STATUS_FILTER_CHOICES",
        "InquiryMessageDirectionEnum": "notifications.models.InquiryMessage.Direction",
        "InquiryMessageStateEnum": "notifications.models.InquiryMessage.State",
    },
}

# Production hardening: all on unless DEBUG; `manage.py check --deploy` stays clean with DEBUG off.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Logs: one line per record, plain for a person (`make run`) or JSON for a log pipeline (LOG_FORMAT=json).
# Every line carries its request or task id and passes the redaction filter (no buyer data, no secrets).
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
if LOG_FORMAT not in ("plain", "json"):
    raise environ.ImproperlyConfigured(f"LOG_FORMAT must be plain or json, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "context": {"()": "oms.logs.ContextFilter"},
        "redact": {"()": "oms.logs.RedactingFilter"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(context_id)s] %(message)s"},
        "json": {"()": "oms.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["context", "redact"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # SQL parameters carry buyer data: queries are never logged, whatever LOG_LEVEL says.
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# Sync: stock changes trigger a push after this debounce; beat re-pushes anything pending as a safety net.
OMS_SYNC_TRIGGERS = env.bool("OMS_SYNC_TRIGGERS", default=True)
OMS_STOCK_PUSH_DEBOUNCE_SECONDS = env.float("OMS_STOCK_PUSH_DEBOUNCE_SECONDS", default=1.0)
# Below this many free units a SKU is divided among the shops listing it instead of shown in full on each
# (channels.selectors): their quantities then add up to what we have. 0 turns the split off.
OMS_STOCK_SPLIT_BELOW = env.int("OMS_STOCK_SPLIT_BELOW", default=10)
OMS_CLIENT_RATE_LIMITS = env.bool("OMS_CLIENT_RATE_LIMITS", default=True)
OMS_HTTP_READ_TIMEOUT = env.float("OMS_HTTP_READ_TIMEOUT", default=30.0)
# Calls one adapter makes side by side for per-order requests (Yahoo orderInfo, Amazon getOrderItems); the
# token buckets still hold them to each endpoint's rate limit.
OMS_MARKETPLACE_CONCURRENCY = env.int("OMS_MARKETPLACE_CONCURRENCY", default=4)
OMS_POLL_OVERLAP_SECONDS = env.int("OMS_POLL_OVERLAP_SECONDS", default=120)
OMS_POLL_INITIAL_LOOKBACK_HOURS = env.int("OMS_POLL_INITIAL_LOOKBACK_HOURS", default=72)
# Mails: enqueue the send right after the commit that queued it; beat's sweep sends what a lost trigger left.
OMS_MAIL_TRIGGERS = env.bool("OMS_MAIL_TRIGGERS", default=True)
# Webhooks (oms.webhooks): enqueue each delivery on commit; attempts, backoff and timeouts of the POST.
OMS_WEBHOOK_TRIGGERS = env.bool("OMS_WEBHOOK_TRIGGERS", default=True)
OMS_WEBHOOK_MAX_ATTEMPTS = env.int("OMS_WEBHOOK_MAX_ATTEMPTS", default=8)
OMS_WEBHOOK_RETRY_BASE_SECONDS = env.float("OMS_WEBHOOK_RETRY_BASE_SECONDS", default=30.0)
OMS_WEBHOOK_READ_TIMEOUT = env.float("OMS_WEBHOOK_READ_TIMEOUT", default=10.0)
# Receivers at loopback, private or other non-public addresses (docs/webhooks.md): off, such URLs are refused.
OMS_WEBHOOK_ALLOW_PRIVATE = env.bool("OMS_WEBHOOK_ALLOW_PRIVATE", default=False)
# 3PL claims (shipping.claims): how long a claimed batch stays with its worker unless shipped or released.
OMS_SHIPMENT_CLAIM_SECONDS = env.int("OMS_SHIPMENT_CLAIM_SECONDS", default=1800)
# API Idempotency-Key answers are replayed for this long, then pruned (oms.api.idempotency).
OMS_IDEMPOTENCY_KEY_HOURS = env.int("OMS_IDEMPOTENCY_KEY_HOURS", default=24)

# Delivery wishes: shipping days from order to dispatch, how far ahead a wish may be, weekend shipping,
# and how much later than the earliest possible delivery a wish waits in 印刷日待ち.
OMS_SHIPPING_LEAD_DAYS = env.int("OMS_SHIPPING_LEAD_DAYS", default=1)
OMS_MAX_DELIVERY_DAYS_AHEAD = env.int("OMS_MAX_DELIVERY_DAYS_AHEAD", default=30)
OMS_SHIPS_ON_WEEKENDS = env.bool("OMS_SHIPS_ON_WEEKENDS", default=False)
OMS_FAR_FUTURE_DAYS = env.int("OMS_FAR_FUTURE_DAYS", default=3)

# 検品: when on, every order must be scanned complete before it can ship (else only started scans must finish).
OMS_REQUIRE_INSPECTION = env.bool("OMS_REQUIRE_INSPECTION", default=False)

# Business settings
OMS_DEFAULT_WAREHOUSE = env.str("OMS_DEFAULT_WAREHOUSE", default="MAIN")

# The ご依頼主 on every carrier label and the shop's contract codes (shipping.labels.DEFAULT_SENDER names each
# key and holds demo values for the keys not set). OMS_SENDER_<KEY> in the environment, e.g.
# OMS_SENDER_ADDRESS="静岡県静岡市葵区伝馬町1-2-3", OMS_SENDER_YAMATO_BILLING_CODE="054123456701".
OMS_SENDER_KEYS = (
    "name",
    "kana",
    "postal_code",
    "address",
    "building",
    "phone",
    "yamato_billing_code",
    "yamato_billing_class",
    "yamato_freight_code",
    "sagawa_customer_code",
    "invoice_registration_number",
)
OMS_SENDER = {
    key: env.str(f"OMS_SENDER_{key.upper()}") for key in OMS_SENDER_KEYS if f"OMS_SENDER_{key.upper()}" in env
}

# --- Production: queues, metrics, CSP, uploads (docs/operations.md) -----------------------------------------
# Celery queues by kind of work (oms.queues): a worker without -Q consumes them all; production runs one
# worker group per queue. Logging comes from LOGGING above (oms.celery_signals), not Celery's own set-up.
from oms.queues import DEFAULT_QUEUE, TASK_ROUTES, task_queues  # noqa: E402

CELERY_TASK_QUEUES = task_queues()
CELERY_TASK_DEFAULT_QUEUE = DEFAULT_QUEUE
CELERY_TASK_ROUTES = TASK_ROUTES
CELERY_TASK_ANNOTATIONS = ["oms.queues.QueueTimeLimits"]
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE["personal-data-retention"] = {
    "task": "orders.tasks.personal_data_anonymise_due",
    "schedule": env.float("OMS_RETENTION_SWEEP_SECONDS", default=86400.0),
}

# /metrics (Prometheus): with a token set, only `Authorization: Bearer <token>` may read it.
OMS_METRICS_TOKEN = env.str("OMS_METRICS_TOKEN", default="")

# Content-Security-Policy: everything from this site only (htmx is served from static, no CDN), no frames.
# The API docs page (drf-spectacular's Swagger UI view) runs an inline script, so it is left out.
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/api/docs/"],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# Uploads: form fields up to 2.5 MB in memory; files above FILE_UPLOAD_MAX_MEMORY_SIZE go to a temporary
# file, and a request whose files pass OMS_MAX_UPLOAD_BYTES is refused (400) as it streams in.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)
FILE_UPLOAD_MAX_MEMORY_SIZE = env.int("FILE_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)
OMS_MAX_UPLOAD_BYTES = env.int("OMS_MAX_UPLOAD_BYTES", default=10 * 1024 * 1024)
FILE_UPLOAD_HANDLERS = [
    "oms.uploads.SizeLimitedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
