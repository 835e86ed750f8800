"""A pub/sub listener or wake-up loop that is told to stop stops, whenever the cancellation
comes. asyncio.run cancels the broker's and the page cache's tasks once at the end and waits
for them; on Python 3.11, asyncio.wait_for loses a cancellation that arrives just as what it
waits for finishes (CPython issue 86296), inside redis-py's sends and formerly in our own
loops, and a test's event loop waited 300 s for a listener that went on listening.

The moments are hit exactly, without load: a server in the test's own event loop cancels the
listener from the callback that receives its command, which runs before the listener resumes.
A redis-server of the test's own answers behind it. Needs no database.
"""

import asyncio
import shutil

import pytest

from newsdesk.live import broker
from newsdesk.pagecache import channel
from tests.test_redis_unavailable import REDIS_SERVER, OwnRedis

ENDED_SECONDS = 10  # a hang detector: the listeners end within milliseconds


@pytest.fixture
def own_redis(tmp_path):
    if not shutil.which(REDIS_SERVER):
        pytest.skip("redis-server is not installed")
    server = OwnRedis(tmp_path).start()
    try:
        yield server
    finally:
        server.kill()


class Relay(asyncio.Protocol):
    """Passes the upstream Redis's answers back to the listener."""

    def __init__(self, downstream):
        self.downstream = downstream

    def data_received(self, data):
        self.downstream.write(data)

    def connection_lost(self, exc):
        self.downstream.close()


class Interposer(asyncio.Protocol):
    """One client connection: `on_command(data)` sees each chunk the client sends, in the
    callback that reads it; the chunk is then relayed to `upstream` (a port), or, with none,
    never answered."""

    def __init__(self, server):
        self.server = server
        self.upstream = None
        self.pending = []

    def connection_made(self, transport):
        self.transport = transport
        if self.server.upstream is not None:
            self.server.pending.add(asyncio.ensure_future(self._connect()))

    async def _connect(self):
        loop = asyncio.get_running_loop()
        self.upstream, _ = await loop.create_connection(
            lambda: Relay(self.transport), "127.0.0.1", self.server.upstream
        )
        for data in self.pending:
            self.upstream.write(data)

    def data_received(self, data):
        self.server.on_command(data)
        if self.upstream is None:
            self.pending.append(data)
        else:
            self.upstream.write(data)

    def connection_lost(self, exc):
        self.server.hung_up += 1
        self.server.closed.set()
        if self.upstream is not None:
            self.upstream.close()


class InterposedRedis:
    def __init__(self, upstream, on_command):
        self.upstream, self.on_command = upstream, on_command
        self.hung_up = 0
        self.pending = set()

    async def start(self):
        loop = asyncio.get_running_loop()
        self.closed = asyncio.Event()  # set when a client connection has closed
        self.server = await loop.create_server(lambda: Interposer(self), "127.0.0.1", 0)
        return f"redis://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/0"

    def close(self):
        self.server.close()

    async def hang_up(self):
        """Until the listener's connection has closed, ENDED_SECONDS at most."""
        waiting = asyncio.ensure_future(self.closed.wait())
        await asyncio.wait({waiting}, timeout=ENDED_SECONDS)
        waiting.cancel()


def listener_of(kind):
    """The Redis listener of the live broker or of the page cache, not started."""
    owner = broker.Broker() if kind == "live" else channel.Listener(apply=lambda tags: None)
    owner.wake_event = asyncio.Event()
    return owner


async def stop(task):
    """Cancel; True when the task has ended ENDED_SECONDS later."""
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=ENDED_SECONDS)
    if not done:  # without the fix: a second cancellation ends it, so the test ends
        task.cancel()
        await asyncio.wait({task}, timeout=ENDED_SECONDS)
    return bool(done)


@pytest.mark.parametrize("kind", ["live", "pagecache"])
def test_a_listener_cancelled_just_as_it_sends_subscribe_stops(own_redis, settings, kind):
    seen = []

    def on_command(data):
        seen.append(data)
        if b"SUBSCRIBE" in data.upper():
            listening.cancel()  # just after redis-py's send finished, before it resumes

    async def scenario():
        nonlocal listening
        server = InterposedRedis(own_redis.port, on_command)
        settings.REDIS_URL = await server.start()
        owner = listener_of(kind)
        listening = asyncio.create_task(owner._listen_redis())
        try:
            done, _ = await asyncio.wait({listening}, timeout=ENDED_SECONDS)
            await server.hang_up()
            return bool(done), server.hung_up
        finally:
            await stop(listening)
            server.close()

    listening = None
    ended, hung_up = asyncio.run(scenario())
    assert any(b"SUBSCRIBE" in data.upper() for data in seen), "the moment was reached"
    assert ended, "the listener went on listening after it was cancelled"
    assert listening.cancelled()
    assert hung_up == 1, "the subscription's connection was closed"


@pytest.mark.parametrize("kind", ["live", "pagecache"])
@pytest.mark.parametrize("moment", ["as its first command is sent", "while it waits"])
def test_a_listener_cancelled_while_redis_never_answers_stops_and_hangs_up(settings, kind, moment):
    """A server that accepts the connection and never answers. Cancelled the instant its first
    command is sent, the listener loses the cancellation inside redis-py, gives up waiting for
    the answer after its 2 s read timeout, and must not go on reconnecting for ever."""
    heard = asyncio.Event()

    def on_command(data):
        heard.set()
        if moment == "as its first command is sent" and not listening.cancelling():
            listening.cancel()

    async def scenario():
        nonlocal listening
        server = InterposedRedis(None, on_command)
        settings.REDIS_URL = await server.start()
        listening = asyncio.create_task(listener_of(kind)._listen_redis())
        try:
            await asyncio.wait_for(heard.wait(), timeout=ENDED_SECONDS)
            if moment == "while it waits":
                await asyncio.sleep(0.05)  # now waiting for the answer to its first command
                ended = await stop(listening)
            else:  # cancelled once only, as asyncio.run does
                ended = bool((await asyncio.wait({listening}, timeout=ENDED_SECONDS))[0])
            await server.hang_up()
            return ended, listening.cancelled(), server.hung_up
        finally:
            listening.cancel()
            server.close()

    listening = None
    assert asyncio.run(scenario()) == (True, True, 1)


@pytest.mark.parametrize("turns", [0, 1, 2, 3])
def test_the_fan_out_loop_cancelled_just_after_a_wake_up_stops(turns):
    """Cancelled `turns` turns of the event loop after its wake-up event was set (the Redis
    listener sets it on subscribing, which is when the first test of a run cancels it)."""

    async def scenario():
        owner = broker.Broker()
        owner.wake_event = asyncio.Event()
        owner.kind = "redis"
        fan_out = asyncio.create_task(owner._run())  # no readers: no database
        await asyncio.sleep(0)  # now waiting to be woken
        owner.wake_event.set()
        for _ in range(turns):
            await asyncio.sleep(0)
        return await stop(fan_out), fan_out.cancelled()

    assert asyncio.run(scenario()) == (True, True)
