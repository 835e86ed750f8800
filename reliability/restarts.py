"""What the Redis and PostgreSQL restart scenarios share: their own Redis and PostgreSQL,
two `newsdesk serve` processes, SSE readers that resume with Last-Event-ID, a poster and a
reader asking for a cached page, and the score of one trial.

Everything runs on loopback ports in 25000-25999 and in temporary directories; the machine's
own Redis and PostgreSQL (6379, 5432) are never touched. A scenario builds the site once and
keeps the two server processes for all its trials, so every trial after the first also
checks that the app recovered from the previous restart without being restarted itself.
"""

import asyncio
import collections
import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.http_load import stop_group
from benchmarks.live import environment, python, wait_for_http
from reliability.restart_site import MANIFEST

ROOT = Path(__file__).resolve().parents[1]
PORTS = range(25000, 26000)
PG_BIN = Path("/usr/lib/postgresql/15/bin")
REDIS_SERVER = "/usr/bin/redis-server"
READERS_PER_SERVER = 3
POST_INTERVAL = 0.25  # seconds between posts: 4 updates a second, alternating servers
PROBE_INTERVAL = 0.2  # seconds between requests for the cached article, per server
RECONNECT_SECONDS = 1.0  # a reader whose stream ended or was refused tries again after this
DRAIN_SECONDS = 20.0  # after the last post, how long readers may take to catch up
HTTPS = {"X-Forwarded-Proto": "https"}
TRACEBACK = "Traceback (most recent call last)"


_given = set()


def free_port():
    """A free loopback port in this scenario's own range, never the same one twice (a
    service is given its port before it starts listening on it)."""
    for port in PORTS:
        if port in _given:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        _given.add(port)
        return port
    raise RuntimeError("no free port in 25000-25999")


