"""Tests against the running cluster: `make cluster-test` (root; it starts the cluster when it
is not running, and stops it afterwards unless KEEP=1). Not part of `make test`.

(a) an article published on host A is served fresh by host B and through the balancer;
(b) scheduled publishing runs exactly once with workers on two hosts;
(c) kill -9 of an app host while 1,000 readers follow a live feed through the balancer;
(d) `make cluster-down` leaves no namespace, link or process behind, even after the
    supervisor itself was killed.

Measurements go to var/cluster/results.json; `python -m cluster test` copies them into
RELIABILITY.md (cluster/report.py).
"""

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid

import pytest

from cluster import network, procs, readers
from cluster.kill_scenario import run_kill_scenario
from cluster.state import ROOT, State

STATE = State()
FRESH_WITHIN = (
    1.0  # seconds: the design's bound with Redis is milliseconds, 5 s if a wake-up is lost
)


def save_result(name, result):
    path = STATE.root / "results.json"
    results = STATE.read_json(path, {})
    results[name] = {**result, "measured_at": time.time()}
    STATE.write_json(path, results)


@pytest.fixture(scope="session")
def cluster():
    status = STATE.status()
    if status.get("phase") != "serving":
        pytest.fail("The cluster is not serving: run `make cluster` (or make cluster-test).")
    return STATE.topology()


def address(cluster, name):
    return next(host["address"] for host in cluster["hosts"] if host["name"] == name)


def on_host(host, *argv, timeout=120):
    """A command on a cluster host (its namespace, name and settings)."""
    return subprocess.run(  # noqa: S603 - our own cluster command
        [sys.executable, "-m", "cluster", "run", host, "--", *argv],
        cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=True,
    )  # fmt: skip


def probe(host, *args, timeout=120):
    output = on_host(host, str(ROOT / ".venv/bin/python"), "-m", "cluster.probe", *args,
                     timeout=timeout).stdout  # fmt: skip
    return json.loads(output.strip().splitlines()[-1])


def settled(timeout=600):
    """Wait until the workers have done what was queued (narrating the demo after a first
    start, or the articles a test published): each finished narration changes its article's
    page, and Piper takes both cores while it runs. Returns the seconds waited."""
    began = time.monotonic()
    while probe("nd-worker-a", "queue")["waiting"]:
        if time.monotonic() - began > timeout:
            pytest.fail(f"the workers still have tasks after {timeout} s")
        time.sleep(2)
    return round(time.monotonic() - began)


def fetch(cluster, place, path):
    """GET from the entry (HTTPS through the balancer) or straight from an app host (plain
    HTTP on its own address, with the headers the balancer would add)."""
    entry = address(cluster, "nd-lb")
    if place == "entry":
        connection = http.client.HTTPSConnection(
            entry, 443, context=readers.client_context(), timeout=10
        )
        headers = {"Host": entry}
    else:
        connection = http.client.HTTPConnection(address(cluster, place), 8000, timeout=10)
        headers = {"Host": entry, "X-Forwarded-Proto": "https"}
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, response.getheader("X-Cache", ""), response.read()
    finally:
        connection.close()


# --- (a) page cache invalidation across hosts ----------------------------------------------


def test_an_article_published_on_host_a_is_fresh_on_host_b_and_the_entry(cluster):
    article = probe("nd-app-a", "articles")[0]
    path = article["path"]
    places = ["nd-app-b", "entry", "nd-app-a"]
    settled()
    for place in places:
        # Rendered and kept by each app host; anything else happening on the site (a
        # narration finishing, a scheduled page going live) may drop it again meanwhile.
        answers = [fetch(cluster, place, path)[:2] for _ in range(10)]
        assert (200, "hit") in answers, f"{path} never cached on {place}: {answers}"

    text = f"Standfirst {uuid.uuid4().hex}"
    seen = {}
    stop = time.time() + 10

    def watch(place):
        while time.time() < stop and place not in seen:
            status, _, body = fetch(cluster, place, path)
            if status == 200 and text.encode() in body:
                seen[place] = time.time()
            time.sleep(0.02)

    watchers = [threading.Thread(target=watch, args=(place,)) for place in places]
    for watcher in watchers:
        watcher.start()
    # Published by a process on host A with A's settings (the ORM, as `newsdesk shell` on A
    # would): neither server process made the change, so both hear of it through Redis.
    committed = probe("nd-app-a", "restandfirst", article["slug"], text)
    for watcher in watchers:
        watcher.join()
    delays = {place: round(seen[place] - committed["committed_at"], 3) for place in seen}
    save_result("fresh", {"path": path, "delays": delays})
    print(f"fresh after commit (s): {delays}")
    assert set(seen) == set(places), f"still stale after 10 s: {set(places) - set(seen)}"
    assert max(delays.values()) <= FRESH_WITHIN, delays


