"""Redis restarted during live coverage.

A Redis of our own (no persistence) carries the live wake-ups, the page cache's shared store
and invalidations, and the posting API's rate limit, for two `newsdesk serve` processes on
PostgreSQL (a throwaway cluster of our own). Three SSE readers per process follow a live feed
while a poster publishes four updates a second through the posting API, alternating
processes; another client keeps asking both processes for a cached article. At a random
moment Redis is killed (kill -9 or SHUTDOWN NOSAVE, alternately), stays down for 1-4 s and
is started again, empty, on the same port. Half a second into the outage half of the readers
lose their connection and reconnect as a browser does (Last-Event-ID).

Checked per trial: every reader received every committed update exactly once and in order
(by event id); posts kept working; the cached article answered 200 throughout; no 5xx to
readers; each server's log says Redis went away and came back, with no traceback.
"""

import asyncio
import random
import time

from reliability.restarts import Site, Traffic, Trial, check_logs, log_lines, progress

TITLE = (
    "Redis restarted during live coverage: streams miss nothing, cached pages keep being "
    "served, no 5xx"
)
TRIALS = 10
HOW = ("kill -9", "SHUTDOWN NOSAVE")
LOST = r"Redis pub/sub unavailable"
BACK = r"Redis pub/sub back after"
LOGGED = [r"(Live|Page cache|Cache): .* (unavailable \(|back after)"]


async def one_trial(site, number, rng):
    trial = Trial(number)
    how = HOW[number % 2]
    offsets = [server.log_size() for server in site.servers]
    traffic = Traffic(site, trial)
    try:
        await traffic.start_all()
        await asyncio.sleep(rng.uniform(1, 4))
        down = rng.uniform(1, 4)
        trial.fault = f"{how}, down {down:.1f} s"
        started = time.time()
        traffic.fault_window = (started, None)
        await asyncio.to_thread(site.redis.kill, how)
        await asyncio.sleep(0.5)
        for reader in traffic.readers[::2]:
            reader.cut()  # half the readers reconnect while Redis is down
        await asyncio.sleep(max(0, down - (time.time() - started)))
        await asyncio.to_thread(site.redis.start)
        traffic.fault_window = (started, time.time())
        trial.fault_seconds = traffic.fault_window[1] - started
        await asyncio.sleep(3)  # posts after the restart, delivered through the new Redis
        committed = await traffic.drain()
    finally:
        await traffic.stop()
    traffic.score(committed)
    trial.check(
        set(trial.post_statuses) == {201},
        f"posts while Redis restarted: {dict(trial.post_statuses)}",
    )
    trial.check(trial.five_xx == 0, f"{trial.five_xx} 5xx answers to readers")
    await asyncio.sleep(1)  # the "back" lines are written when pub/sub reconnects
    check_logs(trial, site, offsets, [LOST, BACK])
    return trial


async def run_trials(trials, rng):
    site = Site(postgres=True)
    results = []
    try:
        await asyncio.to_thread(site.start, progress)
        for number in range(1, trials + 1):
            trial = await one_trial(site, number, rng)
            results.append(trial)
            progress(line(trial))
    finally:
        await asyncio.to_thread(site.stop)
    return results


def line(trial):
    verdict = "ok" if trial.ok else "FAILED: " + "; ".join(trial.problems)
    return (
        f"trial {trial.number}: {trial.fault}; {len(trial.commits)} updates posted; worst "
        f"delivery {trial.worst_delay * 1000:.0f} ms ({trial.worst_delay_near_fault * 1000:.0f}"
        f" ms around the restart); cached article {dict(trial.probes_during_fault)} while "
        f"down; 5xx {trial.five_xx}: {verdict}"
    )


HEADER = (
    "| trial | fault | updates | worst delivery ms | worst around the restart ms "
    "| cached-article requests while down | 5xx | result |\n"
    "| ---: | --- | ---: | ---: | ---: | ---: | ---: | --- |"
)


def run(trials):
    rng = random.Random()  # noqa: S311 - picks fault moments, not secrets
    results = asyncio.run(run_trials(trials, rng))
    passed = sum(trial.ok for trial in results)
    worst = max((t.worst_delay for t in results), default=0)
    worst_near = max((t.worst_delay_near_fault for t in results), default=0)
    worst_open = max((t.worst_delay_open for t in results), default=0)
    five_xx = sum(t.five_xx for t in results)
    posted = sum(len(t.commits) for t in results)
    logged = log_lines(results[-1], LOGGED) if results else []
    rows = "\n".join(
        f"| {t.number} | {t.fault} | {len(t.commits)} | {t.worst_delay * 1000:.0f} "
        f"| {t.worst_delay_near_fault * 1000:.0f} | {sum(t.probes_during_fault.values())} "
        f"| {t.five_xx} | {'ok' if t.ok else 'failed: ' + '; '.join(t.problems)} |"
        for t in results
    )
    section = f"""## Redis restarted during live coverage

{__doc__.split(chr(10) + chr(10), 1)[1]}
Result: **{passed} of {len(results)} trials passed**; {posted} updates posted in all, worst
delivery {worst * 1000:.0f} ms from the post's answer to a reader ({worst_near * 1000:.0f} ms
for updates posted from 5 s before Redis went down to 5 s after it was back; readers whose
connection was never cut: {worst_open * 1000:.0f} ms, the others include their one second wait
before reconnecting); 5xx to readers: {five_xx}.
Command: `python -m reliability.run --only redis_restart`.

{HEADER}
{rows}

What a server logged in the last trial (one process; the other says the same):

{chr(10).join(f"    {entry}" for entry in logged)}
"""
    summary = [
        f"{passed}/{len(results)} trials passed; worst delivery {worst * 1000:.0f} ms "
        f"({worst_near * 1000:.0f} ms around the restart, {worst_open * 1000:.0f} ms on streams "
        f"never cut); 5xx to readers: {five_xx}",
        *(line(t) for t in results if not t.ok),
    ]
    return section, summary
