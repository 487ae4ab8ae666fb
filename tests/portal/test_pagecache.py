"""The whole-page cache: anonymous hits, never for logged-in users, fresh at once on change."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from articles import services
from articles.models import Article
from portal.models import SiteSettings
from tests.factories import ArticleFactory


@pytest.fixture
def page(article):
    SiteSettings.load()  # created on first use, which is itself a change readers see
    return article.get_absolute_url()


def test_anonymous_readers_get_a_cached_copy_after_the_first_view(client, page):
    first = client.get(page)
    second = client.get(page)
    assert first["X-Page-Cache"] == "miss" and second["X-Page-Cache"] == "hit"
    assert first.content == second.content


def test_what_a_logged_in_user_is_shown_is_never_stored(client, page, editor, reader):
    for user in (reader, editor):
        client.force_login(user)
        assert "X-Page-Cache" not in client.get(page)  # rendered for them, not stored
        client.logout()
    client.cookies.clear()
    assert client.get(page)["X-Page-Cache"] == "miss"  # the first anonymous copy


def test_logged_in_users_are_served_the_readers_copy(client, page, editor):
    """The public pages are the same for them; a preview has no cached copy (next test)."""
    anonymous = client.get(page)
    client.force_login(editor)
    response = client.get(page)
    assert response["X-Page-Cache"] == "hit"
    assert response.content == anonymous.content


def test_a_staff_preview_is_never_cached(client, editor, subsection):
    draft = ArticleFactory(category=subsection, status="draft", published_at=None)
    client.force_login(editor)
    assert "预览" in client.get(draft.get_absolute_url()).content.decode()
    client.logout()
    client.cookies.clear()
    assert client.get(draft.get_absolute_url()).status_code == 404


def test_an_edit_is_visible_at_once(client, page, article, reviewer):
    client.get(page)
    article.title = "改过的标题"
    services.article_save(article=article, by=reviewer)
    response = client.get(page)
    assert response["X-Page-Cache"] == "miss"
    assert "改过的标题" in response.content.decode()


def test_withdrawing_removes_the_article_from_cached_lists_at_once(client, article, reviewer):
    home = reverse("portal:home")
    assert article.title in client.get(home).content.decode()
    services.article_move(article=article, to=Article.Status.WITHDRAWN, by=reviewer)
    assert article.title not in client.get(home).content.decode()
    assert client.get(article.get_absolute_url()).status_code == 404


def test_a_scheduled_article_appears_in_cached_pages_at_its_time(client, subsection, reviewer):
    ArticleFactory(category=subsection, title="已有文章")
    section = subsection.get_absolute_url()
    at = timezone.now() + timedelta(hours=2)
    scheduled = ArticleFactory(
        category=subsection, title="定时文章", status="draft", published_at=at
    )
    services.article_move(article=scheduled, to=Article.Status.PUBLISHED, by=reviewer)
    assert "定时文章" not in client.get(section).content.decode()
    assert client.get(section)["X-Page-Cache"] == "hit"
    with time_machine.travel(at + timedelta(seconds=1)):
        assert "定时文章" in client.get(section).content.decode()


def test_pages_that_set_a_cookie_are_not_cached(client, db):
    login = reverse("workspace:login")
    client.get(login)
    assert "X-Page-Cache" not in client.get(login)


def test_unknown_query_parameters_do_not_split_the_cache(client, page):
    client.get(page)
    assert client.get(page, {"utm_source": "x"})["X-Page-Cache"] == "hit"
    assert client.get(page, {"page": "2"})["X-Page-Cache"] == "hit"  # no pages here


def test_a_parameter_the_view_declares_makes_a_copy_of_its_own(client, article):
    section = article.category.get_absolute_url()
    client.get(section)
    assert client.get(section, {"kind": "news"})["X-Page-Cache"] == "miss"
    assert client.get(section, {"kind": "news", "utm_source": "x"})["X-Page-Cache"] == "hit"


def test_font_size_gets_its_own_copy(client, page):
    client.get(page)
    client.cookies["fontsize"] = "large"
    response = client.get(page)
    assert response["X-Page-Cache"] == "miss"
    assert 'class="font-large"' in response.content.decode()


def test_cached_article_views_are_still_counted(client, page, article):
    from articles import viewcounts

    for n in range(4):  # four readers
        assert client.get(page, REMOTE_ADDR=f"10.0.0.{n}").status_code == 200
    viewcounts.flush()
    article.refresh_from_db()
    assert article.view_count == 4


def test_pages_are_served_while_redis_is_down(client, page, settings, caplog):
    settings.CACHES = {
        "default": {
            **django_settings.CACHES["default"],
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"IGNORE_EXCEPTIONS": True},
        }
    }
    for url in (page, reverse("portal:home"), reverse("alliances:directory")):
        assert client.get(url).status_code == 200
    assert "Exception ignored" in caplog.text  # django-redis logs each failed call


def test_the_version_moves_again_when_the_change_commits(
    client, page, article, django_capture_on_commit_callbacks
):
    """A reader's request between the save and the commit can render the old data under
    the new version; the second bump at commit makes that copy unusable."""
    from portal.pagecache import versioned

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        article.title = "提交前"
        article.save()
        during = versioned()[0]
        client.get(page)  # rendered and stored under the version seen before the commit
    assert callbacks, "no bump was scheduled for the commit"
    assert versioned()[0] > during
    assert client.get(page)["X-Page-Cache"] == "miss"


def test_a_cached_page_keeps_the_headers_the_rest_of_the_stack_added(client, page):
    first = client.get(page)
    second = client.get(page)
    assert second["X-Page-Cache"] == "hit"
    for header in (
        "Content-Security-Policy",
        "X-Content-Type-Options",
        "Referrer-Policy",
        "X-Frame-Options",
    ):
        assert second[header] == first[header], header


def test_a_changed_policy_is_not_answered_with_old_headers(client, page, settings):
    client.get(page)
    assert client.get(page)["X-Page-Cache"] == "hit"
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    response = client.get(page)
    assert response["X-Page-Cache"] == "miss"
    assert response["Content-Security-Policy"] == "default-src 'none'"


def test_plain_http_is_sent_to_https_even_when_the_page_is_cached(client, page, settings):
    client.get(page)
    assert client.get(page)["X-Page-Cache"] == "hit"  # a plain-HTTP copy, from before
    settings.SECURE_SSL_REDIRECT = True
    client = Client()  # the middleware reads the setting when it starts
    response = client.get(page)
    assert response.status_code == 301 and response["Location"].startswith("https://")
    client.get(page, secure=True)
    assert client.get(page, secure=True)["X-Page-Cache"] == "hit"


def test_a_raw_save_from_a_fixture_or_restore_does_not_bump_the_version(article):
    from django.core import serializers

    from portal.pagecache import versioned

    before = versioned()[0]
    dumped = serializers.serialize("json", [article])
    for restored in serializers.deserialize("json", dumped):
        restored.save()  # raw=True, as loaddata and restore_site save
    assert versioned()[0] == before
    article.save()
    assert versioned()[0] > before
