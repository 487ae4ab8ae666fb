"""Settings for the 党建网 portal, read from the environment.

Development works with no environment at all (SQLite file, local-memory cache) once
DJANGO_DEBUG=1 is set, as `make run` does. With debug off the server refuses to start
until DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS are given, so a forgotten variable can
never put a debug page or a known key on the internet.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=()):
    value = os.environ.get(name, "")
    items = [item.strip() for item in value.split(",") if item.strip()]
    return items or list(default)


DEBUG = env_bool("DJANGO_DEBUG")

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "未设置 DJANGO_SECRET_KEY。关闭调试模式时必须提供一个随机密钥，例如："
            "export DJANGO_SECRET_KEY="
            "$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')；"
            "本地开发请设置 DJANGO_DEBUG=1（make run 会自动设置）。"
        )
    SECRET_KEY = "django-insecure-development-only-never-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
)
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "未设置 DJANGO_ALLOWED_HOSTS。关闭调试模式时请用逗号分隔列出本站域名，例如："
        "export DJANGO_ALLOWED_HOSTS=dj.example.gov.cn"
    )
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
if env_bool("DJANGO_BEHIND_TLS_PROXY"):
    # nginx terminates TLS and says so in X-Forwarded-Proto (deploy/nginx/dangjian.conf).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.humanize",
    "django_filters",
    "simple_history",
    "ckeditor",
    "portal",
    "articles",
    "alliances",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before sessions, CSRF and auth: a cached anonymous page costs one cache lookup.
    "portal.pagecache.AnonymousPageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "portal.context_processors.site",
            ],
        },
    },
]

# SQLite file by default; DATABASE_URL=postgres://user@host:5432/name in production.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and immediate transactions stop "database is locked" under the dev server's threads.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "timeout": 20,
    }

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's RedisCache, but a Redis outage means cache misses, not errors.
            "BACKEND": "portal.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("DJANGO_CACHE_PREFIX", "dangjian"),
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    # Sessions in the shared cache, written through to the database (survive a Redis restart).
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Whole anonymous pages in that cache (portal/pagecache.py); the content version makes
# every change visible at once. Off only to measure uncached pages (bench/).
PORTAL_PAGE_CACHE = env_bool("PORTAL_PAGE_CACHE", default=True)
PORTAL_PAGE_CACHE_SECONDS = int(os.environ.get("PORTAL_PAGE_CACHE_SECONDS", "600"))

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
# Media on this host's disk by default; with DJANGO_S3_BUCKET set, on S3-compatible storage
# (django-storages, the "s3" extra), shared by every app host. Credentials come from the
# usual AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY variables.
S3_BUCKET = os.environ.get("DJANGO_S3_BUCKET", "")
STORAGES = {
    "default": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": os.environ.get("DJANGO_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("DJANGO_S3_REGION") or None,
            "custom_domain": os.environ.get("DJANGO_S3_CUSTOM_DOMAIN") or None,
            "querystring_auth": False,
            "file_overwrite": False,
            "default_acl": None,
            "object_parameters": {"CacheControl": "public, max-age=2592000"},
        },
    }
    if S3_BUCKET
    else {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed, compressed files in production; the plain finder storage while developing,
        # so a changed stylesheet shows without running collectstatic.
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage",
    },
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Upload limits (bytes / pixels). Files above FILE_UPLOAD_MAX_MEMORY_SIZE go to a temp file.
PORTAL_MAX_IMAGE_BYTES = int(os.environ.get("PORTAL_MAX_IMAGE_BYTES", 10 * 1024 * 1024))
PORTAL_MAX_IMAGE_PIXELS = int(os.environ.get("PORTAL_MAX_IMAGE_PIXELS", 40_000_000))
PORTAL_MAX_ATTACHMENT_BYTES = int(os.environ.get("PORTAL_MAX_ATTACHMENT_BYTES", 50 * 1024 * 1024))
PORTAL_MAX_VIDEO_BYTES = int(os.environ.get("PORTAL_MAX_VIDEO_BYTES", 500 * 1024 * 1024))
DATA_UPLOAD_MAX_NUMBER_FILES = 30

# Rich text: django-ckeditor (CKEditor 4.22.1), wrapped by portal/richtext.py.
CKEDITOR_CONFIGS = {
    "default": {
        "toolbar": "Portal",
        "toolbar_Portal": [
            ["Format", "Bold", "Italic", "Underline", "Strike", "Subscript", "Superscript"],
            ["NumberedList", "BulletedList", "Blockquote", "JustifyLeft", "JustifyCenter"],
            ["Link", "Unlink", "Image", "Table", "HorizontalRule", "SpecialChar"],
            ["Undo", "Redo", "RemoveFormat", "Maximize"],
        ],
        "format_tags": "p;h2;h3;h4",
        "justifyClasses": ["text-left", "text-center", "text-right", "text-justify"],
        # Mirror the server-side allowlist in the editor: no inline styles at all.
        "disallowedContent": "*{*}",
        # CVE-2024-24815 is reachable only with allowedContent: true or full-page mode:
        # keep the Advanced Content Filter on and never load the risky plugins.
        "removePlugins": "exportpdf,scayt,forms,iframe,templates,sourcearea,flash,wsc",
        "fullPage": False,
        "filebrowserUploadMethod": "xhr",
        "filebrowserUploadUrl": "/editor/upload-image/",
        "uploadUrl": "/editor/upload-image/",
        "extraPlugins": "uploadimage",
        "image_prefillDimensions": False,
        "height": 420,
        "width": "100%",
    },
    # The secretaries' workspace: text only, no uploads from inside the editor.
    "simple": {
        "toolbar": "Simple",
        "toolbar_Simple": [
            ["Format", "Bold", "Italic", "NumberedList", "BulletedList", "Link", "Unlink"],
            ["Undo", "Redo", "RemoveFormat"],
        ],
        "format_tags": "p;h3",
        "removePlugins": (
            "exportpdf,scayt,forms,iframe,templates,sourcearea,flash,wsc,image,uploadimage"
        ),
        "disallowedContent": "*{*}",
        "height": 220,
        "width": "100%",
    },
}
SILENCED_SYSTEM_CHECKS = [
    # ckeditor.W001 warns that CKEditor 4.22.1 is unmaintained. The design names
    # django-ckeditor; we close CVE-2024-24815 by never enabling allowedContent or
    # full-page mode, drop the risky plugins above, and sanitise every body with nh3 on
    # save. portal/richtext.py is the single place to swap the editor.
    "ckeditor.W001",
]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

LOGIN_URL = "workspace:login"
LOGIN_REDIRECT_URL = "workspace:home"
LOGOUT_REDIRECT_URL = "workspace:login"

# The admin's address; set DJANGO_ADMIN_URL to move it off the well-known /admin/.
ADMIN_URL = os.environ.get("DJANGO_ADMIN_URL", "admin/").strip("/") + "/"
