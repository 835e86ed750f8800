"""The desk's Incoming stream: every new item version, as Server-Sent Events, seconds after
the worker stores it.

The same machinery as readers' live streams (live/broker.py, live/events.py), on a channel
of its own: the database is the truth and an event's id is the ItemVersion's id, so a desk
that reconnects with Last-Event-ID is sent what it missed. The fetcher, in the worker's
process, wakes every web process after it commits (Redis pub/sub or PostgreSQL NOTIFY);
without either, and as a safety net with them, each process looks every few tenths of a
second while a desk is open. Nothing is read while no desk is open.
"""

import asyncio
import json
import logging
from dataclasses import dataclass
from functools import cached_property

from asgiref.sync import sync_to_async
from django.db import connection
from django.template.loader import render_to_string
from django.utils import timezone

from newsdesk.core.pubsub import WakeAndPoll
from newsdesk.desk.incoming import card_context
from newsdesk.live.events import sse_comment, sse_event, sse_retry
from newsdesk.sources.models import AlertRule, Item, ItemVersion
from newsdesk.sources.notify import CHANNEL

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 15
MAX_REPLAY = 200
"""A desk further behind than this is told to reload (the page lists the newest anyway)."""
LAG_LIMIT = 500
RESYNC = object()


@dataclass(frozen=True)
class Arrival:
    """One item version as the desk receives it."""

    version_id: int
    data: dict

    @cached_property
    def sse(self):
        return sse_event(json.dumps(self.data), event="item", event_id=self.version_id).encode()


def arrivals_after(version_id, limit=MAX_REPLAY + 1):
    """Arrivals for the versions stored after `version_id`, oldest first; dismissed items
    are left out. Renders each card once, for every desk in this process."""

    versions = list(
        ItemVersion.objects.filter(pk__gt=version_id)
        .select_related("item__source")
        .order_by("pk")[:limit]
    )
    if not versions:
        return []
    rules = list(AlertRule.objects.filter(enabled=True))
    arrivals = []
    for version in versions:
        item = version.item
        if item.dismissed_at is not None or item.version_count != version.number:
            # Dismissed, or already superseded by a later version in this same batch.
            arrivals.append(Arrival(version.pk, {"skip": True}))
            continue
        context = card_context(item, version, rules)
        arrivals.append(
            Arrival(
                version.pk,
                {
                    "item": item.pk,
                    "version": version.pk,
                    "source": item.source_id,
                    "alert": bool(context["alerts"]),
                    "sound": any(rule.sound for rule in context["alerts"]),
                    # Rendered once for every desk: each page adds its own CSRF token.
                    "html": render_to_string(
                        "desk/incoming_item.html", {**context, "shared": True}
                    ),
                },
            )
        )
    return arrivals


@dataclass(frozen=True)
class Dismissal:
    """Items dismissed on some desk: every open desk takes them away. No event id: a desk that
    reconnects is not sent old dismissals (its next reload leaves them out anyway)."""

    item_ids: tuple

    @cached_property
    def sse(self):
        return sse_event(json.dumps({"items": list(self.item_ids)}), event="dismiss").encode()


def dismissed_after(moment):
    """(ids of the items dismissed after `moment`, the latest such time, else `moment`)."""

    rows = list(
        Item.objects.filter(dismissed_at__gt=moment).values_list("pk", "dismissed_at")[:500]
    )
    return tuple(pk for pk, _ in rows), max((at for _, at in rows), default=moment)


def _changes(position, dismissed_mark):
    return arrivals_after(position), *dismissed_after(dismissed_mark)


def last_version_id():
    return ItemVersion.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _closing(function):
    def run(*args):
        try:
            return function(*args)
        finally:
            connection.close()  # a desk stays open for hours: hold no connection meanwhile

    return run


class IncomingBroker(WakeAndPoll):
    """Fan-out of new item versions to the desks open in this process: the live broker's
    wake-and-poll loop (core/pubsub.py) on the sources' channel."""

    channel = CHANNEL
    label = "Sources"
    where = "the desk's incoming items"

    def __init__(self):
        super().__init__(logger)
        self.subscribers = set()
        self.position = None
        self.dismissed_mark = None

    async def subscribe(self):
        if self.start():  # a new event loop: the desks of an earlier one are gone
            self.subscribers.clear()
            self.position = None
        if self.position is None:
            self.dismissed_mark = timezone.now()
            self.position = await sync_to_async(_closing(last_version_id), thread_sensitive=False)()
        queue = asyncio.Queue()
        self.subscribers.add(queue)
        return queue, self.position

    def unsubscribe(self, queue):
        self.subscribers.discard(queue)
        if not self.subscribers:
            self.position = self.dismissed_mark = None

    async def work(self):
        if not self.subscribers or self.position is None:
            return
        arrivals, dismissed, mark = await sync_to_async(_closing(_changes), thread_sensitive=False)(
            self.position, self.dismissed_mark
        )
        changes = list(arrivals)
        if dismissed:
            changes.append(Dismissal(dismissed))
        if not changes or self.position is None:
            return  # nothing new, or every desk left while this was read
        for queue in list(self.subscribers):
            if queue.qsize() >= LAG_LIMIT:
                self.subscribers.discard(queue)
                queue.put_nowait(RESYNC)
                continue
            for change in changes:
                queue.put_nowait(change)
        if arrivals:
            self.position = max(self.position, arrivals[-1].version_id)
        self.dismissed_mark = max(self.dismissed_mark, mark)


broker = IncomingBroker()


async def stream(after):
    """One desk's stream: what it missed since `after` (a version id), then what comes."""
    queue, position = await broker.subscribe()
    try:
        yield sse_retry().encode()
        sent = position if after is None else after
        if after is not None and after < position:
            missed = await sync_to_async(_closing(arrivals_after), thread_sensitive=False)(after)
            if len(missed) > MAX_REPLAY:
                yield sse_event("{}", event="reload").encode()
                return
            for arrival in missed:
                if arrival.version_id > sent:
                    if "skip" not in arrival.data:
                        yield arrival.sse
                    sent = arrival.version_id
        while True:
            try:
                async with asyncio.timeout(HEARTBEAT_SECONDS):
                    arrival = await queue.get()
            except TimeoutError:
                yield sse_comment("heartbeat").encode()
                continue
            if arrival is RESYNC:
                return
            if isinstance(arrival, Dismissal):
                yield arrival.sse
                continue
            if arrival.version_id > sent:
                if "skip" not in arrival.data:
                    yield arrival.sse
                sent = arrival.version_id
    finally:
        broker.unsubscribe(queue)
