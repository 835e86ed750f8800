"""Invalidations reaching every server process, through the live broker's channels.

A change writes an Invalidation row in its own transaction (actions.py). Every server process
runs one listener in its event loop that applies the rows after the last one it applied. It
is woken the way live streams are (newsdesk/live/broker.py): by Redis pub/sub when REDIS_URL is
set, by PostgreSQL LISTEN/NOTIFY on PostgreSQL, and by a timer: every POLL_SECONDS with
neither (SQLite, the single-machine default, where the worker publishes scheduled pages from
another process), every SAFETY_POLL_SECONDS with pub/sub, so a lost message delays an
invalidation but never loses it; while pub/sub is down, every POLL_SECONDS again. The
process that made the change applies it at once.
"""

import asyncio
import logging

from asgiref.sync import sync_to_async
from django.db import connection

from newsdesk.core.db_errors import is_database_unavailable, outage
from newsdesk.live import broker

logger = logging.getLogger(__name__)

CHANNEL = "newsdesk_pagecache"
POLL_SECONDS = broker.POLL_SECONDS
SAFETY_POLL_SECONDS = broker.SAFETY_POLL_SECONDS


def publish(invalidation_id):
    """Wake the other processes' listeners. Called after the invalidation has committed."""
    kind = broker.pubsub_kind()
    try:
        if kind == "redis":
            broker._redis_client().publish(CHANNEL, str(invalidation_id))
        elif kind == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_notify(%s, %s)", [CHANNEL, str(invalidation_id)])
    except Exception as error:
        # The other processes still apply it at their next poll (pub/sub down: at once).
        publish_link.lost(error, "other processes apply invalidations by polling meanwhile")
    else:
        publish_link.restored()


publish_link = broker.Link("Page cache", "publishing invalidations", logger)


class Listener:
    def __init__(self, apply):
        self.apply = apply
        self.loop = None
        self.wake_event = None
        self.last = None
        """The last Invalidation applied; None until the starting point is known, and until
        then nothing is stored (a change in between could otherwise be missed)."""
        self.applied_here = set()
        """Invalidations this process made and applied at once: not applied twice."""
        self.link = broker.Link("Page cache", "pub/sub", logger)

    @property
    def ready(self):
        return self.last is not None and self.loop is asyncio.get_running_loop()

    def ensure_started(self):
        loop = asyncio.get_running_loop()
        if self.loop is loop:
            return
        self.loop = loop
        self.last = None
        self.wake_event = asyncio.Event()
        kind = broker.pubsub_kind()
        self.tasks = [loop.create_task(self._poll(kind))]
        if kind == "redis":
            self.tasks.append(loop.create_task(self._listen_redis()))
        elif kind == "postgresql":
            self.tasks.append(loop.create_task(self._listen_postgresql()))

    def wake(self):
        loop, event = self.loop, self.wake_event
        if loop is not None and event is not None and not loop.is_closed():
            loop.call_soon_threadsafe(event.set)

    async def _poll(self, kind):
        while True:
            interval = SAFETY_POLL_SECONDS if kind and self.link.up else POLL_SECONDS
            try:
                rows = await sync_to_async(read_after, thread_sensitive=False)(self.last)
            except Exception as error:
                if not is_database_unavailable(error):
                    logger.exception("Page cache: reading invalidations failed; retrying")
                else:  # logged once per outage; nothing can change while it lasts
                    outage.failed("the page cache's invalidation listener", error)
                    interval = broker.DATABASE_RETRY_SECONDS
                rows = []
            for pk, tags in rows:
                if self.last is not None and pk not in self.applied_here:
                    self.apply(tags)
                self.applied_here.discard(pk)
                self.last = pk if self.last is None else max(self.last, pk)
            await broker.wait_for_event(self.wake_event, interval)
            self.wake_event.clear()

    async def _listen_redis(self):
        self.link.what = "Redis pub/sub"
        await broker.wake_on_redis(CHANNEL, self.wake_event, self.link)

    async def _listen_postgresql(self):
        self.link.what = "PostgreSQL LISTEN"
        await broker.wake_on_postgresql(CHANNEL, self.wake_event, self.link)


def read_after(last):
    """[(id, tags), ...] after `last`; with None, only the newest id (the starting point)."""
    from newsdesk.pagecache.models import Invalidation

    try:
        if last is None:
            newest = Invalidation.objects.order_by("-pk").values_list("pk", flat=True).first()
            return [(newest or 0, [])]
        return list(Invalidation.objects.filter(pk__gt=last).values_list("pk", "tags"))
    finally:
        connection.close()
