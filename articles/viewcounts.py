"""浏览量 without a database write on the request path, exact whatever fails.

With Redis (production), each view is one small script on Redis (one command, atomic): add
1 to the article in a shared hash, and note the view's number under this process's marker.
``flush()`` — run by `manage.py flush_view_counts` from a timer — renames that hash to a
batch key (atomic: later views start a new hash, and two flushes can never take the same
one), adds the batch to the articles in one transaction that also records the batch's key,
then deletes the key. A flush that dies half-way leaves the batch key behind; the next flush
finds it, sees from the recorded key whether it was applied, and applies it or just deletes
it.

When Redis cannot be reached, a view is counted in the database instead (an UPDATE … + 1),
and Redis is left alone for a few seconds. That is exact only if the view surely did not
run, so the two failures are told apart:

- no connection could be made: nothing was sent, the database counts the view;
- the connection broke after the script was sent (Redis stopped in between): it may or may
  not have run. The view is written down as in doubt (``ViewCountDoubt``) and this process
  sends nothing more until the doubt is settled — by the process itself at its next view,
  or by the next flush if the process is gone. Settling reads the process's marker: if it
  holds the view's number it ran, else the database counts the view. Whoever
  deletes the doubt's row settles it, so it is settled once.

No retries: a view sent twice would count twice.

A cached article page is counted in the command that fetches it (``Counter.lookup``, used
by portal/pagecache.py when the page cache and the counts share one Redis): a second
command per view cost a cached article a sixth of its speed. The page cache leaves a note
beside each stored article page, "<content version> <article id>"; the lookup script counts
the view when that note is of the current content version and no scheduled change is due,
exactly when the page cache will serve the stored copy. The request then carries what the
lookup did (``request.view_lookup``): ``record()`` does not count again a view the lookup
counted, and when the lookup's answer was lost, the request's article view becomes a doubt,
settled from the marker as above. Only if the page was dropped from Redis while its note
stayed and the database failed at that moment is a view counted that the reader did not get.
"""

import contextlib
import hashlib
import logging
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from itertools import islice

import redis as redis_py
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case, F, IntegerField, Value, When
from django.utils import timezone
from redis.backoff import NoBackoff
from redis.exceptions import NoScriptError, RedisError, ResponseError
from redis.retry import Retry

from .models import Article, ViewCountBatch, ViewCountDoubt

CHUNK = 500
PAUSE_SECONDS = 5
MARKER_SECONDS = 7 * 24 * 3600  # far longer than any doubt waits for a flush
# KEYS: the pending hash, the process's marker; ARGV: article id, view number, marker expiry.
COUNT_SCRIPT = """
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
"""
# Sent right behind the page cache's MGET of the page, in the same packet.
# KEYS: content version, next scheduled change, page, the page's note, pending hash, marker;
# ARGV: view number, marker expiry, now (ms). Answers the id of the article it counted.
LOOKUP_SCRIPT = """
local version = redis.call('GET', KEYS[1])
local note = redis.call('GET', KEYS[4])
if not (version and note and redis.call('EXISTS', KEYS[3]) == 1) then return false end
local noted, article = string.match(note, '^(%d+) (%d+)$')
local due = tonumber(redis.call('GET', KEYS[2]))
if noted ~= version or (due and due <= tonumber(ARGV[3])) then return false end
redis.call('HINCRBY', KEYS[5], article, 1)
redis.call('SET', KEYS[6], ARGV[1], 'EX', ARGV[2])
return article
"""
# Redis names a loaded script by its SHA-1.
LOOKUP_SHA = hashlib.sha1(LOOKUP_SCRIPT.encode(), usedforsecurity=False).hexdigest()
log = logging.getLogger(__name__)


def _key(name):
    """Keys of this site: the cache's prefix keeps sites sharing one Redis apart."""
    return f"{settings.CACHES['default'].get('KEY_PREFIX', '')}:viewcounts:{name}"


def pending_key():
    return _key("pending")


def batch_prefix():
    return _key("batch:")


def note_key(page_key):
    return _key(f"note:{page_key}")


@dataclass
class Lookup:
    """What ``Counter.lookup`` did for one request."""

    values: list  # the raw values of the keys asked for (None where absent)
    counted: int | None = None  # the article whose view it counted
    in_doubt: int | None = None  # the view number sent when the answer was lost


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


class InDoubt(RedisError):
    """Sent, but no answer: the command may or may not have run."""


