"""Wake-ups between processes, and outages logged once: shared by the live broker, the page
cache's invalidation listener, the Redis cache and the database error handling.

- `Outage`: something a process depends on (the database, Redis, Pushpin) is unreachable;
  said once when it starts and once when it ends, instead of once per failed attempt.
- `redis_client()`: the process's one synchronous Redis client (REDIS_URL), and
  `delete_keys()`: everything Newsdesk keeps in Redis starts with KEY_PREFIX, and only that
  is ever deleted (the database may be shared with other programs).
- `publish(channel, message)`: wake the other processes, by Redis pub/sub when REDIS_URL is
  set, by PostgreSQL NOTIFY on PostgreSQL, not at all otherwise (they poll).
- `WakeAndPoll`: a loop in the event loop that does its work after every wake-up and, as a
  safety net, on a timer: every POLL_SECONDS without pub/sub (SQLite) or while pub/sub is
  down, every SAFETY_POLL_SECONDS with it, so a lost message delays the work but never loses
  it. The live broker (live/broker.py) and the page cache's listener (pagecache/channel.py)
  are its two users.

It lives in `core` because `core` uses it itself (cache.py, db_errors.py) and `core` depends on
no feature app: what every app needs sits at the bottom. docs/live.md tells the whole story.
"""

import asyncio
import contextlib
import logging
import threading
import time

from django.conf import settings
from django.core.signals import setting_changed
from django.db import connection, connections
from django.dispatch import receiver

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.1
SAFETY_POLL_SECONDS = 5.0
DATABASE_RETRY_SECONDS = 0.5
"""Wait after a failed read while the database is down (a new connection each time)."""
RECONNECT_SECONDS = (0.2, 0.5, 1.0, 2.0)
"""Waits between attempts to reconnect to pub/sub; the last one repeats."""
LISTEN_SECONDS = 1.0
"""Longest wait for one Redis message: how late, at worst, a listener whose cancellation
redis-py lost notices that it was told to stop (`_stop_if_cancelled`)."""
CLOSE_SECONDS = 2.0
"""Longest wait for a Redis subscription to close before the listener ends anyway."""
FALLBACK = f"polling the database every {POLL_SECONDS} s until it is back"


class Outage:
    """Whether `name` (say "Cache: Redis") is reachable, for the code that falls back
    meanwhile, and so that an outage is logged once when it starts and once when it ends.
    Safe to use from any thread."""

    def __init__(self, name, consequence="", log=None, level=logging.WARNING):
        self.name = name
        self.consequence = consequence
        self.logger = log or logger
        self.level = level
        self.lock = threading.Lock()
        self.lost_at = None
        self.failures = 0

    @property
    def up(self):
        return self.lost_at is None

    @property
    def down(self):
        return self.lost_at is not None

    def lost(self, error, consequence=None, where=None):
        """Note a failure; only the first of an outage is logged."""
        with self.lock:
            first = self.lost_at is None
            if first:
                self.lost_at = time.monotonic()
            self.failures += 1
        if first:
            self.logger.log(
                self.level,
                "%s unavailable (%s: %s)%s; %s.",
                self.name,
                type(error).__name__,
                str(error).strip().splitlines()[0] if str(error).strip() else "",
                f", first noticed by {where}" if where else "",
                consequence or self.consequence,
            )

    def restored(self):
        if self.lost_at is None:  # the usual case, without the lock
            return
        with self.lock:
            if self.lost_at is None:
                return
            seconds, failures = time.monotonic() - self.lost_at, self.failures
            self.lost_at, self.failures = None, 0
        self.logger.warning(
            "%s back after %.1f s; %d failure(s) meanwhile.", self.name, seconds, failures
        )


# --- Redis and PostgreSQL -------------------------------------------------------------------


def pubsub_kind():
    """ "redis", "postgresql" or None (SQLite without Redis: other processes poll)."""
    if settings.REDIS_URL:
        return "redis"
    if connection.vendor == "postgresql":
        return "postgresql"
    return None


KEY_PREFIX = "newsdesk:"
"""Of every Redis key Newsdesk writes: newsdesk:cache:* is Django's cache (settings.py),
newsdesk:pagecache:* the page cache's shared store. Pub/sub channels are not keys (and not in
any database: Redis delivers a message to subscribers on every database number)."""
DELETE_BATCH = 500

