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

# Development default only: `manage.py check --deploy` flags the "django-insecure-" prefix.
SECRET_KEY = env("SECRET_KEY") or "django-insecure-oversight-development-key-change-me"
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = [h for h in (env("ALLOWED_HOSTS") or "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in (env("CSRF_TRUSTED_ORIGINS") or "").split(",") if o]
SITE_URL = (env("SITE_URL") or "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "guardian",
    "core",
    "audit",
    "legal",
    "deployments",
    "fairness",
    "matching",
    "public",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.middleware.DomainErrorMiddleware",
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
            ],
        },
    },
]

DATABASE_URL = env("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    # A fresh clone has no var/ yet: SQLite cannot create its file in a missing folder.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "oversight.sqlite3"),
            # Wait for a writer rather than failing with "database is locked".
            "OPTIONS": {"timeout": 20},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "oversight",
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
}

AUTHENTICATION_BACKENDS = [
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
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_MEDIA_ROOT), "base_url": None},
    },
    "reports": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(REPORTS_ROOT), "base_url": None},
    },
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
    },
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

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

# The public record's page cache (public/cache.py). Pages and exports are kept until a change
# makes them stale, until a trial's status next changes with time, and at most this long.
OVERSIGHT_PUBLIC_CACHE = env_bool("OVERSIGHT_PUBLIC_CACHE", True)
OVERSIGHT_PUBLIC_CACHE_SECONDS = env_int("OVERSIGHT_PUBLIC_CACHE_SECONDS", 600)
# Each web worker also keeps the entries it served last in its own memory, up to this.
OVERSIGHT_PUBLIC_CACHE_MEMORY_BYTES = env_int(
    "OVERSIGHT_PUBLIC_CACHE_MEMORY_BYTES", 128 * 1024 * 1024
)
