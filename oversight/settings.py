"""Settings, all read from the environment.

With nothing configured the project runs on SQLite with Celery in eager mode, so `make demo`
works on a bare machine. `DATABASE_URL` selects PostgreSQL (psycopg 3); `REDIS_URL` selects Redis
as Celery's broker and result backend and as the cache. Any secret may instead be read from a
file named by `<NAME>_FILE` (Docker and systemd credentials).
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str | None = None) -> str | None:
    """Return `name` from the environment, or the contents of the file named by `name_FILE`."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        return Path(file_name).read_text(encoding="utf-8").strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = env(name)
    return default if value in (None, "") else int(value)


def env_float(name: str, default: float) -> float:
    value = env(name)
    return default if value in (None, "") else float(value)


VAR_DIR = Path(os.environ.get("OVERSIGHT_VAR_DIR") or BASE_DIR / "var")

# Development default only: `manage.py check --deploy` flags the "django-insecure-" prefix, and
# the web server and the workers refuse to start on it unless DJANGO_DEBUG or OVERSIGHT_DEMO is on
# (core/startup.py).
INSECURE_DEVELOPMENT_KEY = "django-insecure-oversight-development-key-change-me"
SECRET_KEY = env("SECRET_KEY") or INSECURE_DEVELOPMENT_KEY
DEBUG = env_bool("DJANGO_DEBUG", False)
# The demo (`make demo`): two factors off for the printed demo users, a banner on every page.
OVERSIGHT_DEMO = env_bool("OVERSIGHT_DEMO", False)
ALLOWED_HOSTS = [h for h in (env("ALLOWED_HOSTS") or "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in (env("CSRF_TRUSTED_ORIGINS") or "").split(",") if o]
SITE_URL = (env("SITE_URL") or "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "guardian",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "axes",
    "csp",
    "core",
    "audit",
    "accounts",
    "legal",
    "deployments",
    "fairness",
    "matching",
    "public",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.SecurityHeadersMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "core.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.middleware.DomainErrorMiddleware",
    "core.middleware.ErrorTitleMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "oversight.urls"
WSGI_APPLICATION = "oversight.wsgi.application"

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
                "core.context_processors.roles",
                "core.context_processors.force",
                "core.context_processors.demo",
            ],
        },
    },
]

DATABASE_URL = env("DATABASE_URL")
if DATABASE_URL:
    # Persistent connections, checked before each request reuses one: a connection the server
    # dropped (a restart, a failover, an idle timeout) is replaced, never a 500.
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
    }
else:
    # A fresh clone has no var/ yet: SQLite cannot create its file in a missing folder.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "oversight.sqlite3"),
            # Concurrent writers wait for each other rather than fail with "database is locked"
            # (and lose their audit events): WAL lets readers run beside the one writer, and
            # IMMEDIATE takes the write lock when a transaction begins, so a waiting writer is
            # queued by the busy timeout instead of failing when it upgrades a read lock.
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's Redis cache, but a read misses and a write is dropped while Redis is down.
            "BACKEND": "core.redis_cache.FailSoftRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "oversight",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_BROKER_URL = "memory://localhost/"
    CELERY_RESULT_BACKEND = "cache+memory://"
    # No broker configured: run tasks in-process so the demo needs nothing else.
    CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
