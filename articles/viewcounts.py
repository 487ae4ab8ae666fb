"""浏览量 without a database write on the request path.

With Redis (production), each view is one HINCRBY on a shared hash. ``flush()`` — run by
`manage.py flush_view_counts` from a timer — renames that hash to a batch key (atomic:
later views start a new hash, and two flushes can never take the same one), adds the batch
to the articles in one transaction that also records the batch's key, then deletes the key.
A flush that dies half-way leaves the batch key behind; the next flush finds it, sees from
the recorded key whether it was applied, and applies it or just deletes it. So no view is
lost or counted twice, whatever overlaps.

Without Redis (development on SQLite), or while Redis does not answer, a view is counted
at once with an UPDATE … + 1.
"""

import logging
import time
import uuid
from datetime import timedelta
from itertools import islice

from django.db import IntegrityError, transaction
from django.db.models import Case, F, IntegerField, Value, When
from django.utils import timezone
from redis.exceptions import RedisError, ResponseError

from portal.redis import client

from .models import Article, ViewCountBatch

PENDING = "viewcounts:pending"
BATCH_PREFIX = "viewcounts:batch:"
CHUNK = 500
log = logging.getLogger(__name__)


def record(article_id):
    """Count one view of ``article_id``."""
    redis = client()
    if redis is not None:
        try:
            redis.hincrby(PENDING, str(article_id), 1)
            return
        except RedisError as error:
            # Counted in the database instead: slower, but no view is lost while Redis is down.
            _warn_once_a_minute(error)
    Article.objects.filter(pk=article_id).update(view_count=F("view_count") + 1)


_last_warning = 0.0


def _warn_once_a_minute(error):
    global _last_warning
    now = time.monotonic()
    if now - _last_warning >= 60:
        _last_warning = now
        log.warning("Redis unavailable (%s): views are counted in the database meanwhile", error)


def flush():
    """Apply every pending and left-over batch; return how many views were added."""
    redis = client()
    if redis is None:
        return 0
    added = sum(_apply(key.decode()) for key in redis.scan_iter(f"{BATCH_PREFIX}*"))
    batch = f"{BATCH_PREFIX}{uuid.uuid4().hex}"
    try:
        redis.rename(PENDING, batch)
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
