"""A cached article's view counted in the page cache's own lookup (articles/viewcounts.py,
``Counter.lookup``): once per view, whatever the page cache finds and whatever fails.

Needs the real Redis shared by the page cache and the counts (CI's second pass)."""

import pytest
from django.conf import settings
from django.core.cache import cache

from articles import viewcounts
from articles.models import Article, ViewCountDoubt
from portal import pagecache
from portal.models import SiteSettings
from tests.factories import ArticleFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not settings.REDIS_URL, reason="the lookup counts on Redis"),
]


@pytest.fixture
def article(subsection):
    SiteSettings.load()
    article = ArticleFactory(category=subsection, title="计数的文章")
    redis = viewcounts.client()
    redis.delete(viewcounts.pending_key(), *redis.keys(f"{viewcounts.batch_prefix()}*"))
    return article


@pytest.fixture
def sends(monkeypatch):
    """The commands each call of ``_send`` carried, by their first word."""
    real_send, sent = viewcounts._send, []

    def send(connection, *commands, wait=True):
        sent.append(tuple(command[0] for command in commands))
        return real_send(connection, *commands, wait=wait)

    monkeypatch.setattr(viewcounts, "_send", send)
    return sent


def views(article):
    viewcounts.flush()
    return Article.objects.get(pk=article.pk).view_count


def test_a_cached_view_is_counted_by_the_lookup_in_the_same_round_trip(client, article, sends):
    assert client.get(article.get_absolute_url())["X-Page-Cache"] == "miss"
    sends.clear()
    for _ in range(5):
        assert client.get(article.get_absolute_url())["X-Page-Cache"] == "hit"
    assert sends == [("MGET", "EVALSHA")] * 5  # no second command for the count
    assert views(article) == 6


def test_the_lookup_counts_nothing_for_a_page_without_views(client, article, sends):
    home = "/"
    client.get(home)
    client.get(home)
    assert sends == [] and views(article) == 0


def test_after_an_edit_the_view_is_counted_once_by_the_new_page(client, article, reviewer):
    client.get(article.get_absolute_url())
    client.get(article.get_absolute_url())
    pagecache.content_changed()  # the note's version is old now: the lookup does not count
    assert client.get(article.get_absolute_url())["X-Page-Cache"] == "miss"
    assert client.get(article.get_absolute_url())["X-Page-Cache"] == "hit"
    assert views(article) == 4


def test_a_page_dropped_while_its_note_stays_is_counted_once(client, article):
    client.get(article.get_absolute_url())
    client.get(article.get_absolute_url())
    cache.delete(pagecache.page_key(client.get(article.get_absolute_url()).wsgi_request))
    assert client.get(article.get_absolute_url())["X-Page-Cache"] == "miss"
    assert views(article) == 4


def test_a_due_scheduled_change_is_not_counted_by_the_stale_copy(client, article):
    client.get(article.get_absolute_url())
    client.get(article.get_absolute_url())
    cache.set(pagecache.NEXT_CHANGE_KEY, pagecache._now_ms() - 1, None)  # due now
    assert client.get(article.get_absolute_url())["X-Page-Cache"] == "miss"
    assert views(article) == 3


@pytest.mark.parametrize("ran", [True, False], ids=["script ran", "script lost"])
@pytest.mark.parametrize("settled_by", ["next view", "flush"])
def test_a_lookup_whose_answer_was_lost_counts_its_view_once(
    client, article, monkeypatch, ran, settled_by
):
    url = article.get_absolute_url()
    client.get(url)
    client.get(url)
    real_send = viewcounts._send

    def answer_lost(connection, *commands, wait=True):
        if commands[0][0] != "MGET":
            return real_send(connection, *commands, wait=wait)
        if ran:
            real_send(connection, *commands)
        connection.disconnect()
        raise viewcounts.InDoubt("Connection closed by server.")

    monkeypatch.setattr(viewcounts, "_send", answer_lost)
    assert client.get(url)["X-Page-Cache"] == "miss"  # rendered: the lookup had no answer
    doubt = ViewCountDoubt.objects.get()
    assert (doubt.article_id, doubt.number) == (article.pk, viewcounts.counter.number)
    assert viewcounts.counter.lookup_in_doubt is None  # the request claimed it
    monkeypatch.setattr(viewcounts, "_send", real_send)
    viewcounts.counter.down_until = 0  # Redis is back
    if settled_by == "next view":
        client.get(url)
    assert views(article) == (4 if settled_by == "next view" else 3)
    assert not ViewCountDoubt.objects.exists()


def test_a_lost_lookup_of_a_request_that_was_no_view_leaves_nothing_to_settle(article):
    counter = viewcounts.counter
    names = (pagecache.VERSION_KEY, pagecache.NEXT_CHANGE_KEY, "page:x")
    keys = [cache.make_key(name) for name in names]
    real_send = viewcounts._send

    def answer_lost(connection, *commands, wait=True):
        connection.disconnect()
        raise viewcounts.InDoubt("Connection closed by server.")

    viewcounts._send = answer_lost
    try:
        lookup = counter.lookup(keys, "page:x", pagecache._now_ms())
    finally:
        viewcounts._send = real_send
    assert lookup.in_doubt == counter.number and counter.lookup_in_doubt == lookup.in_doubt
    counter.down_until = 0
    assert counter.lookup(keys, "page:x", 0) is None  # nothing is sent meanwhile
    counter.done(lookup)
    assert counter.lookup(keys, "page:x", 0).counted is None
    assert not ViewCountDoubt.objects.exists()


def test_a_redis_that_lost_its_scripts_still_counts_once(client, article):
    client.get(article.get_absolute_url())
    viewcounts.client().script_flush()
    assert client.get(article.get_absolute_url())["X-Page-Cache"] == "hit"
    assert client.get(article.get_absolute_url())["X-Page-Cache"] == "hit"
    assert views(article) == 3
