"""Invalidations reaching every server process, through the shared wake-ups (core/pubsub.py).

A change writes an Invalidation row in its own transaction (actions.py). Every server process
runs one listener in its event loop that applies the rows after the last one it applied. It
is woken the way live streams are: by Redis pub/sub when REDIS_URL is set, by PostgreSQL
LISTEN/NOTIFY on PostgreSQL, and by a timer: every POLL_SECONDS with neither (SQLite, the
single-machine default, where the worker publishes scheduled pages from another process),
every SAFETY_POLL_SECONDS with pub/sub, so a lost message delays an invalidation but never
loses it; while pub/sub is down, every POLL_SECONDS again. The process that made the change
applies it at once.

The rows are read in one thread of the listener's own. On SQLite that thread keeps its
connection: opening one for each of ten polls a second cost 2.3 ms of CPU a poll (2 % of a
core per server process, taken from the pages it serves), a kept one 0.17 ms. Other
databases are polled rarely (they wake the listener themselves) and close it each time.
"""

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

from django.db import connection

from newsdesk.core import pubsub
from newsdesk.core.pubsub import Outage, WakeAndPoll

logger = logging.getLogger(__name__)

CHANNEL = "newsdesk_pagecache"


def publish(invalidation_id):
    """Wake the other processes' listeners. Called after the invalidation has committed; if
    this fails, they still apply it at their next poll (pub/sub down: at once)."""
    pubsub.publish(CHANNEL, str(invalidation_id), publish_link)


publish_link = Outage(
    "Page cache: publishing invalidations",
    "other processes apply invalidations by polling meanwhile",
    logger,
)


class Listener(WakeAndPoll):
    channel = CHANNEL
    label = "Page cache"
    where = "the page cache's invalidation listener"

    def __init__(self, apply):
        super().__init__(logger)
        self.apply = apply
        self.last = None
        """The last Invalidation applied; None until the starting point is known, and until
        then nothing is stored (a change in between could otherwise be missed)."""
        self.applied_here = set()
        """Invalidations this process made and applied at once: not applied twice."""
        self.reader = ThreadPoolExecutor(1, thread_name_prefix="pagecache-listener")

    @property
    def ready(self):
        return self.last is not None and self.loop is asyncio.get_running_loop()

    def ensure_started(self):
        if self.start():
            self.last = None

    async def work(self):
        loop = asyncio.get_running_loop()
        rows = await loop.run_in_executor(self.reader, read_after, self.last)
        for pk, tags in rows:
            if self.last is not None and pk not in self.applied_here:
                self.apply(tags)
            self.applied_here.discard(pk)
            self.last = pk if self.last is None else max(self.last, pk)


def read_after(last):
    """[(id, tags), ...] after `last`; with None, only the newest id (the starting point)."""
    from newsdesk.pagecache.models import Invalidation

    try:
        if last is None:
            newest = Invalidation.objects.order_by("-pk").values_list("pk", flat=True).first()
            rows = [(newest or 0, [])]
        else:
            rows = list(Invalidation.objects.filter(pk__gt=last).values_list("pk", "tags"))
    except BaseException:
        connection.close()  # the next poll starts on a fresh connection
        raise
    if connection.vendor != "sqlite":
        connection.close()
    return rows
