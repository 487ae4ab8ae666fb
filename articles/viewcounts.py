"""浏览量: counted without slowing a page, never counted twice.

``record(request, article_id)`` counts a reader's view. Only a GET counts (never HEAD), and
one client's views of one article count once in each window of the clock
(``PORTAL_VIEW_WINDOW_SECONDS``, 30 minutes by default). The client is known only by a keyed
hash of (address, article, window), kept no longer than the window.

A view waits in this process's memory; a timer sends the views gathered at most once a
second, as one batch, so a request never waits for Redis or the database. With Redis the
batch is one Lua script that adds each view whose hash is new to a pending hash; ``flush()``
(`manage.py flush_view_counts`, every minute) renames that hash to a batch key and adds it
to the articles in a transaction that records the key: overlapping or interrupted flushes
add each batch once. Without Redis (development) the batch goes straight to the database.

Lost, by design: the views of at most the last second of a process that crashes (a normal
exit sends them), and a batch whose sending fails (Redis down): it is dropped and logged
with its number of views, never retried (Redis may have counted it after all, just as a
retry may count twice), and never counted in the database instead.
"""

import atexit
import hashlib
import logging
import os
import threading
import time
import uuid
from collections import Counter
from datetime import timedelta
from functools import cache
from itertools import islice

import redis as redis_py
from django.conf import settings
from django.db import IntegrityError, connections, transaction
from django.db.models import Case, F, IntegerField, Value, When
from django.utils import timezone
from redis.backoff import NoBackoff
from redis.exceptions import ResponseError
from redis.retry import Retry

from portal.security import client_ip

from .models import Article, ViewCountBatch

CHUNK = 500
SEND_SECONDS = 1.0
LOCAL_HASHES = 100_000  # without Redis: the most view hashes a process remembers
# KEYS: the pending hash, then each view's hash; ARGV: the window, then each view's article.
COUNT_SCRIPT = """
local counted = 0
for i = 2, #KEYS do
  if redis.call('SET', KEYS[i], 1, 'NX', 'EX', ARGV[1]) then
    redis.call('HINCRBY', KEYS[1], ARGV[i], 1)
    counted = counted + 1
  end
end
return counted
"""
log = logging.getLogger(__name__)


def _key(name):
    """Keys of this site: the cache's prefix keeps sites sharing one Redis apart."""
    return f"{settings.CACHES['default'].get('KEY_PREFIX', '')}:viewcounts:{name}"


def pending_key():
    return _key("pending")


def batch_prefix():
    return _key("batch:")


def _window():
    return settings.PORTAL_VIEW_WINDOW_SECONDS


@cache
def client():
    """The Redis of the view counts (no automatic retries, see above); None without Redis."""
    if not settings.REDIS_URL:
        return None
    return redis_py.Redis.from_url(
        settings.REDIS_URL,
        socket_timeout=1,
        socket_connect_timeout=1,
        retry=Retry(NoBackoff(), 0),
    )


def record(request, article_id):
    """Count ``request``'s view of ``article_id``: a GET, once per client and window."""
    if request.method != "GET":
        return
    value = f"{client_ip(request)} {article_id} {int(time.time() // _window())}".encode()
    seen = hashlib.blake2b(value, key=_hash_key(), digest_size=16).hexdigest()
    _buffer().add(seen, article_id)


@cache
def _hash_key():
    """The key of the view hashes, from SECRET_KEY: without it an address cannot be tried."""
    return hashlib.blake2b(f"{__name__}:{settings.SECRET_KEY}".encode()).digest()


class Buffer:
    """One process's views not sent yet: {view hash: article id}."""

    def __init__(self, send_every=SEND_SECONDS):
        self.pid = os.getpid()
        self.send_every = send_every  # None: only when told (tests)
        self.lock = threading.Lock()  # what a request waits for: never a network call
        self.sending = threading.Lock()  # one send at a time: exit and flush wait for the timer's
        self.views = {}
        self.timer = None
        self.window, self.seen = None, set()  # without Redis: the hashes of this window

    def add(self, seen, article_id):
        with self.lock:
            if client() is None and not self._first(seen):
                return
            self.views[seen] = article_id
            if self.timer is None and self.send_every is not None:
                self.timer = threading.Timer(self.send_every, self._send_on_timer)
                self.timer.daemon = True
                self.timer.start()

    def _first(self, seen):
        """Without Redis: whether ``seen`` is new in this window (all forgotten as it ends)."""
        window = int(time.time() // _window())
        if window != self.window or len(self.seen) >= LOCAL_HASHES:
            self.window, self.seen = window, set()
        new = seen not in self.seen
        self.seen.add(seen)
        return new

    def _send_on_timer(self):
        try:
            self.send()
        finally:
            connections.close_all()  # the connection this thread opened without Redis

    def send(self):
        """Send the views gathered, in one batch; return how many were counted."""
        with self.sending:
            with self.lock:
                views, self.views = self.views, {}
                if self.timer is not None:
                    self.timer.cancel()  # (a no-op when the timer is what calls)
                    self.timer = None
            return _send(views) if views else 0


def _send(views):
    try:
        redis = client()
        if redis is None:
            return _add(Counter(views.values()))
        keys = [pending_key(), *(_key(f"seen:{seen}") for seen in views)]
        return redis.eval(COUNT_SCRIPT, len(keys), *keys, _window(), *views.values())
    except Exception as error:  # any failure: the views are lost, the reader never knows
        log.warning("%d views not counted: sending them failed (%r)", len(views), error)
        return 0


buffer = Buffer()


def _buffer():
    """This process's buffer; a forked process (a gunicorn worker) starts one of its own."""
    global buffer
    if buffer.pid != os.getpid():
        buffer = Buffer()
    return buffer


@atexit.register
def send():
    """Send this process's views now (as at exit); return how many were counted."""
    return _buffer().send()


def flush():
    """Send this process's views, then add every pending batch, and any a crashed flush left
    behind, to the articles; return how many views were added."""
    sent = send()
    redis = client()
    if redis is None:
        return sent  # added already
    added = sum(_apply(key.decode()) for key in redis.scan_iter(f"{batch_prefix()}*"))
    batch = f"{batch_prefix()}{uuid.uuid4().hex}"
    try:
        redis.rename(pending_key(), batch)
    except ResponseError as error:  # "no such key": no view since the last flush
        if "no such key" not in str(error).lower():
            raise
        return added
    return added + _apply(batch)


def _apply(batch):
    redis = client()
    counts = {int(pk): int(n) for pk, n in redis.hgetall(batch).items()}
    try:
        with transaction.atomic():
            # Claimed first: a second flush applying the same batch fails here and stops.
            ViewCountBatch.objects.create(key=batch, views=sum(counts.values()))
            added = _add(counts)
    except IntegrityError:
        added = 0  # applied before, by this or another flush
    redis.delete(batch)
    return added


def _add(counts):
    """Add ``counts`` ({article id: views}) to the articles, one UPDATE per chunk."""
    with transaction.atomic():
        items = iter(counts.items())
        while chunk := list(islice(items, CHUNK)):
            increment = Case(
                *(When(pk=pk, then=Value(n)) for pk, n in chunk),
                output_field=IntegerField(),
            )
            Article.objects.filter(pk__in=[pk for pk, _ in chunk]).update(
                view_count=F("view_count") + increment
            )
    return sum(counts.values())


def prune(days=30):
    """Forget applied batch keys older than ``days``; their Redis keys are long gone."""
    cutoff = timezone.now() - timedelta(days=days)
    return ViewCountBatch.objects.filter(applied_at__lt=cutoff).delete()[0]
