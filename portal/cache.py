"""Django's Redis cache, made to fail soft: when Redis is down, reads miss and writes are
dropped (logged once per pause), and the site keeps serving pages from the database.

After a failure Redis is left alone for a few seconds, so an unreachable server costs one
timeout per pause instead of one per cache call.
"""

import logging
import os
import threading
import time

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

log = logging.getLogger(__name__)
PAUSE_SECONDS = 5


def _soft(default):
    def wrap(method):
        def call(self, *args, **kwargs):
            if time.monotonic() < self._down_until:
                return default() if callable(default) else default
            try:
                return method(self, *args, **kwargs)
            except RedisError as error:
                self._down_until = time.monotonic() + PAUSE_SECONDS
                log.warning(
                    "Redis cache down (%s); going on without it for %ss", error, PAUSE_SECONDS
                )
                return default() if callable(default) else default

        call.__name__ = method.__name__
        return call

    return wrap


class ReusingRedisCacheClient(RedisCacheClient):
    """Django's client makes a new ``redis.Redis`` object for every cache call, and
    redis-py builds a table of some 300 response callbacks in each one: 0.15 ms, more than
    the round trip itself. One object per connection pool does the same work."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._client(connection_pool=self._get_connection_pool(index))
            self._clients[index] = client
        return client


class ResilientRedisCache(RedisCache):
    _down_until = 0.0

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient
        self._local = threading.local()

    @_soft(dict)
    def get_many_quickly(self, keys):
        """``get_many`` for keys this site makes itself, on the page cache's path (one call
        per request). Django checks every key's characters for memcached and redis-py polls
        a pooled connection's socket at each checkout; together that costs more than the
        round trip. Here: no check, and one connection per thread and process of its own."""
        made = [self.make_key(key) for key in keys]
        connection = self._own_connection()
        try:
            connection.send_command("MGET", *made)
            values = connection.read_response()
        except BaseException:
            connection.disconnect()  # its answer may still come: never reuse it
            raise
        loads = self._cache._serializer.loads
        pairs = zip(keys, values, strict=True)
        return {key: loads(value) for key, value in pairs if value is not None}

    def is_at(self, url):
        """Whether this cache is the one Redis at ``url``."""
        return self._servers == [url]

    def decode(self, raw):
        """A value as Redis holds it (``get_many_quickly`` or a script read it), decoded."""
        return self._cache._serializer.loads(raw)

    def _own_connection(self):
        local = self._local
        if getattr(local, "pid", None) != os.getpid():  # new, or inherited through a fork
            local.pid = os.getpid()
            local.connection = self._cache._get_connection_pool(False).make_connection()
        return local.connection

    @_soft(None)
    def get(self, key, default=None, version=None):
        return super().get(key, default, version)

    @_soft(dict)
    def get_many(self, keys, version=None):
        return super().get_many(keys, version)

    @_soft(False)
    def add(self, key, value, timeout=None, version=None):
        return super().add(key, value, timeout, version)

    @_soft(None)
    def set(self, key, value, timeout=None, version=None):
        return super().set(key, value, timeout, version)

    @_soft(list)
    def set_many(self, data, timeout=None, version=None):
        return super().set_many(data, timeout, version)

    @_soft(False)
    def touch(self, key, timeout=None, version=None):
        return super().touch(key, timeout, version)

    @_soft(False)
    def delete(self, key, version=None):
        return super().delete(key, version)

    @_soft(None)
    def delete_many(self, keys, version=None):
        return super().delete_many(keys, version)

    @_soft(False)
    def has_key(self, key, version=None):
        return super().has_key(key, version)

    @_soft(None)
    def incr(self, key, delta=1, version=None):
        return super().incr(key, delta, version)

    @_soft(False)
    def clear(self):
        return super().clear()
