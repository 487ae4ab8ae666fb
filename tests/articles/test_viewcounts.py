"""浏览量 (articles/viewcounts.py): GET only, once per client and window, sent in batches
at most once a second, lost (and logged) rather than counted twice when Redis fails.

Each guarantee runs three ways: without Redis (the database directly), on fakeredis, and
on the real Redis when REDIS_URL is set (CI's second pass; there, with CI set, a Redis that
does not answer fails the run instead of skipping it).
"""

import logging
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from io import StringIO

import fakeredis
import pytest
import redis as redis_py
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import RequestFactory
from redis.backoff import NoBackoff
from redis.retry import Retry

from articles import viewcounts
from articles.models import Article, ViewCountBatch
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db(transaction=True)

# The start of a 30-minute window of the clock.
WINDOW_START = datetime(2030, 1, 1, 8, 0, tzinfo=UTC)


def real_redis():
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL")
    server = viewcounts.client()
    try:
        server.ping()
    except redis_py.RedisError as error:
        if os.environ.get("CI"):
            pytest.fail(f"REDIS_URL is set but Redis does not answer: {error}")
        pytest.skip(f"Redis does not answer: {error}")
    return server


@pytest.fixture(params=["database", "fakeredis", "redis"])
def store(request, monkeypatch):
    """Where the views go: None (straight to the database) or a Redis, keys of this site
    only, removed before and after."""
    server = {
        "database": lambda: None,
        "fakeredis": fakeredis.FakeRedis,
        "redis": real_redis,
    }[request.param]()
    monkeypatch.setattr(viewcounts, "client", lambda: server)
    forget(server)
    yield server
    forget(server)


def forget(server):
    """Delete this site's view-count keys (never a whole database: it may not be ours)."""
    if server is not None and (keys := server.keys(viewcounts._key("*"))):
        server.delete(*keys)


# For the tests of what happens on Redis.
redis_only = pytest.mark.parametrize("store", ["fakeredis", "redis"], indirect=True)


@pytest.fixture
def redis(store):
    return store


@pytest.fixture
def articles(db):
    return [ArticleFactory(title=f"计数{n}") for n in range(3)]


def get(address="10.0.0.1", method="get", **headers):
    return getattr(RequestFactory(), method)("/article/1/", REMOTE_ADDR=address, **headers)


def views(article):
    viewcounts.flush()
    return Article.objects.get(pk=article.pk).view_count


def counts(articles):
    viewcounts.flush()
    return [Article.objects.get(pk=a.pk).view_count for a in articles]


@pytest.fixture
def commands(redis, monkeypatch):
    """The names of the commands sent to Redis, in order."""
    sent = []
    real = redis.execute_command

    def spy(*args, **options):
        sent.append(args[0])
        return real(*args, **options)

    monkeypatch.setattr(redis, "execute_command", spy)
    return sent


def test_a_head_request_is_not_counted(store, articles):
    viewcounts.record(get(method="head"), articles[0].pk)
    assert views(articles[0]) == 0
    viewcounts.record(get(), articles[0].pk)  # the same client's GET: its window is unused
    assert views(articles[0]) == 1


def test_a_post_is_not_counted(store, articles):
    viewcounts.record(get(method="post"), articles[0].pk)
    assert views(articles[0]) == 0


def test_a_client_reading_again_within_the_window_counts_once_and_again_after(
    store, articles, time_machine
):
    time_machine.move_to(WINDOW_START, tick=False)
    viewcounts.record(get(), articles[0].pk)
    viewcounts.send()
    time_machine.move_to(WINDOW_START + timedelta(minutes=29, seconds=59), tick=False)
    for _ in range(3):
        viewcounts.record(get(), articles[0].pk)
        viewcounts.send()  # each in a batch of its own
    assert views(articles[0]) == 1
    time_machine.move_to(WINDOW_START + timedelta(minutes=30), tick=False)
    viewcounts.record(get(), articles[0].pk)
    assert views(articles[0]) == 2


def test_the_window_is_a_setting(store, articles, settings, time_machine):
    settings.PORTAL_VIEW_WINDOW_SECONDS = 60
    time_machine.move_to(WINDOW_START, tick=False)
    viewcounts.record(get(), articles[0].pk)
    time_machine.move_to(WINDOW_START + timedelta(seconds=60), tick=False)
    viewcounts.record(get(), articles[0].pk)
    assert views(articles[0]) == 2


def test_a_client_reading_two_articles_counts_for_each(store, articles):
    viewcounts.record(get(), articles[0].pk)
    viewcounts.record(get(), articles[1].pk)
    assert counts(articles) == [1, 1, 0]


def test_two_clients_count_twice(store, articles):
    viewcounts.record(get("10.0.0.1"), articles[0].pk)
    viewcounts.record(get("10.0.0.2"), articles[0].pk)
    assert views(articles[0]) == 2


