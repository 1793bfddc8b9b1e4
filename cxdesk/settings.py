"""cxdesk settings: one file, every value from the environment.

Embedded defaults run a first demo with nothing installed (SQLite, Celery eager or
kombu's filesystem transport). Production sets DATABASE_URL, CELERY_BROKER_URL,
SECRET_KEY, ALLOWED_HOSTS and HTTPS. `.env.example` lists every variable; the
README's configuration table mirrors it.
"""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env")

# Runtime files of an embedded setup: SQLite database, uploads, broker folders.
VAR_DIR = Path(env.str("CXDESK_VAR_DIR", default=str(BASE_DIR / "var")))

# Only used when SECRET_KEY is unset; `check --deploy` rejects it and the WSGI/ASGI
# entry points refuse to serve with it unless DEBUG is on (see cxdesk/checks.py).
DEVELOPMENT_SECRET_KEY = "django-insecure-cxdesk-development-key-never-use-in-production"

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="") or DEVELOPMENT_SECRET_KEY
# Earlier keys, still accepted when checking what they signed (sessions, password reset links,
# chat tokens, the tags of case tokens in mail) while SECRET_KEY is being rotated.
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_celery_beat",
    "django_filters",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "anymail",
    "axes",
    "csp",
    "django_htmx",
    "apps.core",
    "apps.accounts",
    "apps.contacts",
    "apps.cases",
    "apps.api",
    "apps.webhooks",
    "apps.mail",
    "apps.chat",
    "apps.phone",
    "apps.social",
    "apps.sla",
    "apps.notifications",
    "apps.macros",
    "apps.rootcauses",
    "apps.feedback",
    "apps.problems",
    "apps.console",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "apps.core.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The signed-in agent's time zone for the request (apps/accounts/timezones.py).
    "apps.accounts.timezones.AgentTimeZoneMiddleware",
    # Stakeholders (owner teams' people) reach only the URLs it lists, whatever the view.
    "apps.accounts.confinement.StakeholderConfinementMiddleware",
    "apps.api.limits.RequestBodyLimitsMiddleware",
    "apps.api.idempotency.IdempotencyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # request.htmx: views answer an htmx request with a partial, any other with the page.
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into our lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "cxdesk.urls"
WSGI_APPLICATION = "cxdesk.wsgi.application"

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
                "apps.notifications.context_processors.unread_notifications",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
# SQLite file under var/ unless DATABASE_URL is set (postgres://… uses psycopg 3).
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'cxdesk.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    if DATABASES["default"]["NAME"] not in ("", ":memory:"):
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # Wait for a writer instead of failing at once: web, worker and beat share the file.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth ------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes' backend first: it refuses a locked-out account or address before the password
# is even checked, on every view that calls authenticate() (our sign-in and the admin's).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend, with the profile (the role) joined to the session's user query.
    "apps.accounts.backends.ProfileModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Time and language -------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files --------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Largest raw email POST /api/v1/inbound/email/ accepts, in bytes (larger ones get 413).
CXDESK_MAX_INBOUND_EMAIL_BYTES = env.int("CXDESK_MAX_INBOUND_EMAIL_BYTES", default=50 * 1024 * 1024)
# Serve app static files straight from their folders too, so a server started without
# `collectstatic` (the demo, the tests) still has its CSS.
WHITENOISE_USE_FINDERS = True
# Largest attachment cxdesk stores, in bytes (larger ones are refused with a clear error).
CXDESK_MAX_ATTACHMENT_BYTES = env.int("CXDESK_MAX_ATTACHMENT_BYTES", default=25 * 1024 * 1024)
# Most files cxdesk stores from one message; an email's further files are skipped and
# recorded in its metadata (the raw message keeps them).
CXDESK_MAX_ATTACHMENTS_PER_MESSAGE = env.int("CXDESK_MAX_ATTACHMENTS_PER_MESSAGE", default=50)

# --- Cache ---------------------------------------------------------------------------------
# Throttle counters live here: use Redis in production so every web process shares them.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}

