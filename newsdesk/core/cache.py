"""Django's Redis cache, but a Redis that is down or restarting counts as a miss.

Wagtail keeps its site root paths in the default cache and asks for them whenever it builds
a page URL, so with Django's own RedisCache a Redis restart made every render fail: pages,
the desk, the posting API (its rate limit is in the cache too) and the live broker, which
renders each update for readers. Nothing in the cache is the only copy of anything, so while
Redis is unreachable reads miss, writes are dropped and the posting API's rate limit lets
requests through; it is logged once when Redis goes away and once when it is back.

`clear()` deletes this cache's keys (KEY_PREFIX, newsdesk:cache:*) only: Django's RedisCache
empties the whole database (FLUSHDB), with the page cache's shared store and whatever else
shares it.
"""

import functools
import logging

import redis
from django.core.cache.backends.redis import RedisCache

from newsdesk.core.pubsub import Outage, delete_keys

link = Outage(
    "Cache: Redis",
    "reads miss and writes are dropped until it is back",
    logging.getLogger(__name__),
)


def _missing(key):
    raise ValueError(f"Key '{key}' not found")


def _forgiving(name, fallback):
    method = getattr(RedisCache, name)

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            result = method(self, *args, **kwargs)
        except redis.RedisError as error:
            link.lost(error)
            return fallback(*args, **kwargs)
        link.restored()
        return result

    return wrapper


def _default(key, default=None, *args, **kwargs):
    return default


class ForgivingRedisCache(RedisCache):
    get = _forgiving("get", _default)
    get_many = _forgiving("get_many", lambda *args, **kwargs: {})
    has_key = _forgiving("has_key", lambda *args, **kwargs: False)
    add = _forgiving("add", lambda *args, **kwargs: False)
    set = _forgiving("set", lambda *args, **kwargs: None)
    set_many = _forgiving("set_many", lambda keys, *args, **kwargs: list(keys))
    touch = _forgiving("touch", lambda *args, **kwargs: False)
    delete = _forgiving("delete", lambda *args, **kwargs: False)
    delete_many = _forgiving("delete_many", lambda *args, **kwargs: None)
    # As for a key that is not there: callers already handle that (a counter starts again).
    incr = _forgiving("incr", lambda key, *args, **kwargs: _missing(key))

    def clear(self):
        """Delete this cache's keys only (not FLUSHDB); False while Redis is down."""
        try:
            delete_keys(f"{self.key_prefix}:*", self._cache.get_client(write=True))
        except redis.RedisError as error:
            link.lost(error)
            return False
        link.restored()
        return True
