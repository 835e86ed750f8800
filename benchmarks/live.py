"""Live benchmark: how fast one `newsdesk serve` process fans a live update out to N readers.

One uvicorn process (`newsdesk serve --no-worker`, SQLite in a fresh temporary data directory)
serves a live feed; this process opens N Server-Sent Events connections to it with raw asyncio
streams (uvloop when installed), and a separate process (benchmarks.live_poster) posts
UPDATES updates through newsdesk.live.actions.post_update, one every INTERVAL seconds, noting
time.time() right after each commit. Readers note time.time() when an event arrives (same
machine, same clock). Per run:

- delivery latency from commit, over every (reader, update) pair: p50, p99, max;
- events lost (expected UPDATES per reader) and duplicated (must be 0);
- server RSS (/proc/<pid>/status VmRSS) before and after the readers connect, per connection;
- server CPU time spent while the updates were delivered, per update.

Variants: the default install (SQLite; other processes' posts are picked up by polling every
POLL_SECONDS), the same with REDIS_URL set (Redis pub/sub wakes the server at once), and the
physical floor (benchmarks.live_floor: a bare asyncio server that writes a constant event of
the same size to N sockets), measured in the same run so the figures can be read as ratios.
A one-request ping (GET /healthz) is measured too.

    python -m benchmarks.live [--readers 1000,5000] [--variants polling,redis,floor] [--profile]
                              [--plot PNG]

`make bench` (benchmarks.run) runs it after the page benchmark and writes BENCHMARKS.md.
--profile runs the server under cProfile and prints where its main thread spent the time.
"""

import argparse
import asyncio
import contextlib
import gc
import json
import math
import os
import pstats
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLOT = ROOT / "benchmarks" / "live-latency.png"
READER_COUNTS = (1000, 5000)
TARGET_P99_MS = {1000: 250, 5000: 1000}
UPDATES = 20
INTERVAL = 0.5
SLUG = "bench-storm"
REDIS_URL = "redis://127.0.0.1:6379/3"
CONNECT_BATCH = 250
CONNECT_TIMEOUT = 300
DRAIN_SECONDS = 10.0
"""After the last commit, how long stragglers may take before they count as lost."""
PING_REQUESTS = 50

CREATE_FEED = f"""
from newsdesk.live.actions import post_update
from newsdesk.live.models import LiveFeedPage, LiveIndexPage
feed = LiveFeedPage(title="Benchmark storm", slug="{SLUG}", live=False)
LiveIndexPage.objects.get().add_child(instance=feed)
feed.save_revision().publish()
post_update(feed, headline="Before the benchmark", body="<p>So the page renders an update.</p>")
"""

VARIANTS = {
    "polling": "Django, SQLite, polling",
    "redis": "Django, SQLite + Redis wake-ups",
    "floor": "asyncio floor",
}


@dataclass
class Result:
    variant: str
    readers: int
    latencies_ms: list = field(default_factory=list)
    lost: int = 0
    duplicated: int = 0
    rss_before_kb: int = 0
    rss_connected_kb: int = 0
    rss_after_kb: int = 0
    threads_before: int = 0
    threads_connected: int = 0
    fds_before: int = 0
    fds_connected: int = 0
    connect_seconds: float = 0.0
    server_cpu_seconds: float = 0.0
    client_cpu_seconds: float = 0.0
    delivery_seconds: float = 0.0
    event_bytes: int = 0
    ping_ms: float | None = None
    first_ms: float = math.nan
    """Median over updates of the commit-to-first-reader time: wake-up, query, rendering."""
    spread_ms: float = math.nan
    per_update: list = field(default_factory=list)
    """Median over updates of the first-to-last-reader time: the fan-out itself."""
    note: str = ""

    def percentile(self, fraction):
        if not self.latencies_ms:
            return math.nan
        ordered = self.latencies_ms
        return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]

    @property
    def label(self):
        return VARIANTS[self.variant]

    @property
    def kb_per_connection(self):
        return (self.rss_connected_kb - self.rss_before_kb) / self.readers


# --- processes -------------------------------------------------------------------------------


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def python(*args):
    return [sys.executable, *args]


def environment(data_dir, redis_url=""):
    env = {
        **os.environ,
        "NEWSDESK_DATA_DIR": str(data_dir),
        "NEWSDESK_DEBUG": "false",
        "NEWSDESK_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": "",
        "REDIS_URL": redis_url,
        "DJANGO_SETTINGS_MODULE": "newsdesk.settings",
        "PYTHONUNBUFFERED": "1",
    }
    return env