# --- Email -------------------------------------------------------------------------------
# EMAIL_URL like smtp+tls://user:password@smtp.example.com:587; console by default.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
# Seconds each SMTP step (connect, TLS, each command) may wait; a send is about a dozen steps.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="support@cxdesk.localhost")
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)

# --- Security (production) ------------------------------------------------------------------
# HTTPS=true turns on everything `check --deploy` asks of a site served over TLS.
HTTPS = env.bool("HTTPS", default=False)
SECURE_SSL_REDIRECT = HTTPS
# Load balancers probe the health check over plain HTTP: no redirect to https for it.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=HTTPS)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
if env.bool("TRUST_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp) on every response: scripts, styles, images and requests
# only from cxdesk itself, no inline script or style (templates link static files; the
# admin's and Swagger's inline bits are replaced, see templates/; /api/redoc/ alone allows
# inline styles, apps/api/urls.py), no plugins, no framing, forms post only here. data:
# images are Swagger UI's and the admin's icons.
# A response that sets its own policy keeps it (e.g. a `sandbox` one on downloads).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}
# Permissions-Policy (apps/core/middleware.py): browser features no cxdesk page uses, denied
# to the page and anything it embeds.
CXDESK_PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
        "browsing-topics",
    )
}
# Reverse proxies in front of cxdesk that append the client's address to X-Forwarded-For.
# 0 (default): the header is ignored and the client is the connection's address, so nobody
# escapes a lockout or a throttle by writing the header. See apps/core/http.py.
CXDESK_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# Sign-in protection (django-axes). Failures are counted per account and, separately, per
# address: either reaching its limit within the cool-off locks that account (from anywhere) or
# that address (for any account), the right password included, until the cool-off has passed
# since the last failure or an admin deletes the attempts (admin › Axes › Access attempts).
# The database handler keeps the attempts and a log of every failure in the admin and shares
# them between web processes whatever the cache (a per-process cache would give an attacker
# the limit once per worker, and forget it on restart).
AXES_FAILURE_LIMIT = env.int("CXDESK_LOGIN_FAILURE_LIMIT", default=5)
# Per address the limit is higher: a contact center's agents share an office address, and
# five typos across the floor must not lock everyone out (apps/accounts/lockout.py).
CXDESK_LOGIN_ADDRESS_FAILURE_LIMIT = env.int("CXDESK_LOGIN_ADDRESS_FAILURE_LIMIT", default=30)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("CXDESK_LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_HANDLER = "apps.accounts.lockout.AccountAndAddressHandler"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_CLIENT_IP_CALLABLE = "apps.core.http.client_network"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# A success must not wipe the address's failures (an attacker with one account of their own
# would reset their counter between guesses at someone else's).
AXES_RESET_ON_SUCCESS = False
# Log lines name the address and path, not what was typed as the username (often a password).
AXES_SENSITIVE_PARAMETERS = ["username"]
# Password reset requests (by email): at most this many per client address and per email
# address; more are refused (address) or silently not sent (email), never revealing accounts.
CXDESK_PASSWORD_RESET_RATE = env.str("CXDESK_PASSWORD_RESET_RATE", default="5/hour")

# --- Celery --------------------------------------------------------------------------------
# Unset: tasks run eagerly in the calling process (tests, one-off commands).
# filesystem:// : kombu's embedded transport, a real worker and beat with no server (demo).
# redis://… or amqp://… : production.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_DIR = VAR_DIR / "broker"
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="cxdesk")
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "close-solved-cases": {
        "task": "apps.cases.tasks.close_solved_cases",
        "schedule": env.int("CXDESK_CLOSE_SWEEP_SECONDS", default=600),
    },
    "retry-webhook-deliveries": {
        "task": "apps.webhooks.tasks.retry_due_deliveries",
        "schedule": env.int("CXDESK_WEBHOOK_SWEEP_SECONDS", default=60),
    },
    "poll-mailboxes": {
        "task": "apps.mail.tasks.poll_mailboxes",
        "schedule": env.int("CXDESK_IMAP_POLL_SECONDS", default=60),
    },
    "process-stale-inbound-emails": {
        "task": "apps.mail.tasks.process_stale_inbound_emails",
        "schedule": env.int("CXDESK_INBOUND_SWEEP_SECONDS", default=300),
    },
    "send-due-interactions": {
        "task": "apps.cases.tasks.send_due_interactions",
        "schedule": env.int("CXDESK_OUTBOUND_SWEEP_SECONDS", default=60),
    },
    "process-stale-social-events": {
        "task": "apps.social.tasks.process_stale_events",
        "schedule": env.int("CXDESK_SOCIAL_SWEEP_SECONDS", default=300),
    },
    "end-idle-chats": {
        "task": "apps.chat.tasks.end_idle_chats",
        "schedule": env.int("CXDESK_CHAT_SWEEP_SECONDS", default=60),
    },
    "send-due-chat-claim-links": {
        "task": "apps.chat.tasks.send_due_claim_links",
        "schedule": env.int("CXDESK_CHAT_SWEEP_SECONDS", default=60),
    },
    "send-due-notification-emails": {
        "task": "apps.notifications.tasks.send_due_emails",
        "schedule": env.int("CXDESK_OUTBOUND_SWEEP_SECONDS", default=60),
    },
    "sla-sweep": {
        "task": "apps.sla.tasks.sweep",
        "schedule": env.int("CXDESK_SLA_SWEEP_SECONDS", default=60),
    },
    "build-sla-rollups": {
        "task": "apps.sla.tasks.build_rollups",
        "schedule": env.int("CXDESK_SLA_ROLLUP_SECONDS", default=300),
    },
    "finalise-fcr": {
        "task": "apps.sla.tasks.finalise_fcr",
        "schedule": 3600,
    },
    "purge-idempotency-keys": {
        "task": "apps.api.tasks.purge_idempotency_keys",
        "schedule": 3600,
    },
    "train-root-cause-suggestions": {
        "task": "apps.rootcauses.tasks.train",
        "schedule": env.int("CXDESK_ROOTCAUSE_TRAIN_SECONDS", default=24 * 3600),
    },
    "build-root-cause-rollups": {
        "task": "apps.rootcauses.tasks.build_rollups",
        "schedule": env.int("CXDESK_ROOTCAUSE_ROLLUP_SECONDS", default=300),
    },
    "weekly-reports": {
        "task": "apps.console.tasks.weekly_reports",
        "schedule": 3600,
    },
    "build-volume-rollups": {
        "task": "apps.console.tasks.build_rollups",
        "schedule": env.int("CXDESK_VOLUME_ROLLUP_SECONDS", default=300),
    },
    "detect-root-cause-spikes": {
        "task": "apps.rootcauses.tasks.detect_spikes",
        "schedule": env.int("CXDESK_SPIKE_SWEEP_SECONDS", default=900),
    },
    "refresh-root-cause-candidates": {
        "task": "apps.rootcauses.tasks.refresh_candidates",
        "schedule": env.int("CXDESK_ROOTCAUSE_CANDIDATE_SECONDS", default=3600),
    },
    "send-due-surveys": {
        "task": "apps.feedback.tasks.send_due_surveys",
        "schedule": env.int("CXDESK_SURVEY_SWEEP_SECONDS", default=60),
    },
    "send-nps-surveys": {
        "task": "apps.feedback.tasks.send_nps_batch",
        "schedule": env.int("CXDESK_NPS_SWEEP_SECONDS", default=900),
    },
    "refresh-risk-scores": {
        "task": "apps.feedback.tasks.refresh_risk_scores",
        "schedule": env.int("CXDESK_RISK_REFRESH_SECONDS", default=3600),
    },
    # Answer-together runs whose task was lost or whose worker died (apps/problems).
    "sweep-problem-answers": {
        "task": "apps.problems.tasks.sweep_answers",
        "schedule": 60,
    },
}