def _send(connection, *commands, wait=True):
    """Send ``commands`` together on ``connection`` and return their answers (``wait``), or
    leave the answers to ``_answers``. ``InDoubt`` when the connection broke after anything
    was sent; a failure to connect (nothing sent) raises the plain ``RedisError``."""
    connection.connect()  # a no-op when connected; raises before anything is sent
    try:
        connection.send_packed_command(connection.pack_commands(commands))
    except RedisError as error:
        connection.disconnect()
        raise InDoubt(str(error)) from error
    return _answers(connection, len(commands)) if wait else None


def _answers(connection, count):
    try:
        return [connection.read_response() for _ in range(count)]
    except ResponseError:
        raise
    except RedisError as error:
        connection.disconnect()
        raise InDoubt(str(error)) from error


class Counter:
    """This process's side of the counting: its marker, its view numbers, its doubt."""

    def __init__(self):
        self.lock = threading.Lock()
        self.pid = None
        self.unanswered = None  # (number, article) of the last view, its answer not read
        self.lookup_in_doubt = None  # a lookup whose answer was lost, its request still running
        self.down_until = 0.0

    def _this_process(self, redis):
        if self.pid != os.getpid():  # a new process (fork): a marker of its own
            self.pid = os.getpid()
            self.marker = _key(f"marker:{socket.gethostname()}:{self.pid}:{uuid.uuid4().hex}")
            self.number = 0
            self.doubt = None
            self.unanswered = None
            self.redis = None
        if self.redis is not redis:
            # A connection of its own, outside the pool: no checkout and health poll per view.
            self.redis = redis
            self.connection = redis.connection_pool.make_connection()
            self.unanswered = None  # (only tests swap servers) its answer went with the old one

    def record(self, article_id):
        redis = client()
        if redis is None:
            return _count_in_database(article_id)
        with self.lock:
            self._this_process(redis)
            if not self._may_send():
                return _count_in_database(article_id)
            try:
                self._settle_own()
                self.number += 1
                keys = (pending_key(), self.marker)
                arguments = (article_id, self.number, MARKER_SECONDS)
                # Not waiting for the answer: the reader's page need not wait for Redis. It is
                # read before this connection is used again, or by a flush in this process.
                _send(
                    self.connection,
                    ("EVAL", COUNT_SCRIPT, len(keys), *keys, *arguments),
                    wait=False,
                )
                self.unanswered = (self.number, article_id)
            except InDoubt as error:
                self._pause(error)
                if self.doubt is None:  # the view was sent (not a settling GET)
                    self.doubt = ViewCountDoubt.objects.create(
                        marker=self.marker, number=self.number, article_id=article_id
                    )
                    return None
                return _count_in_database(article_id)
            except RedisError as error:  # nothing was sent
                self._pause(error)
                return _count_in_database(article_id)
        return None

    def lookup(self, keys, page_key, now_ms):
        """MGET the page cache's ``keys`` (made keys: version, next change, page) and count
        the view if the page is a current article page, in one round trip. None when Redis
        is not to be used now; the caller then fetches and counts as usual."""
        redis = client()
        with self.lock:
            self._this_process(redis)
            if not self._may_send():
                return None
            try:
                self._settle_own()
                self.number += 1
                script_keys = (*keys, note_key(page_key), pending_key(), self.marker)
                count = (len(script_keys), *script_keys, self.number, MARKER_SECONDS, now_ms)
                try:
                    values, counted = _send(
                        self.connection, ("MGET", *keys), ("EVALSHA", LOOKUP_SHA, *count)
                    )
                except NoScriptError:  # a Redis that has not seen the script yet: it did not run
                    values = _send(self.connection, ("MGET", *keys))[0]
                    counted = _send(self.connection, ("EVAL", LOOKUP_SCRIPT, *count))[0]
            except InDoubt as error:
                self._pause(error)
                if self.doubt is not None:  # settling failed; the lookup was not sent
                    return None
                # It may have counted a view: if the request turns out to be one, it is a
                # doubt (``claim``); nothing else is sent until the request ends.
                self.lookup_in_doubt = self.number
                return Lookup([None] * len(keys), in_doubt=self.number)
            except RedisError as error:
                self._pause(error)
                return None
        return Lookup(values, counted=int(counted) if counted else None)

    def claim(self, lookup, article_id):
        """The request of a lookup in doubt was a view of ``article_id``: a doubt to settle."""
        with self.lock:
            if self.lookup_in_doubt != lookup.in_doubt or self.pid != os.getpid():
                return _count_in_database(article_id)  # (not this process's lookup)
            self.doubt = ViewCountDoubt.objects.create(
                marker=self.marker, number=lookup.in_doubt, article_id=article_id
            )
            self.lookup_in_doubt = lookup.in_doubt = None

    def done(self, lookup):
        """The request of a lookup in doubt ended without a view: nothing was counted."""
        with self.lock:
            if self.lookup_in_doubt == lookup.in_doubt:
                self.lookup_in_doubt = lookup.in_doubt = None

    def _may_send(self):
        return time.monotonic() >= self.down_until and self.lookup_in_doubt is None

    def _settle_own(self):
        """Read the last view's answer and settle this process's doubt, before sending."""
        self._collect()
        if self.doubt is not None:
            settle(self.doubt, _send(self.connection, ("GET", self.marker))[0])
            self.doubt = None

    def collect(self):
        """Read the last view's answer, if this process sent one (before reading Redis)."""
        with self.lock:
            try:
                self._collect()
            except RedisError as error:
                self._pause(error)

    def _collect(self):
        if self.unanswered is None or self.pid != os.getpid():
            return
        number, article_id = self.unanswered
        self.unanswered = None
        try:
            _answers(self.connection, 1)
        except InDoubt as error:  # the view may or may not have been counted
            self.doubt = ViewCountDoubt.objects.create(
                marker=self.marker, number=number, article_id=article_id
            )
            raise RedisError(f"answer lost: {error}") from error

    def _pause(self, error):
        self.down_until = time.monotonic() + PAUSE_SECONDS
        log.warning("Redis unavailable (%s): views go to the database for a while", error)


