"""Newsdesk settings.

Every environment variable Newsdesk reads is read in the first block of this module, with a
working default, and documented in docs/configuration.md (tests/test_docs.py checks that).
Nothing below that block looks at the environment.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from newsdesk.core.datadir import default_data_dir
from newsdesk.core.secret import load_or_create_secret_key
from newsdesk.media import config as media_config


def _flag(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


PACKAGE_DIR = Path(__file__).resolve().parent

# --- Environment ---------------------------------------------------------------------------
env = os.environ
DATA_DIR = Path(env.get("NEWSDESK_DATA_DIR") or default_data_dir()).resolve()
DATABASE_URL = env.get("DATABASE_URL", "")
REDIS_URL = env.get("REDIS_URL", "")
DEBUG = _flag(env.get("NEWSDESK_DEBUG", "false"))
ALLOWED_HOSTS = [
    host.strip()
    for host in env.get("NEWSDESK_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",")
    if host.strip()
]
TIME_ZONE = env.get("NEWSDESK_TIME_ZONE", "Europe/Kyiv")
NEWSDESK_SITE_NAME = env.get("NEWSDESK_SITE_NAME", "Newsdesk")
LANGUAGE_CODE = env.get("NEWSDESK_LANGUAGE", "en")
NEWSDESK_BASE_URL = env.get(
    "NEWSDESK_BASE_URL", f"http://127.0.0.1:{env.get('PORT', '8000')}"
).rstrip("/")
NEWSDESK_BASE_URL_IS_DEFAULT = not env.get("NEWSDESK_BASE_URL")
"""True when the address above is the local default: `newsdesk mirror` says so loudly."""
NEWSDESK_VOICE = env.get("NEWSDESK_VOICE", "")
NEWSDESK_NARRATION_WPM = int(env.get("NEWSDESK_NARRATION_WPM", "165"))
NEWSDESK_FEED_CONTENT = env.get("NEWSDESK_FEED_CONTENT", "full").strip().lower()
SECURE_HSTS_SECONDS = int(env.get("NEWSDESK_HSTS_SECONDS", "31536000"))
NEWSDESK_CACHE = _flag(env.get("NEWSDESK_CACHE", "true"))
NEWSDESK_CACHE_MAX_BYTES = int(env.get("NEWSDESK_CACHE_MAX_BYTES", str(64 * 1024 * 1024)))
NEWSDESK_CACHE_MAX_AGE = int(env.get("NEWSDESK_CACHE_MAX_AGE", "60"))
NEWSDESK_CACHE_STALE_SECONDS = int(env.get("NEWSDESK_CACHE_STALE_SECONDS", "30"))
NEWSDESK_CACHE_RENDER_LIMIT = int(env.get("NEWSDESK_CACHE_RENDER_LIMIT", "8"))
NEWSDESK_CACHE_PURGE_URL = env.get("NEWSDESK_CACHE_PURGE_URL", "")
NEWSDESK_ACCESS_LOG = _flag(env.get("NEWSDESK_ACCESS_LOG", "true"))
_secret_from_env = env.get("NEWSDESK_SECRET_KEY", "")
NEWSDESK_IMAGE_MAX_MB = float(env.get("NEWSDESK_IMAGE_MAX_MB", "20"))
NEWSDESK_IMAGE_MAX_PIXELS = int(env.get("NEWSDESK_IMAGE_MAX_PIXELS", "40000000"))
NEWSDESK_TRUSTED_PROXIES = [
    proxy.strip() for proxy in env.get("NEWSDESK_TRUSTED_PROXIES", "").split(",") if proxy.strip()
]
NEWSDESK_MFA_CONTRIBUTORS = _flag(env.get("NEWSDESK_MFA_CONTRIBUTORS", "false"))
NEWSDESK_SESSION_IDLE_MINUTES = int(env.get("NEWSDESK_SESSION_IDLE_MINUTES", "60"))
# Pushpin's control endpoint(s), comma-separated: live readers are then held by Pushpin (GRIP).
NEWSDESK_PUSHPIN_URL = [
    url.strip().rstrip("/") for url in env.get("NEWSDESK_PUSHPIN_URL", "").split(",") if url.strip()
]
NEWSDESK_PUSHPIN_CHECK_SECONDS = int(env.get("NEWSDESK_PUSHPIN_CHECK_SECONDS", "20"))
# Sources (newsdesk/sources, docs/sources.md): limits on every fetch, and how long items stay.
NEWSDESK_SOURCE_TIMEOUT = float(env.get("NEWSDESK_SOURCE_TIMEOUT", "20"))
NEWSDESK_SOURCE_MAX_MB = float(env.get("NEWSDESK_SOURCE_MAX_MB", "10"))
NEWSDESK_SOURCE_RETENTION_DAYS = int(env.get("NEWSDESK_SOURCE_RETENTION_DAYS", "30"))
# Not kept as settings: the value holds the bucket's secret (newsdesk/media/config.py).
_media_storage_from_env = env.get("NEWSDESK_MEDIA_STORAGE", "")
_media_url_from_env = env.get("NEWSDESK_MEDIA_URL", "")
# --- End of environment --------------------------------------------------------------------

DATA_DIR.mkdir(parents=True, exist_ok=True)
(DATA_DIR / "static").mkdir(exist_ok=True)
SECRET_KEY = _secret_from_env or load_or_create_secret_key(DATA_DIR)
try:
    # Local files (None) or the buckets; a malformed value stops every command here.
    MEDIA_BUCKETS = media_config.parse_storage(_media_storage_from_env)
    MEDIA_URL = media_config.media_url(_media_url_from_env)
except media_config.MediaConfigError as error:
    raise ImproperlyConfigured(str(error)) from None
# Readers' browsers fetch renditions and audio from there when it is another origin.
_media_origin = media_config.media_origin(MEDIA_URL)
_MEDIA_SOURCES = [_media_origin] if _media_origin else []

INSTALLED_APPS = [
    "newsdesk.core",
    "newsdesk.images",
    "newsdesk.articles",
    "newsdesk.live",
    "newsdesk.narration",
    "newsdesk.importer",
    "newsdesk.mirror",
    "newsdesk.feeds",
    "newsdesk.seo",
    "newsdesk.search",
    "newsdesk.readapi",
    "newsdesk.desk",
    "newsdesk.demo",
    "newsdesk.server",
    "newsdesk.pagecache",
    "newsdesk.parts",
    "newsdesk.accounts",
    "newsdesk.backup",
    "newsdesk.media",
    "newsdesk.sources",
    "wagtail.contrib.redirects",
    "wagtail.contrib.routable_page",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.api.v2",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "django_tasks",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "servestatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
]

MIDDLEWARE = [
    # First: what every request loads is recorded, for the stored parts (parts/store.py).
    "newsdesk.parts.middleware.parts_middleware",
    # HTTPS redirect and security headers (X-Frame-Options too), the same as outside Django
    # (core/security.py).
    "newsdesk.core.security.SecurityMiddleware",
    "servestatic.middleware.ServeStaticMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Editor accounts (newsdesk/accounts, docs/operations.md#editor-accounts): idle sessions
    # end, django-otp reads the session's second factor, and admin and desk pages refuse a
    # session that has not completed MFA.
    "newsdesk.accounts.middleware.IdleSessionMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "newsdesk.accounts.middleware.MfaRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "csp.middleware.CSPMiddleware",
    "newsdesk.core.middleware.AdminContentSecurityPolicyMiddleware",
    # A full disk answers 503 "not saved" instead of a traceback (core/storage_errors.py).
    "newsdesk.core.storage_errors.DiskFullMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Late, so that it answers a locked sign-in just before the login view would run.
    "newsdesk.accounts.middleware.LoginThrottleMiddleware",
    # An admin page write commits whole or not at all (core/middleware.py).
    "newsdesk.core.middleware.AtomicPageWritesMiddleware",
]

ROOT_URLCONF = "newsdesk.urls"
ASGI_APPLICATION = "newsdesk.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "newsdesk.core.context_processors.site",
            ],
        },
    },
]

# --- Database ------------------------------------------------------------------------------
# SQLite by default. WAL lets readers run beside the one writer; synchronous=FULL makes every
# commit durable; IMMEDIATE transactions take the write lock up front, so two writers queue on
# busy_timeout instead of failing with "database is locked" half-way through. mmap stays off
# (see docs/operations.md on SQLite 3.40).
SQLITE_PATH = DATA_DIR / "newsdesk.sqlite3"
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_health_checks=True)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": SQLITE_PATH,
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=FULL;"
                    "PRAGMA mmap_size=0;"
                    "PRAGMA foreign_keys=ON;"
                ),
            },
            # A file, not memory, so that tests which read from other threads (live streams)
            # see the same database as production does.
            "TEST": {"NAME": DATA_DIR / "test.sqlite3"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ---------------------------------------------------------------------------------
# One Redis database (REDIS_URL) holds Django's cache (newsdesk:cache:*), the page cache's
# shared store (newsdesk:pagecache:*) and carries the pub/sub wake-ups (core/pubsub.py).
# Everything Newsdesk keeps there starts with "newsdesk:", so clearing it (restore, the
# cache's clear()) deletes those keys only and never the whole database.
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's RedisCache, with Redis down counting as a miss (core/cache.py).
            "BACKEND": "newsdesk.core.cache.ForgivingRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "newsdesk:cache",
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Background tasks ----------------------------------------------------------------------
# Narration has a queue of its own so that quick tasks never wait behind it (server/taskloops.py).
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "narration"],
    }
}

# --- Authentication and security -----------------------------------------------------------
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    # Django's breached-password list, also catching "Summer2024!"-style variations.
    {"NAME": "newsdesk.accounts.passwords.BreachedPasswordValidator"},
]

# Sign-in throttling (newsdesk/accounts/throttle.py) and MFA (django-otp) need no settings
# beyond the environment block; TOTP apps show the publication's name beside the account.
OTP_TOTP_ISSUER = NEWSDESK_SITE_NAME

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 12  # the longest a busy session lives; idle ones end sooner
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    # The reverse proxy in front of Newsdesk must set (overwrite) X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    # HSTS covers this host only: Newsdesk cannot know that every subdomain of the newsroom's
    # domain serves HTTPS, and preloading is a one-way decision for the domain's owner.
    SECURE_HSTS_INCLUDE_SUBDOMAINS = False
    SECURE_HSTS_PRELOAD = False
    # W001 and W002 ask for Django's SecurityMiddleware and XFrameOptionsMiddleware: ours
    # replaces both, and core/security.py checks what Django's W004, W006 and W008 would have.
    SILENCED_SYSTEM_CHECKS = ["security.W001", "security.W002", "security.W005", "security.W021"]
else:
    SECURE_HSTS_SECONDS = 0

# Content-Security-Policy: our pages load only their own files. No inline script anywhere on
# reader pages (nonces would make cached pages unique per request). The Wagtail admin still
# needs inline styles and data: images, so it gets the relaxed policy in core.middleware.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", *_MEDIA_SOURCES],
        "media-src": ["'self'", *_MEDIA_SOURCES],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-src": ["https://www.youtube-nocookie.com", "https://player.vimeo.com"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
    "EXCLUDE_URL_PREFIXES": ["/admin/"],
}
_media = "".join(f" {source}" for source in _MEDIA_SOURCES)
NEWSDESK_ADMIN_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    f"img-src 'self' data: blob:{_media}; media-src 'self' data: blob:{_media}; "
    "font-src 'self' data:; "
    "connect-src 'self'; frame-src 'self' https:; frame-ancestors 'self'; form-action 'self'; "
    "base-uri 'self'; object-src 'none'"
)

# --- Internationalisation ------------------------------------------------------------------
USE_I18N = True
USE_TZ = True
LANGUAGES = [("en", "English"), ("uk", "Українська")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
FORMAT_MODULE_PATH = ["newsdesk.formats"]
WAGTAIL_I18N_ENABLED = False

# --- Static files and media ----------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
# The reader pages' own files (site.css, logo, favicon) live in newsdesk/static/newsdesk/.
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
# MEDIA_URL comes from NEWSDESK_MEDIA_URL (above). MEDIA_ROOT holds media only when no
# bucket is configured (and is what `newsdesk media push` copies from).
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": (
        {
            "BACKEND": "newsdesk.media.storage.MediaStorage",
            "OPTIONS": MEDIA_BUCKETS.storage_options(),
        }
        if MEDIA_BUCKETS
        else {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    ),
    "staticfiles": {"BACKEND": "servestatic.storage.CompressedManifestStaticFilesStorage"},
}
SERVESTATIC_KEEP_ONLY_HASHED_FILES = False
SERVESTATIC_USE_FINDERS = DEBUG
FILE_UPLOAD_PERMISSIONS = 0o640
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

# --- Wagtail -------------------------------------------------------------------------------
WAGTAIL_SITE_NAME = NEWSDESK_SITE_NAME
WAGTAILADMIN_BASE_URL = NEWSDESK_BASE_URL
# The read API's detail_url and redirects (newsdesk/readapi): the public address, never Host.
WAGTAILAPI_BASE_URL = NEWSDESK_BASE_URL
WAGTAILIMAGES_IMAGE_MODEL = "images.NewsImage"
# Uploads (newsdesk/images/uploads.py, docs/operations.md#uploads): JPEG, PNG and WebP only,
# checked by content; SVG and GIF off; originals cleaned of metadata and never served.
WAGTAILIMAGES_MAX_UPLOAD_SIZE = int(NEWSDESK_IMAGE_MAX_MB * 1024 * 1024)
WAGTAILIMAGES_MAX_IMAGE_PIXELS = NEWSDESK_IMAGE_MAX_PIXELS
WAGTAILIMAGES_EXTENSIONS = ["jpg", "jpeg", "png", "webp"]
WAGTAILIMAGES_IMAGE_FORM_BASE = "newsdesk.images.forms.NewsImageForm"
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "odt", "pdf", "txt", "xlsx"]
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "newsdesk.search.backend"}}
WAGTAIL_MODERATION_ENABLED = True
WAGTAILADMIN_COMMENTS_ENABLED = True
WAGTAILEMBEDS_RESPONSIVE_HTML = True
# The admin must not call out to wagtail.org: newsrooms may run where that is watched or blocked.
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAIL_ENABLE_WHATS_NEW_BANNER = False
# Nor to Gravatar: an editor's avatar would send a hash of their e-mail address to a third
# party on every admin page (and the admin's CSP blocks it anyway: two console errors a page).
WAGTAIL_GRAVATAR_PROVIDER_URL = None

# --- Logging -------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "newsdesk.accounts": {"level": "INFO"},
    },
}
