"""Fan-out of live changes to the streams open in this process.

The database is the truth; this module only decides *when* to look at it. Each process keeps
one position per feed that has readers, and on every wake-up asks the database, in one query
per changed feed, for what came after that position, renders it once and hands it to every
local stream. Wake-ups come from:

- this process, right after a change commits (`notify`);
- other processes, through Redis pub/sub (when REDIS_URL is set) or PostgreSQL LISTEN/NOTIFY;
- a timer: every POLL_SECONDS without pub/sub, every SAFETY_POLL_SECONDS with it, so a lost
  notification delays an update but never loses it. While the pub/sub connection is down
  (Redis or PostgreSQL restarting), every POLL_SECONDS again, until it is back.

While the database is down, streams stay open (sending heartbeats) and the loop keeps
trying; the first read that works delivers everything after each feed's position, so open
streams miss nothing. Outages are logged once when they start and once when they end.

docs/live.md tells the whole story.
"""

import asyncio
import contextlib
import logging
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection, connections

from newsdesk.core.db_errors import is_database_unavailable, outage
from newsdesk.live.rounds import Rounds

logger = logging.getLogger(__name__)

CHANNEL = "newsdesk_live"
POLL_SECONDS = 0.1
SAFETY_POLL_SECONDS = 5.0
LAG_LIMIT = 500
"""A stream that has this many undelivered events is cut off; the browser reconnects and
resumes from the database with Last-Event-ID."""

RESYNC = object()
RECONNECT_SECONDS = (0.2, 0.5, 1.0, 2.0)
"""Waits between attempts to reconnect to pub/sub; the last one repeats."""
DATABASE_RETRY_SECONDS = 0.5
"""Wait after a failed read while the database is down (a new connection each time)."""
LISTEN_SECONDS = 1.0
"""Longest wait for one Redis message: how late, at worst, a listener whose cancellation
redis-py lost notices that it was told to stop (`_stop_if_cancelled`)."""
CLOSE_SECONDS = 2.0
"""Longest wait for a Redis subscription to close before the listener ends anyway."""


class Link:
    """Whether a connection to Redis or PostgreSQL is up, for the code that falls back to
    polling meanwhile, and so that an outage is logged once when it starts and once when it
    ends instead of once per attempt."""

    def __init__(self, label, what, log=None):
        self.label, self.what = label, what
        self.logger = log or logger
        self.up = True
        self.lost_at = None

    def lost(self, error, consequence):
        if self.up:
            self.up = False
            self.lost_at = time.monotonic()
            self.logger.warning(
                "%s: %s unavailable (%s: %s); %s.",
                self.label,
                self.what,
                type(error).__name__,
                str(error).strip().splitlines()[0] if str(error).strip() else "",
                consequence,
            )

    def restored(self):
        if not self.up:
            self.up = True
            self.logger.warning(
                "%s: %s back after %.1f s.",
                self.label,
                self.what,
                time.monotonic() - self.lost_at,
            )


def pubsub_kind():
    if settings.REDIS_URL:
        return "redis"
    if connection.vendor == "postgresql":
        return "postgresql"
    return None


