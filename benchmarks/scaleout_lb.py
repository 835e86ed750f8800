"""Scale-out benchmark through a load balancer: HAProxy in front of two app hosts against one
app host alone, in one run.

    python -m benchmarks.scaleout_lb            # or: make bench ONLY=scaleout_lb

The data set is the HTTP part's (10,000 articles, benchmarks/http_load.py: built once and
cached, copied for each host). Two `newsdesk serve --no-worker` processes ("app hosts", one
uvicorn worker each, as in `make cluster`) on loopback ports, each on its own copy (pages are
only read here, so a shared database would serve the same answers), and one HAProxy (Debian's)
with two frontends: one sends every request to host A, the other balances round robin over A
and B, over kept-alive connections. wrk (the HTTP part's loadgen, same threads, connections
and duration) loads, in turn and twice:

- the cached article (one warm URL, in each host's page cache) and
- uncached renders (every request an article no host has been asked for in this run),

against host A directly, through HAProxy to host A alone, and through HAProxy to both.
Ratios are against host A alone, measured in the same run. On this machine every "host" shares
the same two cores with HAProxy and wrk, so two hosts can at best use the core one host
leaves idle, not double the throughput; the report says so next to the figures.
"""

import argparse
import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import http_load, loadgen
from benchmarks.http_load import Pool, Server, copy_site, dataset, measure_one, warm_state
from benchmarks.http_site import MANIFEST
from benchmarks.live import free_port, versions

ROUNDS = 2
UNCACHED_CONNECTIONS = 8
"""Enough to keep two one-worker hosts rendering; with the HTTP part's 32, renders on the
loaded machine took over wrk's 2 s timeout and were counted as errors, not as requests."""

HAPROXY = """# Written by benchmarks/scaleout_lb.py for one run.
global
    maxconn 4000

defaults
    mode http
    timeout connect 1s
    timeout client 30s
    timeout server 30s
    # As in the cluster (cluster/haproxy.py): a request that could not reach a host goes to
    # another. No access log and no TLS here: the comparison is of app hosts, not of HAProxy.
    retries 3
    option redispatch 1

frontend fe_one
    bind 127.0.0.1:{one_port}
    default_backend be_one

frontend fe_two
    bind 127.0.0.1:{two_port}
    default_backend be_two

backend be_one
    server a {a}

backend be_two
    balance roundrobin
    server a {a}
    server b {b}
"""

TARGETS = [
    ("alone", "one app host alone (direct)"),
    ("lb_one", "HAProxy, one app host"),
    ("lb_two", "HAProxy, two app hosts"),
]


def progress(line):
    print(f"   {line}", flush=True)


@dataclass
class Hosts:
    """The app hosts behind a target, for measure_one: CPU summed over all of them."""

    servers: list

    @property
    def served(self):
        return sum(server.served for server in self.servers)

    @served.setter
    def served(self, value):
        # measure_one adds the run's requests: credit them to the first host (only used to
        # report memory after N requests, which this part does not do).
        self.servers[0].served += value - self.served

    @property
    def log(self):
        return self.servers[0].log

    def cpu(self):
        return sum(server.cpu() for server in self.servers)


@dataclass
class Measured:
    target: str
    kind: str
    """"cached" or "uncached"."""
    result: loadgen.Load
    cpu_seconds: float
    per_host_cpu: list = field(default_factory=list)


@dataclass
class Figures:
    settings: http_load.Settings
    dataset_line: str = ""
    haproxy: str = ""
    runs: list = field(default_factory=list)
    load_average: list = field(default_factory=list)
    seconds: float = 0.0
    notes: list = field(default_factory=list)


def haproxy_version(binary):
    completed = subprocess.run([binary, "-v"], capture_output=True, text=True, check=False)  # noqa: S603 - the haproxy we found
    return completed.stdout.split("\n", 1)[0].replace("HAProxy version ", "").split(" ")[0]