_redis = None


def redis_client():
    """The process's synchronous Redis client (connections are pooled inside it)."""
    global _redis
    if _redis is None:
        import redis

        _redis = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2
        )
    return _redis


def delete_keys(pattern=KEY_PREFIX + "*", client=None):
    """Delete the keys matching `pattern` (all of Newsdesk's by default) through `client`
    (REDIS_URL's by default), a batch at a time, without blocking Redis: SCAN finds them and
    UNLINK frees them in the background. Not FLUSHDB, which would empty the database of
    everything else kept there. Returns the number deleted."""
    if not pattern.startswith(KEY_PREFIX):
        raise ValueError(f"Only Newsdesk's keys ({KEY_PREFIX}*) are deleted, not {pattern!r}")
    client, batch, deleted = client or redis_client(), [], 0
    for key in client.scan_iter(match=pattern, count=DELETE_BATCH):
        batch.append(key)
        if len(batch) == DELETE_BATCH:
            deleted += client.unlink(*batch)
            batch = []
    if batch:
        deleted += client.unlink(*batch)
    return deleted


@receiver(setting_changed)
def _forget_client(setting, **kwargs):
    global _redis
    if setting == "REDIS_URL":
        _redis = None


def publish(channel, message, outage):
    """Wake the other processes listening on `channel`; `outage` logs a failure once. Called
    after the change has committed: if this fails, they still see it at their next poll."""
    kind = pubsub_kind()
    try:
        if kind == "redis":
            redis_client().publish(channel, message)
        elif kind == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_notify(%s, %s)", [channel, message])
    except Exception as error:
        outage.lost(error)
    else:
        outage.restored()


# --- the wake-and-poll loop -------------------------------------------------------------------


class WakeAndPoll:
    """Runs `work()` in the event loop after every wake-up on `channel` (pub/sub from other
    processes, or `wake()` from any thread of this one), and at least every poll interval.

    Subclasses define `async work()`. An exception from it is logged (a database outage once
    per outage) and the work is tried again after DATABASE_RETRY_SECONDS or the interval.
    """

    channel = None
    label = None  # "Live", "Page cache": the start of the log lines
    where = None  # for the database outage's "first noticed by"

    def __init__(self, log=None):
        self.log = log or logger
        self.loop = None
        self.wake_event = None
        self.kind = None
        self.tasks = []
        self.link = Outage(f"{self.label}: pub/sub", FALLBACK, self.log)

    async def work(self):
        raise NotImplementedError

    def start(self):
        """Start in the running event loop, unless running there already; True if started."""
        loop = asyncio.get_running_loop()
        if self.loop is loop:
            return False
        self.loop = loop
        self.wake_event = asyncio.Event()
        self.kind = pubsub_kind()
        self.tasks = [loop.create_task(self._run())]
        if self.kind == "redis":
            self.tasks.append(loop.create_task(self._listen_redis()))
        elif self.kind == "postgresql":
            self.tasks.append(loop.create_task(self._listen_postgresql()))
        return True

    def wake(self):
        """From any thread: do the work now."""
        loop, event = self.loop, self.wake_event
        if loop is not None and event is not None and not loop.is_closed():
            loop.call_soon_threadsafe(event.set)

    def poll_interval(self):
        """Seconds between runs without a wake-up: short with no pub/sub, or while pub/sub is
        down, so a restart of Redis delays the work by POLL_SECONDS at most."""
        return SAFETY_POLL_SECONDS if self.kind and self.link.up else POLL_SECONDS

    async def _run(self):
        # Imported here: db_errors builds its Outage from this module.
        from newsdesk.core.db_errors import is_database_unavailable, outage

        while True:
            interval = self.poll_interval()
            try:
                await self.work()
            except Exception as error:
                if not is_database_unavailable(error):
                    self.log.exception("%s: reading for %s failed", self.label, self.where)
                else:  # logged once per outage; the work catches up once it is back
                    outage.lost(error, where=self.where)
                    interval = DATABASE_RETRY_SECONDS
            await wait_for_event(self.wake_event, interval)
            self.wake_event.clear()

    async def _listen_redis(self):
        self.link.name = f"{self.label}: Redis pub/sub"
        await wake_on_redis(self.channel, self.wake_event, self.link)

    async def _listen_postgresql(self):
        self.link.name = f"{self.label}: PostgreSQL LISTEN"
        await wake_on_postgresql(self.channel, self.wake_event, self.link)