# --- Nothing lost when the broker is down (core/outbox.py) ---------------------------------
# Work is recorded in the database's outbox first, so a publish that fails loses nothing: fail
# in about a second rather than retry for many while a person waits for the page.
# Measured with Redis stopped: Celery's defaults took 2 s to refuse a publish, and 19 s more
# when the task's result was wanted (the result backend retries 20 times, once a second), so
# the outbox publishes with ignore_result. These make a refused publish take about 0.3 s.
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # A task acknowledged late whose worker died (killed, or its machine lost) is handed to
    # another worker after this many seconds; live workers look for such tasks every 5 s.
    # Tasks must finish well inside it (a matching batch takes well under a second; the long
    # ingest task is acknowledged on receipt), or they would be handed over while running.
    "visibility_timeout": env_int("OVERSIGHT_BROKER_VISIBILITY_TIMEOUT", 300),
    "unacked_restore_interval": 5,
    "unacked_restore_throttle": 1,
    "socket_connect_timeout": 1,
    "socket_timeout": 5,
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 1
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "Europe/London"
CELERY_BEAT_SCHEDULE = {
    "complete-ended-deployments": {
        "task": "deployments.tasks.complete_ended_deployments",
        "schedule": timedelta(minutes=5),
    },
    "purge-expired-biometrics": {
        "task": "matching.tasks.purge_expired",
        "schedule": crontab(minute=17),
    },
    # Hands over work that waited for the broker (core/outbox.py); a starting worker sweeps too.
    "sweep-outbox": {"task": "core.tasks.outbox_sweep", "schedule": timedelta(minutes=1)},
    # Urgent use whose decision is overdue: recorded as lapsed and its data deleted. The gate
    # closes at the deadline by itself; this makes the deletion follow within a minute.
    # Stream cameras whose ingest worker went quiet (it died) are handed to another.
    "resume-camera-ingest": {
        "task": "matching.tasks.ingest_resume",
        "schedule": timedelta(seconds=30),
    },
    "lapse-overdue-urgent-use": {
        "task": "deployments.tasks.lapse_overdue_urgent_use",
        "schedule": timedelta(minutes=1),
    },
}
# Outbox work handed to the broker but not done after this many seconds is handed over again;
# after this many hand-overs it is shown as failed on the staff dashboard.
OVERSIGHT_OUTBOX_REDISPATCH_SECONDS = env_int("OVERSIGHT_OUTBOX_REDISPATCH_SECONDS", 600)
OVERSIGHT_OUTBOX_MAX_ATTEMPTS = env_int("OVERSIGHT_OUTBOX_MAX_ATTEMPTS", 10)
# Questions one address may ask on the public notices in an hour (counted in the database).
OVERSIGHT_QUESTIONS_PER_HOUR = env_int("OVERSIGHT_QUESTIONS_PER_HOUR", 5)

AUTHENTICATION_BACKENDS = [
    # First, as django-axes asks: refuses a locked-out username or address before any check.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
GUARDIAN_RAISE_403 = False
ANONYMOUS_USER_NAME = None  # the public never holds object permissions

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "staff:login"
LOGIN_REDIRECT_URL = "staff:dashboard"
LOGOUT_REDIRECT_URL = "public:home"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
# `make demo` runs collectstatic; WhiteNoise serves the files with DEBUG off, as in production.
WHITENOISE_KEEP_ONLY_HASHED_FILES = False

# Watchlist images and alert crops: never under a URL the web server serves.
PRIVATE_MEDIA_ROOT = Path(env("PRIVATE_MEDIA_ROOT") or VAR_DIR / "private")
# Generated public PDFs, served only through their views.
REPORTS_ROOT = Path(env("REPORTS_ROOT") or VAR_DIR / "reports")
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(VAR_DIR / "media"), "base_url": None},
    },
    "private": {
        # Files 0600 in folders 0700 (core/storage.py).
        "BACKEND": "core.storage.PrivateFileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_MEDIA_ROOT), "base_url": None},
    },
    "reports": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(REPORTS_ROOT), "base_url": None},
    },
    "staticfiles": {
        # Production (STATIC_MANIFEST=1, after collectstatic): WhiteNoise serves compressed
        # files under hashed names, cached for a year. Development and tests use plain names
        # straight from static/, with no collectstatic step.
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("STATIC_MANIFEST", False)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        ),
    },
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# --- Staff sign-in and serving: two factors, lockout, headers, sessions, proxies ------------
# (README, "Production"). Behind a TLS-terminating proxy set SECURE_SSL_REDIRECT=1,
# SECURE_PROXY_SSL_HEADER=1, SECURE_COOKIES=1 and SECURE_HSTS_SECONDS (deploy/oversight.env).
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Only behind a proxy that sets X-Forwarded-Proto itself and strips it from clients.
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("SECURE_PROXY_SSL_HEADER", False) else None
)
# How many reverse proxies of ours stand in front of the app; X-Forwarded-For is read only
# through them (core/client.py). 0: the connecting address is the client.
TRUSTED_PROXY_HOPS = env_int("TRUSTED_PROXY_HOPS", 0)
# Camera, microphone and geolocation off for every page (core/middleware.py).
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"

