"""The cluster tests' measurements (var/cluster/results.json) as the "cluster" section of
RELIABILITY.md, written by `python -m cluster test` after the tests ran. `make reliability`
keeps the section as it is (reliability/run.py, OTHER_SECTIONS)."""

import os
import platform
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from cluster.network import PG_BIN
from cluster.state import ROOT

REPORT = ROOT / "RELIABILITY.md"
SECTION = re.compile(r"<!-- scenario: cluster -->\n.*?<!-- end of scenario -->\n", re.S)


def write(state):
    results = state.read_json(state.root / "results.json", {})
    if "kill" not in results:
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
    return f"{haproxy}, {postgres}, {redis}, Python {platform.python_version()}"


def counts(outcomes):
    return ", ".join(f"{n} × {what}" for what, n in outcomes.items()) or "none"


def ms(figures):
    return f"p50 {figures['p50']} ms, p99 {figures['p99']} ms, max {figures['max']} ms"


def render(results, status):
    kill = results["kill"]
    measured = datetime.fromtimestamp(kill["measured_at"], UTC)
    streams = ", ".join(f"{count} on {host}" for host, count in kill["streams_per_host"].items())
    memory = ", ".join(f"{host} {mb} MB" for host, mb in kill["memory_mb"].items())
    before = kill["reader_errors_before_detection"]
    errors = counts(before)
    after_errors = counts(kill["reader_errors_after_detection"])
    failed_posts = (
        "; ".join(f"{p['outcome']} at {p['sent_after_kill']:+.2f} s" for p in kill["failed_posts"])
        or "none"
    )
    delivery = "; ".join(f"{name}: {ms(f)}" for name, f in kill["delivery_ms"].items() if f)
    load = ", ".join(f"{value:.1f}" for value in kill["load_average"])
    lines = [
        "<!-- scenario: cluster -->",
        "## Cluster: an app host killed under 1,000 live readers",
        "",
        f"Measured on {measured:%Y-%m-%d %H:%M} UTC by `make cluster-test` "
        f"(cluster/test_cluster.py). Machine: {machine()}; load average at the end of "
        f"posting {load} (the machine was shared with other work). Software: {software()}.",
        "",
        "Seven hosts in network namespaces on one machine (docs/scaling.md): HAProxy with TLS "
        "in front of two app hosts (`newsdesk serve --no-worker`), two workers, PostgreSQL and "
        f"Redis of their own. {kill['readers']:,} readers followed the demo's live feed through "
        "the balancer over HTTPS (one asyncio process; like EventSource they reconnect after "
        "the stream's 2 s retry with Last-Event-ID), an update was posted through the balancer "
        f"every 0.2 s with the posting API, and after 5 s every process of {kill['victim']} got "
        "SIGKILL. Each reader's events were compared with what the database committed.",
        "",
        f"- streams before the kill: {streams}",
        f"- **the balancer marked {kill['victim']} down {kill['detected_after']:.2f} s after the "
        "kill** (health checks every 0.5 s, down after 2 failures; a killed host refuses "
        "connections at once)",
        f"- **{kill['updates_committed']} updates committed; readers that did not get every one "
        f"exactly once and in order: {kill['readers_incomplete']}** (missing some: "
        f"{kill['readers_missing_some']}, duplicates: {kill['readers_with_duplicates']}, "
        f"told to reload: {kill['reloads']}); {kill['stream_ends_on_victim']} streams ended "
        "with the host and resumed on the other",
        f"- errors to readers before the balancer noticed: {errors}; **after: "
        f"{after_errors} (5xx: {kill['reader_5xx_after_detection']})**",
        f"- posts: {counts(kill['posts'])}; failed: {failed_posts}; of the failed ones, committed "
        f"anyway: {kill['committed_without_a_201']}",
        f"- delivery, post answered to reader: {delivery} (an update the killed host had not "
        "passed on reaches its readers by their replay after reconnecting, hence the maximum "
        'before the kill; why delivery slows after the failover: docs/scaling.md, "Found by '
        'the cluster tests")',
        f"- memory (proportional set size) with the readers connected: {memory}",
        f"- CPU seconds used during the {kill['posting_seconds']} s of posting: "
        + ", ".join(f"{h} {s}" for h, s in kill["cpu_seconds_while_posting"].items() if s >= 0),
        f"- the killed host, started again (`python -m cluster restart`), was back in the "
        f"balancer after {kill['rejoined_after']} s",
    ]
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
    if status.get("start_seconds"):
        made = "an empty machine: initdb, migrate" if status.get("first_start") else "database kept"
        lines.append(
            f"- `make cluster` to serving, the start these figures come from: "
            f"{status['start_seconds']} s ({made})"
        )
    lines += ["", "Command: `make cluster-test` (as root).", "<!-- end of scenario -->", ""]
    return "\n".join(lines)
