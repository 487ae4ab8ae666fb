"""Buffered view counts: exact under concurrent views and overlapping or interrupted flushes.

Runs against the real Redis when REDIS_URL is set (CI's second pass), else against
fakeredis, so the buffer's logic is exercised in every run.
"""

import contextlib
import re
import socket
import threading
import uuid

import fakeredis
import pytest
import redis as redis_py
from django.conf import settings
from django.db import connection
from redis.backoff import NoBackoff
from redis.retry import Retry

from articles import viewcounts
from articles.models import Article, ViewCountBatch, ViewCountDoubt
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def redis(monkeypatch):
    server = viewcounts.client() if settings.REDIS_URL else fakeredis.FakeRedis()
    server.delete(viewcounts.pending_key(), *server.keys(f"{viewcounts.batch_prefix()}*"))
    monkeypatch.setattr(viewcounts, "client", lambda: server)
    return server


@pytest.fixture
def articles(db):
    return [ArticleFactory(title=f"计数{n}") for n in range(3)]


def counts(articles):
    return [Article.objects.get(pk=a.pk).view_count for a in articles]


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


def test_a_view_is_one_redis_increment_and_no_database_write(
    redis, articles, django_assert_num_queries
):
    with django_assert_num_queries(0):
        viewcounts.record(articles[0].pk)
    viewcounts.counter.collect()  # the answer is read later, not while the page waits
    assert int(redis.hget(viewcounts.pending_key(), str(articles[0].pk))) == 1


def test_concurrent_views_are_all_counted_after_a_flush(redis, articles):
    def view():
        for n in range(200):
            viewcounts.record(articles[n % 3].pk)

    run_threads(*[view] * 8)
    assert viewcounts.flush() == 1600
    assert sum(counts(articles)) == 1600


def test_overlapping_flushes_neither_lose_nor_double_count(redis, articles):
    def view():
        for n in range(150):
            viewcounts.record(articles[n % 3].pk)

    flushed = []

    def flusher():
        for _ in range(10):
            flushed.append(viewcounts.flush())

    run_threads(view, flusher, view, flusher, view, flusher, view, view)
    flushed.append(viewcounts.flush())
    assert sum(flushed) == 5 * 150
    assert counts(articles) == [250, 250, 250]
    assert len(flushed) > 1 and sum(1 for n in flushed if n) >= 1


def test_a_batch_left_by_a_crashed_flush_is_applied_once(redis, articles):
    for _ in range(5):
        viewcounts.record(articles[0].pk)
    left_behind = f"{viewcounts.batch_prefix()}{uuid.uuid4().hex}"
    redis.rename(viewcounts.pending_key(), left_behind)  # crashed right after taking the batch
    assert viewcounts.flush() == 5
    assert viewcounts.flush() == 0
    assert counts(articles)[0] == 5


def test_a_batch_applied_but_not_deleted_is_not_added_again(redis, articles):
    for _ in range(4):
        viewcounts.record(articles[1].pk)
    batch = f"{viewcounts.batch_prefix()}{uuid.uuid4().hex}"
    redis.rename(viewcounts.pending_key(), batch)
    viewcounts._apply(batch)
    redis.hset(batch, str(articles[1].pk), 4)  # as if the delete after the commit was lost
    assert viewcounts.flush() == 0
    assert counts(articles)[1] == 4
    assert ViewCountBatch.objects.filter(key=batch).count() == 1


def test_views_of_a_deleted_article_are_dropped_quietly(redis, articles):
    viewcounts.record(articles[2].pk)
    Article.objects.filter(pk=articles[2].pk).delete()
    assert viewcounts.flush() == 1
    assert not redis.exists(viewcounts.pending_key())


def test_flush_command_reports_what_it_did(redis, articles):
    from io import StringIO

    from django.core.management import call_command

    viewcounts.record(articles[0].pk)
    out = StringIO()
    call_command("flush_view_counts", stdout=out)
    assert "写入浏览量 1 次" in out.getvalue()