def newsdesk(*args, env, timeout=300):
    completed = subprocess.run(  # noqa: S603 - our own interpreter and module
        python("-m", "newsdesk.cli", *args),
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if completed.returncode != 0:
        sys.exit(f"newsdesk {args[0]} failed:\n{completed.stdout}\n{completed.stderr}")
    return completed.stdout


def proc_status(pid, name):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{name}:"):
            return int(line.split()[1])
    return 0


def rss_kb(pid):
    return proc_status(pid, "VmRSS")


def snapshot(result, pid, when):
    """Memory, threads and open files of the server process, before or with the readers."""
    setattr(result, f"rss_{when}_kb", rss_kb(pid))
    setattr(result, f"threads_{when}", proc_status(pid, "Threads"))
    setattr(result, f"fds_{when}", len(os.listdir(f"/proc/{pid}/fd")))


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def raise_file_limit(readers):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else max(soft, readers * 2 + 1000)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def wait_for_http(url, process, log, timeout=90):
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            sys.exit(f"The server exited with {process.returncode}:\n{tail(log)}")
        try:
            request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https"})  # noqa: S310 - loopback
            with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - loopback
                return response.read()
        except urllib.error.HTTPError as error:
            sys.exit(f"{url} answered {error.code}:\n{tail(log)}")
        except OSError:
            if time.monotonic() > deadline:
                sys.exit(f"The server did not answer {url} in {timeout} s:\n{tail(log)}")
            time.sleep(0.2)


def tail(path, lines=30):
    with contextlib.suppress(OSError):
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    return ""


def ping_ms(port):
    durations = []
    for _ in range(PING_REQUESTS):
        started = time.perf_counter()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:  # noqa: S310 - loopback
            response.read()
        durations.append((time.perf_counter() - started) * 1000)
    return sorted(durations)[len(durations) // 2]


def stop(process, timeout=30):
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# --- the readers -----------------------------------------------------------------------------


class Readers:
    """N SSE connections in this process's event loop; what each received, and when."""

    def __init__(self, port, path, expected):
        self.port = port
        self.request = (
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Forwarded-Proto: https\r\n"
            "Accept: text/event-stream\r\n\r\n"
        ).encode()
        self.expected = expected
        self.received = []
        self.tasks = []
        self.finished = 0
        self.dropped = 0
        self.event_bytes = 0
        self.all_done = asyncio.Event()

    async def connect(self, count, progress):
        started = time.monotonic()
        step = max(1, count // 5)
        for first in range(0, count, CONNECT_BATCH):
            batch = []
            for _ in range(first, min(count, first + CONNECT_BATCH)):
                subscribed = asyncio.get_running_loop().create_future()
                log = []
                self.received.append(log)
                self.tasks.append(asyncio.create_task(self._read(log, subscribed)))
                batch.append(subscribed)
            await asyncio.wait_for(asyncio.gather(*batch), CONNECT_TIMEOUT)
            done = min(count, first + CONNECT_BATCH)
            if done % step < CONNECT_BATCH or done == count:
                progress(f"connected {done:,}/{count:,} in {time.monotonic() - started:.1f} s")
        return time.monotonic() - started

    async def _read(self, log, subscribed):
        writer = None
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
            writer.write(self.request)
            head = await reader.readuntil(b"\r\n\r\n")
            if not head.startswith(b"HTTP/1.1 200"):
                raise ConnectionError(head.split(b"\r\n", 1)[0].decode())
            chunked = b"transfer-encoding: chunked" in head.lower()
            buffer = b""
            while True:
                if chunked:
                    size = int((await reader.readline()).split(b";")[0], 16)
                    if size == 0:
                        break
                    data = (await reader.readexactly(size + 2))[:-2]
                else:
                    data = await reader.read(65536)
                    if not data:
                        break
                received = time.time()
                buffer += data
                while (end := buffer.find(b"\n\n")) >= 0:
                    frame, buffer = buffer[:end], buffer[end + 2 :]
                    if frame.startswith(b"id: "):
                        log.append((int(frame[4 : frame.index(b"\n")]), received))
                        self.event_bytes = len(frame) + 2
                        if len(log) == self.expected:
                            self.finished += 1
                            if self.finished == len(self.received):
                                self.all_done.set()
                    elif frame.startswith(b"retry:") and not subscribed.done():
                        subscribed.set_result(None)
            raise ConnectionError("the server ended the stream")
        except asyncio.CancelledError:
            raise
        except Exception as error:
            if not subscribed.done():
                subscribed.set_exception(error)
            else:
                self.dropped += 1
        finally:
            if writer is not None:
                writer.close()

    async def close(self):
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


def score(result, readers, commits):
    latencies = []
    for log in readers.received:
        seen = {}
        for sequence, received in log:
            if sequence in seen:
                result.duplicated += 1
            else:
                seen[sequence] = received
        for sequence, committed in commits.items():
            if sequence in seen:
                latencies.append((seen[sequence] - committed) * 1000)
            else:
                result.lost += 1
    result.latencies_ms = sorted(latencies)
    result.event_bytes = readers.event_bytes
    first, last = {}, {}
    for log in readers.received:
        for sequence, received in log:
            first[sequence] = min(first.get(sequence, received), received)
            last[sequence] = max(last.get(sequence, received), received)
    by_update = {sequence: [] for sequence in commits}
    for log in readers.received:
        for sequence, received in log:
            if sequence in by_update:
                by_update[sequence].append((received - commits[sequence]) * 1000)
    result.per_update = [(median(v), max(v)) for _, v in sorted(by_update.items()) if v]
    result.first_ms = median([(first[s] - commits[s]) * 1000 for s in commits if s in first])
    result.spread_ms = median([(last[s] - first[s]) * 1000 for s in commits if s in first])


def median(values):
    return statistics.median(values) if values else math.nan


# --- one run ---------------------------------------------------------------------------------


async def read_json_line(stream, timeout):
    line = await asyncio.wait_for(stream.readline(), timeout)
    if not line:
        raise RuntimeError("the posting process ended early")
    return json.loads(line)


async def deliver(result, server_pid, readers, source, progress):
    """Tell `source` (poster or floor) to go, collect its commit times, wait for delivery."""
    await read_json_line(source.stdout, 120)  # {"ready": true}
    # The client's own garbage collector must not add pauses to what it measures.
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        return await collect(result, server_pid, readers, source, progress)
    finally:
        gc.enable()
        gc.unfreeze()


async def collect(result, server_pid, readers, source, progress):
    cpu_before, client_before = cpu_seconds(server_pid), time.process_time()
    started = time.monotonic()
    source.stdin.write(b"go\n")
    await source.stdin.drain()
    commits = {}
    for number in range(1, UPDATES + 1):
        line = await read_json_line(source.stdout, INTERVAL + 30)
        commits[line["sequence"]] = line["committed"]
        if number % 5 == 0:
            have = sum(len(log) for log in readers.received)
            progress(
                f"update {number}/{UPDATES} committed; {have:,} of "
                f"{number * result.readers:,} deliveries so far"
            )
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(readers.all_done.wait(), DRAIN_SECONDS)
    result.delivery_seconds = time.monotonic() - started
    result.server_cpu_seconds = cpu_seconds(server_pid) - cpu_before
    result.client_cpu_seconds = time.process_time() - client_before
    return commits


async def run_django(variant, count, data_dir, progress, profile=None):
    result = Result(variant, count)
    env = environment(data_dir, REDIS_URL if variant == "redis" else "")
    port = free_port()
    log_path = data_dir / f"serve-{variant}-{count}.log"
    command = ["-m", "newsdesk.cli", "serve", "--no-worker", "--host", "127.0.0.1"]
    if profile:
        command = ["-m", "benchmarks.profiled_serve", str(profile), *command[2:]]
    server = poster = readers = None
    with open(log_path, "w") as log:
        try:
            server = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                python(*command, "--port", str(port)), env=env, cwd=ROOT, stdout=log, stderr=log
            )
            base = f"http://127.0.0.1:{port}"
            wait_for_http(f"{base}/healthz", server, log_path)
            wait_for_http(f"{base}/live/{SLUG}/", server, log_path)  # warm: templates, queries
            result.ping_ms = ping_ms(port)
            last = json.loads(wait_for_http(f"{base}/live/{SLUG}/updates.json", server, log_path))
            await warm_stream(port, last["last"] - 1)  # replays one: loads the stream code
            snapshot(result, server.pid, "before")
            poster = await asyncio.create_subprocess_exec(
                *python("-m", "benchmarks.live_poster", SLUG, str(UPDATES), str(INTERVAL)),
                env=env,
                cwd=ROOT,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
            )
            readers = Readers(port, f"/live/{SLUG}/events?after={last['last']}", UPDATES)
            result.connect_seconds = await readers.connect(count, progress)
            await asyncio.sleep(1)  # let the connection burst settle before measuring memory
            snapshot(result, server.pid, "connected")
            if profile:
                server.send_signal(signal.SIGUSR1)
            commits = await deliver(result, server.pid, readers, poster, progress)
            if profile:
                server.send_signal(signal.SIGUSR2)
                await asyncio.sleep(2)
            result.rss_after_kb = rss_kb(server.pid)
            score(result, readers, commits)
            if profile:
                for line in Path(log_path).read_text().splitlines():
                    if line.startswith("gc:"):
                        progress(line)
            if readers.dropped:
                result.note = f"{readers.dropped} stream(s) ended early"
        finally:
            if readers is not None:
                await readers.close()
            if poster is not None and poster.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    poster.kill()
                await poster.wait()
            stop(server)
    return result


async def warm_stream(port, after):
    """Open and close one stream, so the broker and the stream code are loaded before RSS."""
    readers = Readers(port, f"/live/{SLUG}/events?after={after}", UPDATES)
    await readers.connect(1, lambda line: None)
    await readers.close()


async def run_floor(count, event_bytes, progress):
    result = Result("floor", count)
    port = free_port()
    floor = readers = None
    try:
        floor = await asyncio.create_subprocess_exec(
            *python(
                "-m",
                "benchmarks.live_floor",
                str(port),
                str(UPDATES),
                str(INTERVAL),
                str(event_bytes),
            ),
            cwd=ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        ready = await read_json_line(floor.stdout, 60)
        assert ready == {"ready": True}
        snapshot(result, floor.pid, "before")
        readers = Readers(port, f"/live/{SLUG}/events", UPDATES)
        result.connect_seconds = await readers.connect(count, progress)
        await asyncio.sleep(1)
        snapshot(result, floor.pid, "connected")
        # deliver() waits for a ready line first; the floor printed its own already.
        commits = await deliver_floor(result, floor, readers, progress)
        result.rss_after_kb = rss_kb(floor.pid)
        score(result, readers, commits)
    finally:
        if readers is not None:
            await readers.close()
        if floor is not None and floor.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                floor.kill()
            await floor.wait()
    return result


async def deliver_floor(result, floor, readers, progress):
    class Ready:
        """Replays the ready line the floor already printed, so deliver() can be shared."""

        def __init__(self, process):
            self.process, self.stdin, self.first = process, process.stdin, True
            self.stdout = self

        async def readline(self):
            if self.first:
                self.first = False
                return b'{"ready": true}\n'
            return await self.process.stdout.readline()

    return await deliver(result, floor.pid, readers, Ready(floor), progress)


# --- the whole benchmark ---------------------------------------------------------------------


def redis_answers():
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except Exception as error:
        return str(error)
    return None


async def run_all(counts, variants, progress, profile=False):
    results, skipped = [], []
    limit = raise_file_limit(max(counts))
    with tempfile.TemporaryDirectory(prefix="newsdesk-live-bench-") as temp:
        data_dir = Path(temp)
        if {"polling", "redis"} & set(variants):
            progress("setting up: migrate, a live feed (fresh SQLite database in a temp dir)")
            env = environment(data_dir)
            newsdesk("migrate", "--no-input", "--verbosity", "0", env=env)
            newsdesk("shell", "-c", CREATE_FEED, env=env)
        if "redis" in variants and (problem := redis_answers()):
            skipped.append(f"Redis variant skipped: no Redis at {REDIS_URL} ({problem}).")
            variants = [v for v in variants if v != "redis"]
        event_bytes = 2600
        for count in counts:
            if count + 200 > limit:
                skipped.append(f"{count:,} readers skipped: the file descriptor limit is {limit}.")
                continue
            for variant in variants:
                progress(f"{VARIANTS[variant]}, {count:,} readers", heading=True)
                if variant == "floor":
                    result = await run_floor(count, event_bytes, progress)
                else:
                    prof = data_dir / f"{variant}-{count}.prof" if profile else None
                    result = await run_django(variant, count, data_dir, progress, prof)
                    event_bytes = result.event_bytes or event_bytes
                    if prof is not None:
                        print_profile(prof, progress)
                results.append(result)
                progress(one_line(result))
                progress(
                    "per update, p50/max ms: "
                    + ", ".join(f"{p50:.0f}/{worst:.0f}" for p50, worst in result.per_update)
                )
    return results, skipped


def print_profile(path, progress):
    if not path.exists():
        progress("(no profile written: the server did not exit cleanly)")
        return
    progress(f"cProfile of the server's main thread ({path.name}), top 25 by own time:")
    stats = pstats.Stats(str(path))
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(40)
    kept = Path(tempfile.gettempdir()) / f"newsdesk-{path.name}"
    shutil.copy(path, kept)
    progress(f"Saved as {kept} (python -m pstats {kept}).")


def one_line(r):
    return (
        f"{r.label}, {r.readers:,} readers: p50 {r.percentile(0.5):.0f} ms, "
        f"p99 {r.percentile(0.99):.0f} ms, max {r.percentile(1):.0f} ms; lost {r.lost}, "
        f"duplicated {r.duplicated}; first reader {r.first_ms:.0f} ms, first to last "
        f"{r.spread_ms:.0f} ms; RSS {r.rss_before_kb / 1024:.0f} -> "
        f"{r.rss_connected_kb / 1024:.0f} MB ({r.kb_per_connection:.1f} KB/connection); "
        f"server CPU {r.server_cpu_seconds / UPDATES * 1000:.0f} ms/update; threads "
        f"{r.threads_before} -> {r.threads_connected}, open files {r.fds_before} -> "
        f"{r.fds_connected}; client CPU {r.client_cpu_seconds:.1f} s in "
        f"{r.delivery_seconds:.1f} s"
    )


def floor_for(results, count):
    return next((r for r in results if r.variant == "floor" and r.readers == count), None)


def verdicts(results):
    lines = []
    for count, target in TARGET_P99_MS.items():
        for r in results:
            if r.readers != count or r.variant == "floor":
                continue
            p99 = r.percentile(0.99)
            met = p99 <= target and r.lost == 0 and r.duplicated == 0
            lines.append(
                f"- {r.label}, {count:,} readers: p99 {p99:.0f} ms against a target of "
                f"{target:,} ms: **{'met' if met else 'not met'}**"
                + ("" if r.lost == 0 and r.duplicated == 0 else " (events lost or duplicated)")
            )
    return lines


def p99_ratio(results, r):
    floor = floor_for(results, r.readers)
    if r is floor:
        return "1.0x"
    if floor is None or not floor.percentile(0.99) > 0:
        return "-"
    return f"{r.percentile(0.99) / floor.percentile(0.99):.1f}x"


def latency_table(results):
    rows = [
        "| server | readers | p50 ms | p99 ms | max ms | p99 vs floor | first reader ms "
        "| first to last ms | lost | duplicated |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        rows.append(
            f"| {r.label} | {r.readers:,} | {r.percentile(0.5):.0f} | {r.percentile(0.99):.0f} "
            f"| {r.percentile(1):.0f} | {p99_ratio(results, r)} | {r.first_ms:.0f} "
            f"| {r.spread_ms:.0f} | {r.lost:,} | {r.duplicated:,} |"
        )
    return rows


def cost_table(results):
    rows = [
        "| server | readers | RSS before MB | RSS with readers MB | KB per connection "
        "| threads with readers | open files with readers | server CPU ms per update "
        "| CPU µs per reader and update | connect s |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        cpu = r.server_cpu_seconds / UPDATES
        rows.append(
            f"| {r.label} | {r.readers:,} | {r.rss_before_kb / 1024:.0f} "
            f"| {r.rss_connected_kb / 1024:.0f} | {r.kb_per_connection:.1f} "
            f"| {r.threads_connected:,} | {r.fds_connected:,} | {cpu * 1000:.0f} "
            f"| {cpu / r.readers * 1e6:.0f} | {r.connect_seconds:.1f} |"
        )
    return rows


def versions():
    import platform
    import sqlite3

    import django
    import uvicorn
    import wagtail

    parts = [
        f"Python {platform.python_version()}",
        f"Django {django.get_version()}",
        f"Wagtail {wagtail.__version__}",
        f"uvicorn {uvicorn.__version__}",
    ]
    with contextlib.suppress(ImportError):
        import uvloop

        parts.append(f"uvloop {uvloop.__version__}")
    parts.append(f"SQLite {sqlite3.sqlite_version}")
    with contextlib.suppress(Exception):
        import redis

        info = redis.Redis.from_url(REDIS_URL, socket_timeout=2).info("server")
        parts.append(f"Redis server {info['redis_version']}")
    return ", ".join(parts)


def report(results, skipped, counts):
    from newsdesk.live.broker import POLL_SECONDS

    ping = sorted(r.ping_ms for r in results if r.ping_ms is not None)
    ping_text = (
        f"One plain request (GET /healthz, new connection each time, median of "
        f"{PING_REQUESTS}) took {ping[len(ping) // 2]:.2f} ms on the same server."
        if ping
        else ""
    )
    section = f"""## Live updates: fan-out to SSE readers

One `newsdesk serve --no-worker` process (uvicorn, one worker) on 127.0.0.1 with SQLite in a
fresh temporary data directory; N readers hold `/live/<slug>/events` open from one asyncio
client process (raw streams, uvloop, its garbage collector paused while it measures); a
separate process posts {UPDATES} updates through `post_update`, one every {INTERVAL} s, and
notes `time.time()` right after each commit; readers note `time.time()` when the event arrives
(same machine and clock). Latency is per reader and update, from commit to arrival.
"Polling": the default install, where the server notices another process's post by polling
every {POLL_SECONDS} s. "Redis wake-ups": the same with `REDIS_URL` set, so the post wakes the
server at once. "asyncio floor": a bare asyncio server that writes a constant event of the
same size to the same N sockets (`benchmarks/live_floor.py`), the physical floor of this client
and kernel. Expected per reader: {UPDATES} events; lost and duplicated count every reader.
Readers for N: {", ".join(f"{c:,}" for c in counts)}.
Command: `make bench` (or `python -m benchmarks.live`). Plot: `benchmarks/live-latency.png`.

Delivery. "First reader" and "first to last" are medians over the updates of the time from
the commit to the first reader's copy (wake-up, query, rendering) and from the first to the
last reader's copy (the fan-out itself).

{chr(10).join(latency_table(results))}

Cost. CPU is the server process's user and system time while the updates were delivered
(/proc/<pid>/stat), threads and open files are counted with every reader connected.

{chr(10).join(cost_table(results))}

Targets (p99 at most 250 ms at 1,000 readers and 1 s at 5,000, nothing lost or duplicated):

{chr(10).join(verdicts(results)) or "- not measured"}

{ping_text}
{chr(10).join(f"{line}" for line in skipped)}
"""
    return section


def plot(results, path):
    from benchmarks.plot import latency_cdf

    latency_cdf(
        path,
        f"Live update delivery latency from commit, {UPDATES} updates per reader",
        [(f"{r.label}, {r.readers:,}", r.latencies_ms) for r in results],
        markers=[(250, "250 ms"), (1000, "1 s")],
    )


def summary(results, skipped):
    lines = [
        f"{'server':<32} {'readers':>7} {'p50':>6} {'p99':>6} {'max':>6} {'first':>6} "
        f"{'spread':>6} {'lost':>5} {'dup':>4} {'KB/conn':>7} {'CPU/upd':>7}"
    ]
    for r in results:
        lines.append(
            f"{r.label:<32} {r.readers:>7,} {r.percentile(0.5):>6.0f} {r.percentile(0.99):>6.0f} "
            f"{r.percentile(1):>6.0f} {r.first_ms:>6.0f} {r.spread_ms:>6.0f} {r.lost:>5,} "
            f"{r.duplicated:>4,} {r.kb_per_connection:>7.1f} "
            f"{r.server_cpu_seconds / UPDATES * 1000:>7.0f}"
        )
    lines.append("(latencies in ms from commit; CPU/upd: server CPU ms per update)")
    lines += [line.replace("**", "") for line in verdicts(results)] + skipped
    return lines


def progress(line, heading=False):
    print(f"\n== {line}" if heading else f"   {line}", flush=True)


def event_loop_runner():
    try:
        import uvloop
    except ImportError:
        return asyncio.run
    return uvloop.run


def run(counts=READER_COUNTS, variants=("polling", "redis", "floor"), profile=False, plot_to=None):
    """Measure, and return (the BENCHMARKS.md section, the summary lines to print).

    plot_to: where to save the latency chart (benchmarks.run passes PLOT, next to the report).
    """
    results, skipped = event_loop_runner()(run_all(counts, list(variants), progress, profile))
    if results and plot_to:
        plot(results, plot_to)
    return report(results, skipped, counts), summary(results, skipped)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--readers", default=",".join(str(c) for c in READER_COUNTS))
    parser.add_argument("--variants", default="polling,redis,floor")
    parser.add_argument("--profile", action="store_true", help="run the server under cProfile")
    parser.add_argument("--plot", metavar="PNG", help="also save the latency chart there")
    options = parser.parse_args()
    counts = [int(count) for count in options.readers.split(",")]
    variants = [variant for variant in options.variants.split(",") if variant]
    section, lines = run(counts, variants, options.profile, options.plot)
    print("\n" + section)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