# --- (b) scheduled publishing exactly once -------------------------------------------------


def test_scheduled_publishing_runs_once_with_workers_on_two_hosts(cluster):
    # The worker daemons on nd-worker-a and nd-worker-b run their 30 s rounds at moments we
    # do not choose, so besides them one extra round runs on each worker host at the same
    # instant, the moment the articles fall due: the worst overlap, every time.
    due = time.time() + 15
    ids = probe("nd-app-a", "schedule", "8", str(due))["ids"]
    rounds = [
        subprocess.Popen(  # noqa: S603 - our own cluster command
            [
                sys.executable,
                "-m",
                "cluster",
                "run",
                host,
                "--",
                str(ROOT / ".venv/bin/python"),
                "-m",
                "cluster.probe",
                "publish-due-at",
                str(due),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for host in ("nd-worker-a", "nd-worker-b")
    ]
    results = [json.loads(process.communicate(timeout=120)[0].strip().splitlines()[-1])
               for process in rounds]  # fmt: skip
    report = probe("nd-app-b", "scheduled-report", *map(str, ids))
    save_result("scheduled", {"articles": len(ids), "rounds": results, "report": report})
    print(f"extra rounds: {results}")
    assert all(entry["live"] for entry in report.values()), report
    assert all(entry["published_on_schedule"] == 1 for entry in report.values()), report
    assert all(entry["narration_tasks"] == 1 for entry in report.values()), report
    assert sum(result["published"] for result in results) <= len(ids)


# --- (c) kill -9 of an app host under 1,000 live readers -----------------------------------


def test_kill_9_of_an_app_host_under_1000_live_readers(cluster):
    tokens = [
        re.search(r"^\s+(\S+)\s*$", on_host("nd-worker-a", "newsdesk", "token", "create", "admin",
                                            "--name", f"cluster test {n}").stdout, re.M)[1]
        for n in range(4)
    ]  # fmt: skip
    waited = settled()  # measure the failover, not Piper narrating the last test's articles
    result = run_kill_scenario(STATE, cluster, tokens, victim="nd-app-a", readers_count=1000)
    result["waited_for_workers_seconds"] = waited
    save_result("kill", result)
    print(json.dumps(result, indent=2))
    assert result["readers_incomplete"] == 0, "a reader missed or repeated an update"
    assert result["reader_5xx_after_detection"] == 0
    assert result["reader_errors_after_detection"] == {}
    assert result["detected_after"] is not None, "the balancer never marked the host down"
    assert result["rejoined_after"] is not None, "the restarted host did not come back"


# --- (d) nothing left behind ---------------------------------------------------------------


def test_cluster_down_leaves_nothing_behind(cluster):
    records = procs.records(STATE)
    assert records, "no recorded processes: is the cluster running?"
    # The supervisor dies first, as in a crash: every process it started is orphaned.
    supervisor = STATE.status()["supervisor"]
    os.kill(supervisor, signal.SIGKILL)
    first = subprocess.run(["make", "-s", "cluster-down"], cwd=ROOT, capture_output=True,  # noqa: S607
                           text=True, check=False)  # fmt: skip
    second = subprocess.run(["make", "-s", "cluster-down"], cwd=ROOT, capture_output=True,  # noqa: S607
                            text=True, check=False)  # fmt: skip
    assert first.returncode == 0, first.stdout + first.stderr
    assert second.returncode == 0 and "Nothing was running" in second.stdout, second.stdout
    assert network.namespaces() == []
    assert network.links() == []
    assert not [record.name for record in records if procs.running(record)]
    assert not leftover_processes()


def leftover_processes():
    """Any process still running a cluster command line (state directory, supervisor)."""
    marks = (str(STATE.root), "cluster supervise", "cluster.probe")
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                command = handle.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if any(mark in command for mark in marks):
            found.append(f"{entry}: {command}")
    return found