# --- Customer feedback (apps/feedback) ------------------------------------------------------
# A satisfaction survey goes out on a solved case's own channel CXDESK_CSAT_DELAY_MINUTES after
# the solve (CXDESK_CSAT_CHAT_DELAY_MINUTES for a chat: at once, while its window is open),
# rated good/bad ("good_bad") or 1 to 5 ("five"), with the customer-effort question when
# CXDESK_CES_ENABLED. Its link expires after CXDESK_SURVEY_EXPIRY_DAYS; the comment can be
# edited for CXDESK_SURVEY_COMMENT_EDIT_HOURS after the rating. A contact is asked at most
# once every CXDESK_SURVEY_CONTACT_COOLDOWN_DAYS, never on a case tagged with one of
# CXDESK_SURVEY_SKIP_TAGS. The sweep sends what is due every CXDESK_SURVEY_SWEEP_SECONDS.
CXDESK_CSAT_ENABLED = env.bool("CXDESK_CSAT_ENABLED", default=True)
CXDESK_CSAT_DELAY_MINUTES = env.int("CXDESK_CSAT_DELAY_MINUTES", default=60)
CXDESK_CSAT_CHAT_DELAY_MINUTES = env.int("CXDESK_CSAT_CHAT_DELAY_MINUTES", default=0)
CXDESK_CSAT_SCALE = env.str("CXDESK_CSAT_SCALE", default="good_bad")
CXDESK_CES_ENABLED = env.bool("CXDESK_CES_ENABLED", default=True)
CXDESK_SURVEY_EXPIRY_DAYS = env.int("CXDESK_SURVEY_EXPIRY_DAYS", default=14)
CXDESK_SURVEY_COMMENT_EDIT_HOURS = env.int("CXDESK_SURVEY_COMMENT_EDIT_HOURS", default=24)
CXDESK_SURVEY_CONTACT_COOLDOWN_DAYS = env.int("CXDESK_SURVEY_CONTACT_COOLDOWN_DAYS", default=30)
CXDESK_SURVEY_SKIP_TAGS = env.list("CXDESK_SURVEY_SKIP_TAGS", default=["spam"])
# NPS ("how likely are you to recommend us", 0–10): every CXDESK_NPS_SWEEP_SECONDS beat asks
# up to CXDESK_NPS_BATCH_SIZE contacts with a case solved in the last CXDESK_NPS_RECENT_DAYS,
# each at most once every CXDESK_NPS_INTERVAL_DAYS, on the channel of their latest solved case.
CXDESK_NPS_ENABLED = env.bool("CXDESK_NPS_ENABLED", default=True)
CXDESK_NPS_RECENT_DAYS = env.int("CXDESK_NPS_RECENT_DAYS", default=90)
CXDESK_NPS_INTERVAL_DAYS = env.int("CXDESK_NPS_INTERVAL_DAYS", default=90)
CXDESK_NPS_BATCH_SIZE = env.int("CXDESK_NPS_BATCH_SIZE", default=50)
# At-risk customers (apps/feedback/risk.py: the signals, weights and half-lives): a customer
# is listed from this score on; beat recomputes fading scores every CXDESK_RISK_REFRESH_SECONDS.
CXDESK_RISK_THRESHOLD = env.float("CXDESK_RISK_THRESHOLD", default=30.0)