def test_behind_the_proxy_the_client_is_the_address_nginx_gives(store, articles, settings):
    settings.BEHIND_TLS_PROXY = True
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_REAL_IP", "REMOTE_ADDR")
    for reader in ("10.1.0.1", "10.1.0.2", "10.1.0.2"):
        viewcounts.record(get("127.0.0.1", HTTP_X_REAL_IP=reader), articles[0].pk)
    assert views(articles[0]) == 2


def test_a_forged_address_header_is_ignored_without_the_proxy(store, articles, settings):
    settings.BEHIND_TLS_PROXY = False
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_REAL_IP", "REMOTE_ADDR")
    for forged in ("10.1.0.1", "10.1.0.2", "10.1.0.3"):
        viewcounts.record(get("10.0.0.9", HTTP_X_REAL_IP=forged), articles[0].pk)
    assert views(articles[0]) == 1


@redis_only
def test_nothing_in_redis_names_the_reader_or_outlives_the_window(redis, articles):
    viewcounts.record(get("10.20.30.40"), articles[0].pk)
    viewcounts.send()
    pending = viewcounts.pending_key().encode()
    kept = [key for key in redis.keys(viewcounts._key("*")) if key != pending]
    assert len(kept) == 1
    assert b"10.20.30.40" not in kept[0] + redis.get(kept[0])
    assert 0 < redis.ttl(kept[0]) <= 1800


@redis_only
def test_a_view_costs_the_request_no_redis_command_and_no_query(
    store, articles, commands, django_assert_num_queries
):
    with django_assert_num_queries(0):
        for n in range(100):
            viewcounts.record(get(f"10.0.1.{n}"), articles[n % 3].pk)
    assert commands == []
    assert viewcounts.send() == 100
    assert commands == ["EVAL"]  # the whole batch in one script
    assert counts(articles) == [34, 33, 33]


@redis_only
def test_views_are_sent_by_a_timer_at_most_once_a_second(store, articles, commands, monkeypatch):
    monkeypatch.setattr(viewcounts, "buffer", viewcounts.Buffer())  # the real timer
    started = time.monotonic()
    n = 0
    while time.monotonic() - started < 2.5:
        viewcounts.record(get(f"10.0.2.{n}"), articles[0].pk)
        n += 1
        time.sleep(0.01)
    time.sleep(1.5)  # the last batch goes out a second after its first view
    assert 2 <= commands.count("EVAL") <= 3
    assert views(articles[0]) == n


@redis_only
def test_a_flush_or_an_exit_waits_for_the_batch_being_sent(redis, articles, monkeypatch):
    monkeypatch.setattr(viewcounts, "buffer", viewcounts.Buffer(send_every=0.01))
    sending, real_eval = threading.Event(), redis.eval

    def slow_eval(*args):
        sending.set()
        time.sleep(0.3)
        return real_eval(*args)

    monkeypatch.setattr(redis, "eval", slow_eval)
    viewcounts.record(get(), articles[0].pk)
    assert sending.wait(5)
    assert viewcounts.flush() == 1


def test_views_are_sent_by_a_timer_without_redis_too(articles, monkeypatch):
    monkeypatch.setattr(viewcounts, "client", lambda: None)
    monkeypatch.setattr(viewcounts, "buffer", viewcounts.Buffer(send_every=0.1))
    viewcounts.record(get(), articles[0].pk)
    deadline = time.monotonic() + 5
    while Article.objects.get(pk=articles[0].pk).view_count == 0:
        assert time.monotonic() < deadline, "the timer sent nothing"
        time.sleep(0.05)


def test_concurrent_views_of_different_clients_are_all_counted(store, articles):
    def reader(thread):
        def read():
            for n in range(200):
                viewcounts.record(get(f"10.{thread}.{n}.1"), articles[n % 3].pk)

        return read

    run_threads(*(reader(thread) for thread in range(8)))
    assert sum(counts(articles)) == 1600


def test_redis_down_the_reader_gets_the_page_and_lost_views_are_logged(
    client, article, monkeypatch, caplog, settings
):
    settings.PORTAL_PAGE_CACHE = False
    refused = redis_py.Redis(port=free_port(), retry=Retry(NoBackoff(), 0))
    monkeypatch.setattr(viewcounts, "client", lambda: refused)
    for _ in range(3):
        assert client.get(article.get_absolute_url(), REMOTE_ADDR="10.0.3.1").status_code == 200
    assert client.get(article.get_absolute_url(), REMOTE_ADDR="10.0.3.2").status_code == 200
    with caplog.at_level(logging.WARNING, logger="articles.viewcounts"):
        assert viewcounts.send() == 0
    assert "2 views not counted" in caplog.text  # a client's repeated views are one
    assert Article.objects.get(pk=article.pk).view_count == 0  # not in the database instead


