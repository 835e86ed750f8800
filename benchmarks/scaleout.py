"""Scale-out benchmark: live fan-out through Pushpin to 10,000 and 30,000 readers, beside the
in-process path at 5,000, in one run.

    python -m benchmarks.scaleout [--rows inprocess:5000,pushpin:10000,tuned:10000,tuned:30000]
                                  [--plot PNG]            # or: make bench ONLY=scaleout

Each row: one `newsdesk serve --no-worker` on a fresh SQLite database (shared by the rows, in
a temporary directory) and either

- "inprocess": readers connect to it directly and it holds their streams; the poster's commits
  wake it through Redis (REDIS_URL, db 10), today's default with several processes; or
- "pushpin" / "tuned": readers connect to Pushpin (devservers/pushpin.py) with the server as
  its origin; NEWSDESK_PUSHPIN_URL lists every instance, so the posting process publishes
  each update once to each. One Pushpin instance per READERS_PER_PUSHPIN readers: this
  machine holds every process to 20,000 open files (even root cannot raise that) and condure
  keeps one per reader. "pushpin" and "tuned" differ in the settings in SETTINGS
  (docs/scaling.md says which we recommend and why).

The readers are benchmarks/sse_readers.c (compiled here with gcc into a temporary directory):
one C process per Pushpin instance (or one in all, in-process), each holding its share of the
connections with epoll, checking every event's `id:` against the expected sequence numbers
(lost, duplicated) and noting CLOCK_REALTIME when each event is complete. benchmarks.
live_poster posts UPDATES updates, one every INTERVAL s, and prints time.time() right after
each commit: latency is from the commit to the arrival, on the same clock.

Memory per reader: VmRSS of Pushpin's processes (condure, pushpin-proxy, pushpin-handler, its
runner and zurl) and of the Python server, with the readers connected minus before,
divided by the readers. CPU: user+system time of the same processes while the updates were
delivered (from the first commit until every reader had every update), per update and per
delivery (reader x update). The poster's own CPU is left out: it commits and publishes in
both paths alike.
"""

import argparse
import contextlib
import json
import math
import os
import queue
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import live
from benchmarks.live import (
    CREATE_FEED,
    INTERVAL,
    ROOT,
    SLUG,
    UPDATES,
    cpu_seconds,
    environment,
    free_port,
    newsdesk,
    python,
    rss_kb,
    tail,
    wait_for_http,
)
from devservers.pushpin import Pushpin, newsdesk_pushpin_url

PLOT = ROOT / "benchmarks" / "scaleout-latency.png"
SOURCE = ROOT / "benchmarks" / "sse_readers.c"
REDIS_URL = "redis://127.0.0.1:6379/10"
READERS_PER_PUSHPIN = 10_000
"""Well under the 20,000 open files a process may have here. 15,000 fit, but with 30,000
readers in two instances one instance's pushpin-handler crashed (a segfault, at about 12,000
readers connecting while the machine was loaded by other work), so three instances here."""
PENDING = {"inprocess": 250, "pushpin": 100, "tuned": 100}
"""Connections a reader process keeps unanswered at most: Pushpin 1.36 answers 5xx beyond
about a hundred requests queued between its processes (docs/live.md)."""
CONNECT_TIMEOUT = 240
CHECK_SECONDS = 600
IDLE_SECONDS = 10.0
"""After the last commit, delivery is waited for while it progresses: an update that has not
arrived when no reader has received anything for this long counts as lost."""
DRAIN_LIMIT = 180.0
"""...and for this long at most after the last commit (a saturated Pushpin is slow, not lossy)."""
SETTLE_SECONDS = 3.0
TARGET_P99_MS = 1000
TARGET_KB = 10.0
TARGET_READERS = 30_000
DEFAULT_ROWS = (("inprocess", 5000), ("pushpin", 10_000), ("tuned", 10_000), ("tuned", 30_000))