def test_views_of_one_site_stay_apart_from_another_sharing_redis(redis, articles, settings):
    viewcounts.record(articles[0].pk)
    other = {**settings.CACHES["default"], "KEY_PREFIX": "another-site"}
    settings.CACHES = {"default": other}
    assert viewcounts.flush() == 0
    assert redis.hlen(viewcounts.pending_key()) == 0


def test_a_view_counts_in_the_database_when_redis_refuses_the_connection(articles, monkeypatch):
    refused = redis_py.Redis(port=free_port(), retry=Retry(NoBackoff(), 0))
    monkeypatch.setattr(viewcounts, "client", lambda: refused)
    monkeypatch.setattr(viewcounts, "counter", viewcounts.Counter())
    viewcounts.record(articles[0].pk)
    viewcounts.record(articles[0].pk)  # paused: straight to the database
    assert counts(articles)[0] == 2
    assert not ViewCountDoubt.objects.exists()


def test_a_command_sent_without_an_answer_is_in_doubt_not_failed():
    with server_that_hangs_up() as port:
        hangs_up = redis_py.Redis(port=port, protocol=2, retry=Retry(NoBackoff(), 0))
        with pytest.raises(viewcounts.InDoubt):
            viewcounts._send(hangs_up.connection_pool.make_connection(), ("HINCRBY", "k", 1))
    nobody = redis_py.Redis(port=free_port(), retry=Retry(NoBackoff(), 0))
    with pytest.raises(redis_py.ConnectionError) as refused:
        viewcounts._send(nobody.connection_pool.make_connection(), ("GET", "k"))
    assert not isinstance(refused.value, viewcounts.InDoubt)


@pytest.mark.parametrize("ran", [True, False], ids=["script ran", "script lost"])
@pytest.mark.parametrize("settled_by", ["next view", "flush"])
def test_a_view_in_doubt_is_counted_exactly_once(redis, articles, monkeypatch, ran, settled_by):
    counter = viewcounts.counter
    real_send = viewcounts._send

    def answer_lost(connection, *commands, wait=True):
        if ran:
            real_send(connection, *commands)
        connection.disconnect()
        raise viewcounts.InDoubt("Connection closed by server.")

    monkeypatch.setattr(viewcounts, "_send", answer_lost)
    viewcounts.record(articles[0].pk)
    assert ViewCountDoubt.objects.count() == 1
    monkeypatch.setattr(viewcounts, "_send", real_send)
    counter.down_until = 0  # Redis is back
    if settled_by == "next view":
        viewcounts.record(articles[1].pk)
    viewcounts.flush()
    viewcounts.flush()
    assert counts(articles)[:2] == [1, 1 if settled_by == "next view" else 0]
    assert not ViewCountDoubt.objects.exists()


def test_a_view_whose_answer_never_comes_is_in_doubt(articles, monkeypatch):
    with server_that_hangs_up() as port:
        hangs_up = redis_py.Redis(port=port, protocol=2, retry=Retry(NoBackoff(), 0))
        monkeypatch.setattr(viewcounts, "client", lambda: hangs_up)
        viewcounts.record(articles[0].pk)  # sent; the answer is read at the next view
        viewcounts.record(articles[1].pk)
    doubt = ViewCountDoubt.objects.get()
    assert (doubt.article_id, doubt.number) == (articles[0].pk, 1)
    assert counts(articles)[:2] == [0, 1]  # the second view was counted here, not sent


def test_a_doubt_settled_twice_counts_once(articles):
    doubt = ViewCountDoubt.objects.create(marker="m", number=3, article_id=articles[0].pk)
    viewcounts.settle(doubt, None)
    viewcounts.settle(doubt, None)  # a flush and the process, one after the other
    assert counts(articles)[0] == 1


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def server_that_hangs_up():
    """A server that answers the client's greeting, then reads a HINCRBY and closes the
    connection without answering."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve():
        connection, _ = listener.accept()
        with connection:
            while b"HINCRBY" not in (received := connection.recv(4096)) and received:
                commands = len(re.findall(rb"(?:^|\r\n)\*\d+\r\n", received))
                connection.sendall(b"+OK\r\n" * commands)

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        thread.join(timeout=5)
        listener.close()