# --- Root causes ----------------------------------------------------------------------------
# Suggestions (apps/rootcauses): off, no task is enqueued for a case and the case page shows
# none. The model is trained only from this many tagged cases on (fewer: no model, no
# suggestions); beat retrains it every CXDESK_ROOTCAUSE_TRAIN_SECONDS.
CXDESK_ROOTCAUSE_SUGGESTIONS = env.bool("CXDESK_ROOTCAUSE_SUGGESTIONS", default=True)
CXDESK_ROOTCAUSE_MIN_TRAINING_CASES = env.int("CXDESK_ROOTCAUSE_MIN_TRAINING_CASES", default=50)
# Candidates (apps/rootcauses/candidates.py): cases of the last CXDESK_ROOTCAUSE_CANDIDATE_DAYS
# days without a root cause whose best suggestion scores under ..._MAX_SCORE (or that have none)
# are clustered by text every ..._SECONDS; a cluster of ..._MIN_CASES cases or more, whose
# cases stay within ..._DISTANCE (average cosine distance, 0-2) of each other, is proposed as
# a candidate new root cause.
CXDESK_ROOTCAUSE_CANDIDATE_MAX_SCORE = env.float(
    "CXDESK_ROOTCAUSE_CANDIDATE_MAX_SCORE", default=0.8
)
CXDESK_ROOTCAUSE_CANDIDATE_MIN_CASES = env.int("CXDESK_ROOTCAUSE_CANDIDATE_MIN_CASES", default=5)
CXDESK_ROOTCAUSE_CANDIDATE_DISTANCE = env.float("CXDESK_ROOTCAUSE_CANDIDATE_DISTANCE", default=0.85)
CXDESK_ROOTCAUSE_CANDIDATE_DAYS = env.int("CXDESK_ROOTCAUSE_CANDIDATE_DAYS", default=30)
# Spikes (apps/rootcauses/spikes.py): a root cause's cases today against its 28 days before,
# day-of-week adjusted, by an exact test of two Poisson rates. A spike needs at least
# CXDESK_SPIKE_MIN_CASES cases that day and a p-value under CXDESK_SPIKE_P_VALUE divided by
# the number of root causes tested (Bonferroni): the chance of a false alarm anywhere in the
# taxonomy on a steady day. Beat runs the test every CXDESK_SPIKE_SWEEP_SECONDS.
CXDESK_SPIKE_MIN_CASES = env.int("CXDESK_SPIKE_MIN_CASES", default=5)
CXDESK_SPIKE_P_VALUE = env.float("CXDESK_SPIKE_P_VALUE", default=0.0001)
# Problems (apps/problems/verdict.py): "did the fix work" compares the root cause's cases in
# this many days before a problem's fix date with as many days after it.
CXDESK_PROBLEM_VERDICT_WINDOW_DAYS = env.int("CXDESK_PROBLEM_VERDICT_WINDOW_DAYS", default=28)