SETTINGS = {
    "pushpin": {"buffer_size": 2048, "log_level": 2},
    "tuned": {"buffer_size": 4096, "log_level": 1},
}
"""devservers.pushpin.Pushpin's arguments per variant. "pushpin" is the configuration the
project used before this benchmark: condure's two buffers per connection at 2,048 bytes, so a
live update (about 2.6 KB rendered) goes out in two pieces, each a message from the handler
to condure and a credit back. "tuned" makes them 4,096 (every update in one piece; now
devservers/pushpin.py's default) and logs no line per request (log_level 1). Also tried, with
no difference measurable on this machine: 1,024-byte buffers (3 KB less per reader, more CPU
per delivery), no stats sockets (`stats_spec=`), one subscription per connection."""

VARIANTS = {
    "inprocess": "in-process (newsdesk serve, Redis wake-ups)",
    "pushpin": "Pushpin, buffers 2,048 B (before)",
    "tuned": "Pushpin, buffers 4,096 B, log level 1",
}


def pushpin_settings(variant):
    """Keyword arguments for devservers.pushpin.Pushpin in this variant."""
    return SETTINGS.get(variant, {})


# --- the reader processes' output (pure) -----------------------------------------------------


@dataclass
class ReaderOutput:
    """What one sse_readers process wrote when it was told to stop."""

    readers: int = 0
    connected: int = 0
    connect_errors: int = 0
    connect_seconds: float = 0.0
    dropped: int = 0
    """Streams that ended after they had started (each reader then connects again)."""
    reconnected: int = 0
    unexpected: int = 0
    lost: int = 0
    duplicated: int = 0
    ended: dict = field(default_factory=dict)
    """{why: streams}: closed (by the other end), read_error, last_chunk, bad_chunk."""
    arrivals: dict = field(default_factory=dict)
    """{sequence: [arrival time, seconds since the epoch, ...]} for every reader that got it."""


def parse_output(text):
    """A ReaderOutput from sse_readers' output file: `name value` lines, then one line per
    expected update, `update SEQUENCE T1 T2 ...` with arrival times in microseconds."""
    out = ReaderOutput()
    for line in text.splitlines():
        name, _, rest = line.partition(" ")
        if name == "update":
            sequence, *times = rest.split()
            out.arrivals[int(sequence)] = [int(t) / 1e6 for t in times]
        elif name == "connect_seconds":
            out.connect_seconds = float(rest)
        elif name.startswith("ended_"):
            out.ended[name.removeprefix("ended_")] = int(rest)
        elif name in ReaderOutput.__dataclass_fields__:
            setattr(out, name, int(rest))
        elif line.strip():
            raise ValueError(f"not sse_readers output: {line!r}")
    return out


def latencies_ms(commits, outputs):
    """Sorted commit-to-arrival times in ms over every (reader, update) pair received.
    commits: {sequence: commit time}."""
    found = []
    for out in outputs:
        for sequence, times in out.arrivals.items():
            committed = commits.get(sequence)
            if committed is not None:
                found.extend((t - committed) * 1000 for t in times)
    return sorted(found)


