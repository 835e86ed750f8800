"""Live readers held by a real Pushpin (GRIP mode, NEWSDESK_PUSHPIN_URL).

One `newsdesk serve` behind one Pushpin (with its zurl, devservers/pushpin.py) for the whole
module, one feed per test. Readers are raw HTTP clients that behave like EventSource: they
reconnect when the stream ends, sending the last id they received as Last-Event-ID. Updates
are posted by other processes (`newsdesk shell`), each publishing what it commits.

Skipped when Pushpin is not installed (apt-get install pushpin), unless CI is set: then it
fails, as for PostgreSQL. On the PostgreSQL run, the server gets a database of its own
(NEWSDESK_TEST_PUSHPIN_DATABASE_URL names one to empty and use instead of creating one).
"""

import contextlib
import http.client
import json
import os
import queue
import secrets
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from devservers.pushpin import Pushpin, free_port, missing_programs, newsdesk_pushpin_url
from tests.test_live_multiprocess import Server, environment, pg_url, run, unavailable
from tests.test_server import newsdesk

CHECK_SECONDS = 2
"""NEWSDESK_PUSHPIN_CHECK_SECONDS here: how soon a change whose publish was lost arrives."""
WAIT_SECONDS = 20
"""The longest a test waits for readers to have everything (a failure bound, not a measure)."""
READ_SECONDS = 20
"""A reader gives up on a connection silent for this long and reconnects: longer than the
heartbeat Pushpin sends on an idle stream (KEEP_ALIVE_SECONDS, 15 s), so a healthy stream is
never cut. Once in CI, on a loaded machine, a reader got nothing for the 20 s after a Pushpin
restart (its stream request, made while Pushpin's processes were starting, went unanswered;
plain requests made the same way are answered, tried here): a silent connection is given up,
as it should be, and the restart test allows for one."""
RESTART_WAIT_SECONDS = 60
"""After a restart a reader may sit out one silent connection (READ_SECONDS) first."""
HTTPS = {"X-Forwarded-Proto": "https", "Host": "localhost"}
FEEDS = ["two-writers", "steady", "resume", "missed", "restart"]

POSTER = """
import json, sys, time
from newsdesk.live.actions import post_update
from newsdesk.live.models import FeedSequence, LiveFeedPage, LiveIndexPage
print("ready", flush=True)
for line in sys.stdin:
    command = json.loads(line)
    if "create" in command:
        for slug in command["create"]:
            feed = LiveFeedPage(title=slug, slug=slug, live=False)
            LiveIndexPage.objects.get().add_child(instance=feed)
            feed.save_revision().publish()
        print("done=[]", flush=True)
        continue
    feed = LiveFeedPage.objects.get(slug=command["slug"])
    sequences = []
    for number in range(command["count"]):
        headline = command["label"] + " " + str(number)
        sequences.append(post_update(feed, headline=headline, body="<p>Details.</p>").sequence)
        time.sleep(command["pause"])
    print("done=" + json.dumps(sequences), flush=True)
"""


def pushpin_or_skip():
    missing = missing_programs()
    if missing:
        reason = f"Pushpin is not installed ({', '.join(missing)}): apt-get install pushpin"
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {reason}")
        pytest.skip(reason)


@contextlib.contextmanager
def server_database():
    """'' (SQLite in the data directory) or, on the PostgreSQL run, a database of its own."""
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        yield ""
        return
    psycopg = pytest.importorskip("psycopg")
    given = os.environ.get("NEWSDESK_TEST_PUSHPIN_DATABASE_URL")
    if given:  # a database the caller owns (shared machines): emptied, then used as it is
        with psycopg.connect(given, autocommit=True, connect_timeout=3) as owned:
            owned.execute("DROP SCHEMA public CASCADE")
            owned.execute("CREATE SCHEMA public")
        yield given
        return
    name = f"newsdesk_grip_{secrets.token_hex(4)}"
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