# Staff sessions end after this many minutes without a request, and when the browser closes.
OVERSIGHT_SESSION_IDLE_MINUTES = env_int("OVERSIGHT_SESSION_IDLE_MINUTES", 30)
SESSION_COOKIE_AGE = OVERSIGHT_SESSION_IDLE_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Two factors (django-otp): every staff page needs a verified second factor, except in the demo
# (OVERSIGHT_DEMO, above), which says so in a banner on every page.
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER") or "Oversight"
# Passkeys (django-otp-webauthn) are a second factor only: a password always comes first, so
# the lockout below still guards every sign-in.
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
# WebAuthn needs https (or http://localhost) and a host name, never an IP address: with the
# development SITE_URL (http://127.0.0.1:8000) passkeys work at http://localhost:8000.
_site = urlsplit(SITE_URL)
_passkey_origin = (
    SITE_URL
    if _site.scheme == "https" or _site.hostname == "localhost"
    else f"http://localhost:{_site.port or 80}"
)
OTP_WEBAUTHN_RP_ID = env("OTP_WEBAUTHN_RP_ID") or urlsplit(_passkey_origin).hostname or "localhost"
OTP_WEBAUTHN_RP_NAME = "Oversight"
OTP_WEBAUTHN_ALLOWED_ORIGINS = [
    o for o in (env("OTP_WEBAUTHN_ALLOWED_ORIGINS") or _passkey_origin).split(",") if o
]

# Lockout (django-axes): per username and, separately, per client address.
AXES_FAILURE_LIMIT = env_int("OVERSIGHT_SIGN_IN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("OVERSIGHT_SIGN_IN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "core.client.client_address"
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
AXES_VERBOSE = False

# Content-Security-Policy (django-csp): only the site's own scripts, styles and images; no
# inline script or style anywhere (tests/core/test_headers.py scans every template).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # data: for the TOTP enrolment QR code, drawn as an SVG data URI.
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL") or "INFO"},
    # Pillow logs every EXIF tag of every image it decodes at DEBUG: camera frames of people
    # who match no one must not reach a log, whatever LOG_LEVEL says (matching/, privacy).
    "loggers": {"PIL": {"level": "INFO"}},
}

# --- The force: the data controller, named in every page's and every PDF's footer. ----------
# The defaults are examples for the demo; `manage.py check --deploy` warns while any is left.
OVERSIGHT_FORCE_EXAMPLES = {
    "OVERSIGHT_FORCE_NAME": "Example Police Force",
    "OVERSIGHT_FORCE_ADDRESS": "1 Example Street, London SW1A 0AA",
    "OVERSIGHT_FORCE_DPO_EMAIL": "data.protection@example.police.uk",
    "OVERSIGHT_FORCE_COMPLAINTS_URL": "https://www.example.police.uk/complaints/",
    # Where to report a problem with the accessibility of these pages.
    "OVERSIGHT_FORCE_ACCESSIBILITY_EMAIL": "accessibility@example.police.uk",
}
OVERSIGHT_FORCE_NAME = (
    env("OVERSIGHT_FORCE_NAME") or OVERSIGHT_FORCE_EXAMPLES["OVERSIGHT_FORCE_NAME"]
)
OVERSIGHT_FORCE_ADDRESS = (
    env("OVERSIGHT_FORCE_ADDRESS") or OVERSIGHT_FORCE_EXAMPLES["OVERSIGHT_FORCE_ADDRESS"]
)
OVERSIGHT_FORCE_DPO_EMAIL = (
    env("OVERSIGHT_FORCE_DPO_EMAIL") or OVERSIGHT_FORCE_EXAMPLES["OVERSIGHT_FORCE_DPO_EMAIL"]
)
OVERSIGHT_FORCE_COMPLAINTS_URL = (
    env("OVERSIGHT_FORCE_COMPLAINTS_URL")
    or OVERSIGHT_FORCE_EXAMPLES["OVERSIGHT_FORCE_COMPLAINTS_URL"]
)
OVERSIGHT_FORCE_ACCESSIBILITY_EMAIL = (
    env("OVERSIGHT_FORCE_ACCESSIBILITY_EMAIL")
    or OVERSIGHT_FORCE_EXAMPLES["OVERSIGHT_FORCE_ACCESSIBILITY_EMAIL"]
)

