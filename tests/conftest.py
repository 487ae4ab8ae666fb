import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_redis import get_redis_connection

from articles import viewcounts

from .factories import ArticleFactory, CategoryFactory, StaffFactory, UserFactory


@pytest.fixture(autouse=True)
def _clean_cache(monkeypatch):
    _clear_own_cache()
    # A fresh view buffer, sent only when a test says so (viewcounts.send or flush): no view
    # of one test reaches the next, and no timer thread writes behind a test's back.
    monkeypatch.setattr(viewcounts, "buffer", viewcounts.Buffer(send_every=None))
    yield
    _clear_own_cache()


def _clear_own_cache():
    """This test process's keys only: the Redis given may hold others' (tests/settings.py)."""
    if not settings.REDIS_URL:
        return cache.clear()
    redis = get_redis_connection()
    prefix = settings.CACHES["default"]["KEY_PREFIX"]
    keys = list(redis.scan_iter(f"{prefix}:*", count=1000))
    if keys:
        redis.delete(*keys)
    return None


@pytest.fixture
def editor(db):
    return StaffFactory(username="editor", groups=["编辑"])


@pytest.fixture
def reviewer(db):
    return StaffFactory(username="reviewer", groups=["审核"])


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def reader(db):
    return UserFactory(username="reader")


@pytest.fixture
def section(db):
    return CategoryFactory(name="基层党建", slug="jcdj")


@pytest.fixture
def subsection(section):
    return CategoryFactory(name="机关党建", slug="jgdj", parent=section)


@pytest.fixture
def article(subsection):
    return ArticleFactory(category=subsection, title="机关党建工作会议召开")


@pytest.fixture
def count_queries(db, settings):
    """Return a function that counts the queries of rendering one page (not a cached copy)."""
    settings.PORTAL_PAGE_CACHE = False

    def run(client, url):
        client.get(url)  # warm up: one-off work such as creating the site settings record
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return len(captured.captured_queries)

    return run


@pytest.fixture
def committee(db):
    return StaffFactory(username="committee", groups=["机关工委"])


@pytest.fixture
def alliance_with_members(db):
    """An office alliance of a lead and three members, all since 2025-01-01."""
    from .factories import AllianceFactory, BranchFactory, MembershipFactory

    alliance = AllianceFactory(name="第一联盟", slug="first")
    lead = MembershipFactory(
        alliance=alliance, branch=BranchFactory(unit="机关工委"), is_lead=True, rotation_order=9
    )
    others = [
        MembershipFactory(alliance=alliance, branch=BranchFactory(unit=unit), rotation_order=n)
        for n, unit in enumerate(["审计局", "总工会", "妇联"], start=1)
    ]
    return alliance, [lead, *others]
