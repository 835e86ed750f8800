"""The shared store in Redis (REDIS_URL): one copy of each page for every server process.

Each process still answers hits from its own in-process store (store.py); Redis is where a
process looks on a local miss before rendering, so N processes render a page once, not N
times. Stale writes are refused atomically: a render reads the shared generation before it
starts, and its entry is written only if no invalidation bumped the generation meanwhile.
"""

import logging
import pickle

from django.conf import settings

from newsdesk.core.pubsub import KEY_PREFIX, Outage, delete_keys, redis_client
from newsdesk.pagecache.store import LIFETIME_SECONDS, expand

PREFIX = KEY_PREFIX + "pagecache:"
GENERATION = PREFIX + "generation"

# KEYS: generation, entry key, tag sets...  ARGV: generation read, entry bytes, lifetime
_PUT = """
if (redis.call('GET', KEYS[1]) or '0') ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
for i = 3, #KEYS do
  redis.call('SADD', KEYS[i], KEYS[2])
  redis.call('EXPIRE', KEYS[i], ARGV[3])
end
return 1
"""

# KEYS: generation, tag sets...  Returns the entry keys it deleted.
_INVALIDATE = """
redis.call('INCR', KEYS[1])
local dropped = {}
for i = 2, #KEYS do
  local members = redis.call('SMEMBERS', KEYS[i])
  for _, key in ipairs(members) do
    redis.call('DEL', key)
    table.insert(dropped, key)
  end
  redis.call('DEL', KEYS[i])
end
return dropped
"""

link = Outage("Page cache: the shared store in Redis", log=logging.getLogger(__name__))
"""Up or down, for logging an outage once (app.py and actions.py use it)."""
_missed = False
"""An invalidation could not reach Redis (down or restarting): entries there may be stale."""


def enabled():
    return bool(settings.REDIS_URL)


def client():
    return redis_client()


def _entry_key(key):
    return f"{PREFIX}e:{key}"


def _tag_key(tag):
    return f"{PREFIX}t:{tag}"


def missed_invalidation():
    """Called when `invalidate` failed: the next call that reaches Redis drops every entry."""
    global _missed
    _missed = True


def _catch_up():
    """After a missed invalidation, drop every shared entry before trusting any (a Redis that
    restarted empty has none; one that was only unreachable may hold pages changed since)."""
    global _missed
    if _missed:
        clear()
        client().incr(GENERATION)  # renders that started before now must not store
        _missed = False


def lookup(key):
    """(the shared generation, the stored entry or None)."""
    _catch_up()
    generation, data = client().mget([GENERATION, _entry_key(key)])
    return int(generation or 0), (pickle.loads(data) if data else None)  # noqa: S301 (our own Redis)


def put(entry, generation):
    """Store unless an invalidation happened since `generation` was read; True if stored."""
    _catch_up()
    keys = [GENERATION, _entry_key(entry.key), *(_tag_key(tag) for tag in entry.tags)]
    data = pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL)
    return bool(client().eval(_PUT, len(keys), *keys, generation, data, int(LIFETIME_SECONDS)))


def invalidate(tags):
    """Delete every shared entry carrying one of the tags; returns their cache keys."""
    _catch_up()
    keys = [GENERATION, *(_tag_key(tag) for tag in sorted(expand(tags)))]
    dropped = client().eval(_INVALIDATE, len(keys), *keys)
    prefix = len(_entry_key(""))
    return {key.decode()[prefix:] for key in dropped}


def clear():
    """Drop every shared entry (tests, and `invalidate("*")` is not a thing: use this)."""
    delete_keys(PREFIX + "*")