# --- SLA ------------------------------------------------------------------------------------
# Off: no clock is computed or swept (cases keep what they had); for deployments that keep
# SLAs elsewhere, and to measure what the engine costs a write.
CXDESK_SLA_ENABLED = env.bool("CXDESK_SLA_ENABLED", default=True)
# A breach the sweep first sees later than this after it happened (history imported, the
# engine just switched on) is recorded without notifying anyone or escalating the case.
CXDESK_SLA_ESCALATION_WINDOW_SECONDS = env.int(
    "CXDESK_SLA_ESCALATION_WINDOW_SECONDS", default=24 * 3600
)

# First-contact resolution: a solved case whose requester opens another case (any channel)
# within this many days of the solve was no FCR; its verdict is provisional until then.
CXDESK_FCR_WINDOW_DAYS = env.int("CXDESK_FCR_WINDOW_DAYS", default=7)

# --- REST API -------------------------------------------------------------------------------
# Largest request body accepted (bytes) on every endpoint but those taking whole emails;
# larger ones get 413 in the API's error envelope.
CXDESK_MAX_REQUEST_BYTES = env.int("CXDESK_MAX_REQUEST_BYTES", default=1024 * 1024)
# Django's own cap must admit a whole raw email (provider webhooks, MTA uploads); each
# endpoint's cap is enforced per request by apps.api.limits.RequestBodyLimitsMiddleware.
DATA_UPLOAD_MAX_MEMORY_SIZE = max(CXDESK_MAX_REQUEST_BYTES, CXDESK_MAX_INBOUND_EMAIL_BYTES)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "apps.api.permissions.HasScope",
    ],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "apps.api.pagination.CxCursorPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": [
        "apps.api.throttling.TokenRateThrottle",
        "apps.api.throttling.SessionUserRateThrottle",
        "apps.api.throttling.AnonRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "token": env.str("CXDESK_API_RATE_TOKEN", default="1200/minute"),
        "user": env.str("CXDESK_API_RATE_USER", default="600/minute"),
        "anon": env.str("CXDESK_API_RATE_ANON", default="60/minute"),
    },
    "EXCEPTION_HANDLER": "apps.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "apps.api.schema.CxAutoSchema",
    "DATETIME_FORMAT": "iso-8601",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Throttles find the client like the sign-in lockout does (apps/core/http.py): without a
    # trusted proxy DRF would believe any X-Forwarded-For a client sends.
    "NUM_PROXIES": CXDESK_TRUSTED_PROXY_COUNT,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "cxdesk API",
    "DESCRIPTION": (
        "Create and read cases, interactions and contacts from other systems. Authenticate "
        "with `Authorization: Bearer <token>`; send `Idempotency-Key` on every POST. Every "
        '4xx answers `{"error": {"status", "code", "message", "fields"?}}`. '
        "Scopes: `<resource>:read` reads, `<resource>:write` writes and also reads the same "
        "resource (`cases:write` may GET cases, not contacts). A token acts as its owner: an "
        "agent's token routes cases only to the agent's teams and teammates."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "CaseStatusEnum": "apps.cases.models.Case.Status",
        "PriorityEnum": "apps.cases.models.Case.Priority",
        "ChannelEnum": "apps.cases.models.Channel",
        "SocialNetworkEnum": ["facebook", "instagram", "whatsapp", "x"],
        "DirectionEnum": "apps.cases.models.Interaction.Direction",
        "CallDirectionEnum": "apps.phone.models.Call.Direction",
        "CallStatusEnum": "apps.phone.models.Call.Status",
        "CallDispositionEnum": "apps.phone.models.Call.Disposition",
        "IdentityKindEnum": "apps.contacts.models.ContactIdentity.Kind",
        "SlaClockEventKindEnum": "apps.sla.models.SlaClockEvent.Kind",
        "SlaClockStateEnum": "apps.sla.models.SlaClock.State",
        "SlaMetricEnum": "apps.sla.models.Metric",
        "RootCauseSpikeStateEnum": "apps.rootcauses.models.RootCauseSpike.State",
        "ProblemStatusEnum": "apps.problems.models.Problem.Status",
    },
}