# Whether the public record names the people who decide (the authorising officer, beside
# rank and role); off, it gives rank and role only. Panel members are listed only if they agree.
OVERSIGHT_PUBLISH_DECIDER_NAMES = env_bool("OVERSIGHT_PUBLISH_DECIDER_NAMES", False)

# --- Policy. The force's limits, enforced by the register and the gate. ---------------------
# Longest deployment the policy allows, in hours.
OVERSIGHT_MAX_DEPLOYMENT_HOURS = env_int("OVERSIGHT_MAX_DEPLOYMENT_HOURS", 12)
# Loosest match threshold allowed, as Euclidean distance between 128-d encodings: higher is
# looser. 0.6 is face_recognition's own default; the policy may only tighten it.
OVERSIGHT_MAX_MATCH_THRESHOLD = env_float("OVERSIGHT_MAX_MATCH_THRESHOLD", 0.6)
OVERSIGHT_DEFAULT_MATCH_THRESHOLD = env_float("OVERSIGHT_DEFAULT_MATCH_THRESHOLD", 0.5)
OVERSIGHT_MAX_WATCHLIST_SIZE = env_int("OVERSIGHT_MAX_WATCHLIST_SIZE", 10_000)
OVERSIGHT_PANEL_QUORUM = env_int("OVERSIGHT_PANEL_QUORUM", 2)
# Hours a public notice must have been published before the engine may run.
OVERSIGHT_NOTICE_LEAD_HOURS = env_int("OVERSIGHT_NOTICE_LEAD_HOURS", 24)
# --- Urgent use before the panel's sign-off (EU AI Act, Article 5(3)) -------------------------
# The longest an authorising officer may let an authorised deployment run before sign-off, and
# the hours within which the chair's decision is due (the Act's "at the latest within 24 hours").
OVERSIGHT_URGENT_MAX_HOURS = env_int("OVERSIGHT_URGENT_MAX_HOURS", 6)
OVERSIGHT_URGENT_DECISION_HOURS = env_int("OVERSIGHT_URGENT_DECISION_HOURS", 24)
# --- end of urgent use ------------------------------------------------------------------------
OVERSIGHT_WATCHLIST_RETENTION_HOURS = env_int("OVERSIGHT_WATCHLIST_RETENTION_HOURS", 24)
OVERSIGHT_ALERT_CROP_RETENTION_DAYS = env_int("OVERSIGHT_ALERT_CROP_RETENTION_DAYS", 31)
OVERSIGHT_MAX_IMAGE_BYTES = env_int("OVERSIGHT_MAX_IMAGE_BYTES", 20 * 1024 * 1024)
OVERSIGHT_MAX_IMAGE_PIXELS = env_int("OVERSIGHT_MAX_IMAGE_PIXELS", 40_000_000)

