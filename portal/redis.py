"""The shared Redis connection for what Django's cache API cannot do atomically
(counters that must be renamed and drained). None when REDIS_URL is not set."""

from functools import cache

import redis
from django.conf import settings


@cache
def client():
    if not settings.REDIS_URL:
        return None
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
