"""Buffered view counts: exact under concurrent views and overlapping or interrupted flushes.

Runs against the real Redis when REDIS_URL is set (CI's second pass), else against
fakeredis, so the buffer's logic is exercised in every run.
"""

import threading
import uuid

import fakeredis
import pytest
from django.conf import settings
from django.db import connection

from articles import viewcounts
from articles.models import Article, ViewCountBatch
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def redis(monkeypatch):
    from portal.redis import client

    real = client()
    server = real if settings.REDIS_URL else fakeredis.FakeRedis()
    server.delete(viewcounts.PENDING, *server.keys(f"{viewcounts.BATCH_PREFIX}*"))
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
    assert int(redis.hget(viewcounts.PENDING, str(articles[0].pk))) == 1


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
    left_behind = f"{viewcounts.BATCH_PREFIX}{uuid.uuid4().hex}"
    redis.rename(viewcounts.PENDING, left_behind)  # crashed right after taking the batch
    assert viewcounts.flush() == 5
    assert viewcounts.flush() == 0
    assert counts(articles)[0] == 5


def test_a_batch_applied_but_not_deleted_is_not_added_again(redis, articles):
    for _ in range(4):
        viewcounts.record(articles[1].pk)
    batch = f"{viewcounts.BATCH_PREFIX}{uuid.uuid4().hex}"
    redis.rename(viewcounts.PENDING, batch)
    viewcounts._apply(batch)
    redis.hset(batch, str(articles[1].pk), 4)  # as if the delete after the commit was lost
    assert viewcounts.flush() == 0
    assert counts(articles)[1] == 4
    assert ViewCountBatch.objects.filter(key=batch).count() == 1


def test_views_of_a_deleted_article_are_dropped_quietly(redis, articles):
    viewcounts.record(articles[2].pk)
    Article.objects.filter(pk=articles[2].pk).delete()
    assert viewcounts.flush() == 1
    assert not redis.exists(viewcounts.PENDING)


def test_flush_command_reports_what_it_did(redis, articles):
    from io import StringIO

    from django.core.management import call_command

    viewcounts.record(articles[0].pk)
    out = StringIO()
    call_command("flush_view_counts", stdout=out)
    assert "写入浏览量 1 次" in out.getvalue()
