"""Settings for the 党建网 portal, read from the environment.

Development works with no environment at all (SQLite file, local-memory cache) once
DJANGO_DEBUG=1 is set, as `make run` does. With debug off the server refuses to start
until DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS are given, so a forgotten variable can
never put a debug page or a known key on the internet.
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF
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
    "portal.apps.StaticFilesConfig",  # django.contrib.staticfiles, fewer files
    "django.contrib.sitemaps",
    "django.contrib.humanize",
    "django_filters",
    "simple_history",
    "ckeditor",
    "csp",
    "axes",
    "portal",
    "articles",
    "alliances",
    # Last, as its README asks: deletes a record's files, and a replaced upload, on commit.
    "portal.apps.CleanupConfig",  # django-cleanup, lighter for readers' pages
]

MIDDLEWARE = [
    # First: a cached page costs one cache lookup and nothing else. It is stored with the
    # headers the middleware below added (security headers, the CSP).
    "portal.pagecache.PageCacheMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "portal.security.ContentSecurityPolicyMiddleware",
    "portal.security.NoStoreMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Inside the page cache, so a page in traditional characters is cached converted.
    "portal.zh.TraditionalChineseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.security.ExtendStaffSessionsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last: turns a login refused by django-axes into the lockout page.
    "axes.middleware.AxesMiddleware",
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
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Statements are prepared only where the code asks for it (portal/precompiled.py);
    # Django's own queries are bound on the client and never prepared.
    DATABASES["default"]["OPTIONS"] = {"prepare_threshold": 5}
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
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("DJANGO_CACHE_PREFIX", "dangjian"),
            "OPTIONS": {
                # A Redis outage means cache misses, logged, not errors: pages come from the
                # database meanwhile.
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
            },
        }
    }
    # Sessions in the shared cache, written through to the database (survive a Redis restart).
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True  # each failed call of an outage, in the log

# Pages and page fragments are cached under one content version (portal/pagecache.py), which
# every process must see: in Redis, or in the development server's single process. With a
# cache of each gunicorn worker's own, a change made in one worker would never reach the
# others, so nothing is cached then (and `check --deploy` says so).
PORTAL_SHARED_CACHE = bool(REDIS_URL) or DEBUG
# Whole pages for readers in that cache. Off only to measure uncached pages (bench/).
PORTAL_PAGE_CACHE = env_bool("PORTAL_PAGE_CACHE", default=True)
PORTAL_PAGE_CACHE_SECONDS = int(os.environ.get("PORTAL_PAGE_CACHE_SECONDS", "600"))
# Site search (articles/views.py): uncached searches a minute per reader, and the time each
# query may take on PostgreSQL before it is cancelled with a message.
PORTAL_SEARCH_RATE = os.environ.get("PORTAL_SEARCH_RATE", "30/m")
PORTAL_SEARCH_TIMEOUT_MS = int(os.environ.get("PORTAL_SEARCH_TIMEOUT_MS", "1000"))
# 网站纠错 (portal/views.py): reports a client may send in an hour.
PORTAL_ERROR_REPORT_RATE = os.environ.get("PORTAL_ERROR_REPORT_RATE", "10/h")
# A reader's repeated views of one article count once in this window (articles/viewcounts.py).
PORTAL_VIEW_WINDOW_SECONDS = int(os.environ.get("PORTAL_VIEW_WINDOW_SECONDS", "1800"))

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "portal.security.CharacterClassesValidator"},
]

LANGUAGE_CODE = "zh-hans"
# Django's form messages in plain words (locale/zh_Hans/LC_MESSAGES/django.po).
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
# Attachments are downloaded through a view that checks the article is published. Set to the
# internal nginx location of MEDIA_ROOT (deploy/nginx/dangjian.conf: /protected-media/) and
# nginx sends the file; empty, Django streams it.
PORTAL_X_ACCEL_REDIRECT = os.environ.get("PORTAL_X_ACCEL_REDIRECT", "")
# Sent with Cache-Control: no-store (portal.security.NoStoreMiddleware): office computers are
# shared, and the workspace's pages and ledgers must not stay in their browsers.
PORTAL_NO_STORE_PATHS = ["/workspace/"]
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
PORTAL_MAX_IMAGE_PIXELS = int(os.environ.get("PORTAL_MAX_IMAGE_PIXELS", 25_000_000))
# Image work of one request, all images together (portal.uploads.RequestWork): at most about
# 40 ms of CPU per million, so 2 s at worst; ten to twelve 12-megapixel phone photos of 3-5 MB,
# each counted at the half scale it is decoded at (0.1 s apiece).
PORTAL_MAX_REQUEST_PIXELS = int(os.environ.get("PORTAL_MAX_REQUEST_PIXELS", 50_000_000))
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
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Lockouts are warnings; its INFO lines for every login (names masked) are noise.
        "axes": {"level": "WARNING"},
    },
}

LOGIN_URL = "workspace:login"
LOGIN_REDIRECT_URL = "workspace:home"
LOGOUT_REDIRECT_URL = "workspace:login"

# The admin's address; set DJANGO_ADMIN_URL to move it off the well-known /admin/.
ADMIN_URL = os.environ.get("DJANGO_ADMIN_URL", "admin/").strip("/") + "/"

# ---------------------------------------------------------------------------------------------
# Security: HTTPS, cookies, sessions, Content-Security-Policy, login lockout (README, "安全").
# Everything is on with debug off; `make check-deploy` runs `check --deploy` with production
# values in CI.
# ---------------------------------------------------------------------------------------------
BEHIND_TLS_PROXY = env_bool("DJANGO_BEHIND_TLS_PROXY")
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=BEHIND_TLS_PROXY)
# The load balancer probes the app itself over plain http (README, deploy).
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
# No script reads the CSRF cookie: the editor's uploads take the token from the form
# (static/js/editor.js), so the cookie can be hidden from scripts too.
CSRF_COOKIE_HTTPONLY = True
# A form sent with an old or missing token: the site's page ("页面已过期…"), not Django's.
CSRF_FAILURE_VIEW = "portal.errors.csrf_failure"
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not SECURE_HSTS_PRELOAD:
    # security.W021: the preload list takes whole registrable domains only; a county site on
    # a subdomain of gov.cn cannot join it. Set DJANGO_HSTS_PRELOAD=1 where the site can.
    SILENCED_SYSTEM_CHECKS.append("security.W021")

# Only staff and alliance secretaries log in; readers never get a session. Two idle hours,
# and gone when the browser closes: an office computer is often shared. A logged-in user's
# session is saved on every request (portal.security.ExtendStaffSessionsMiddleware), so the
# two hours count from the last click; an unknown session cookie writes nothing (Django's
# SESSION_SAVE_EVERY_REQUEST would save a new session for it). Expired sessions are cleared
# by `manage.py clearsessions` from a timer (deploy/systemd).
SESSION_COOKIE_AGE = int(os.environ.get("DJANGO_SESSION_SECONDS", 2 * 3600))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True


def _media_origins():
    """Where uploaded files are served from when they are not on this site (S3 storage)."""
    if not S3_BUCKET:
        return []
    options = STORAGES["default"]["OPTIONS"]
    if options["custom_domain"]:
        return [f"https://{options['custom_domain']}"]
    endpoint = urlsplit(options["endpoint_url"] or "https://s3.amazonaws.com")
    origin = f"{endpoint.scheme}://{endpoint.netloc}"
    return [origin, f"{endpoint.scheme}://{S3_BUCKET}.{endpoint.netloc}"]


# Pages are cached whole for anonymous readers (portal/pagecache.py), so the policy uses no
# nonces: no inline script, style attribute or event handler anywhere in templates/. Only the
# admin pages that show CKEditor get the looser policy of portal/security.py.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, *_media_origins()],
        "media-src": [SELF, *_media_origins()],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out login before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Five wrong passwords for one user from one address lock that pair out for 30 minutes; the
# same user elsewhere, or others from the same office network, can still log in.
AXES_FAILURE_LIMIT = int(os.environ.get("DJANGO_LOGIN_FAILURE_LIMIT", 5))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("DJANGO_LOGIN_LOCKOUT_MINUTES", 30)))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Thirty minutes from the fifth failure, as the lockout page says; retrying during the lockout
# does not start the wait again (attempts while locked are refused unchecked anyway).
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "portal.security.lockout_response"  # a Chinese page, HTTP 429
if BEHIND_TLS_PROXY:
    # nginx overwrites X-Real-IP with the address it saw (deploy/nginx/dangjian.conf); unlike
    # the left end of X-Forwarded-For a client cannot forge it.
    AXES_IPWARE_META_PRECEDENCE_ORDER = (
        os.environ.get("DJANGO_CLIENT_IP_HEADER", "HTTP_X_REAL_IP"),
        "REMOTE_ADDR",
    )
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)
