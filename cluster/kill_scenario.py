"""kill -9 of an app host while readers follow a live feed through the balancer
(test (c) of cluster/test_cluster.py), in either of two modes:

- "pushpin": readers' streams go through the balancer to Pushpin on nd-push, which holds
  them; only Pushpin's own requests (a reader's first, recoveries) reach the app hosts;
- "in-process": Pushpin is put in maintenance in the balancer for the run, so the streams
  go straight to the app hosts, which hold them in Python (as without NEWSDESK_PUSHPIN_URL).

Readers connect through the entry (HTTPS, HAProxy). A poster publishes an update every 0.2 s
through the posting API, also through the entry. After a few seconds every process of one app
host gets SIGKILL and HAProxy's health checks notice. In-process, the streams that host held
end and their readers reconnect through the balancer with Last-Event-ID; through Pushpin, the
readers' connections stay where they are and only Pushpin's requests move to the other host.
Posting goes on for a while, then each reader's events are compared with the updates the
database committed after the readers' starting point. Finally the killed host is started
again and the time until the balancer takes it back is measured.
"""

import asyncio
import collections
import os
import signal
import subprocess
import sys
import time

from cluster import haproxy, procs
from cluster.readers import Poster, Reader, client_context, request
from cluster.state import ROOT

FEED = "zelenobrid-storm"  # the demo's live feed
POST_BEFORE = 5.0  # seconds of posting before the kill
POST_AFTER = 8.0  # seconds of posting after the balancer marked the host down
DRAIN = 300.0  # how long readers may take to catch up once posting stopped (not a target)
DETECT_TIMEOUT = 30.0


def address(cluster, name):
    return next(host["address"] for host in cluster["hosts"] if host["name"] == name)


def run_kill_scenario(state, cluster, tokens, *, victim, readers_count, mode="pushpin"):
    procs.raise_file_limit()
    try:
        import uvloop

        factory = uvloop.new_event_loop
    except ImportError:
        factory = None
    with asyncio.Runner(loop_factory=factory) as runner:
        scenario = Scenario(state, cluster, tokens, victim, readers_count, mode)
        return runner.run(scenario.run_in_mode())


