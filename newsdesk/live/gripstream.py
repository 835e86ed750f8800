"""The event stream's answer to a request that came through Pushpin (GRIP mode).

Python does not hold the connection: it answers at once with what the reader missed, read
from the database, and instructions for Pushpin to hold the stream on the feed's channel at
the position that answer covers (newsdesk/live/grip.py). Pushpin then sends each published
change on by itself, and comes back here only when a reader connects, when a change does not
follow the position it holds (a lost or out-of-order publish, a Pushpin restart), or after
NEWSDESK_PUSHPIN_CHECK_SECONDS. Those requests come in waves (every reader of a feed at
once), so answers for the same feed and position are shared, with no staleness
(newsdesk/live/rounds.py).
"""

import random
from dataclasses import dataclass
from urllib.parse import quote

from django.conf import settings
from django.db import connection

from newsdesk.live import grip
from newsdesk.live.events import sse_event, sse_retry
from newsdesk.live.rounds import Rounds
from newsdesk.live.stream import MAX_REPLAY

RETRY_MILLISECONDS = (2000, 12000)
"""Each reader through Pushpin is told a reconnection delay between these (the in-process
stream says 2 s to everyone): when Pushpin restarts or a load balancer fails over, every
reader's connection drops at the same moment, and the same delay would bring them all back in
the same second. Pushpin 1.36 answers 500 or 502 to new requests beyond about a hundred
queued between its own processes, which a browser's EventSource takes as final."""
RELOAD = sse_event("{}", event="reload").encode()


@dataclass(frozen=True)
class Answer:
    found: bool
    feed_id: int = 0
    position: int = 0
    replay: bytes = b""
    reload: bool = False


def read_answer(slug, after, grip_last):
    """What a reader at `after` (None: a fresh page, no position) missed on the feed `slug`,
    and the position that covers; `grip_last` ({channel: id} from Pushpin's Grip-Last header)
    takes precedence. Runs in a thread; the connection is closed at the end."""
    from newsdesk.live.models import FeedSequence, LiveFeedPage
    from newsdesk.live.rendered import cached_changes

    try:
        pages = LiveFeedPage.objects.for_readers().filter(slug=slug)
        feed_id = pages.values_list("pk", flat=True).first()
        if feed_id is None:
            return Answer(found=False)
        after = dict(grip_last).get(grip.channel(feed_id), after)
        last = FeedSequence.objects.filter(feed_id=feed_id).values_list("last", flat=True).first()
        last = last or 0
        if after is None:
            return Answer(True, feed_id, last)
        if after > last:
            # Numbers the feed never handed out (a restore from an older backup): start afresh.
            return Answer(True, feed_id, reload=True)
        # Read after `last`: the changes include everything committed up to the moment they
        # are read, which may be more than `last`; the newest of them is the position.
        changes = cached_changes(feed_id, after=after, limit=MAX_REPLAY + 1)
        if len(changes) > MAX_REPLAY:
            return Answer(True, feed_id, reload=True)
        position = max([last, after, *(change.sequence for change in changes)])
        return Answer(True, feed_id, position, b"".join(change.sse for change in changes))
    finally:
        connection.close()


rounds = Rounds(read_answer)


async def answer(send, slug, path, after, headers, stream_headers):
    """Send the GRIP answer to the stream request for `path`; `after` is the reader's position
    from Last-Event-ID or ?after=, and Pushpin's Grip-Last, when it asks a next link, is among
    the request `headers`. Returns False when there is no such feed (nothing sent); raises
    what the database read raised."""
    grip_last = grip.last_ids(headers)
    result = await rounds.get((slug, after, grip_last))
    if not result.found:
        return False
    # A first request starts with the reconnection delay, as the in-process stream does; a
    # next-link request continues a response already under way.
    body = b"" if grip_last else retry_line()
    response_headers = list(stream_headers)
    if result.reload:
        body += RELOAD  # and no hold instruction: Pushpin ends the response, the page reloads
    else:
        body += result.replay
        response_headers += grip.hold_headers(
            result.feed_id,
            result.position,
            next_link(path),
            settings.NEWSDESK_PUSHPIN_CHECK_SECONDS,
        )
    await send({"type": "http.response.start", "status": 200, "headers": response_headers})
    await send({"type": "http.response.body", "body": body})
    return True


def retry_line():
    low, high = RETRY_MILLISECONDS
    return sse_retry(random.randint(low, high)).encode()  # noqa: S311 - spreading, not secrecy


def next_link(path):
    """Where Pushpin asks what a held reader missed (adding Grip-Last): the stream's own path,
    so that the load balancer's rule for /live/*/events covers it."""
    return f"{quote(path)}?recover"
