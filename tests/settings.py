"""Test settings: the real settings module, made fast and isolated.

Runs against SQLite + local-memory cache by default, or PostgreSQL + Redis when
DATABASE_URL / REDIS_URL are set (as .ci/run does). Each xdist worker gets its own Redis
database, because cache.clear() on Redis empties the whole database.
"""

import os
import tempfile
from urllib.parse import urlsplit, urlunsplit

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-not-secret")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")

from portal.settings import *  # noqa: F403
from portal.settings import DATABASES, REDIS_URL, STORAGES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = tempfile.mkdtemp(prefix="dangjian-test-media-")
DATABASES["default"]["CONN_MAX_AGE"] = 0  # no connection may outlive a test's threads
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not Django's shared in-memory database: that one locks whole tables and
    # ignores the busy timeout, so tests with concurrent requests could not run on it.
    DATABASES["default"]["TEST"] = {
        "NAME": os.path.join(tempfile.mkdtemp(prefix="dangjian-test-db-"), "test.sqlite3")
    }
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Serve static files from the finders: tests never run collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

_worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
if REDIS_URL:
    REDIS_URL = urlunsplit(urlsplit(REDIS_URL)._replace(path=f"/{1 + _worker % 15}"))
    CACHES = {
        "default": {
            "BACKEND": "portal.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "test",
        }
    }
