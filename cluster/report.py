"""The cluster tests' measurements (var/cluster/results.json) as the "cluster" section of
RELIABILITY.md, written by `python -m cluster test` after the tests ran. `make reliability`
keeps the section as it is (reliability/run.py, OTHER_SECTIONS)."""

import os
import platform
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from cluster.network import PG_BIN, VENV_BIN
from cluster.state import ROOT

REPORT = ROOT / "RELIABILITY.md"
SECTION = re.compile(r"<!-- scenario: cluster -->\n.*?<!-- end of scenario -->\n", re.S)


def write(state):
    results = state.read_json(state.root / "results.json", {})
    if not any(name.startswith("kill") for name in results):
        return None
    section = render(results, state.status())
    text = REPORT.read_text() if REPORT.exists() else "# Reliability\n\n"
    if SECTION.search(text):
        text = SECTION.sub(lambda _: section, text)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    REPORT.write_text(text)
    return section


def machine():
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "unknown CPU",
    )
    return f"{platform.machine()}, {os.cpu_count()} cores ({model}), Linux {platform.release()}"


def software():
    def first_line(*command):
        try:
            output = subprocess.run(command, capture_output=True, text=True, check=False).stdout  # noqa: S603
        except OSError:
            return "?"
        return output.splitlines()[0] if output else "?"

    haproxy = first_line("haproxy", "-v").split(" - ")[0]
    postgres = first_line(str(PG_BIN / "postgres"), "--version")
    redis = first_line("redis-server", "--version").split(" sha=")[0]
    pushpin = first_line("pushpin", "--version")
    weed = first_line(str(VENV_BIN / "weed"), "version")
    python = platform.python_version()
    return f"{haproxy}, {postgres}, {redis}, {pushpin}, SeaweedFS {weed}, Python {python}"


def counts(outcomes):
    return ", ".join(f"{n} × {what}" for what, n in outcomes.items()) or "none"


def ms(figures):
    return f"p50 {figures['p50']} ms, p99 {figures['p99']} ms, max {figures['max']} ms"


def render(results, status):
    kills = sorted(
        (kill for name, kill in results.items() if name.startswith("kill")),
        key=lambda kill: kill.get("mode") != "pushpin",  # Pushpin's first: the default
    )
    first = kills[0]
    measured = datetime.fromtimestamp(first["measured_at"], UTC)
    load = ", ".join(f"{value:.1f}" for value in first["load_average"])
    lines = [
        "<!-- scenario: cluster -->",
        "## Cluster: an app host killed under 1,000 live readers",
        "",
        f"Measured on {measured:%Y-%m-%d %H:%M} UTC by `make cluster-test` "
        f"(cluster/test_cluster.py). Machine: {machine()}; load average at the end of "
        f"posting {load} (the machine was shared with other work). Software: {software()}.",
        "",
        "Hosts in network namespaces on one machine (docs/scaling.md): HAProxy with TLS in "
        "front of two app hosts (`newsdesk serve --no-worker`), two workers, PostgreSQL, "
        "Redis, SeaweedFS (media) and Pushpin (live readers) of their own. 1,000 readers "
        "followed the demo's live feed through the balancer over HTTPS (one asyncio process; "
        "like EventSource they reconnect after the stream's retry time with Last-Event-ID), an "
        "update was posted through the balancer every 0.2 s with the posting API, and after "
        "5 s every process of one app host got SIGKILL. Each reader's events were compared with "
        "what the database committed. Two runs: with the readers held by Pushpin (the "
        "cluster's default), and with Pushpin taken out of the balancer, the app hosts holding "
        "the readers in-process (as without NEWSDESK_PUSHPIN_URL).",
    ]
    for kill in kills:
        lines += ["", *kill_lines(kill)]
    lines += ["", "Other cluster tests:", ""]
    lines += other_lines(results, status)
    lines += ["", "Command: `make cluster-test` (as root).", "<!-- end of scenario -->", ""]
    return "\n".join(lines)


