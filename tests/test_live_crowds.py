"""Crowds on the in-process stream: what a failover does to the app host that survives it.

When an app host dies, its readers reconnect to the other one within a second or two, nearly
all with the same Last-Event-ID. The surviving host must answer them with a handful of
database reads and one rendering of each missed change, and the readers it already had must go
on getting new changes while that happens (docs/scaling.md, "Found by the cluster tests").
"""

import asyncio
import threading

import pytest

from newsdesk.live import rendered, stream, stream_app
from newsdesk.live.broker import broker
from tests.factories import http_scope, make_live_feed, post

pytestmark = pytest.mark.django_db(transaction=True)  # streams read on their own connections

CROWD = 200


def counting(monkeypatch, target, name):
    """Replace target.name with a wrapper that counts its calls (thread-safe)."""
    calls = []
    original = getattr(target, name)

    def wrapper(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(target, name, wrapper)
    return calls


async def read_stream(path, last_event_id, wanted, connected=None):
    """One reader through the ASGI application: the event ids of its first `wanted` events."""
    from newsdesk.asgi import application

    headers = [(b"last-event-id", str(last_event_id).encode())]
    scope = http_scope(path, headers=headers)
    hang_up = asyncio.Event()
    ids = []

    async def receive():
        await hang_up.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        if message["type"] != "http.response.body":
            return
        body = message.get("body", b"")
        if connected is not None and body.startswith(b"retry:"):
            connected.set()
        for line in body.decode().splitlines():
            if line.startswith("id: "):
                ids.append(int(line[4:]))
        if len(ids) >= wanted or not message.get("more_body", False):
            hang_up.set()

    await application(scope, receive, send)
    return ids


def test_a_crowd_reconnecting_at_one_position_shares_its_reads_and_renders(monkeypatch):
    feed = make_live_feed()
    seen = post(feed, "Seen by everyone before their host died").sequence
    missed = [post(feed, f"Posted during the failover {n}").sequence for n in range(5)]
    rendered.forget()
    lookups = counting(monkeypatch, stream_app.feed_ids, "read")
    replays = counting(monkeypatch, stream.replays, "read")
    renders = counting(monkeypatch, rendered, "change_for")
    path = f"{feed.url}events"

    async def crowd():
        readers = [read_stream(path, seen, len(missed)) for _ in range(CROWD)]
        return await asyncio.wait_for(asyncio.gather(*readers), timeout=60)

    received = asyncio.run(crowd())
    assert all(ids == missed for ids in received), "every reader gets what it missed, once"
    # Before: a feed lookup and a catch-up read (each on a database connection of its own)
    # per reader, and every missed change rendered again for each of them.
    assert len(lookups) <= 3, f"{len(lookups)} feed lookups for {CROWD} readers"
    assert len(replays) <= 3, f"{len(replays)} catch-up reads for {CROWD} readers"
    assert len(renders) == len(missed), "each missed change rendered once"
    assert broker.reader_count() == 0


def test_new_changes_reach_open_streams_while_the_shared_thread_pool_is_busy():
    """The fan-out reads on a thread of its own: with every thread of the event loop's pool
    taken (catch-ups, feed lookups, a slow database), a reader already connected still gets
    the next change."""
    feed = make_live_feed()
    start = post(feed, "Before").sequence
    release = threading.Event()
    path = f"{feed.url}events"

    async def scenario():
        connected = asyncio.Event()
        reader = asyncio.create_task(read_stream(path, start, 1, connected))
        await asyncio.wait_for(connected.wait(), timeout=10)
        loop = asyncio.get_running_loop()
        # More blocked jobs than the default pool has threads (min(32, cores + 4)).
        blocked = [loop.run_in_executor(None, release.wait, 30) for _ in range(40)]
        posted = []
        writer = threading.Thread(target=lambda: posted.append(post(feed, "After").sequence))
        writer.start()
        try:
            done, _ = await asyncio.wait([reader], timeout=15)
        finally:
            release.set()
            writer.join()
            await asyncio.gather(*blocked)
        assert done, "the new change waited for the busy pool"
        return reader.result(), posted

    ids, posted = asyncio.run(scenario())
    assert ids == posted
