"""Live updates across processes: two real `newsdesk serve` processes share one database, and an
update posted by a third process reaches readers of both, once, within two seconds.

One case per wake-up path of newsdesk.live.broker: PostgreSQL LISTEN/NOTIFY, Redis pub/sub
(with PostgreSQL as the database) and SQLite polling. PostgreSQL and Redis cases are skipped
when the server does not answer, unless the environment variable CI is set: then they fail.
"""

import contextlib
import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import threading
import time
from urllib.parse import urlsplit, urlunsplit

import pytest

from newsdesk.live.broker import CHANNEL, POLL_SECONDS
from tests.test_server import free_port, newsdesk, wait_for

PG_SERVER_URL = os.environ.get("NEWSDESK_TEST_PG_URL", "postgres://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("NEWSDESK_TEST_REDIS_MULTIPROCESS_URL", "redis://127.0.0.1:6379/2")
DELIVERY_SECONDS = 2.0
LISTENER_SECONDS = 30
"""How long the servers may take to open their LISTEN or SUBSCRIBE connection (a failure)."""
SLUG = "multiprocess-storm"
HTTPS = {"X-Forwarded-Proto": "https"}

CREATE_FEED = f"""
from newsdesk.live.actions import post_update
from newsdesk.live.models import LiveFeedPage, LiveIndexPage
feed = LiveFeedPage(title="Multiprocess storm", slug="{SLUG}", live=False)
LiveIndexPage.objects.get().add_child(instance=feed)
feed.save_revision().publish()
print("sequence=%d" % post_update(feed, headline="Before anyone listened").sequence)
"""


def unavailable(service, error):
    if os.environ.get("CI"):
        pytest.fail(f"CI is set but {service} does not answer: {error}")
    pytest.skip(f"{service} does not answer ({error}); this path is not tested here")


def pg_url(database):
    parts = urlsplit(PG_SERVER_URL)
    return urlunsplit(parts._replace(path=f"/{database}"))


@pytest.fixture
def pg_database():
    """A PostgreSQL database of its own, dropped afterwards: its URL."""
    psycopg = pytest.importorskip("psycopg")
    name = f"newsdesk_mp_{secrets.token_hex(4)}"
    try:
        admin = psycopg.connect(pg_url("postgres"), autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        unavailable(f"PostgreSQL at {pg_url('postgres')}", error)
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield pg_url(name)
    finally:
        with psycopg.connect(pg_url("postgres"), autocommit=True, connect_timeout=3) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def redis_url():
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=3).ping()
    except redis.RedisError as error:
        unavailable(f"Redis at {REDIS_URL}", error)
    return REDIS_URL


def environment(data_dir, database_url="", redis_url=""):
    env = {
        **os.environ,
        "NEWSDESK_DATA_DIR": str(data_dir),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


def run(*args, env, timeout=180):
    process = newsdesk(*args, env=env)
    try:
        output, _ = process.communicate(timeout=timeout)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, f"newsdesk {' '.join(args)} failed:\n{output}"
    return output


class Server:
    """`newsdesk serve --no-worker` on a free port; its output is kept for error messages."""

    def __init__(self, env):
        self.port = free_port()
        self.lines = []
        self.process = newsdesk("serve", "--no-worker", "--port", str(self.port), env=env)
        threading.Thread(target=lambda: self.lines.extend(self.process.stdout), daemon=True).start()

    def wait_until_ready(self):
        try:
            wait_for(f"http://127.0.0.1:{self.port}/healthz", timeout=60)
        except OSError as error:
            raise AssertionError(f"serve did not start: {error}\n{self.output()}") from error

    def output(self):
        return "".join(self.lines)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class EventReader:
    """One SSE connection, read in a thread: every event with the time.time() it arrived."""

    def __init__(self, port, after):
        self.events = []
        self.subscribed = threading.Event()
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.connection.request("GET", f"/live/{SLUG}/events?after={after}", headers=HTTPS)
        self.response = self.connection.getresponse()
        assert self.response.status == 200, self.response.read(2000)
        assert self.response.getheader("Content-Type").startswith("text/event-stream")
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        # The stream subscribes to the broker before it sends its first line (retry:).
        assert self.subscribed.wait(10), "the stream sent nothing"

    def _read(self):
        fields = {}
        with contextlib.suppress(OSError, ValueError, http.client.HTTPException):
            while line := self.response.readline():
                line = line.decode().rstrip("\r\n")
                if line.startswith("retry:"):
                    self.subscribed.set()
                elif line:
                    name, _, value = line.partition(":")
                    fields[name] = value.removeprefix(" ")
                else:
                    if "data" in fields:
                        self.events.append((time.time(), fields))
                    fields = {}

    def arrival(self, sequence):
        for received, fields in self.events:
            if fields.get("id") == str(sequence):
                return received
        return None

    def close(self):
        # Shut the socket down and let the thread see the end of the stream before closing.
        with contextlib.suppress(OSError, AttributeError):
            self.connection.sock.shutdown(socket.SHUT_RDWR)
        self.thread.join(5)
        self.connection.close()


def post_update(env, headline):
    """Post through a separate `newsdesk post-update` process: (id, sequence, commit time)."""
    process = newsdesk(
        "post-update", SLUG, "--headline", headline, "--source", "Test desk", env=env
    )
    try:
        committed = None
        for line in process.stdout:
            if line.startswith("id="):
                committed = time.time()  # printed right after the transaction committed
                fields = dict(part.split("=", 1) for part in line.split())
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert committed is not None, "post-update printed no id"
    return int(fields["id"]), int(fields["sequence"]), committed


def listeners(env, kind):
    """How many connections listen on the live channel now: Redis subscribers (of any
    database: pub/sub is server-wide), or PostgreSQL sessions of this test's database whose
    last statement was the broker's LISTEN. None when updates are polled for."""
    if kind == "redis":
        import redis

        with redis.Redis.from_url(env["REDIS_URL"], socket_timeout=2) as client:
            return dict(client.pubsub_numsub(CHANNEL)).get(CHANNEL.encode(), 0)
    if kind == "postgresql":
        import psycopg

        with psycopg.connect(env["DATABASE_URL"], connect_timeout=3) as connection:
            return connection.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND query = %s",
                [f"LISTEN {CHANNEL}"],
            ).fetchone()[0]
    return None


def wait_for_listeners(env, kind, count):
    """Until `count` connections listen on the live channel: each server's broker opens its
    own once its first reader has come, and an update posted before would wake nobody."""
    deadline = time.monotonic() + LISTENER_SECONDS
    while listeners(env, kind) < count:
        assert time.monotonic() < deadline, (
            f"the servers did not {kind} within {LISTENER_SECONDS} s"
        )
        time.sleep(0.05)


def check_delivery(env, expected_wakeups, migrated_sqlite=None):
    """Migrate (or copy the session's migrated SQLite file), create a feed, serve it twice,
    post twice; both streams get each update once."""
    if migrated_sqlite:
        migrated_sqlite(env["NEWSDESK_DATA_DIR"])
    else:
        run("migrate", "--no-input", "--verbosity", "0", env=env)
    created = run("shell", "-c", CREATE_FEED, env=env)
    start = int(created.rsplit("sequence=", 1)[1].split()[0])
    servers, readers = [], []
    listening_before = listeners(env, expected_wakeups)
    try:
        # One after the other: both run collectstatic into the same data directory.
        for _ in range(2):
            servers.append(Server(env))
            servers[-1].wait_until_ready()
        readers = [EventReader(server.port, after=start) for server in servers]
        if listening_before is not None:
            # Each broker opens its LISTEN or SUBSCRIBE connection once its first reader came.
            wait_for_listeners(env, expected_wakeups, listening_before + 2)
        posted = []
        for number in (1, 2):
            update_id, sequence, committed = post_update(env, f"Update {number} from process C")
            posted.append((update_id, sequence))
            deadline = committed + DELIVERY_SECONDS
            while time.time() < deadline and not all(r.arrival(sequence) for r in readers):
                time.sleep(0.02)
            for server, reader in zip(servers, readers, strict=True):
                arrived = reader.arrival(sequence)
                assert arrived is not None, (
                    f"update {sequence} did not reach the stream on port {server.port} within "
                    f"{DELIVERY_SECONDS} s\n{server.output()}"
                )
                assert arrived - committed < DELIVERY_SECONDS
                print(
                    f"{expected_wakeups}: update {sequence} reached port {server.port} "
                    f"{(arrived - committed) * 1000:.0f} ms after the commit"
                )
        time.sleep(0.6)  # long enough for a duplicate to show up, from a poll or a second wake-up
        for server, reader in zip(servers, readers, strict=True):
            received = [(fields.get("event"), fields.get("id")) for _, fields in reader.events]
            assert received == [("update", str(sequence)) for _, sequence in posted], (
                "each update exactly once, in order, and nothing from before ?after="
            )
            for (_, fields), (update_id, sequence) in zip(reader.events, posted, strict=True):
                data = json.loads(fields["data"])
                assert (data["id"], data["sequence"]) == (update_id, sequence)
            assert f"Live broker started (wake-ups: {expected_wakeups})" in server.output()
    finally:
        for reader in readers:
            reader.close()
        for server in servers:
            server.stop()


def test_postgresql_listen_notify_wakes_other_processes(tmp_path, pg_database):
    check_delivery(environment(tmp_path, database_url=pg_database), "postgresql")


def test_redis_pubsub_wakes_other_processes(tmp_path, pg_database, redis_url):
    check_delivery(environment(tmp_path, database_url=pg_database, redis_url=redis_url), "redis")


def test_sqlite_polling_reaches_other_processes(tmp_path, migrated_sqlite):
    check_delivery(environment(tmp_path), f"polling every {POLL_SECONDS} s", migrated_sqlite)