@redis_only
def test_a_batch_that_failed_is_not_sent_again(redis, articles, monkeypatch):
    refused = redis_py.Redis(port=free_port(), retry=Retry(NoBackoff(), 0))
    monkeypatch.setattr(viewcounts, "client", lambda: refused)
    viewcounts.record(get(), articles[0].pk)
    viewcounts.send()
    monkeypatch.setattr(viewcounts, "client", lambda: redis)  # Redis is back
    assert viewcounts.send() == 0
    assert views(articles[0]) == 0


def test_a_forked_process_starts_with_an_empty_buffer_of_its_own(store, articles, monkeypatch):
    parent = viewcounts.Buffer()
    monkeypatch.setattr(viewcounts, "buffer", parent)
    viewcounts.record(get("10.0.4.1"), articles[0].pk)
    child_pid = os.getpid() + 1
    monkeypatch.setattr(viewcounts.os, "getpid", lambda: child_pid)
    try:
        viewcounts.record(get("10.0.4.2"), articles[1].pk)
        child = viewcounts.buffer
        assert child is not parent and child.pid == child_pid
        assert child.timer is not None and child.timer is not parent.timer
        assert viewcounts.send() == 1
    finally:
        parent.timer.cancel()
    assert counts(articles) == [0, 1, 0]  # the parent's view is the parent's to send


def test_views_left_at_exit_are_sent(articles):
    """A process that ends normally (a gunicorn worker stopped or recycled) sends its views."""
    url = database_url()
    code = (
        "import django; django.setup();"
        "from django.test import RequestFactory; from articles import viewcounts;"
        f"viewcounts.record(RequestFactory().get('/'), {articles[0].pk})"
    )
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": url,
        "REDIS_URL": "",
    }
    subprocess.run([sys.executable, "-c", code], env=environment, check=True, timeout=60)
    assert Article.objects.get(pk=articles[0].pk).view_count == 1


def database_url():
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


# Flush: a pending batch is added to the articles once, whatever overlaps or fails.


@redis_only
def test_overlapping_flushes_neither_lose_nor_double_count(redis, articles):
    def reader(thread):
        def read():
            for n in range(150):
                viewcounts.record(get(f"10.{thread}.{n}.2"), articles[n % 3].pk)
                if n % 10 == 0:
                    viewcounts.send()

        return read

    flushed = []

    def flusher():
        for _ in range(10):
            flushed.append(viewcounts.flush())

    run_threads(reader(1), flusher, reader(2), flusher, reader(3), flusher, reader(4))
    flushed.append(viewcounts.flush())
    assert sum(flushed) == 4 * 150
    assert [Article.objects.get(pk=a.pk).view_count for a in articles] == [200, 200, 200]


@redis_only
def test_a_batch_left_by_a_crashed_flush_is_applied_once(redis, articles):
    for n in range(5):
        viewcounts.record(get(f"10.0.5.{n}"), articles[0].pk)
    viewcounts.send()
    left_behind = f"{viewcounts.batch_prefix()}{uuid.uuid4().hex}"
    redis.rename(viewcounts.pending_key(), left_behind)  # crashed right after taking the batch
    assert viewcounts.flush() == 5
    assert viewcounts.flush() == 0
    assert views(articles[0]) == 5


@redis_only
def test_a_batch_applied_but_not_deleted_is_not_added_again(redis, articles):
    for n in range(4):
        viewcounts.record(get(f"10.0.6.{n}"), articles[1].pk)
    viewcounts.send()
    batch = f"{viewcounts.batch_prefix()}{uuid.uuid4().hex}"
    redis.rename(viewcounts.pending_key(), batch)
    viewcounts._apply(batch)
    redis.hset(batch, str(articles[1].pk), 4)  # as if the delete after the commit was lost
    assert viewcounts.flush() == 0
    assert views(articles[1]) == 4
    assert ViewCountBatch.objects.filter(key=batch).count() == 1


@redis_only
def test_views_of_a_deleted_article_are_dropped_quietly(redis, articles):
    viewcounts.record(get(), articles[2].pk)
    Article.objects.filter(pk=articles[2].pk).delete()
    assert viewcounts.flush() == 1
    assert not redis.exists(viewcounts.pending_key())


def test_flush_command_reports_what_it_did(store, articles):
    viewcounts.record(get(), articles[0].pk)
    out = StringIO()
    call_command("flush_view_counts", stdout=out)
    assert "写入浏览量 1 次" in out.getvalue()


@redis_only
def test_views_of_one_site_stay_apart_from_another_sharing_redis(redis, articles, settings):
    viewcounts.record(get(), articles[0].pk)
    viewcounts.send()
    other = {**settings.CACHES["default"], "KEY_PREFIX": "another-site"}
    settings.CACHES = {"default": other}
    assert viewcounts.flush() == 0
    assert redis.hlen(viewcounts.pending_key()) == 0


def run_threads(*targets):
    errors = []

    def guarded(target):
        try:
            target()
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=guarded, args=[target]) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