def kill_lines(kill):
    mode = kill.get("mode", "in-process")
    title = "Readers held by Pushpin" if mode == "pushpin" else "Readers held by the app hosts"
    streams = ", ".join(f"{count} on {host}" for host, count in kill["streams_per_host"].items())
    memory = ", ".join(f"{host} {mb} MB" for host, mb in kill["memory_mb"].items())
    errors = counts(kill["reader_errors_before_detection"])
    after_errors = counts(kill["reader_errors_after_detection"])
    failed_posts = (
        "; ".join(f"{p['outcome']} at {p['sent_after_kill']:+.2f} s" for p in kill["failed_posts"])
        or "none"
    )
    delivery = "; ".join(f"{name}: {ms(f)}" for name, f in kill["delivery_ms"].items() if f)
    noticed = kill.get("readers_that_noticed", kill["stream_ends_on_victim"])
    return [
        f"### {title}",
        "",
        f"- readers connected in {kill['connect_seconds']} s; open connections behind the "
        f"balancer before the kill: {streams}",
        f"- **the balancer marked {kill['victim']} down {kill['detected_after']:.2f} s after the "
        "kill** (health checks every 0.5 s, down after 2 failures; a killed host refuses "
        "connections at once)",
        f"- **{kill['updates_committed']} updates committed; readers that did not get every one "
        f"exactly once and in order: {kill['readers_incomplete']}** (missing some: "
        f"{kill['readers_missing_some']}, duplicates: {kill['readers_with_duplicates']}, "
        f"told to reload: {kill['reloads']}); **readers whose connection noticed the kill: "
        f"{noticed}** (reconnections after it: {kill['reconnects_after_kill']})",
        f"- errors to readers before the balancer noticed: {errors}; **after: "
        f"{after_errors} (5xx: {kill['reader_5xx_after_detection']})**",
        f"- posts: {counts(kill['posts'])}; failed: {failed_posts}; of the failed ones, committed "
        f"anyway: {kill['committed_without_a_201']}",
        f"- delivery, post answered to reader: {delivery}; every reader had every update "
        f"{kill['drain_seconds']} s after posting stopped",
        f"- memory (proportional set size) with the readers connected: {memory}",
        f"- CPU seconds used during the {kill['posting_seconds']} s of posting: "
        + ", ".join(f"{h} {s}" for h, s in kill["cpu_seconds_while_posting"].items() if s >= 0),
        f"- the killed host, started again (`python -m cluster restart`), was back in the "
        f"balancer after {kill['rejoined_after']} s",
    ]


def other_lines(results, status):
    lines = []
    if "fresh" in results:
        delays = ", ".join(f"{place} {s:.2f} s" for place, s in results["fresh"]["delays"].items())
        lines.append(
            "- an article published on host A (a process with A's settings) was served fresh "
            f"after: {delays} (polls every 20 ms, each after a miss renders the page)"
        )
    if "scheduled" in results:
        scheduled = results["scheduled"]
        split = ", ".join(f"{r['host']} {r['published']}" for r in scheduled["rounds"])
        once = all(entry["published_on_schedule"] == 1 for entry in scheduled["report"].values())
        lines.append(
            f"- scheduled publishing: {scheduled['articles']} articles due at one instant, a "
            f"round started at that instant on both worker hosts (beside their own workers) "
            f"published them ({split}); each published {'exactly once' if once else 'NOT once'}"
        )
    if "image" in results:
        image = results["image"]
        refusals = ", ".join(f"{where} {code}" for where, code in image["refusals"].items())
        lines.append(
            "- an image uploaded through host A's admin (an editor signed in with password and "
            "TOTP code over HTTP) was shown on host B's page as "
            f"`{image['rendition']}`, served from the bucket through the balancer; its original "
            f"was refused to anonymous requests: {refusals}"
        )
    if "narration" in results:
        narration = results["narration"]
        lines.append(
            f"- a narration made on a worker host ({narration['worker'].split(':')[0]}) was "
            "the same player on host A, host B and the entry; a Range request through the "
            f"balancer answered 206, `{narration['content_range']}`, "
            f"`Cache-Control: {narration['cache_control']}`"
        )
    if status.get("start_seconds"):
        made = "an empty machine: initdb, migrate" if status.get("first_start") else "database kept"
        lines.append(
            f"- `make cluster` to serving, the start these figures come from: "
            f"{status['start_seconds']} s ({made})"
        )
    return lines