def percentile(ordered, fraction):
    """The nearest-rank percentile of an already sorted list (NaN when empty)."""
    if not ordered:
        return math.nan
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def split(total, parts):
    """`total` readers in `parts` shares differing by one at most."""
    return [total // parts + (1 if number < total % parts else 0) for number in range(parts)]


# --- one row ---------------------------------------------------------------------------------


@dataclass
class Row:
    variant: str
    readers: int
    instances: int = 0
    latencies: list = field(default_factory=list)
    lost: int = 0
    duplicated: int = 0
    dropped: int = 0
    reconnected: int = 0
    ended: dict = field(default_factory=dict)
    unexpected: int = 0
    connect_errors: int = 0
    connect_seconds: float = 0.0
    pushpin_before_kb: int = 0
    pushpin_with_kb: int = 0
    python_before_kb: int = 0
    python_with_kb: int = 0
    programs_kb: dict = field(default_factory=dict)
    """{program: KB per reader} for Pushpin's processes."""
    pushpin_cpu: float = 0.0
    python_cpu: float = 0.0
    programs_cpu: dict = field(default_factory=dict)
    client_cpu: float = 0.0
    delivery_seconds: float = 0.0
    first_ms: float = math.nan
    note: str = ""

    @property
    def label(self):
        return VARIANTS[self.variant]

    def p(self, fraction):
        return percentile(self.latencies, fraction)

    @property
    def pushpin_kb_per_reader(self):
        return (self.pushpin_with_kb - self.pushpin_before_kb) / self.readers

    @property
    def python_kb_per_reader(self):
        return (self.python_with_kb - self.python_before_kb) / self.readers

    @property
    def kb_per_reader(self):
        return self.pushpin_kb_per_reader + self.python_kb_per_reader

    @property
    def cpu_ms_per_update(self):
        return (self.pushpin_cpu + self.python_cpu) / UPDATES * 1000

    @property
    def cpu_us_per_delivery(self):
        return (self.pushpin_cpu + self.python_cpu) / (UPDATES * self.readers) * 1e6


def compile_reader(directory):
    binary = Path(directory) / "sse_readers"
    gcc = shutil.which("gcc") or shutil.which("cc")
    if gcc is None:
        raise RuntimeError("the scale-out benchmark needs a C compiler (apt-get install gcc)")
    subprocess.run(  # noqa: S603 - the compiler on our own source
        [gcc, "-O2", "-Wall", "-o", str(binary), str(SOURCE)], check=True, capture_output=True
    )
    return binary


def tree_sum(pids, measure):
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            total += measure(pid)
    return total


def by_program(pids, measure):
    found = {}
    for pid in pids:
        with contextlib.suppress(OSError):
            name = Path(f"/proc/{pid}/comm").read_text().strip()
            found[name] = found.get(name, 0) + measure(pid)
    return found


class Clients:
    """The sse_readers processes of one row and a thread per process reading its lines."""

    def __init__(self, binary, directory):
        self.binary, self.directory = binary, Path(directory)
        self.processes, self.outputs = [], []
        self.lines = queue.Queue()

    def start(self, port, path, count, first, pending):
        number = len(self.processes)
        output = self.directory / f"readers-{number}.txt"
        process = subprocess.Popen(  # noqa: S603 - our own compiled reader
            [str(self.binary), "127.0.0.1", str(port), path, str(count), str(first)]
            + [str(UPDATES), str(pending), str(output)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.processes.append(process)
        self.outputs.append(output)
        threading.Thread(target=self._read, args=(number, process), daemon=True).start()

    def _read(self, number, process):
        for line in process.stdout:
            self.lines.put((number, line.strip()))
        self.lines.put((number, "exit"))

    def wait_for(self, word, timeout, progress, only_last=False):
        """Until every process (or the newest) printed `word`; progress lines on the way.
        False on timeout."""
        waiting = {len(self.processes) - 1} if only_last else set(range(len(self.processes)))
        deadline = time.monotonic() + timeout
        while waiting:
            try:
                number, line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                return False
            if line.startswith(word):
                waiting.discard(number)
                if word == "ready":
                    progress(f"reader process {number}: {line}")
            elif line.startswith("connected"):
                progress(f"reader process {number}: {line}")
            elif line.startswith("delivered"):
                pass
            elif line == "exit":
                error = self.processes[number].stderr.read()
                raise RuntimeError(f"reader process {number} exited early: {error}")
        return True

    def wait_complete(self, expected, progress):
        """Until every process printed `complete`, or nothing arrived for IDLE_SECONDS, or
        DRAIN_LIMIT passed; True when complete. Progress every 10 s."""
        waiting = set(range(len(self.processes)))
        delivered = [0] * len(self.processes)
        deadline = time.monotonic() + DRAIN_LIMIT
        last_change = told = time.monotonic()
        while waiting:
            now = time.monotonic()
            if now > deadline or now - last_change > IDLE_SECONDS:
                return False
            if now - told > 10:
                told = now
                progress(f"delivered {sum(delivered):,} of {expected:,} so far")
            try:
                number, line = self.lines.get(timeout=1)
            except queue.Empty:
                continue
            if line == "complete":
                waiting.discard(number)
            elif line.startswith("delivered"):
                delivered[number] = int(line.split()[1])
                last_change = time.monotonic()
            elif line == "exit":
                error = self.processes[number].stderr.read()
                raise RuntimeError(f"reader process {number} exited early: {error}")
        return True

    def cpu(self):
        return tree_sum([p.pid for p in self.processes], cpu_seconds)

    def finish(self):
        """Tell every process to write its figures, and read them."""
        for process in self.processes:
            with contextlib.suppress(BrokenPipeError):
                process.stdin.write("stop\n")
                process.stdin.flush()
        for process in self.processes:
            process.wait(timeout=60)
        return [parse_output(output.read_text()) for output in self.outputs]

    def kill(self):
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait()


def start_poster(env):
    return subprocess.Popen(  # noqa: S603 - our own interpreter and module
        python("-m", "benchmarks.live_poster", SLUG, str(UPDATES), str(INTERVAL)),
        env=env,
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def read_poster(poster, timeout):
    """One JSON line from the poster, within `timeout` seconds."""
    result = queue.Queue()
    threading.Thread(target=lambda: result.put(poster.stdout.readline()), daemon=True).start()
    try:
        line = result.get(timeout=timeout)
    except queue.Empty:
        raise RuntimeError("the poster did not answer in time") from None
    if not line:
        raise RuntimeError("the poster exited early")
    return json.loads(line)


def run_row(variant, count, data_dir, binary, progress):
    row = Row(variant, count)
    through_pushpin = variant != "inprocess"
    row.instances = math.ceil(count / READERS_PER_PUSHPIN) if through_pushpin else 0
    env = environment(data_dir, "" if through_pushpin else REDIS_URL)
    work = Path(tempfile.mkdtemp(prefix=f"{variant}-{count}-", dir=data_dir))
    server = poster = None
    pushpins, clients = [], Clients(binary, work)
    log_path = work / "serve.log"
    try:
        port = free_port()
        if through_pushpin:
            pushpins = [
                Pushpin(
                    f"127.0.0.1:{port}",
                    workdir=work / f"pushpin-{number}",
                    max_connections=READERS_PER_PUSHPIN + 500,
                    **pushpin_settings(variant),
                )
                for number in range(row.instances)
            ]
            env["NEWSDESK_PUSHPIN_URL"] = newsdesk_pushpin_url(*pushpins)
            # Longer than a row lasts. With the default 20 s, every held reader's periodic
            # check reached the one Python server while the next instance's readers were
            # still connecting, and in each 30,000-reader run one or two pushpin-handlers
            # crashed (a segfault) soon after; a lost publish is still recovered from the
            # next update's prev-id, which is all a run needs.
            env["NEWSDESK_PUSHPIN_CHECK_SECONDS"] = str(CHECK_SECONDS)
        with open(log_path, "w") as log:
            server = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                python("-m", "newsdesk.cli", "serve", "--no-worker", "--port", str(port)),
                env=env,
                cwd=ROOT,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        wait_for_http(f"http://127.0.0.1:{port}/healthz", server, log_path)
        for pushpin in pushpins:
            pushpin.start()
        poster = start_poster(env)  # boots Django while the readers connect
        updates_url = f"http://127.0.0.1:{port}/live/{SLUG}/updates.json"
        last = json.loads(wait_for_http(updates_url, server, log_path))["last"]
        path = f"/live/{SLUG}/events?after={last}"
        # One stream opened and closed first, so the stream code is loaded before "before".
        warm = Clients(binary, work / "warm")
        (work / "warm").mkdir()
        warm.start(pushpins[0].http_port if pushpins else port, path, 1, last + 1, 1)
        warm.wait_for("ready", 60, lambda line: None)
        warm.finish()
        time.sleep(1)
        pids = [pid for pushpin in pushpins for pid in pushpin.pids()]
        row.pushpin_before_kb = tree_sum(pids, rss_kb)
        programs_before = by_program(pids, rss_kb)
        row.python_before_kb = rss_kb(server.pid)
        targets = [p.http_port for p in pushpins] or [port]
        # One instance's readers after another's: all at once, the crowd of first requests
        # (each a request to the one Python server) crashed a pushpin-handler twice.
        connecting = time.monotonic()
        for target, share in zip(targets, split(count, len(targets)), strict=True):
            clients.start(target, path, share, last + 1, PENDING[variant])
            if not clients.wait_for("ready", CONNECT_TIMEOUT, progress, only_last=True):
                raise RuntimeError(f"the readers did not all connect in {CONNECT_TIMEOUT} s")
        connect_seconds = time.monotonic() - connecting
        time.sleep(SETTLE_SECONDS)  # let the connection burst settle before measuring memory
        pids = [pid for pushpin in pushpins for pid in pushpin.pids()]
        row.pushpin_with_kb = tree_sum(pids, rss_kb)
        row.programs_kb = {
            name: (kb - programs_before.get(name, 0)) / count
            for name, kb in by_program(pids, rss_kb).items()
        }
        row.python_with_kb = rss_kb(server.pid)
        if read_poster(poster, 120) != {"ready": True}:
            raise RuntimeError("the poster did not say it was ready")
        pushpin_cpu, python_cpu = tree_sum(pids, cpu_seconds), cpu_seconds(server.pid)
        programs_cpu = by_program(pids, cpu_seconds)
        client_cpu = clients.cpu()
        started = time.monotonic()
        poster.stdin.write("go\n")
        poster.stdin.flush()
        commits = {}
        for number in range(1, UPDATES + 1):
            line = read_poster(poster, INTERVAL + 30)
            commits[line["sequence"]] = line["committed"]
            if number % 5 == 0:
                progress(f"update {number}/{UPDATES} committed")
        expected = set(range(last + 1, last + UPDATES + 1))
        if set(commits) != expected:
            raise RuntimeError(f"the poster made sequences {sorted(commits)}, not {expected}")
        if not clients.wait_complete(count * UPDATES, progress):
            row.note = "some updates never arrived (or not within the time allowed)"
        row.delivery_seconds = time.monotonic() - started
        row.pushpin_cpu = tree_sum(pids, cpu_seconds) - pushpin_cpu
        row.python_cpu = cpu_seconds(server.pid) - python_cpu
        row.programs_cpu = {
            name: seconds - programs_cpu.get(name, 0)
            for name, seconds in by_program(pids, cpu_seconds).items()
        }
        row.client_cpu = clients.cpu() - client_cpu
        outputs = clients.finish()
        row.latencies = latencies_ms(commits, outputs)
        for name in ("lost", "duplicated", "dropped", "reconnected", "unexpected"):
            setattr(row, name, sum(getattr(out, name) for out in outputs))
        row.connect_errors = sum(out.connect_errors for out in outputs)
        for out in outputs:
            for why, streams in out.ended.items():
                row.ended[why] = row.ended.get(why, 0) + streams
        row.connect_seconds = connect_seconds
        firsts = [
            (min(t for out in outputs for t in out.arrivals.get(s, [])) - committed) * 1000
            for s, committed in commits.items()
            if any(out.arrivals.get(s) for out in outputs)
        ]
        row.first_ms = statistics.median(firsts) if firsts else math.nan
    except BaseException as error:
        progress(f"failed; the server's log ends:\n{tail(log_path, 5)}")
        crashed = []
        for number, pushpin in enumerate(pushpins):
            progress(f"Pushpin {number}'s log ends:\n{pushpin.log_tail(lines=10)}")
            crashed += [
                f"Pushpin instance {number}: {line.split('] ', 1)[-1]}"
                for line in pushpin.log_tail(lines=10_000).splitlines()
                if "Exited unexpectedly" in line
            ]
        if crashed and isinstance(error, Exception):
            raise RuntimeError(f"{'; '.join(crashed)} (then: {error})") from error
        raise
    finally:
        clients.kill()
        if poster is not None and poster.poll() is None:
            poster.kill()
            poster.wait()
        for pushpin in pushpins:
            pushpin.stop()
        if server is not None:
            from benchmarks.http_load import stop_group

            stop_group(server)
        shutil.rmtree(work, ignore_errors=True)
    return row


# --- the whole part --------------------------------------------------------------------------


@dataclass
class Figures:
    rows: list = field(default_factory=list)
    load_average: list = field(default_factory=list)
    seconds: float = 0.0
    skipped: list = field(default_factory=list)


def redis_problem():
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except Exception as error:
        return str(error)
    return None


def measure(rows, progress):
    figures = Figures()
    started = time.monotonic()
    figures.load_average.append(os.getloadavg())
    with tempfile.TemporaryDirectory(prefix="newsdesk-scaleout-bench-") as temp:
        data_dir = Path(temp)
        binary = compile_reader(data_dir)
        progress("setting up: migrate, a live feed (fresh SQLite database in a temp dir)")
        env = environment(data_dir)
        newsdesk("migrate", "--no-input", "--verbosity", "0", env=env)
        newsdesk("shell", "-c", CREATE_FEED, env=env)
        for variant, count in rows:
            if variant == "inprocess" and (problem := redis_problem()):
                figures.skipped.append(f"In-process row skipped: no Redis ({problem}).")
                continue
            progress(f"{VARIANTS[variant]}, {count:,} readers", heading=True)
            try:
                row = run_row(variant, count, data_dir, binary, progress)
            except (RuntimeError, OSError, subprocess.SubprocessError) as error:
                # One row failing (a Pushpin process crashing, say) is a finding, not a reason
                # to lose the others.
                figures.skipped.append(f"{VARIANTS[variant]}, {count:,} readers: failed: {error}")
                progress(f"failed: {error}")
                continue
            figures.rows.append(row)
            progress(one_line(row))
    figures.load_average.append(os.getloadavg())
    figures.seconds = time.monotonic() - started
    return figures


def one_line(r):
    return (
        f"{r.label}, {r.readers:,} readers: p50 {r.p(0.5):.0f} ms, p99 {r.p(0.99):.0f} ms, "
        f"max {r.p(1):.0f} ms; lost {r.lost}, duplicated {r.duplicated}; {r.dropped} streams "
        f"ended ({ended_text(r)}), {r.reconnected} resumed; "
        f"{r.kb_per_reader:.1f} KB/reader (Pushpin {r.pushpin_kb_per_reader:.1f}, Python "
        f"{r.python_kb_per_reader:.1f}); CPU {r.cpu_ms_per_update:.0f} ms/update, "
        f"{r.cpu_us_per_delivery:.1f} µs/delivery; connected in {r.connect_seconds:.1f} s "
        f"({r.connect_errors} refused and retried); readers' own CPU {r.client_cpu:.1f} s"
        + (f"; {r.note}" if r.note else "")
    )


def ended_text(row):
    return ", ".join(f"{why} {n}" for why, n in sorted(row.ended.items()) if n) or "none"


def setting_text(row):
    if row.variant == "inprocess":
        return "-"
    return "1 instance" if row.instances == 1 else f"{row.instances} instances"


def latency_rows(figures):
    rows = [
        "| path | readers | Pushpin instances | p50 ms | p99 ms | max ms | first reader ms | lost "
        "| duplicated | streams ended, resumed | connect s (refused, retried) |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in figures.rows:
        rows.append(
            f"| {r.label} | {r.readers:,} | {setting_text(r)} | {r.p(0.5):.0f} | {r.p(0.99):.0f} "
            f"| {r.p(1):.0f} | {r.first_ms:.0f} | {r.lost:,} | {r.duplicated:,} "
            f"| {r.dropped:,}, {r.reconnected:,} | {r.connect_seconds:.1f} ({r.connect_errors:,}) |"
        )
    return rows


def cost_rows(figures):
    rows = [
        "| path | readers | Pushpin MB before / with | Python MB before / with | KB per reader "
        "(Pushpin + Python) | CPU ms per update (Pushpin + Python) | CPU µs per delivery |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in figures.rows:
        pushpin = (
            f"{r.pushpin_before_kb / 1024:.0f} / {r.pushpin_with_kb / 1024:.0f}"
            if r.instances
            else "-"
        )
        rows.append(
            f"| {r.label} | {r.readers:,} | {pushpin} | {r.python_before_kb / 1024:.0f} / "
            f"{r.python_with_kb / 1024:.0f} | {r.kb_per_reader:.1f} ({r.pushpin_kb_per_reader:.1f}"
            f" + {r.python_kb_per_reader:.1f}) | {r.cpu_ms_per_update:.0f} "
            f"({r.pushpin_cpu / UPDATES * 1000:.0f} + {r.python_cpu / UPDATES * 1000:.0f}) "
            f"| {r.cpu_us_per_delivery:.1f} |"
        )
    return rows


def program_lines(figures):
    lines = []
    for r in figures.rows:
        if not r.instances:
            continue
        memory = ", ".join(f"{name} {kb:.1f}" for name, kb in sorted(r.programs_kb.items()))
        cpu = ", ".join(
            f"{name} {seconds / (UPDATES * r.readers) * 1e6:.1f}"
            for name, seconds in sorted(r.programs_cpu.items())
        )
        lines.append(
            f"- {r.label}, {r.readers:,}: KB per reader {memory}; µs per delivery {cpu}; "
            f"the readers' own CPU {r.client_cpu:.1f} s in {r.delivery_seconds:.1f} s"
        )
    return lines


def verdicts(figures):
    """[(target, measured, met)] for the largest Pushpin row."""
    pushpin = [r for r in figures.rows if r.instances]
    at_target = [r for r in pushpin if r.readers >= TARGET_READERS]
    if not at_target:
        return []
    best = min(at_target, key=lambda r: r.p(0.99))
    clean = best.lost == 0 and best.duplicated == 0
    p99 = best.p(0.99)
    kb = min(r.kb_per_reader for r in at_target)
    return [
        (
            f"p99 <= {TARGET_P99_MS / 1000:g} s at {TARGET_READERS:,} readers, nothing lost "
            "or duplicated",
            f"{p99:,.0f} ms ({best.label}; lost {best.lost}, duplicated {best.duplicated})"
            + (f", {p99 / TARGET_P99_MS:.1f}x the target" if p99 > TARGET_P99_MS else ""),
            p99 <= TARGET_P99_MS and clean,
        ),
        (
            f"memory <= {TARGET_KB:g} KB per reader",
            f"{kb:.1f} KB" + (f", {kb / TARGET_KB:.1f}x the target" if kb > TARGET_KB else ""),
            kb <= TARGET_KB,
        ),
    ]


def report(figures, plotted):
    load = ", ".join(f"{one:.2f}" for one, _, _ in figures.load_average)
    tuned = "; ".join(
        f"{VARIANTS[variant]}: `client_buffer_size={values['buffer_size']}`, "
        f"`log_level={values['log_level']}`"
        for variant, values in SETTINGS.items()
    )
    targets = "\n".join(
        f"| {target} | {measured} | {'met' if met else '**missed**'} |"
        for target, measured, met in verdicts(figures)
    )
    return f"""## Live fan-out at scale: Pushpin against the in-process path

One `newsdesk serve --no-worker` (SQLite) per row. In-process: readers connect to it and a
separate process's commits wake it through Redis. Pushpin (Debian's 1.36, condure, two zurl;
`devservers/pushpin.py`): readers connect to Pushpin, the server only answers each reader's
first request, and the posting process publishes each update once to every instance
(`NEWSDESK_PUSHPIN_URL` lists them); one instance per {READERS_PER_PUSHPIN:,} readers, its
readers connected after the previous instance's, and `NEWSDESK_PUSHPIN_CHECK_SECONDS` at
{CHECK_SECONDS} (longer than a row: no periodic recovery requests during it). Every process
here is held to 20,000 open files and condure keeps one per reader; in the first three
30,000-reader runs (15,000 per instance; all connecting at once; one instance after another
with the default 20 s check) one or two pushpin-handlers crashed with a segfault, at the same
instruction each time, while readers were connecting. Both
Pushpin rows have `devservers/pushpin.py`'s configuration (message_rate and message_hwm
raised, two zurl) with {tuned}. Readers: `benchmarks/sse_readers.c`
(C, epoll; one process per Pushpin instance), each checking every event's id (lost,
duplicated) and noting the wall clock when the event is complete; `benchmarks/live_poster.py`
posts {UPDATES} updates, one every {INTERVAL} s, noting `time.time()` after each commit.
Latency is per reader and update, from commit to arrival, same clock. Load average (1 min) at
the start and end: {load}; the machine is shared, so latencies are pessimistic and CPU time is
the sturdier figure. Whole part: {figures.seconds / 60:.1f} min. Command: `make bench
ONLY=scaleout` (`python -m benchmarks.scaleout`){
        ". Plot: `benchmarks/scaleout-latency.png`" if plotted else ""
    }.

{chr(10).join(latency_rows(figures))}

Memory is VmRSS with the readers connected minus before, per reader: Pushpin's processes
(condure, pushpin-proxy, pushpin-handler, its runner, zurl) and the Python server. CPU is user
and system time of the same processes from the first commit until every reader had every
update (the readers and the poster are not counted).

{chr(10).join(cost_rows(figures))}

By program:

{chr(10).join(program_lines(figures)) or "- no Pushpin rows"}

Targets (issue 14):

| target | measured | |
| --- | --- | --- |
{targets or "| not measured | | |"}
{chr(10).join(f"{chr(10)}{note}" for note in figures.skipped)}
"""


def plot(figures, path):
    from benchmarks.plot import throughput_curve

    series = []
    for variant, label in VARIANTS.items():
        rows = [r for r in figures.rows if r.variant == variant]
        for name, fraction in (("p50", 0.5), ("p99", 0.99)):
            points = [(r.readers, r.p(fraction)) for r in rows if r.latencies]
            if points:
                series.append((f"{label}, {name}", points))
    throughput_curve(
        path,
        f"Live update latency from commit against readers ({UPDATES} updates, every {INTERVAL} s)",
        series,
        y_label="latency from commit, ms (log)",
        x_label="concurrent SSE readers (log)",
        markers=[(TARGET_P99_MS, "target p99 1 s")],
    )


def summary(figures):
    lines = [
        "load average at start/end: "
        + ", ".join(f"{one:.2f}" for one, _, _ in figures.load_average),
        f"{'path':<44} {'readers':>7} {'p50':>6} {'p99':>6} {'max':>6} {'lost':>5} {'dup':>4} "
        f"{'KB/rdr':>6} {'µs/dlv':>6} {'conn s':>6}",
    ]
    for r in figures.rows:
        lines.append(
            f"{r.label:<44} {r.readers:>7,} {r.p(0.5):>6.0f} {r.p(0.99):>6.0f} {r.p(1):>6.0f} "
            f"{r.lost:>5,} {r.duplicated:>4,} {r.kb_per_reader:>6.1f} "
            f"{r.cpu_us_per_delivery:>6.1f} {r.connect_seconds:>6.1f}"
        )
    lines.append("(latencies in ms from commit; µs/dlv: Pushpin + Python CPU per delivery)")
    for target, measured, met in verdicts(figures):
        lines.append(f"{'met   ' if met else 'MISSED'} {target}: {measured}")
    return lines + figures.skipped


def progress(line, heading=False):
    print(f"\n== {line}" if heading else f"   {line}", flush=True)


def run(rows=DEFAULT_ROWS, plot_to=PLOT):
    """Measure, and return (the BENCHMARKS.md section, the summary lines to print)."""
    figures = measure(rows, progress)
    plotted = bool(plot_to and figures.rows)
    if plotted:
        plot(figures, plot_to)
    return report(figures, plotted), summary(figures)


def parse_rows(text):
    rows = []
    for item in text.split(","):
        variant, _, count = item.partition(":")
        if variant not in VARIANTS:
            raise argparse.ArgumentTypeError(f"unknown variant {variant!r}")
        rows.append((variant, int(count)))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rows",
        type=parse_rows,
        default=DEFAULT_ROWS,
        help="variant:readers,... (variants: " + ", ".join(VARIANTS) + ")",
    )
    parser.add_argument("--plot", metavar="PNG", help="also save the latency chart there")
    options = parser.parse_args()
    section, lines = run(options.rows, options.plot)
    print("\n" + section)
    print("\n".join(lines))
    print(live.versions())


if __name__ == "__main__":
    main()