class Poster:
    """A `newsdesk shell` process that posts what it is told to, as an editor's desk would
    (one process start for the whole module: each costs seconds)."""

    def __init__(self, env):
        self.process = newsdesk("shell", "-c", POSTER, env=env, stdin=subprocess.PIPE)
        self.lines = []
        self.results = queue.Queue()
        self.ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line)
            if line.startswith("ready"):
                self.ready.set()
            elif line.startswith("done="):
                self.results.put(json.loads(line.removeprefix("done=")))

    def send(self, **command):
        assert self.ready.wait(60), "the poster did not start:\n" + self.output()
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()

    def post(self, slug, count, label, pause=0.0):
        """Start posting `count` updates; result() gives their sequence numbers."""
        self.send(slug=slug, count=count, label=label, pause=pause)

    def result(self):
        try:
            return self.results.get(timeout=120)
        except queue.Empty:
            raise AssertionError("the poster did not finish:\n" + self.output()) from None

    def output(self):
        return "".join(self.lines)

    def stop(self):
        with contextlib.suppress(OSError):
            self.process.stdin.close()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Site:
    def __init__(self, server, pushpin, writers, silent):
        self.server, self.pushpin = server, pushpin
        self.writers = writers  # two posters that publish to Pushpin
        self.silent = silent  # one that does not (NEWSDESK_PUSHPIN_URL empty)

    def stream_requests(self, slug):
        """How many requests for the feed's stream the server has answered so far."""
        return self.logged_output().count(f'"GET /live/{slug}/events')

    def logged_output(self):
        """The server's output once every request it has answered is in its access log.

        The access log writes its lines in batches, half a second apart at most
        (newsdesk/server/accesslog.py), so the lines of requests just answered may not be out
        yet: a request of our own is sent, and its line waited for; it is written in the
        same batch as those before it or a later one (one web process).
        """
        mark = secrets.token_hex(4)
        connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=10)
        try:
            connection.request("GET", f"/healthz?logged={mark}")
            connection.getresponse().read()
        finally:
            connection.close()
        deadline = time.monotonic() + 10
        while f'"GET /healthz?logged={mark} ' not in (output := self.server.output()):
            assert time.monotonic() < deadline, "no access-log line for /healthz:\n" + output
            time.sleep(0.05)
        return output


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    pushpin_or_skip()
    with server_database() as database_url:
        control_port = free_port()
        env = environment(tmp_path_factory.mktemp("grip"), database_url=database_url)
        env["NEWSDESK_PUSHPIN_URL"] = f"http://127.0.0.1:{control_port}"
        env["NEWSDESK_PUSHPIN_CHECK_SECONDS"] = str(CHECK_SECONDS)
        run("migrate", "--no-input", "--verbosity", "0", env=env)
        server = Server(env)
        writers = [Poster(env) for _ in range(2)]
        silent = Poster({**env, "NEWSDESK_PUSHPIN_URL": ""})
        pushpin = Pushpin(f"127.0.0.1:{server.port}", control_port=control_port)
        assert newsdesk_pushpin_url(pushpin) == env["NEWSDESK_PUSHPIN_URL"]
        try:
            writers[0].send(create=FEEDS)
            writers[0].result()
            server.wait_until_ready()
            pushpin.start()
            yield Site(server, pushpin, writers, silent)
        finally:
            pushpin.stop()
            for poster in (*writers, silent):
                poster.stop()
            server.stop()


