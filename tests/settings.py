"""Test settings: the real settings module, made fast and isolated.

Runs against SQLite + local-memory cache by default, or PostgreSQL + Redis when
DATABASE_URL / REDIS_URL are set (as .ci/run does).
"""

import os
import tempfile
import uuid

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-not-secret")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")

from portal.settings import *  # noqa: F403
from portal.settings import CACHES, DATABASES, REDIS_URL, STORAGES

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

if REDIS_URL:
    # The Redis given is shared: each test process keeps to keys of a prefix of its own and
    # deletes only those (tests/conftest.py), never a whole database.
    CACHES = {"default": {**CACHES["default"], "KEY_PREFIX": f"test-{uuid.uuid4().hex[:12]}"}}

# Each test process is a single process: its local-memory cache is shared by all it runs.
PORTAL_SHARED_CACHE = True

# Tests send many searches from one address; the limit's own test sets the real rate.
PORTAL_SEARCH_RATE = "100000/m"
PORTAL_ERROR_REPORT_RATE = "100000/m"  # likewise for 网站纠错 (tests/portal/test_checklist.py)
