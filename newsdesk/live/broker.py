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
import logging
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection

from newsdesk.core import pubsub
from newsdesk.core.pubsub import POLL_SECONDS, SAFETY_POLL_SECONDS, Outage, WakeAndPoll
from newsdesk.live.rounds import Rounds

logger = logging.getLogger(__name__)

CHANNEL = "newsdesk_live"
LAG_LIMIT = 500
"""A stream that has this many undelivered events is cut off; the browser reconnects and
resumes from the database with Last-Event-ID."""

RESYNC = object()

__all__ = ["POLL_SECONDS", "RESYNC", "SAFETY_POLL_SECONDS", "Broker", "broker", "notify"]


class Broker(WakeAndPoll):
    """The fan-out: after each wake-up, one read per changed feed, handed to every stream."""

    channel = CHANNEL
    label = "Live"
    where = "live streams"

    def __init__(self):
        super().__init__(logger)
        self.subscribers = defaultdict(set)
        self.positions = {}
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

    # --- the fan-out, in the event loop --------------------------------------------------------

    def _start(self):
        if self.start():  # a new event loop: the streams of an earlier one are gone
            self.subscribers.clear()
            self.positions.clear()
            logger.info(
                "Live broker started (wake-ups: %s)", self.kind or f"polling every {POLL_SECONDS} s"
            )

    async def work(self):
        wanted = {feed: self.positions[feed] for feed in self.subscribers if feed in self.positions}
        if not wanted:
            return
        batches = await sync_to_async(
            fetch_changes, thread_sensitive=False, executor=self.executor
        )(wanted)
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
    # Readers in other processes get it at their next poll if this fails (pub/sub down: at once).
    pubsub.publish(CHANNEL, f"{feed_id}:{sequence}", publish_link)


publish_link = Outage(
    "Live: publishing wake-ups",
    "other processes' readers get updates by polling meanwhile",
    logger,
)