def wait_for_port(port, up, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            probe.settimeout(0.5)
            answered = probe.connect_ex(("127.0.0.1", port)) == 0
        if answered == up:
            return
        time.sleep(0.05)
    raise RuntimeError(f"port {port} did not {'open' if up else 'close'} in {timeout} s")


# --- Services of our own -----------------------------------------------------------------


class Redis:
    """redis-server on a port of its own, with no persistence: a restart starts it empty."""

    def __init__(self, directory):
        self.directory = directory
        self.port = free_port()
        self.process = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(  # noqa: S603 - a fixed binary and our own arguments
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for_port(self.port, up=True)

    def kill(self, how):
        """`how`: "kill -9" or "SHUTDOWN NOSAVE" (a clean stop that drops every client)."""
        if how == "kill -9":
            self.process.kill()
        else:
            import redis

            with contextlib.suppress(redis.ConnectionError):
                redis.Redis(port=self.port, socket_timeout=2).shutdown(nosave=True)
        self.process.wait(timeout=30)
        wait_for_port(self.port, up=False)

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


class Postgres:
    """A throwaway PostgreSQL cluster in a temporary directory, run as user postgres."""

    def __init__(self, directory):
        self.directory = Path(directory)
        self.data = self.directory / "pgdata"
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/newsdesk"

    def _run(self, *args, timeout=120):
        return subprocess.run(  # noqa: S603 - fixed binaries and our own arguments
            ["runuser", "-u", "postgres", "--", *args],  # noqa: S607 - util-linux's runuser
            check=True,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def init(self):
        shutil.chown(self.directory, "postgres")
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres")
        self.start()
        self._run(str(PG_BIN / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U",
                  "postgres", "-c", "CREATE DATABASE newsdesk")  # fmt: skip

    def start(self):
        options = f"-c listen_addresses=127.0.0.1 -k {self.directory} -p {self.port} -c fsync=off"
        self._run(str(PG_BIN / "pg_ctl"), "start", "-w", "-D", str(self.data), "-o", options,
                  "-l", str(self.directory / "postgres.log"))  # fmt: skip

    def stop(self, mode="immediate"):
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run(str(PG_BIN / "pg_ctl"), "stop", "-w", "-D", str(self.data), "-m", mode)


# --- The site ----------------------------------------------------------------------------


class Server:
    """`newsdesk serve --no-worker` on a port of its own; output in a log file."""

    def __init__(self, env, log_path):
        self.port = free_port()
        self.log_path = log_path
        self.log = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            python("-m", "newsdesk.cli", "serve", "--no-worker", "--host", "127.0.0.1",
                   "--port", str(self.port)),
            env=env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip

    def wait_until_ready(self):
        wait_for_http(f"http://127.0.0.1:{self.port}/healthz", self.process, self.log_path)

    def log_text(self, start=0):
        with open(self.log_path, "rb") as log:
            log.seek(start)
            return log.read().decode(errors="replace")

    def log_size(self):
        return os.path.getsize(self.log_path)

    def stop(self):
        stop_group(self.process)
        self.log.close()


class Site:
    """Our Redis (and PostgreSQL, when asked), a built site and two server processes."""

    def __init__(self, postgres):
        self.temp = Path(tempfile.mkdtemp(prefix="newsdesk-restart-"))
        os.chmod(self.temp, 0o755)  # noqa: S103 - user postgres must reach its directory inside
        self.redis = Redis(self.temp)
        self.postgres = None
        if postgres:
            (self.temp / "pg").mkdir()
            self.postgres = Postgres(self.temp / "pg")
        self.servers = []
        self.manifest = None

    def start(self, progress):
        progress(f"Redis on port {self.redis.port}")
        self.redis.start()
        env = environment(self.temp / "data", self.redis.url)
        env.pop("DJANGO_SETTINGS_MODULE", None)
        if self.postgres is not None:
            progress(f"PostgreSQL cluster on port {self.postgres.port} (initdb)")
            self.postgres.init()
            env["DATABASE_URL"] = self.postgres.url
        (self.temp / "data").mkdir()
        progress("building the site (migrate, an article, a live feed, an editor)")
        subprocess.run(  # noqa: S603 - our own interpreter and module
            python("-m", "reliability.restart_site", "build"),
            env=env, cwd=ROOT, check=True, capture_output=True, timeout=900,
        )  # fmt: skip
        self.manifest = json.loads((self.temp / "data" / MANIFEST).read_text())
        for number in range(2):
            # One after the other: `serve` runs collectstatic first, and two at once collide.
            server = Server(env, self.temp / f"server-{number}.log")
            self.servers.append(server)
            server.wait_until_ready()
        progress("two servers on ports " + ", ".join(str(s.port) for s in self.servers))

    def stop(self):
        for server in self.servers:
            server.stop()
        self.redis.stop()
        if self.postgres is not None:
            self.postgres.stop("fast")
        shutil.rmtree(self.temp, ignore_errors=True)


# --- HTTP clients ------------------------------------------------------------------------


def request(port, method, path, body=None, headers=None, timeout=30):
    """(status, headers, text); never raises for an HTTP status."""
    request = urllib.request.Request(  # noqa: S310 - loopback
        f"http://127.0.0.1:{port}{path}", body, {**HTTPS, **(headers or {})}, method=method
    )
    opener = urllib.request.build_opener(NoRedirect)
    try:
        response = opener.open(request, timeout=timeout)
    except urllib.error.HTTPError as error:
        response = error
    with response:
        return response.status, response.headers, response.read().decode(errors="replace")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Reader:
    """One reader's EventSource: reads the stream, and when it ends or is refused connects
    again after RECONNECT_SECONDS with Last-Event-ID, as a browser does."""

    def __init__(self, port, slug, after):
        self.port, self.slug, self.start = port, slug, after
        self.last = None
        self.events = []  # (sequence, time.time() on arrival)
        self.statuses = collections.Counter()
        self.subscribed = asyncio.Event()
        self.current = None
        self.cutting = False
        self.was_cut = False

    async def run(self):
        while True:
            self.current = asyncio.ensure_future(self._connect())
            try:
                await self.current
            except asyncio.CancelledError:
                if not self.cutting:
                    raise
                self.cutting = False
            except (OSError, EOFError, ValueError, asyncio.IncompleteReadError):
                self.statuses["connection error"] += 1
            await asyncio.sleep(RECONNECT_SECONDS)

    def cut(self):
        """Break the connection, as a flaky network does; the reader then resumes."""
        if self.current is not None and not self.current.done():
            self.cutting = self.was_cut = True
            self.current.cancel()

    async def _connect(self):
        path = f"/live/{self.slug}/events"
        resume = f"Last-Event-ID: {self.last}\r\n" if self.last is not None else ""
        if self.last is None:
            path += f"?after={self.start}"
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        try:
            writer.write(
                f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
                f"X-Forwarded-Proto: https\r\nAccept: text/event-stream\r\n{resume}\r\n".encode()
            )
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            self.statuses[status] += 1
            if status != 200:
                return
            await self._read(reader, b"transfer-encoding: chunked" in head.lower())
        finally:
            writer.close()

    async def _read(self, reader, chunked):
        buffer = b""
        while True:
            if chunked:
                size = int((await reader.readline()).split(b";")[0], 16)
                if size == 0:
                    return
                data = (await reader.readexactly(size + 2))[:-2]
            else:
                data = await reader.read(65536)
                if not data:
                    return
            received = time.time()
            buffer += data
            while (end := buffer.find(b"\n\n")) >= 0:
                frame, buffer = buffer[:end], buffer[end + 2 :]
                if match := re.search(rb"^id: (\d+)$", frame, re.M):
                    sequence = int(match[1])
                    self.events.append((sequence, received))
                    self.last = sequence
                elif frame.startswith(b"retry:"):
                    self.subscribed.set()


@dataclass
class Trial:
    number: int
    fault: str = ""
    fault_seconds: float = 0.0
    commits: dict = field(default_factory=dict)  # sequence -> time.time() the post returned
    post_statuses: collections.Counter = field(default_factory=collections.Counter)
    probe_statuses: collections.Counter = field(default_factory=collections.Counter)
    probes_during_fault: collections.Counter = field(default_factory=collections.Counter)
    reader_statuses: collections.Counter = field(default_factory=collections.Counter)
    worst_delay: float = 0.0
    worst_delay_near_fault: float = 0.0
    worst_delay_open: float = 0.0  # readers whose connection was never cut
    editor_saw: list = field(default_factory=list)
    recovery: float | None = None  # seconds from the restart until an editor's post saved
    problems: list = field(default_factory=list)
    logs: str = ""

    @property
    def ok(self):
        return not self.problems

    def check(self, condition, problem):
        if not condition:
            self.problems.append(problem)
        return condition

    @property
    def five_xx(self):
        """5xx answers to readers (streams and pages), 503 from a stream included."""
        counters = (self.probe_statuses, self.reader_statuses)
        return sum(n for c in counters for s, n in c.items() if isinstance(s, int) and s >= 500)


class Traffic:
    """Readers on both servers, a poster and a reader of the cached article, for one trial."""

    def __init__(self, site, trial):
        self.site, self.trial = site, trial
        manifest = site.manifest
        self.slug = manifest["live_slug"]
        self.start = self.latest_sequence()
        self.readers = [
            Reader(server.port, self.slug, self.start)
            for server in site.servers
            for _ in range(READERS_PER_SERVER)
        ]
        self.tasks = []
        self.fault_window = None  # (started, ended) in time.time()
        self.posting = True

    def latest_sequence(self):
        status, _, body = request(
            self.site.servers[0].port, "GET", f"/live/{self.slug}/updates.json"
        )
        if status != 200:
            raise RuntimeError(f"updates.json answered {status}")
        return json.loads(body)["last"]

    async def start_all(self):
        self.tasks = [asyncio.create_task(reader.run()) for reader in self.readers]
        await asyncio.wait_for(
            asyncio.gather(*(reader.subscribed.wait() for reader in self.readers)), 60
        )
        self.tasks.append(asyncio.create_task(self._post()))
        self.tasks.append(asyncio.create_task(self._probe()))

    async def _post(self):
        tokens = self.site.manifest["tokens"]
        number = 0
        while self.posting:
            server = self.site.servers[number % len(self.site.servers)]
            token = tokens[number % len(tokens)]
            body = json.dumps(
                {"headline": f"Trial {self.trial.number}, update {number}", "body": "Details."}
            ).encode()
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            try:
                status, answer_headers, text = await asyncio.to_thread(
                    request, server.port, "POST", f"/api/live/{self.slug}/updates", body, headers
                )
            except OSError as error:
                self.trial.post_statuses[type(error).__name__] += 1
            else:
                self.trial.post_statuses[status] += 1
                if status == 201:
                    self.trial.commits[json.loads(text)["sequence"]] = time.time()
                else:
                    self.note_editor("posting API", status, answer_headers, text)
            number += 1
            await asyncio.sleep(POST_INTERVAL)

    async def _probe(self):
        path = self.site.manifest["article_path"]
        while True:
            for server in self.site.servers:
                try:
                    status, headers, _ = await asyncio.to_thread(request, server.port, "GET", path)
                except OSError as error:
                    status = type(error).__name__
                self.trial.probe_statuses[status] += 1
                if self.fault_window is not None and self.fault_window[1] is None:
                    self.trial.probes_during_fault[status] += 1
            await asyncio.sleep(PROBE_INTERVAL)

    def note_editor(self, what, status, headers, text):
        """What an editor saw for a refused request: status, type, Retry-After, the message."""
        body = re.sub(r"(?s)<head>.*</head>", " ", text)  # the title repeats the heading
        message = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).strip()
        self.trial.editor_saw.append(
            {
                "what": what,
                "status": status,
                "type": (headers.get("Content-Type") or "").split(";")[0],
                "retry_after": headers.get("Retry-After"),
                "traceback": TRACEBACK in text or "Traceback" in text,
                "message": message[:240],
            }
        )

    async def drain(self):
        """Stop posting, then wait until every reader has everything that was committed."""
        self.posting = False
        await asyncio.sleep(POST_INTERVAL * 2)
        committed = await asyncio.to_thread(self.committed_sequences)
        deadline = time.monotonic() + DRAIN_SECONDS
        while time.monotonic() < deadline:
            if all(set(committed) <= {s for s, _ in reader.events} for reader in self.readers):
                break
            await asyncio.sleep(0.2)
        return committed

    def committed_sequences(self):
        """Every sequence after the start, from the database (through updates.json): what
        every reader must have received, whoever posted it."""
        sequences, after = [], self.start
        while True:
            status, _, body = request(
                self.site.servers[0].port, "GET", f"/live/{self.slug}/updates.json?after={after}"
            )
            if status != 200:
                raise RuntimeError(f"updates.json answered {status}")
            page = json.loads(body)
            sequences += [event["sequence"] for event in page["events"]]
            after = page["last"]
            if not page["more"]:
                return sequences

    async def stop(self):
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    def score(self, committed):
        trial = self.trial
        for reader in self.readers:
            trial.reader_statuses.update(reader.statuses)
        trial.check(committed, "nothing was committed")
        trial.check(
            set(trial.commits) <= set(committed),
            f"posts answered 201 but missing from the database: "
            f"{sorted(set(trial.commits) - set(committed))[:5]}",
        )
        started, ended = self.fault_window
        for number, reader in enumerate(self.readers):
            got = [sequence for sequence, _ in reader.events]
            trial.check(
                got == sorted(committed),
                f"reader {number} (port {reader.port}) got {len(got)} events, "
                f"{len(set(committed) - set(got))} missing, "
                f"{len(got) - len(set(got))} duplicated, "
                f"{'in order' if got == sorted(got) else 'out of order'}",
            )
            arrived = dict(reader.events)
            for sequence, committed_at in trial.commits.items():
                if sequence in arrived:
                    delay = arrived[sequence] - committed_at
                    trial.worst_delay = max(trial.worst_delay, delay)
                    if not reader.was_cut:
                        trial.worst_delay_open = max(trial.worst_delay_open, delay)
                    if started - 5 <= committed_at <= ended + 5:
                        trial.worst_delay_near_fault = max(trial.worst_delay_near_fault, delay)
        trial.check(
            trial.probes_during_fault.get(200, 0) > 0 and set(trial.probes_during_fault) == {200},
            f"the cached article during the fault: {dict(trial.probes_during_fault)}",
        )
        trial.check(
            set(trial.probe_statuses) == {200},
            f"the cached article, whole trial: {dict(trial.probe_statuses)}",
        )


def check_logs(trial, site, offsets, wanted):
    """No traceback in the servers' output during the trial, and each wanted line present
    in each server's output (`wanted`: regular expressions)."""
    for server, offset in zip(site.servers, offsets, strict=True):
        text = server.log_text(offset)
        trial.logs += text
        trial.check(
            TRACEBACK not in text,
            f"a traceback in server {server.port}'s log:\n{traceback_excerpt(text)}",
        )
        for pattern in wanted:
            trial.check(
                re.search(pattern, text) is not None,
                f"server {server.port}'s log has no line matching {pattern!r}",
            )
        trial.check(server.process.poll() is None, f"server {server.port} exited")


def traceback_excerpt(text):
    start = text.find(TRACEBACK)
    return text[max(0, start - 200) : start + 1500]


def log_lines(trial, patterns):
    """The servers' log lines matching any pattern, without timestamps, deduplicated."""
    seen = []
    for line in trial.logs.splitlines():
        if any(re.search(pattern, line) for pattern in patterns):
            line = re.sub(r"^\S+ \S+ ", "", line).strip()
            if line not in seen:
                seen.append(line)
    return seen


def progress(line):
    print(f"   {line}", flush=True)