counter = Counter()


def record(article_id, request=None):
    """Count one view of ``article_id`` (served for ``request``, whose page cache lookup may
    have counted it already)."""
    lookup = getattr(request, "view_lookup", None)
    if lookup is not None and lookup.counted == article_id:
        return None
    if lookup is not None and lookup.in_doubt is not None:
        return counter.claim(lookup, article_id)
    return counter.record(article_id)


def note_page(page_key, version, article_id, timeout):
    """Beside a stored page that counts views: the note ``Counter.lookup`` reads."""
    if time.monotonic() < counter.down_until:
        return  # Redis failed a moment ago; the page's views are counted apart meanwhile
    with contextlib.suppress(RedisError):  # without it the page's views are counted apart
        client().set(note_key(page_key), f"{version} {article_id}", ex=timeout)


def _count_in_database(article_id):
    Article.objects.filter(pk=article_id).update(view_count=F("view_count") + 1)


def settle(doubt, marker_value):
    """The doubt's view ran on Redis if the marker holds its number; if not, count it here.
    Only the caller that deletes the doubt's row counts anything."""
    ran = marker_value is not None and int(marker_value) == doubt.number
    with transaction.atomic():
        deleted, _ = ViewCountDoubt.objects.filter(pk=doubt.pk).delete()
        if deleted and not ran:
            _count_in_database(doubt.article_id)


def flush():
    """Settle doubts, apply every pending and left-over batch; return how many views were
    added from batches."""
    redis = client()
    if redis is None:
        return 0
    counter.collect()  # this process's last view, before its batch is taken
    for doubt in ViewCountDoubt.objects.all():
        settle(doubt, redis.get(doubt.marker))
    added = sum(_apply(key.decode()) for key in redis.scan_iter(f"{batch_prefix()}*"))
    batch = f"{batch_prefix()}{uuid.uuid4().hex}"
    try:
        redis.rename(pending_key(), batch)
    except ResponseError as error:  # "no such key": nobody read anything since the last flush
        if "no such key" not in str(error).lower():
            raise
        return added
    return added + _apply(batch)


def _apply(batch):
    redis = client()
    counts = {int(pk): int(n) for pk, n in redis.hgetall(batch).items()}
    total = sum(counts.values())
    try:
        with transaction.atomic():
            # Claimed first: a second flush applying the same batch fails here and stops.
            ViewCountBatch.objects.create(key=batch, views=total)
            items = iter(counts.items())
            while chunk := list(islice(items, CHUNK)):
                increment = Case(
                    *(When(pk=pk, then=Value(n)) for pk, n in chunk),
                    output_field=IntegerField(),
                )
                Article.objects.filter(pk__in=[pk for pk, _ in chunk]).update(
                    view_count=F("view_count") + increment
                )
    except IntegrityError:
        total = 0  # applied before, by this or another flush
    redis.delete(batch)
    return total


def prune(days=30):
    """Forget applied batch keys older than ``days``; their Redis keys are long gone."""
    cutoff = timezone.now() - timedelta(days=days)
    return ViewCountBatch.objects.filter(applied_at__lt=cutoff).delete()[0]