async def wait_for_event(event, seconds):
    """Until `event` is set or `seconds` have passed. Not asyncio.wait_for: on Python 3.11 it
    loses a cancellation that arrives just as the event is set (CPython issue 86296), and the
    loop around it then ran for ever, holding up asyncio.run's shutdown (a test hung 300 s)."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await event.wait()


def _stop_if_cancelled():
    """Raise a cancellation that redis-py lost. It sends each command through asyncio.wait_for,
    which on Python 3.11 returns normally when the cancellation arrives just after the send
    (CPython issue 86296); the listener then subscribed and listened for ever. The task still
    counts the request (Task.cancelling), so it is honoured here, after every call to redis-py."""
    if asyncio.current_task().cancelling():
        raise asyncio.CancelledError


async def _reconnect(attempt, wake_event, link, error):
    """After a lost or failed pub/sub connection: say so once, wake the loop so that it
    starts polling now, and wait a little longer each time before the next attempt."""
    link.lost(error)
    wake_event.set()
    await asyncio.sleep(RECONNECT_SECONDS[min(attempt, len(RECONNECT_SECONDS) - 1)])


async def wake_on_redis(channel, wake_event, link):
    """Set `wake_event` on every message published to `channel`, reconnecting for ever;
    `link.up` says whether it is connected.

    A cancelled listener ends even when redis-py loses the cancellation: every wait inside
    redis-py is bounded (2 s while connecting and subscribing, LISTEN_SECONDS while listening)
    and followed by a check, and the close by CLOSE_SECONDS."""
    import redis.asyncio as redis

    attempt = 0
    while True:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2
        )
        pubsub = client.pubsub()
        try:
            await pubsub.subscribe(channel)
            _stop_if_cancelled()
            link.restored()
            attempt = 0
            wake_event.set()  # what was published while we were away is read now
            while pubsub.subscribed:
                message = await pubsub.get_message(timeout=LISTEN_SECONDS)
                _stop_if_cancelled()
                if message is not None and message["type"] == "message":
                    wake_event.set()
            raise ConnectionError("the subscription ended")
        except Exception as error:
            _stop_if_cancelled()  # lost before the attempt failed
            await _reconnect(attempt, wake_event, link, error)
            attempt += 1
        finally:
            await _close_redis(pubsub, client)


async def _close_redis(pubsub, client):
    """Close the subscription and its client, waiting CLOSE_SECONDS at most. The close runs in
    a task of its own awaited with asyncio.wait, which, unlike asyncio.wait_for, neither waits
    for a close that overran to finish cancelling nor loses the listener's own cancellation."""

    async def close():
        await pubsub.aclose()
        await client.aclose()

    closing = asyncio.create_task(close())
    await asyncio.wait({closing}, timeout=CLOSE_SECONDS)
    if not closing.done():
        closing.cancel()
        logger.warning("Closing a Redis subscription took over %s s; left behind", CLOSE_SECONDS)
    elif not closing.cancelled() and closing.exception() is not None:
        logger.info("Closing a Redis subscription failed: %r", closing.exception())


async def wake_on_postgresql(channel, wake_event, link):
    """Set `wake_event` on every NOTIFY on `channel`, reconnecting for ever."""
    import psycopg

    conninfo = _postgresql_conninfo()
    attempt = 0
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(
                **conninfo, autocommit=True, connect_timeout=5
            ) as listener:
                await listener.execute(f"LISTEN {channel}")
                link.restored()
                attempt = 0
                wake_event.set()
                async for _ in listener.notifies():
                    wake_event.set()
            raise ConnectionError("the notifications ended")
        except Exception as error:
            await _reconnect(attempt, wake_event, link, error)
            attempt += 1


def _postgresql_conninfo():
    params = connections["default"].get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.pop("prepare_threshold", None)
    return params
