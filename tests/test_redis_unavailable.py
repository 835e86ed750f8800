"""Redis down or restarting: caches miss instead of failing, pub/sub listeners fall back to
polling and reconnect, and each outage is logged once when it begins and once when it ends.

A redis-server of the test's own is killed and started again on the same port (never the
shared one on 6379, which other tests use). Needs no database.
"""

import asyncio
import logging
import shutil
import subprocess
import time

import pytest

from newsdesk.core import cache as forgiving
from newsdesk.core import pubsub
from newsdesk.live import broker
from newsdesk.pagecache import shared
from tests.test_server import free_port

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
WAIT_SECONDS = 15  # upper bound for a reconnect; the loop ends as soon as it happens


class OwnRedis:
    def __init__(self, tmp_path):
        self.port = free_port()
        self.dir = tmp_path
        self.process = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(  # noqa: S603 - a fixed binary and our own arguments
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.dir)],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        self.client().ping()  # retried below until it answers
        return self

    def client(self):
        import redis

        client = redis.Redis(port=self.port, socket_timeout=2)
        for _ in range(100):
            try:
                client.ping()
                return client
            except redis.ConnectionError:
                time.sleep(0.05)
        raise AssertionError(f"redis-server on {self.port} did not start")

    def kill(self):
        self.process.kill()
        self.process.wait()


@pytest.fixture
def own_redis(tmp_path):
    if not shutil.which(REDIS_SERVER):
        pytest.skip("redis-server is not installed")
    server = OwnRedis(tmp_path).start()
    try:
        yield server
    finally:
        if server.process.poll() is None:
            server.kill()


def make_cache(url):
    return forgiving.ForgivingRedisCache(
        url, {"OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}}
    )


def test_cache_misses_while_redis_is_down_and_works_again_after(own_redis, caplog):
    cache = make_cache(own_redis.url)
    cache.set("kept", "before")
    own_redis.kill()
    with caplog.at_level(logging.WARNING, logger="newsdesk.core.cache"):
        assert cache.get("kept", "missed") == "missed"
        assert cache.get_or_set("computed", lambda: 42) == 42
        assert cache.add("counter", 0) is False
        with pytest.raises(ValueError, match="not found"):  # as for a key that expired
            cache.incr("counter")
        cache.set("lost", 1)
        cache.delete("lost")
        own_redis.start()  # restarted empty on the same port
        cache.set("after", "yes")
        assert cache.get("after") == "yes"
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 2, messages
    assert messages[0].startswith("Cache: Redis unavailable (ConnectionError: ")
    assert messages[0].endswith("reads miss and writes are dropped until it is back.")
    assert messages[1].startswith("Cache: Redis back after ")


async def wait_until(condition):
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


def test_pubsub_listener_falls_back_and_reconnects_after_a_restart(own_redis, settings, caplog):
    settings.REDIS_URL = own_redis.url

    def subscribed():
        try:
            return own_redis.client().pubsub_numsub("test_channel")[0][1] == 1
        except AssertionError:  # not answering yet
            return False

    async def scenario():
        wake = asyncio.Event()
        link = pubsub.Outage("Test: Redis pub/sub", pubsub.FALLBACK)
        listening = asyncio.create_task(pubsub.wake_on_redis("test_channel", wake, link))
        try:
            assert await wait_until(subscribed)
            wake.clear()
            own_redis.kill()
            # Down: said once, and the loop woken so that it polls from now on.
            assert await wait_until(lambda: not link.up)
            assert wake.is_set()
            own_redis.start()
            assert await wait_until(lambda: link.up and subscribed())
            wake.clear()
            own_redis.client().publish("test_channel", "1:2")
            assert await wait_until(wake.is_set)
        finally:
            listening.cancel()
            await asyncio.gather(listening, return_exceptions=True)

    with caplog.at_level(logging.WARNING, logger="newsdesk.core.pubsub"):
        asyncio.run(scenario())
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 2, messages
    assert messages[0].startswith("Test: Redis pub/sub unavailable (")
    assert "polling the database every" in messages[0]
    assert messages[1].startswith("Test: Redis pub/sub back after ")


def test_broker_polls_the_database_while_pubsub_is_down():
    live = broker.Broker()
    live.kind = "redis"
    assert live.poll_interval() == pubsub.SAFETY_POLL_SECONDS
    live.link.lost(ConnectionError("refused"))
    assert live.poll_interval() == pubsub.POLL_SECONDS < pubsub.SAFETY_POLL_SECONDS
    live.link.restored()
    live.kind = None
    assert live.poll_interval() == pubsub.POLL_SECONDS


def test_a_missed_invalidation_empties_the_shared_store_once_redis_answers(own_redis, settings):
    settings.REDIS_URL = own_redis.url
    try:
        client = own_redis.client()
        client.set(shared.PREFIX + "e:some-page", b"stale")
        shared.missed_invalidation()
        assert shared.lookup("some-page")[1] is None
        assert client.get(shared.PREFIX + "e:some-page") is None
        assert int(client.get(shared.GENERATION)) == 1  # renders begun before must not store
        client.set(shared.PREFIX + "e:other-page", b"fresh")
        shared.lookup("a-third-page")
        assert client.exists(shared.PREFIX + "e:other-page")  # emptied once, not every time
    finally:
        shared._missed = False