class Scenario:
    def __init__(self, state, cluster, tokens, victim, readers_count, mode):
        if mode == "pushpin" and not cluster.get("push"):
            raise ValueError("the cluster runs without Pushpin (make cluster PUSH=0)")
        self.state, self.cluster, self.tokens = state, cluster, tokens
        self.victim, self.count, self.mode = victim, readers_count, mode
        self.entry = address(cluster, "nd-lb")
        self.context = client_context()
        self.result = {"readers": readers_count, "victim": victim, "mode": mode}

    async def run_in_mode(self):
        """In-process with Pushpin in the cluster: Pushpin out of the balancer meanwhile (the
        fallback that also serves readers while Pushpin is down)."""
        bypass = self.mode == "in-process" and self.cluster.get("push")
        if bypass:
            self.set_push_state("maint")
        try:
            return await self.run()
        finally:
            if bypass:
                self.set_push_state("ready")

    def set_push_state(self, wanted):
        haproxy.command(self.state.stats_socket, f"set server be_push/nd-push state {wanted}")

    async def run(self):
        await self.wait_for_idle_streams()
        status, body = await request(self.entry, self.context, "GET", f"/live/{FEED}/updates.json")
        assert status == 200, f"updates.json answered {status}"
        start = body["last"]
        stop_readers = asyncio.Event()
        readers = [Reader(self.entry, FEED, start, self.context) for _ in range(self.count)]
        tasks = []
        connect_began = time.monotonic()
        for number, reader in enumerate(readers):
            tasks.append(asyncio.create_task(reader.run(stop_readers)))
            if number % 50 == 49:
                await asyncio.sleep(0.05)  # a crowd arriving, not one burst
        await asyncio.wait_for(asyncio.gather(*(r.subscribed.wait() for r in readers)), 180)
        self.result["connect_seconds"] = round(time.monotonic() - connect_began, 1)
        self.result["streams_per_host"] = self.streams_per_host()
        self.result["memory_mb"] = {
            host["name"]: round(procs.memory_mb(host["name"])) for host in self.cluster["hosts"]
        }

        cpu_before = self.cpu()
        stop_posting = asyncio.Event()
        poster = Poster(self.entry, FEED, self.tokens, self.context)
        posting = asyncio.create_task(poster.run(stop_posting))
        await asyncio.sleep(POST_BEFORE)
        killed_at = self.kill()
        detected_at = await self.wait_for_state("DOWN", DETECT_TIMEOUT)
        await asyncio.sleep(POST_AFTER)
        stop_posting.set()
        await posting
        self.result["cpu_seconds_while_posting"] = {
            name: round(used - cpu_before.get(name, 0), 1) for name, used in self.cpu().items()
        }
        self.result["posting_seconds"] = round(time.time() - poster.posts[0].sent, 1)
        self.result["load_average"] = os.getloadavg()

        committed = await asyncio.to_thread(self.committed_sequences, start)
        await self.drain(readers, committed)
        stop_readers.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

        self.score(readers, poster, committed, killed_at, detected_at)
        self.result["rejoined_after"] = await self.restart_victim()
        return self.result

    # --- The fault ------------------------------------------------------------------------

    def kill(self):
        """SIGKILL to every process on the victim host, as a crash would leave it."""
        killed_at = time.time()
        pids = procs.pids_in(self.victim)
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        self.result["killed_pids"] = len(pids)
        return killed_at

    def cpu(self):
        """CPU seconds used so far per host (a killed host's count restarts), and by the
        readers and poster in this process."""
        used = {host["name"]: procs.cpu_seconds(host["name"]) for host in self.cluster["hosts"]}
        times = os.times()
        used["test clients"] = times.user + times.system
        return used

    def state_of(self):
        try:
            return haproxy.server_states(self.state.stats_socket).get(("be_app", self.victim), "")
        except OSError:
            return ""

    async def wait_for_state(self, wanted, timeout):
        """The time HAProxy first reports the victim as `wanted` (None if it never does)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if (await asyncio.to_thread(self.state_of)).split(" ")[0] == wanted:
                return time.time()
            await asyncio.sleep(0.01)
        return None

    async def restart_victim(self):
        began = time.time()
        await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "cluster", "restart", self.victim],
            cwd=ROOT,
            check=True,
            capture_output=True,
            timeout=300,
        )
        back = await self.wait_for_state("UP", 60)
        return None if back is None else round(back - began, 2)

    # --- Measuring ------------------------------------------------------------------------

    async def wait_for_idle_streams(self, timeout=30):
        """Until the balancer holds no stream of an earlier run: a reader that hung up is let
        go of only when its host next sends something (a heartbeat within 15 s)."""
        deadline = time.monotonic() + timeout
        while any(self.streams_per_host().values()) and time.monotonic() < deadline:
            await asyncio.sleep(0.5)

    def streams_per_host(self):
        """Open connections per server behind the balancer's stream backends (through
        Pushpin, be_events holds only Pushpin's own short requests)."""
        rows = haproxy.stats(self.state.stats_socket)
        return {
            row["svname"]: int(row["scur"])
            for row in rows
            if row["pxname"] in ("be_events", "be_push")
            and row["svname"] not in ("FRONTEND", "BACKEND")
        }

    def committed_sequences(self, start):
        """What the database committed on the feed after the readers' starting point."""
        import psycopg

        secrets = self.state.secrets()
        with psycopg.connect(
            host=address(self.cluster, "nd-db"), port=5432, dbname="newsdesk", user="newsdesk",
            password=secrets["db_password"], connect_timeout=5,
        ) as connection:  # fmt: skip
            rows = connection.execute(
                "SELECT u.sequence FROM live_liveupdate u JOIN wagtailcore_page p "
                "ON p.id = u.feed_id WHERE p.slug = %s AND u.sequence > %s ORDER BY u.sequence",
                (FEED, start),
            ).fetchall()
        return [row[0] for row in rows]

    async def drain(self, readers, committed):
        deadline = time.monotonic() + DRAIN
        last = committed[-1] if committed else None
        began = time.monotonic()
        while time.monotonic() < deadline:
            if all(reader.last == last for reader in readers):
                break
            await asyncio.sleep(0.1)
        self.result["drain_seconds"] = round(time.monotonic() - began, 1)

    def score(self, readers, poster, committed, killed_at, detected_at):
        result = self.result
        result["updates_committed"] = len(committed)
        incomplete = [reader for reader in readers if reader.events != committed]
        result["readers_incomplete"] = len(incomplete)
        result["readers_missing_some"] = sum(
            1 for reader in incomplete if set(committed) - set(reader.events)
        )
        result["readers_with_duplicates"] = sum(
            1 for reader in readers if len(reader.events) != len(set(reader.events))
        )
        result["reloads"] = sum(reader.reloads for reader in readers)
        result["delivery_ms"] = delivery(readers, poster, killed_at)
        result["detected_after"] = (
            None if detected_at is None else round(detected_at - killed_at, 3)
        )
        noticed = detected_at or float("inf")
        attempts = [attempt for reader in readers for attempt in reader.attempts]
        failed = [attempt for attempt in attempts if attempt.outcome != 200]
        result["reader_attempts"] = len(attempts)
        result["reconnects_after_kill"] = sum(1 for a in attempts if a.started >= killed_at)
        # Through Pushpin the app host held no reader's connection: none should notice.
        result["readers_that_noticed"] = sum(
            1 for reader in readers if any(a.started >= killed_at for a in reader.attempts)
        )
        result["reader_errors_before_detection"] = outcomes(
            a for a in failed if a.started < noticed
        )
        result["reader_5xx_after_detection"] = sum(
            1
            for a in failed
            if a.started >= noticed and isinstance(a.outcome, int) and a.outcome >= 500
        )
        result["reader_errors_after_detection"] = outcomes(
            a for a in failed if a.started >= noticed
        )
        result["posts"] = outcomes(post for post in poster.posts)
        # A post that failed at the kill may still have committed: then a bot that retries
        # it would post it twice (the posting API has no idempotency key).
        answered = sum(1 for post in poster.posts if post.outcome == 201)
        result["committed_without_a_201"] = len(committed) - answered
        result["failed_posts"] = [
            {"outcome": post.outcome, "sent_after_kill": round(post.sent - killed_at, 2)}
            for post in poster.posts
            if post.outcome != 201
        ]
        result["stream_ends_on_victim"] = sum(
            1 for a in attempts if a.outcome == 200 and killed_at <= a.ended <= killed_at + 5
        )


def delivery(readers, poster, killed_at):
    """From the post's answer to each reader's receipt, in ms: for all updates, and for those
    posted from the kill to 3 s after it (the readers of the killed host reconnect then)."""
    answered = {post.sequence: post.answered for post in poster.posts if post.sequence}
    groups = {"before the kill": [], "within 3 s after": [], "later": []}
    for reader in readers:
        for sequence, at in answered.items():
            if sequence in reader.arrivals:
                delay = (reader.arrivals[sequence] - at) * 1000
                group = "before the kill" if at < killed_at else "within 3 s after"
                if at > killed_at + 3:
                    group = "later"
                groups[group].append(delay)
    return {name: percentiles(values) for name, values in groups.items()}


def percentiles(values):
    if not values:
        return {}
    ordered = sorted(values)
    pick = lambda fraction: round(ordered[min(len(ordered) - 1, int(fraction * len(ordered)))])  # noqa: E731
    return {"p50": pick(0.5), "p99": pick(0.99), "max": round(ordered[-1])}


def outcomes(items):
    return dict(collections.Counter(str(item.outcome) for item in items))
