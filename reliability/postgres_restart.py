"""PostgreSQL restarted during live coverage.

The set-up of the Redis scenario (reliability/redis_restart.py): a throwaway PostgreSQL
cluster and a Redis of our own, two `newsdesk serve` processes, three SSE readers per process,
a poster sending four updates a second through the posting API, and a client asking both
processes for an article that was cached before. At a random moment PostgreSQL is stopped
(`pg_ctl stop -m immediate`, a crash as far as the app can tell) for 2-5 s, then started
again. Half a second into the outage half of the readers lose their connection and
reconnect as a browser does (Last-Event-ID), and an editor sends the desk's form.

Checked per trial: every reader received every committed update exactly once and in order
(the open streams simply wait; the cut ones are refused with a 503 while the database is
down and catch up from Last-Event-ID afterwards); the cached article answered 200 throughout;
no 500 to anyone; the editor's desk form and the posting API answered a 503 saying the
database is unavailable (HTML for the form, JSON for the API, with Retry-After), never a
traceback; after the restart, with the same server processes, posting works again (the
desk form is sent again until it is saved, and the time that took is reported); each server
logged the outage once when it began and once when it ended, with no traceback.
"""

import asyncio
import random
import time
import urllib.parse

from reliability.restarts import (
    Site,
    Traffic,
    Trial,
    check_logs,
    log_lines,
    progress,
    request,
)

TITLE = (
    "PostgreSQL restarted during live coverage: streams resume and miss nothing, cached "
    "pages are served, editors get a clear 503"
)
TRIALS = 10
DOWN = r"Database unavailable \("
BACK = r"Database back after"
UNAVAILABLE_WORDS = "database is unavailable"
RECOVERY_SECONDS = 20


def desk_post(site, server, headline):
    """The desk's "post an update" form, as the signed-in editor's browser sends it."""
    cookies = site.manifest["cookies"]
    form = {
        "headline": headline,
        "body": "Sent from the desk.",
        "publish": "publish",
        "csrfmiddlewaretoken": cookies["csrftoken"],
    }
    headers = {
        "Cookie": "; ".join(f"{name}={value}" for name, value in cookies.items()),
        "Content-Type": "application/x-www-form-urlencoded",
        "Origin": f"https://127.0.0.1:{server.port}",
    }
    path = f"/desk/?feed={site.manifest['live_slug']}"
    return request(server.port, "POST", path, urllib.parse.urlencode(form).encode(), headers)


async def one_trial(site, number, rng):
    trial = Trial(number)
    offsets = [server.log_size() for server in site.servers]
    traffic = Traffic(site, trial)
    try:
        await traffic.start_all()
        await asyncio.sleep(rng.uniform(1, 3))
        down = rng.uniform(2, 5)
        trial.fault = f"pg_ctl stop -m immediate, down {down:.1f} s"
        started = time.time()
        traffic.fault_window = (started, None)
        await asyncio.to_thread(site.postgres.stop, "immediate")
        await asyncio.sleep(0.5)
        for reader in traffic.readers[::2]:
            reader.cut()
        server = site.servers[number % 2]
        status, headers, text = await asyncio.to_thread(
            desk_post, site, server, f"Trial {number}: desk post while the database is down"
        )
        traffic.note_editor("desk form", status, headers, text)
        await asyncio.sleep(max(0, down - (time.time() - started)))
        await asyncio.to_thread(site.postgres.start)
        traffic.fault_window = (started, time.time())
        trial.fault_seconds = traffic.fault_window[1] - started
        trial.recovery = await recover(site, server, number)
        await asyncio.sleep(3)  # posts after the restart
        committed = await traffic.drain()
    finally:
        await traffic.stop()
    traffic.score(committed)
    judge(trial)
    await asyncio.sleep(0.5)
    check_logs(trial, site, offsets, [DOWN, BACK])
    return trial


async def recover(site, server, number):
    """Seconds from PostgreSQL's start to the desk form being saved, or None."""
    started = time.monotonic()
    while time.monotonic() - started < RECOVERY_SECONDS:
        status, _, _ = await asyncio.to_thread(
            desk_post, site, server, f"Trial {number}: desk post after the restart"
        )
        if status == 302:
            return time.monotonic() - started
        await asyncio.sleep(0.2)
    return None