# The engine (matching/). Frames are detected on a copy scaled by this factor, at this upsample.
# dlib's HOG window is 80 pixels, so at 1.0 and 0 it finds faces down to about 80 pixels
# across, a quarter of the cost of upsample 1 (DESIGN.md's measurements). A camera whose faces
# are always larger can use 0.5: four times faster again, but faces under about 160 pixels are
# missed, silently. Encoding always uses the full-resolution pixels.
OVERSIGHT_DETECTION_SCALE = env_float("OVERSIGHT_DETECTION_SCALE", 1.0)
OVERSIGHT_DETECTION_UPSAMPLE = env_int("OVERSIGHT_DETECTION_UPSAMPLE", 0)
# Enrolment looks harder (full resolution, one upsample), so that a second, smaller face in a
# watchlist image is found and the image refused rather than enrolled as the wrong person.
OVERSIGHT_ENROL_UPSAMPLE = env_int("OVERSIGHT_ENROL_UPSAMPLE", 1)
# Largest request body the frames API accepts (one JPEG or PNG); larger gets 413.
OVERSIGHT_API_MAX_FRAME_BYTES = env_int("OVERSIGHT_API_MAX_FRAME_BYTES", 8 * 1024 * 1024)
# Cameras may name a video file (the demo's, the tests') only under this folder; unset, every
# camera is a network stream (rtsp://, http://). Never set it in production.
OVERSIGHT_CAMERA_FILE_ROOT = env("OVERSIGHT_CAMERA_FILE_ROOT") or (
    str(VAR_DIR / "cameras") if OVERSIGHT_DEMO else ""
)
# Frames an ingest worker puts in one batch for the matching workers, and the most batches of a
# run that may wait in the queue: beyond that the ingest drops frames rather than fall behind.
OVERSIGHT_INGEST_BATCH_FRAMES = env_int("OVERSIGHT_INGEST_BATCH_FRAMES", 1)
OVERSIGHT_INGEST_MAX_WAITING = env_int("OVERSIGHT_INGEST_MAX_WAITING", 20)
# The Celery queues of the engine's workers (README "Live operations"): `matching` takes any
# number of workers on any number of machines; `ingest` one worker process per running camera.
OVERSIGHT_MATCHING_QUEUE = env("OVERSIGHT_MATCHING_QUEUE") or "matching"
OVERSIGHT_INGEST_QUEUE = env("OVERSIGHT_INGEST_QUEUE") or "ingest"
# Without a broker (the embedded default) a camera's ingest runs in a thread of the web process.
OVERSIGHT_INGEST_IN_PROCESS = env_bool("OVERSIGHT_INGEST_IN_PROCESS", not REDIS_URL)
# A camera reading a video file starts it again at its end (the demo's camera plays on).
OVERSIGHT_CAMERA_FILE_LOOP = env_bool("OVERSIGHT_CAMERA_FILE_LOOP", False)
# A run's API token expires after this many hours, or at the end of the deployment if sooner.
OVERSIGHT_RUN_TOKEN_HOURS = env_int("OVERSIGHT_RUN_TOKEN_HOURS", 12)

# Fairness (fairness/exposure.py, fairness/guard.py, matching/evaluation.py). A group's share
# of the faces the portfolio scans over its share of the population above this ratio flags a
# request. 1.25 is
# the reciprocal of the "four-fifths rule" of the US Uniform Guidelines on Employee Selection
# Procedures (29 CFR 1607.4(D)), the usual rule of thumb for adverse impact.
OVERSIGHT_DISPARITY_LIMIT = env_float("OVERSIGHT_DISPARITY_LIMIT", 1.25)
# The portfolio: approved and completed deployments approved within this many days.
OVERSIGHT_EXPOSURE_WINDOW_DAYS = env_int("OVERSIGHT_EXPOSURE_WINDOW_DAYS", 365)
# The population the portfolio is compared with (E12000007 is the London region).
OVERSIGHT_REFERENCE_AREA_CODE = env("OVERSIGHT_REFERENCE_AREA_CODE") or "E12000007"
# The engine is at parity at a threshold when the worst-to-best ratio of the groups' false
# match rates is within this (NIST IR 8280 reports demographic differentials as such ratios).
OVERSIGHT_PARITY_RATIO_LIMIT = env_float("OVERSIGHT_PARITY_RATIO_LIMIT", 1.25)

# --- The audit trail's signed checkpoints (audit/, README "The audit trail"). ---------------
# The Ed25519 private key (PEM) that signs checkpoints, held outside the database; or
# AUDIT_SIGNING_KEY_FILE naming a file holding it. Unset: var/audit-signing-key.pem, generated on
# first use (development and the demo only; `check --deploy` warns).
AUDIT_SIGNING_KEY = env("AUDIT_SIGNING_KEY")
# Public keys (64 hex digits each, comma-separated) of keys that signed earlier checkpoints and
# have since been replaced: their checkpoints still verify.
AUDIT_RETIRED_PUBLIC_KEYS = [
    k.strip() for k in (env("AUDIT_RETIRED_PUBLIC_KEYS") or "").split(",") if k.strip()
]
# Minutes between periodic checkpoints (a beat task; none is signed when nothing was added).
AUDIT_CHECKPOINT_MINUTES = env_int("AUDIT_CHECKPOINT_MINUTES", 60)
CELERY_BEAT_SCHEDULE["audit-checkpoint"] = {
    "task": "audit.tasks.sign_checkpoint",
    "schedule": timedelta(minutes=AUDIT_CHECKPOINT_MINUTES),
}