class Broker:
    def __init__(self):
        self.loop = None
        self.wake_event = None
        self.subscribers = defaultdict(set)
        self.positions = {}
        self.tasks = []
        self.lock = threading.Lock()
        self.link = Link("Live", "pub/sub")
        # The fan-out's reads have a thread of their own: on the shared pool they waited
        # behind every reconnecting reader's catch-up, and so did every reader's next update.
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="live-fan-out")
        self.first_positions = Rounds(_last_sequence)

    # --- used by streams, in the event loop ------------------------------------------------

    async def subscribe(self, feed_id):
        """A queue of this feed's changes, and the position from which the queue is complete."""
        self._start()
        if feed_id not in self.positions:
            # A crowd arriving on a feed with no readers here yet shares one read.
            last = await self.first_positions.get((feed_id,))
            self.positions.setdefault(feed_id, last)
        queue = asyncio.Queue()
        self.subscribers[feed_id].add(queue)
        return queue, self.positions[feed_id]

    def unsubscribe(self, feed_id, queue):
        readers = self.subscribers.get(feed_id)
        if readers is None:
            return
        readers.discard(queue)
        if not readers:
            del self.subscribers[feed_id]
            self.positions.pop(feed_id, None)

    def reader_count(self):
        return sum(len(readers) for readers in self.subscribers.values())

    # --- used by writers, in any thread ------------------------------------------------------

    def wake(self):
        loop, event = self.loop, self.wake_event
        if loop is not None and event is not None and not loop.is_closed():
            loop.call_soon_threadsafe(event.set)

    # --- the fan-out loop ----------------------------------------------------------------------

    def _start(self):
        if self.loop is asyncio.get_running_loop():
            return
        self.loop = asyncio.get_running_loop()
        self.wake_event = asyncio.Event()
        self.subscribers.clear()
        self.positions.clear()
        kind = pubsub_kind()
        self.tasks = [self.loop.create_task(self._fan_out(kind))]
        if kind == "redis":
            self.tasks.append(self.loop.create_task(self._listen_redis()))
        elif kind == "postgresql":
            self.tasks.append(self.loop.create_task(self._listen_postgresql()))
        logger.info("Live broker started (wake-ups: %s)", kind or f"polling every {POLL_SECONDS} s")

    def poll_interval(self, kind):
        """Seconds between looks at the database without a wake-up: short with no pub/sub,
        or while pub/sub is down, so a restart of Redis delays updates by POLL_SECONDS."""
        return SAFETY_POLL_SECONDS if kind and self.link.up else POLL_SECONDS

    async def _fan_out(self, kind):
        while True:
            interval = self.poll_interval(kind)
            await wait_for_event(self.wake_event, interval)
            self.wake_event.clear()
            wanted = {
                feed: self.positions[feed] for feed in self.subscribers if feed in self.positions
            }
            if not wanted:
                continue
            try:
                batches = await sync_to_async(
                    fetch_changes, thread_sensitive=False, executor=self.executor
                )(wanted)
            except Exception as error:
                if not is_database_unavailable(error):
                    logger.exception("Reading live changes failed; retrying")
                    await asyncio.sleep(interval)
                else:  # logged once per outage; streams stay open and catch up afterwards
                    outage.failed("live streams", error)
                    await asyncio.sleep(DATABASE_RETRY_SECONDS)
                self.wake_event.set()  # try again now, not after a whole safety interval
                continue
            for feed_id, changes in batches.items():
                self._deliver(feed_id, changes)

    def _deliver(self, feed_id, changes):
        if not changes or feed_id not in self.positions:
            return
        for queue in list(self.subscribers.get(feed_id, ())):
            if queue.qsize() >= LAG_LIMIT:
                self.unsubscribe(feed_id, queue)
                queue.put_nowait(RESYNC)
                continue
            for change in changes:
                queue.put_nowait(change)
        self.positions[feed_id] = max(self.positions[feed_id], changes[-1].sequence)

    async def _listen_redis(self):
        self.link.what = "Redis pub/sub"
        await wake_on_redis(CHANNEL, self.wake_event, self.link)

    async def _listen_postgresql(self):
        self.link.what = "PostgreSQL LISTEN"
        await wake_on_postgresql(CHANNEL, self.wake_event, self.link)


FALLBACK = f"polling the database every {POLL_SECONDS} s until it is back"


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
    link.lost(error, FALLBACK)
    wake_event.set()
    await asyncio.sleep(RECONNECT_SECONDS[min(attempt, len(RECONNECT_SECONDS) - 1)])


async def wake_on_redis(channel, wake_event, link):
    """Set `wake_event` on every message published to `channel`, reconnecting for ever;
    `link.up` says whether it is connected. Also used by the page cache (pagecache/channel.py).

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


def _last_sequence(feed_id):
    from newsdesk.live.models import FeedSequence

    try:
        return (
            FeedSequence.objects.filter(feed_id=feed_id).values_list("last", flat=True).first() or 0
        )
    finally:
        connection.close()


def fetch_changes(positions):
    """{feed_id: [Change, ...]} for every feed whose sequence moved past its position."""
    from newsdesk.live.models import FeedSequence
    from newsdesk.live.rendered import cached_changes

    try:
        latest = dict(
            FeedSequence.objects.filter(feed_id__in=list(positions)).values_list("feed_id", "last")
        )
        # Rendered into the process's cache, where the catch-ups of readers who reconnect
        # (after a failover: hundreds, just behind) find them.
        return {
            feed_id: cached_changes(feed_id, after=position)
            for feed_id, position in positions.items()
            if latest.get(feed_id, 0) > position
        }
    finally:
        connection.close()


broker = Broker()


def notify(feed_id, sequence):
    """Tell every process that a feed changed, and Pushpin when it holds readers (GRIP).
    Called after the change has committed."""
    if settings.NEWSDESK_PUSHPIN_URL:
        from newsdesk.live.publisher import publisher_for

        try:
            publisher_for(settings.NEWSDESK_PUSHPIN_URL).publish(feed_id, sequence)
        except Exception:
            # The change is committed: readers recover it from the database, and the editor
            # must not see an error for a change that was saved.
            logger.exception(
                "Live: could not queue change %s of feed %s for Pushpin", sequence, feed_id
            )
    broker.wake()
    kind = pubsub_kind()
    try:
        if kind == "redis":
            _redis_client().publish(CHANNEL, f"{feed_id}:{sequence}")
        elif kind == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_notify(%s, %s)", [CHANNEL, f"{feed_id}:{sequence}"])
    except Exception as error:
        # Readers in other processes still get it at their next poll (pub/sub down: at once).
        publish_link.lost(error, "other processes' readers get updates by polling meanwhile")
    else:
        publish_link.restored()


publish_link = Link("Live", "publishing wake-ups")


_redis = None


def _redis_client():
    global _redis
    if _redis is None:
        import redis

        _redis = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2)
    return _redis