def judge(trial):
    trial.check(trial.recovery is not None, f"the desk form not saved {RECOVERY_SECONDS} s after")
    trial.check(
        set(trial.post_statuses) <= {201, 503} and trial.post_statuses.get(503, 0) > 0,
        f"posting API answers: {dict(trial.post_statuses)}",
    )
    desk = [seen for seen in trial.editor_saw if seen["what"] == "desk form"]
    trial.check(bool(desk), "the desk form was not sent while the database was down")
    for seen in trial.editor_saw:
        wanted_type = "text/html" if seen["what"] == "desk form" else "application/json"
        trial.check(
            seen["status"] == 503
            and seen["type"] == wanted_type
            and seen["retry_after"]
            and not seen["traceback"]
            and UNAVAILABLE_WORDS in seen["message"],
            f"the editor saw {seen}",
        )
    refused = {s: n for s, n in trial.reader_statuses.items() if s not in (200, 503)}
    trial.check(
        not refused or set(refused) == {"connection error"},
        f"stream answers: {dict(trial.reader_statuses)}",
    )
    trial.check(
        trial.reader_statuses.get(500, 0) == 0 and trial.probe_statuses.get(500, 0) == 0,
        "a 500 to a reader",
    )


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


def stream_503s(trial):
    return trial.reader_statuses.get(503, 0)


def line(trial):
    verdict = "ok" if trial.ok else "FAILED: " + "; ".join(trial.problems)
    recovery = "never" if trial.recovery is None else f"{trial.recovery:.1f} s"
    return (
        f"trial {trial.number}: {trial.fault}; {len(trial.commits)} updates posted; worst "
        f"delivery {trial.worst_delay * 1000:.0f} ms; cached article "
        f"{dict(trial.probes_during_fault)} while down; stream reconnects refused with 503: "
        f"{stream_503s(trial)}; API {dict(trial.post_statuses)}; desk saved again after "
        f"{recovery}: {verdict}"
    )


HEADER = (
    "| trial | fault | updates | worst delivery ms | cached-article requests while down "
    "| stream 503s | API 503s | 500s | desk saved again after s | result |\n"
    "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
)


def five_hundreds(trial):
    return (
        trial.reader_statuses.get(500, 0)
        + trial.probe_statuses.get(500, 0)
        + sum(1 for seen in trial.editor_saw if seen["status"] == 500)
    )


def row(t):
    recovery = "never" if t.recovery is None else f"{t.recovery:.1f}"
    return (
        f"| {t.number} | {t.fault} | {len(t.commits)} | {t.worst_delay * 1000:.0f} "
        f"| {sum(t.probes_during_fault.values())} | {stream_503s(t)} "
        f"| {t.post_statuses.get(503, 0)} | {five_hundreds(t)} | {recovery} "
        f"| {'ok' if t.ok else 'failed: ' + '; '.join(t.problems)} |"
    )


def editor_examples(results):
    """One example of each distinct thing the editor saw."""
    seen = {}
    for trial in results:
        for answer in trial.editor_saw:
            key = (answer["what"], answer["status"], answer["type"], answer["message"])
            seen.setdefault(key, answer)
    return [
        f"- {a['what']}: {a['status']} {a['type']}, Retry-After {a['retry_after']}, "
        f"traceback: {'yes' if a['traceback'] else 'no'}; text: \u201c{a['message']}\u201d"
        for a in seen.values()
    ]


def run(trials):
    rng = random.Random()  # noqa: S311 - picks fault moments, not secrets
    results = asyncio.run(run_trials(trials, rng))
    passed = sum(trial.ok for trial in results)
    worst = max((t.worst_delay for t in results), default=0)
    worst_open = max((t.worst_delay_open for t in results), default=0)
    errors = sum(five_hundreds(t) for t in results)
    refused = sum(stream_503s(t) + t.post_statuses.get(503, 0) for t in results)
    recoveries = [t.recovery for t in results if t.recovery is not None]
    slowest = f"{max(recoveries):.1f} s" if recoveries else "never"
    logged = log_lines(results[-1], [DOWN, BACK]) if results else []
    section = f"""## PostgreSQL restarted during live coverage

{__doc__.split(chr(10) + chr(10), 1)[1]}
Result: **{passed} of {len(results)} trials passed**; worst delivery {worst * 1000:.0f} ms from
the post's answer to a reader (posts are refused during the outage; an update committed just
before PostgreSQL stopped can only be read once it is back, so the worst delay is about the
outage's length; {worst_open * 1000:.0f} ms for readers
whose connection was never cut, the others include their one second wait before reconnecting
and the 503s meanwhile); 500s: {errors}; 503s while the
database was down (stream reconnects and API posts): {refused}; the desk form was saved again
at most {slowest} after PostgreSQL's start returned. Command:
`python -m reliability.run --only postgres_restart`.

{HEADER}
{chr(10).join(row(t) for t in results)}

What the editor saw while the database was down:

{chr(10).join(editor_examples(results))}

What a server logged in the last trial (one process; the other says the same):

{chr(10).join(f"    {entry}" for entry in logged)}
"""
    summary = [
        f"{passed}/{len(results)} trials passed; worst delivery {worst * 1000:.0f} ms "
        f"({worst_open * 1000:.0f} ms on streams never cut); 500s: "
        f"{errors}; 503s while down: {refused}; desk saved again after at most {slowest}",
        *editor_examples(results),
        *(line(t) for t in results if not t.ok),
    ]
    return section, summary