class Reader:
    """An EventSource-like reader: every event in order, reconnecting with Last-Event-ID."""

    def __init__(self, port, slug, after=None, last_event_id=None):
        self.port, self.slug = port, slug
        self.after, self.last_id = after, last_event_id
        self.events = []  # (event, id, data)
        self.connections = 0
        self.connected = threading.Event()
        self.stopping = False
        self.response = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        assert self.connected.wait(15), "the reader never got a stream"

    def _run(self):
        while not self.stopping:
            with contextlib.suppress(OSError, ValueError, http.client.HTTPException):
                self._read_one_response()
            if not self.stopping:
                time.sleep(0.2)  # EventSource waits `retry:` (2 s); shorter keeps tests short

    def _read_one_response(self):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=READ_SECONDS)
        headers = dict(HTTPS)
        if self.last_id is not None:
            headers["Last-Event-ID"] = str(self.last_id)
        path = f"/live/{self.slug}/events"
        if self.after is not None:
            path += f"?after={self.after}"
        try:
            connection.request("GET", path, headers=headers)
            self.response = connection.getresponse()
            if self.response.status != 200:
                return
            self.connections += 1
            fields = {}
            while line := self.response.readline():
                line = line.decode().rstrip("\r\n")
                if line.startswith("retry:"):
                    self.connected.set()
                elif line:
                    name, _, value = line.partition(":")
                    fields[name] = value.removeprefix(" ")
                else:
                    self._dispatch(fields)
                    fields = {}
        finally:
            connection.close()

    def _dispatch(self, fields):
        if "data" not in fields:
            return  # a comment (heartbeat, superseded) or the retry line
        if "id" in fields:
            self.last_id = int(fields["id"])
        self.events.append((fields.get("event"), fields.get("id"), json.loads(fields["data"])))

    def ids(self):
        return [int(number) for _, number, _ in self.events if number is not None]

    def wait_for(self, last, seconds=WAIT_SECONDS):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and (not self.ids() or self.ids()[-1] < last):
            time.sleep(0.05)
        return self.ids()

    def close(self):
        self.stopping = True
        with contextlib.suppress(OSError, AttributeError):
            self.response.fp.raw._sock.shutdown(socket.SHUT_RDWR)
        self.thread.join(5)


@contextlib.contextmanager
def readers(*made):
    try:
        yield made
    finally:
        for reader in made:
            reader.close()


def test_readers_get_updates_from_two_processes_once_and_in_order(site):
    slug = "two-writers"
    port = site.pushpin.http_port
    with readers(Reader(port, slug, after=0), Reader(port, slug, after=0)) as through_pushpin:
        direct = Reader(site.server.port, slug, after=0)  # not through Pushpin: as before
        with readers(direct):
            # Two processes posting at once: their publishes reach Pushpin in any order.
            for writer, name in zip(site.writers, "AB", strict=True):
                writer.post(slug, 12, name, pause=0.02)
            sequences = sorted(s for writer in site.writers for s in writer.result())
            assert sequences == list(range(1, 25))
            for reader in (*through_pushpin, direct):
                assert reader.wait_for(24) == sequences, "every update once, in order"
                assert all(event == "update" for event, _, _ in reader.events)
                assert [data["sequence"] for _, _, data in reader.events] == sequences
    # The polling fallback, through Pushpin as a plain proxied request.
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", f"/live/{slug}/updates.json?after=20", headers=HTTPS)
    polled = json.loads(connection.getresponse().read())
    assert [event["sequence"] for event in polled["events"]] == [21, 22, 23, 24]


def test_at_steady_state_no_update_costs_a_request_per_reader(site):
    slug = "steady"
    port = site.pushpin.http_port
    with readers(*(Reader(port, slug, after=0) for _ in range(12))) as many:
        before = site.stream_requests(slug)
        assert before == len(many)
        site.writers[0].post(slug, 6, "Steady", pause=0.05)
        sequences = site.writers[0].result()
        for reader in many:
            assert reader.wait_for(sequences[-1]) == sequences
        # Pushpin may check on the feed's position every CHECK_SECONDS, once for all readers
        # at that position; a request per reader and update would be 72.
        assert site.stream_requests(slug) - before < len(many)
        assert all(reader.connections == 1 for reader in many)


def test_resume_with_last_event_id_through_pushpin(site):
    slug = "resume"
    port = site.pushpin.http_port
    site.writers[0].post(slug, 5, "Earlier")
    sequences = site.writers[0].result()
    with readers(Reader(port, slug, last_event_id=sequences[1])) as (reader,):
        assert reader.wait_for(sequences[-1]) == sequences[2:]
        site.writers[1].post(slug, 2, "Later")
        more = site.writers[1].result()
        assert reader.wait_for(more[-1]) == sequences[2:] + more
    # Ahead of the feed (a restored backup): told to reload, and the stream ends.
    with readers(Reader(port, slug, last_event_id=more[-1] + 10)) as (ahead,):
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline and not ahead.events:
            time.sleep(0.05)
        assert [event for event, _, _ in ahead.events[:1]] == ["reload"]