# --- Bounded work for every request (README, "Bounded work"). ---------------------------------
# Watchlist images are face photographs: a tighter pixel cap than frames, checked from the
# header before any pixel is decoded. Enrolment holds about 67 MB per megapixel (a 36-megapixel
# image held 2.4 GB), so 4 megapixels (2,000 x 2,000) bounds it near 270 MB.
OVERSIGHT_MAX_WATCHLIST_IMAGE_PIXELS = env_int("OVERSIGHT_MAX_WATCHLIST_IMAGE_PIXELS", 4_000_000)
# Longest legal document version, in characters (about 18,000 words); the form says so.
OVERSIGHT_MAX_DOCUMENT_CHARS = env_int("OVERSIGHT_MAX_DOCUMENT_CHARS", 120_000)
# Largest request body Django parses as form data (file uploads are counted separately, and the
# frames API reads its body under its own limit). A longest document, form-encoded, fits.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 1024 * 1024)

# --- E-mail to the public: notice subscriptions, answers to questions (README, "Notice
# subscriptions"). Sent by Celery tasks over SMTP through Django's SMTP backend. --------------
EMAIL_HOST = env("EMAIL_HOST") or "localhost"
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD") or ""  # or EMAIL_HOST_PASSWORD_FILE
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")  # STARTTLS, usually on port 587
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL")  # TLS from the start, usually on port 465
# Seconds to wait for the mail server: a stuck server fails the task (retried), never hangs it.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL") or "Oversight <no-reply@example.police.uk>"
# With no mail server configured, development and the demo print messages on the console
# (so a demo subscriber can follow the confirmation link); anything else speaks SMTP.
EMAIL_BACKEND = env("EMAIL_BACKEND") or (
    "django.core.mail.backends.console.EmailBackend"
    if not env("EMAIL_HOST") and (DEBUG or OVERSIGHT_DEMO)
    else "django.core.mail.backends.smtp.EmailBackend"
)
# An unconfirmed subscription (and its confirmation link) lasts this many days, then is deleted.
OVERSIGHT_SUBSCRIPTION_CONFIRM_DAYS = env_int("OVERSIGHT_SUBSCRIPTION_CONFIRM_DAYS", 7)
# Subscription requests one client address may make in an hour (counted in the database).
OVERSIGHT_SUBSCRIPTIONS_PER_HOUR = env_int("OVERSIGHT_SUBSCRIPTIONS_PER_HOUR", 10)
# Confirmation messages one e-mail address may be sent in a day, however many people ask.
OVERSIGHT_SUBSCRIPTION_EMAILS_PER_DAY = env_int("OVERSIGHT_SUBSCRIPTION_EMAILS_PER_DAY", 3)
CELERY_BEAT_SCHEDULE["purge-unconfirmed-subscriptions"] = {
    "task": "public.tasks.purge_unconfirmed_subscriptions",
    "schedule": crontab(minute=41),
}
# The public record's page cache (public/cache.py). Pages and exports are kept until a change
# makes them stale, until a trial's status next changes with time, and at most this long.
OVERSIGHT_PUBLIC_CACHE = env_bool("OVERSIGHT_PUBLIC_CACHE", True)
OVERSIGHT_PUBLIC_CACHE_SECONDS = env_int("OVERSIGHT_PUBLIC_CACHE_SECONDS", 600)
# Each web worker also keeps the entries it served last in its own memory, up to this.
OVERSIGHT_PUBLIC_CACHE_MEMORY_BYTES = env_int(
    "OVERSIGHT_PUBLIC_CACHE_MEMORY_BYTES", 128 * 1024 * 1024
)
