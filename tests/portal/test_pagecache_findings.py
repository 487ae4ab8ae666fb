"""What an outside attack on the running site found in the page cache (issue 13), each as a
test: keys that collide, input that is not in the key but reaches the page, keys split by
junk cookies, sessions made by junk cookies, per-worker caches in production, and sitemap
pages that were all page 1."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.sessions.models import Session
from django.db.models.signals import post_init
from django.urls import reverse

from articles.models import Article
from articles.sitemaps import ArticleSitemap
from portal.models import SiteSettings
from tests.factories import ArticleFactory

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def page(article):
    SiteSettings.load()  # created on first use, which is itself a change readers see
    return article.get_absolute_url()


def test_a_search_for_text_that_looks_like_a_query_string_is_a_page_of_its_own(client, page):
    """The key joined name=value pairs with '&' unencoded: a search for the literal text
    '组织&page=3' was stored under the key of '?q=组织&page=3'."""
    search = reverse("articles:search")
    literal = client.get(search, {"q": "组织&page=3"})
    assert literal["X-Page-Cache"] == "miss"
    response = client.get(f"{search}?q=组织&page=3")
    assert response["X-Page-Cache"] == "miss"
    assert 'value="组织"' in response.content.decode()


def test_preference_cookies_cannot_be_mistaken_for_one_another(client, page):
    """Cookie values were joined with '&' too: fontsize='large&on' with no care cookie made
    the key of fontsize=large, care=on."""
    client.cookies["fontsize"] = "large&on"
    junk = client.get(page)
    assert 'class="font-medium"' in junk.content.decode()  # junk reads as the default
    client.cookies["fontsize"] = "large"
    client.cookies["care"] = "on"
    response = client.get(page)
    assert 'class="font-large care-mode"' in response.content.decode()


def test_a_parameter_the_view_does_not_declare_never_reaches_the_page(client, page):
    marker = "utm-" + secrets.token_hex(4)
    tracked = client.get(page, {"utm_source": marker})
    assert tracked.status_code == 200
    assert marker not in tracked.content.decode()
    plain = client.get(page)
    assert marker not in plain.content.decode()


def test_a_parameter_the_view_does_not_declare_does_not_split_the_cache(client, page):
    client.get(page)
    assert client.get(page, {"utm_source": "x", "from": "timeline"})["X-Page-Cache"] == "hit"


def test_junk_preference_values_share_the_default_copy(client, page):
    client.get(page)
    misses = 0
    for _ in range(30):
        client.cookies["fontsize"] = secrets.token_hex(6)
        client.cookies["care"] = secrets.token_hex(3)
        client.cookies["zh"] = secrets.token_hex(2)
        misses += client.get(page)["X-Page-Cache"] == "miss"
    assert misses == 0


def test_an_unknown_session_cookie_writes_nothing_and_gets_the_cached_page(client, page):
    client.get(page)
    for _ in range(5):
        client.cookies["sessionid"] = secrets.token_hex(16)
        response = client.get(page)
        assert response.status_code == 200
        assert response["X-Page-Cache"] == "hit"
        assert (
            not response.cookies.get("sessionid", None) or not response.cookies["sessionid"].value
        )
    assert Session.objects.count() == 0


def test_an_unknown_session_cookie_on_an_uncached_page_writes_no_session(client, page, settings):
    settings.PORTAL_PAGE_CACHE = False
    for _ in range(3):
        client.cookies["sessionid"] = secrets.token_hex(16)
        assert client.get(page).status_code == 200
    assert Session.objects.count() == 0


def test_a_logged_in_session_is_still_extended_on_every_request(client, editor, page):
    client.force_login(editor)
    key = client.session.session_key
    first = Session.objects.get(pk=key).expire_date
    response = client.get(reverse("workspace:home"), follow=True)
    assert response.status_code == 200
    assert Session.objects.get(pk=key).expire_date > first


def _fresh_environment(**environ):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "REDIS_URL", "PORTAL_", "PYTEST"))
    }
    return env | {
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DJANGO_SECRET_KEY": "x" * 50,
        "DJANGO_ALLOWED_HOSTS": "dj.example.gov.cn",
        **environ,
    }


def _shared_cache_in_a_fresh_process(**environ):
    code = "from django.conf import settings; print(settings.PORTAL_SHARED_CACHE)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=_fresh_environment(**environ),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_production_caches_only_with_a_cache_every_worker_shares():
    """Each gunicorn worker had a cache of its own: after a withdrawal the other workers
    kept serving the article."""
    assert _shared_cache_in_a_fresh_process() == "False"
    assert _shared_cache_in_a_fresh_process(REDIS_URL="redis://127.0.0.1:6379/0") == "True"
    assert _shared_cache_in_a_fresh_process(DJANGO_DEBUG="1") == "True"  # one process


def test_without_a_shared_cache_a_change_made_elsewhere_is_seen_at_once(
    client, page, article, settings
):
    settings.PORTAL_SHARED_CACHE = False
    home = reverse("portal:home")
    assert article.title in client.get(home).content.decode()
    assert client.get(page).status_code == 200
    # Another worker withdraws it: this process hears nothing of it.
    Article.objects.filter(pk=article.pk).update(status=Article.Status.WITHDRAWN)
    assert client.get(page).status_code == 404
    assert article.title not in client.get(home).content.decode()


def test_the_deployment_check_says_when_there_is_no_shared_cache():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_fresh_environment(),
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "portal.W001" in result.stderr and "REDIS_URL" in result.stderr


def test_each_page_of_the_article_sitemap_is_its_own(client, subsection, monkeypatch):
    monkeypatch.setattr(ArticleSitemap, "limit", 2)
    for n in range(5):
        ArticleFactory(category=subsection, title=f"文章{n}")
    url = reverse("django.contrib.sitemaps.views.sitemap", args=["articles"])
    pages = [client.get(url, {"p": p}).content for p in (1, 2, 3)]
    pages += [client.get(url, {"p": p}).content for p in (1, 2, 3)]  # cached copies
    assert len(set(pages)) == 3
    assert pages[:3] == pages[3:]


def test_the_sitemap_index_does_not_load_every_article(client, subsection):
    for n in range(30):
        ArticleFactory(category=subsection, title=f"文章{n}")
    loaded = []

    def count(sender, **kwargs):
        loaded.append(sender)

    post_init.connect(count, sender=Article)
    try:
        response = client.get(reverse("sitemap_index"))
    finally:
        post_init.disconnect(count, sender=Article)
    assert response.status_code == 200
    assert "<lastmod>" in response.content.decode()
    assert len(loaded) <= 1