# --- Channels -------------------------------------------------------------------------------
# Inbound webhooks of email providers (django-anymail): the shared secret providers send as
# basic auth, "user:password". Provider-specific keys go in ANYMAIL too (see docs/channels.md).
ANYMAIL = {"WEBHOOK_SECRET": env.str("ANYMAIL_WEBHOOK_SECRET", default="")}
# Social networks (apps/social). The Meta app's secret signs Messenger, Instagram and WhatsApp
# webhooks (X-Hub-Signature-256); the verify token answers its subscription handshake. The X
# app's consumer secret signs Account Activity webhooks and answers the CRC check. Base URLs
# are settable so tests (and proxies) can stand in for the real APIs.
META_APP_SECRET = env.str("META_APP_SECRET", default="")
META_VERIFY_TOKEN = env.str("META_VERIFY_TOKEN", default="")
META_GRAPH_API_URL = env.str("META_GRAPH_API_URL", default="https://graph.facebook.com")
META_GRAPH_API_VERSION = env.str("META_GRAPH_API_VERSION", default="v21.0")
INSTAGRAM_GRAPH_API_URL = env.str("INSTAGRAM_GRAPH_API_URL", default="https://graph.instagram.com")
X_CONSUMER_SECRET = env.str("X_CONSUMER_SECRET", default="")
X_API_URL = env.str("X_API_URL", default="https://api.x.com")
# Seconds to wait for a social network's API when sending a reply (then retried later).
CXDESK_SOCIAL_SEND_TIMEOUT = env.float("CXDESK_SOCIAL_SEND_TIMEOUT", default=10.0)
# Twilio voice status callbacks (/channels/phone/twilio/status/): the Auth Token that signs
# them (X-Twilio-Signature), or a webhook SharedKey secret. Unset: callbacks answer 503.
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")