def test_a_lost_publish_is_recovered(site):
    slug = "missed"
    port = site.pushpin.http_port
    with readers(Reader(port, slug, after=0), Reader(port, slug, after=0)) as both:
        # Committed by a process that publishes nothing (as if it died right after the
        # commit): no later change shows the gap, Pushpin's periodic check finds it.
        site.silent.post(slug, 1, "Lost")
        lost = site.silent.result()
        for reader in both:
            assert reader.wait_for(lost[-1]) == lost
        # Lost again, and then a change that is published: its prev-id shows the gap.
        site.silent.post(slug, 1, "Lost too")
        lost_too = site.silent.result()
        site.writers[0].post(slug, 1, "Published")
        published = site.writers[0].result()
        for reader in both:
            assert reader.wait_for(published[-1]) == lost + lost_too + published
            assert reader.connections == 1  # recovered by Pushpin, not by reconnecting


def test_pushpin_killed_and_restarted_mid_feed(site):
    slug = "restart"
    port = site.pushpin.http_port
    writer = site.writers[1]
    with readers(*(Reader(port, slug, after=0) for _ in range(3))) as three:
        logged = len(writer.lines)
        writer.post(slug, 30, "Through a restart", pause=0.05)
        while not three[0].ids():
            time.sleep(0.02)
        site.pushpin.kill()
        # Posts go on meanwhile: Pushpin comes back once one of their publishes has failed.
        deadline = time.monotonic() + 30
        while "unavailable (" not in "".join(writer.lines[logged:]):
            assert time.monotonic() < deadline, "no publish failed while Pushpin was down"
            time.sleep(0.02)
        site.pushpin.start()
        sequences = writer.result()
        assert sequences == list(range(1, 31))
        for reader in three:
            assert reader.wait_for(30, RESTART_WAIT_SECONDS) == sequences, (
                "every update once, in order"
            )
            assert reader.connections >= 2  # the kill cut them off; they came back
    # The writer's process logged the outage once when it began and once when it ended.
    output = "".join(writer.lines[logged:])
    assert output.count("unavailable (") == 1, output
    assert output.count(" back after ") == 1, output


@pytest.mark.django_db(transaction=True)  # publishing happens after the commit
def test_posting_with_pushpin_down_commits_and_logs_the_outage_once(settings, caplog):
    from newsdesk.live.models import LiveUpdate
    from newsdesk.live.publisher import publisher_for
    from tests.factories import make_live_feed, post

    pushpin_or_skip()
    control_port = free_port()
    settings.NEWSDESK_PUSHPIN_URL = [f"http://127.0.0.1:{control_port}"]
    publisher = publisher_for(settings.NEWSDESK_PUSHPIN_URL)
    feed = make_live_feed()
    caplog.set_level("WARNING", logger="newsdesk.live.broker")
    for number in range(3):
        post(feed, f"While Pushpin is down {number}")
        assert publisher.flush()
    assert LiveUpdate.objects.filter(feed=feed).count() == 3
    down = [r.getMessage() for r in caplog.records if "unavailable" in r.getMessage()]
    assert len(down) == 1 and f"Pushpin at http://127.0.0.1:{control_port}" in down[0]
    with Pushpin(f"127.0.0.1:{free_port()}", control_port=control_port, ready_path="/") as pushpin:
        started = pushpin.pids()
        for number in range(2):
            post(feed, f"Pushpin is back {number}")
            assert publisher.flush()
    back = [r.getMessage() for r in caplog.records if " back after " in r.getMessage()]
    assert len(back) == 1
    # Runner, condure, proxy, handler and two zurls, and none of them left running after.
    assert len(started) == 6
    assert not [pid for pid in started if process_runs(pid)]


def process_runs(pid):
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
