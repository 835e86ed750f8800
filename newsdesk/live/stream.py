"""What a reader's stream sends: changes from the database, framed as Server-Sent Events."""

import asyncio
import json
import logging
from dataclasses import dataclass
from functools import cached_property

from django.template.loader import render_to_string
from django.utils import timezone

from newsdesk.live.broker import RESYNC, broker
from newsdesk.live.events import sse_comment, sse_event, sse_retry
from newsdesk.live.models import LiveUpdate
from newsdesk.live.rounds import Rounds

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 15
HEARTBEAT = sse_comment("heartbeat").encode()
MAX_REPLAY = 500
"""A reader further behind than this is told to reload the page instead of replaying."""


@dataclass(frozen=True)
class Change:
    sequence: int
    kind: str  # "update" or "delete"
    data: dict

    @cached_property
    def sse(self):
        # Framed once per process and change, then shared by every reader's stream.
        text = sse_event(json.dumps(self.data), event=self.kind, event_id=self.sequence)
        return text.encode()


def change_for(update):
    if update.is_deleted or not update.is_published:
        # Gone, or never public: say only which element to remove, nothing of its content.
        return Change(update.sequence, "delete", {"id": update.pk, "sequence": update.sequence})
    data = {
        "id": update.pk,
        "sequence": update.sequence,
        "published_at": timezone.localtime(update.published_at).isoformat(),
        "key_event": update.is_key_event,
        "pinned": update.is_pinned,
        "headline": update.headline,
    }
    data["html"] = render_to_string("live/update.html", {"update": update, "live": True})
    return Change(update.sequence, "update", data)


def changes_after(feed_id, sequence, limit=None):
    """Changes readers must hear about after `sequence`, oldest first (one query + prefetch)."""
    updates = LiveUpdate.objects.filter(feed_id=feed_id).changed_after(sequence).for_display()
    if limit is not None:
        updates = updates[:limit]
    return [change_for(update) for update in updates]


def _replay(feed_id, after):
    from django.db import connection

    from newsdesk.live.rendered import cached_changes

    try:
        return cached_changes(feed_id, after=after, limit=MAX_REPLAY + 1)
    finally:
        connection.close()


replays = Rounds(_replay)
"""Readers reconnect in crowds (a failover moves hundreds from a dead host at once, mostly at
the same position): those at the same position share one read, and every missed change is
rendered once per process (newsdesk/live/rendered.py)."""


async def stream(feed_id, after):
    """The event stream for one reader: what they missed since `after`, then what comes.

    Subscribing happens before the replay is read, so a change committed in between arrives
    through one path or the other; `sent` drops the copy, so nothing is shown twice.
    """
    queue, position = await broker.subscribe(feed_id)
    try:
        yield sse_retry().encode()
        sent = position if after is None else after
        if after is not None and after > position:
            # The reader saw numbers this feed never handed out: the site was restored from
            # a backup taken before them. Waiting for the count to catch up would hide every
            # update until then, so the page starts afresh.
            yield sse_event("{}", event="reload").encode()
            return
        if after is not None and after < position:
            missed = await replays.get((feed_id, after))
            if len(missed) > MAX_REPLAY:
                yield sse_event("{}", event="reload").encode()
                return
            for change in missed:
                yield change.sse
                sent = change.sequence
        while True:
            try:
                # asyncio.timeout, unlike wait_for, does not start a task per wait.
                async with asyncio.timeout(HEARTBEAT_SECONDS):
                    change = await queue.get()
            except TimeoutError:
                yield HEARTBEAT
                continue
            if change is RESYNC:
                return  # the browser reconnects with Last-Event-ID and resumes from the database
            if change.sequence > sent:
                yield change.sse
                sent = change.sequence
    finally:
        broker.unsubscribe(feed_id, queue)