# --- cxdesk ------------------------------------------------------------------------------------
# Where customers and integrations reach this site, for links in mail and payloads sent from
# background work (no request to take the host from), e.g. https://support.example.com.
CXDESK_PUBLIC_URL = env.str("CXDESK_PUBLIC_URL", default="http://127.0.0.1:8000").rstrip("/")
# Region used to read phone numbers written without a country code (ISO 3166 alpha-2).
CXDESK_DEFAULT_PHONE_REGION = env.str("CXDESK_DEFAULT_PHONE_REGION", default="US")
# Fernet key(s) for secrets stored in the database (mailbox passwords, OAuth tokens); comma-
# separated to rotate (first encrypts). Unset: derived from SECRET_KEY.
CXDESK_ENCRYPTION_KEY = env.str("CXDESK_ENCRYPTION_KEY", default="")
# Webhook URLs may point at loopback/private addresses only when this is true (on-prem setups).
CXDESK_WEBHOOK_ALLOW_PRIVATE_TARGETS = env.bool(
    "CXDESK_WEBHOOK_ALLOW_PRIVATE_TARGETS", default=False
)
# A webhook carries at most this many bytes of a message body (as JSON); the rest is fetched
# from the REST API (the payload's `api_url`, `body_truncated: true`).
CXDESK_WEBHOOK_BODY_MAX_BYTES = env.int("CXDESK_WEBHOOK_BODY_MAX_BYTES", default=64 * 1024)
# Who sends an agent's reply on each channel: channel → dotted path of send(interaction).
# A channel without an entry (phone, web, api) has nothing to send.
CXDESK_OUTBOUND_SENDERS: dict[str, str] = {
    "chat": "apps.chat.outbound.send",
    "email": "apps.mail.outbound.send",
    "social": "apps.social.outbound.send",
}
# Seconds a worker may hold a reply it is sending before the sweep takes it back and sends it
# again (the worker died). It must outlast the slowest live send, or a send still running is
# repeated: at least a dozen EMAIL_TIMEOUTs. Delivery is at-least-once, with one Message-ID.
CXDESK_OUTBOUND_CLAIM_LEASE_SECONDS = env.int("CXDESK_OUTBOUND_CLAIM_LEASE_SECONDS", default=120)
if CXDESK_OUTBOUND_CLAIM_LEASE_SECONDS < 12 * EMAIL_TIMEOUT:
    raise environ.ImproperlyConfigured(
        f"CXDESK_OUTBOUND_CLAIM_LEASE_SECONDS={CXDESK_OUTBOUND_CLAIM_LEASE_SECONDS} is shorter "
        f"than an SMTP send may take with EMAIL_TIMEOUT={EMAIL_TIMEOUT} (about 12 steps of up "
        f"to EMAIL_TIMEOUT each): set it to at least {12 * EMAIL_TIMEOUT}, or lower "
        "EMAIL_TIMEOUT"
    )
# A chat whose customer shows no sign of life (no message, widget closed) for this many
# minutes is ended by the beat sweep apps.chat.tasks.end_idle_chats.
CXDESK_CHAT_IDLE_MINUTES = env.int("CXDESK_CHAT_IDLE_MINUTES", default=15)
# An email typed into the chat widget is an unverified claim. Unless this is false, a link
# that confirms it is mailed to the address (at most CXDESK_CHAT_CLAIM_LINKS_PER_DAY mails to
# one address a day), valid for CXDESK_CHAT_CLAIM_LINK_HOURS; agents can confirm it too.
CXDESK_CHAT_CLAIM_LINKS = env.bool("CXDESK_CHAT_CLAIM_LINKS", default=True)
CXDESK_CHAT_CLAIM_LINK_HOURS = env.int("CXDESK_CHAT_CLAIM_LINK_HOURS", default=48)
CXDESK_CHAT_CLAIM_LINKS_PER_DAY = env.int("CXDESK_CHAT_CLAIM_LINKS_PER_DAY", default=3)
# A solved case is closed this many days after it was solved; a reply then opens a follow-up.
CXDESK_AUTO_CLOSE_AFTER_DAYS = env.int("CXDESK_AUTO_CLOSE_AFTER_DAYS", default=4)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