@contextlib.contextmanager
def haproxy_running(binary, a, b):
    """HAProxy in the foreground with fe_one (to `a`) and fe_two (round robin over `a`, `b`);
    yields their base URLs once both answer."""
    with tempfile.TemporaryDirectory(prefix="newsdesk-haproxy-") as temp:
        one_port, two_port = free_port(), free_port()
        config = Path(temp) / "haproxy.cfg"
        config.write_text(HAPROXY.format(one_port=one_port, two_port=two_port, a=a, b=b))
        process = subprocess.Popen(  # noqa: S603 - haproxy with our configuration
            [binary, "-db", "-f", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        try:
            urls = [f"http://127.0.0.1:{port}" for port in (one_port, two_port)]
            deadline = time.monotonic() + 20
            for url in urls:
                while True:
                    try:
                        http_load.fetch(url + "/healthz")
                        break
                    except OSError:
                        if process.poll() is not None or time.monotonic() > deadline:
                            raise RuntimeError(
                                f"HAProxy did not start: {process.stderr.read().decode()}"
                            ) from None
                        time.sleep(0.1)
            yield urls
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()


def measure(settings):
    figures = Figures(settings)
    started = time.monotonic()
    figures.load_average.append(os.getloadavg())
    binary = shutil.which("haproxy") or http_load.ensure_tool("haproxy", "haproxy")
    if not binary:
        raise RuntimeError("HAProxy is not installed (apt-get install haproxy)")
    if not loadgen.wrk_path():
        figures.notes.append("wrk is not installed: the Python load generator was used.")
    figures.haproxy = haproxy_version(binary)
    built, cached = dataset(settings)
    manifest = json.loads((built / MANIFEST).read_text())
    figures.dataset_line = manifest["dataset"] + (
        " (copied from the data-set cache)" if cached else " (built in this run)"
    )
    articles = manifest["articles"]
    warm = articles[-1]["path"]
    rest = [a["path"] for a in articles[:-1]]
    random.Random(2).shuffle(rest)  # noqa: S311 - a fixed order, not a secret
    pool = Pool(rest)
    with tempfile.TemporaryDirectory(prefix="newsdesk-scaleout-lb-") as temp:
        hosts = [Server("uvicorn", 1, copy_site(built, temp, name)) for name in ("a", "b")]
        with contextlib.ExitStack() as stack:
            for server in hosts:
                progress(f"starting app host {server.data_dir.name} (uvicorn, 1 worker)")
                server.start()
                stack.callback(server.stop)
            a, b = (server.base.split("//", 1)[1] for server in hosts)
            one_url, two_url = stack.enter_context(haproxy_running(binary, a, b))
            bases = {"alone": hosts[0].base, "lb_one": one_url, "lb_two": two_url}
            behind = {"alone": hosts[:1], "lb_one": hosts[:1], "lb_two": hosts}
            for server in hosts:
                state = warm_state(server, server.base + warm)
                progress(f"host {server.data_dir.name}: the warm article is {state}")
            for round_number in range(1, ROUNDS + 1):
                for key, label in TARGETS:
                    group = Hosts(behind[key])
                    for kind in ("cached", "uncached"):
                        before = [server.cpu() for server in hosts]
                        if kind == "cached":
                            result, cpu = measure_one(group, kind, bases[key] + warm, settings)
                        else:
                            result, cpu = measure_one(
                                group,
                                kind,
                                bases[key],
                                settings,
                                connections=UNCACHED_CONNECTIONS,
                                paths=pool.remaining(),
                                pool=pool,
                            )
                        split = [server.cpu() - b for server, b in zip(hosts, before, strict=True)]
                        figures.runs.append(Measured(key, kind, result, cpu, split))
                        progress(
                            http_load.line(f"round {round_number}, {label}, {kind}", result)
                            + f"; host CPU {' + '.join(f'{s:.1f}' for s in split)} s"
                        )
    figures.load_average.append(os.getloadavg())
    figures.seconds = time.monotonic() - started
    return figures


# --- the report ------------------------------------------------------------------------------


def runs(figures, target, kind):
    return [run for run in figures.runs if run.target == target and run.kind == kind]


def mean_rate(figures, target, kind):
    found = runs(figures, target, kind)
    return sum(run.result.per_second for run in found) / len(found) if found else float("nan")


def ratio_text(value, baseline):
    return f"{value / baseline:.2f}x" if baseline == baseline and baseline > 0 else "-"


def rows(figures):
    lines = [
        "| target | page | requests/s (1st / 2nd) | p50 ms | p99 ms | errors | host CPU ms per "
        "request | host CPU share, A / B | vs one host alone |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |",
    ]
    for kind in ("cached", "uncached"):
        baseline = mean_rate(figures, "alone", kind)
        for key, label in TARGETS:
            found = runs(figures, key, kind)
            if not found:
                continue
            rates = " / ".join(f"{run.result.per_second:,.0f}" for run in found)
            p50 = " / ".join(f"{run.result.p50_ms:.1f}" for run in found)
            p99 = " / ".join(f"{run.result.p99_ms:.1f}" for run in found)
            bad = sum(run.result.errors + run.result.status_errors for run in found)
            served = sum(run.result.requests - run.result.status_errors for run in found)
            cpu = sum(run.cpu_seconds for run in found) / max(1, served) * 1000
            host_cpu = [sum(run.per_host_cpu[n] for run in found) for n in range(2)]
            share = (
                " / ".join(f"{c / sum(host_cpu):.0%}" for c in host_cpu)
                if key == "lb_two" and sum(host_cpu)
                else "-"
            )
            flags = ""
            if any(run.result.wraps for run in found):
                flags = " (paths repeated)"
            rows_label = f"{label}{flags}"
            lines.append(
                f"| {rows_label} | {kind} | {rates} | {p50} | {p99} | {bad:,} | {cpu:.2f} "
                f"| {share} | {ratio_text(mean_rate(figures, key, kind), baseline)} |"
            )
    return lines


def report(figures):
    s = figures.settings
    load = ", ".join(f"{one:.2f}" for one, _, _ in figures.load_average)
    notes = "".join(f"\n{note}\n" for note in figures.notes)
    return f"""## Scale-out through a load balancer: two app hosts against one

The HTTP part's data set ({figures.dataset_line}). Two app hosts, each `newsdesk serve
--no-worker` (uvicorn, one worker, as each app host in `make cluster`) on its own copy of it on
a loopback port, and HAProxy {figures.haproxy} (Debian's) with two frontends: one to host A
alone, one balancing round robin over A and B (kept-alive connections to the hosts, no TLS, no
access log, no health checks: `cluster/haproxy.py` has the deployment's configuration). wrk
{loadgen.wrk_version() or "(absent)"} as in the HTTP part (`-t{loadgen.threads_for(s.connections)}
-c{s.connections} -d{s.seconds}s`; `-c{UNCACHED_CONNECTIONS}` for uncached renders, which
with 32 took longer than wrk's 2 s timeout on the loaded machine), each target twice,
interleaved: the cached article (one warm URL, in each host's page cache) and uncached renders
(each request an article no host had been asked for in this run). Host CPU is user+system time
of the app hosts' processes; "share" is how the CPU split between A and B behind the
balancer.

**This machine has two cores, shared by both "hosts", HAProxy and wrk** (and by other work:
load average at the start and end {load}). So the second host can only use what the first
leaves of the two cores, and what it gains here is a floor for separate machines, where each
host brings its own cores and the ratio for uncached renders is expected to approach the
number of hosts while the database keeps up. Whole part: {figures.seconds / 60:.1f} min.
Command: `make bench ONLY=scaleout_lb` (`python -m benchmarks.scaleout_lb`).

{chr(10).join(rows(figures))}
{notes}"""


def summary(figures):
    lines = [
        "load average at start/end: "
        + ", ".join(f"{one:.2f}" for one, _, _ in figures.load_average)
    ]
    for kind in ("cached", "uncached"):
        baseline = mean_rate(figures, "alone", kind)
        for key, label in TARGETS:
            rate = mean_rate(figures, key, kind)
            lines.append(
                f"{kind:<9} {label:<30} {rate:>9,.0f} req/s  {ratio_text(rate, baseline):>6} "
                "of one host alone"
            )
    return lines + figures.notes


def run(settings=None):
    """Measure, and return (the BENCHMARKS.md section, the summary lines to print)."""
    figures = measure(settings or http_load.Settings())
    return report(figures), summary(figures)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tiny", action="store_true", help="a few articles, 1-second runs")
    options = parser.parse_args()
    section, lines = run(http_load.TINY if options.tiny else None)
    print("\n" + section)
    print("\n".join(lines))
    print(versions())


if __name__ == "__main__":
    sys.exit(main())
