"""A short side-by-side run: the cached article from the app alone against nginx on its bytes.

    python -m benchmarks.http_load --quick ROUNDS [--before TREE] [--seconds S]

The part of benchmarks/http_load.py that issue 15's "app alone vs nginx" row needs, in minutes
rather than the full run's hour: the data set (http_load's, at a small size: a hit's cost does
not depend on how many articles there are), `newsdesk serve --no-worker` with 1 and with 2
processes, nginx serving the warm article's exact bytes, and wrk against each in turn, ROUNDS
times, interleaved (nginx, app 1, app 2, nginx, ...), so that every figure shares the same
minutes of machine load. With `--before TREE` (a checkout of another commit, for instance
`git worktree add /tmp/before main`), that tree's server runs beside this one's on its own copy
of the data, and every round measures both: a before/after comparison in the same minutes.

Reported per target: requests/s, its share of nginx's in the same round, and server CPU per
request (utime+stime of the server's processes from /proc, divided by the responses).
"""

import json
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from benchmarks import loadgen
from benchmarks.http_load import (
    ROOT,
    Settings,
    cache_state,
    copy_site,
    dataset,
    ensure_tool,
    fetch,
    nginx_serving,
    progress,
    stop_group,
    tree_cpu_seconds,
)
from benchmarks.http_site import MANIFEST
from benchmarks.live import environment, free_port, python, wait_for_http

QUICK = Settings(articles=200, updates=100, seconds=5, connections=32)


class App:
    """`newsdesk serve --no-worker` from `tree` (this checkout by default) with `workers`."""

    def __init__(self, label, tree, workers, data_dir):
        self.label, self.tree, self.workers, self.data_dir = label, tree, workers, data_dir
        self.port = free_port()
        self.process = None

    def start(self):
        env = environment(self.data_dir)
        env["PYTHONPATH"] = str(self.tree)  # ahead of this checkout's editable install
        command = python("-m", "newsdesk.cli", "serve", "--no-worker", "--host", "127.0.0.1")
        command += ["--port", str(self.port), "--workers", str(self.workers)]
        log = self.data_dir / "server.log"
        with open(log, "w") as output:
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                command,
                env=env,
                cwd=self.tree,
                stdout=output,
                stderr=output,
                start_new_session=True,
            )
        wait_for_http(f"http://127.0.0.1:{self.port}/healthz", self.process, log)

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def warm(self, path):
        """Ask until the page says it came from the cache (every process has it)."""
        for _ in range(200):
            status, headers, body = fetch(self.url(path))
            if status == 200 and cache_state(headers) == "hit":
                return body
        raise RuntimeError(f"{self.label}: {path} never said hit")


def run(rounds, before=None, seconds=None):
    settings = QUICK if seconds is None else Settings(**{**QUICK.__dict__, "seconds": seconds})
    loads = [os.getloadavg()]
    wrk = loadgen.wrk_path() or ensure_tool("wrk", "wrk")
    nginx = ensure_tool("nginx", "nginx-light")
    if not (wrk and nginx):
        raise SystemExit("--quick needs wrk and nginx (apt-get install wrk nginx)")
    built, _ = dataset(settings)
    manifest = json.loads((built / MANIFEST).read_text())
    path = manifest["articles"][-1]["path"]
    trees = [("after", ROOT)] + ([("before", Path(before).resolve())] if before else [])
    with tempfile.TemporaryDirectory(prefix="newsdesk-http-quick-") as temp:
        apps = [
            App(
                f"{name}, {workers} process(es)",
                tree,
                workers,
                copy_site(built, temp, name + str(workers)),
            )
            for name, tree in trees
            for workers in (1, 2)
        ]
        try:
            for app in apps:
                app.start()
            bodies = {app.label: app.warm(path) for app in apps}
            body = bodies[apps[0].label]
            progress(f"warm article {path}: {len(body):,} bytes")
            figures = {"nginx": []} | {app.label: [] for app in apps}
            with nginx_serving(nginx, body) as static_url:
                for number in range(1, rounds + 1):
                    nginx_rate = loadgen.load(static_url, settings.connections, settings.seconds)
                    figures["nginx"].append((nginx_rate.per_second, None))
                    for app in apps:
                        figures[app.label].append(measure(app, path, settings))
                    progress(round_line(number, figures))
            loads.append(os.getloadavg())
        finally:
            for app in apps:
                if app.process is not None:
                    stop_group(app.process)
    return report(figures, loads, settings, path, len(body))


def measure(app, path, settings):
    before = tree_cpu_seconds(app.process.pid)
    result = loadgen.load(
        app.url(path), settings.connections, settings.seconds, headers=loadgen.HEADERS
    )
    cpu = tree_cpu_seconds(app.process.pid) - before
    served = max(1, result.requests - result.status_errors)
    if result.status_errors or result.errors:
        progress(f"{app.label}: {result.status_errors} non-2xx/3xx, {result.errors} socket errors")
    return result.per_second, cpu / served * 1e6


def round_line(number, figures):
    nginx = figures["nginx"][-1][0]
    parts = [f"nginx {nginx:,.0f}/s"]
    for label, runs in list(figures.items())[1:]:
        rate, cpu_us = runs[-1]
        parts.append(f"{label} {rate:,.0f}/s = {rate / nginx:.1%}, {cpu_us:.0f} µs CPU")
    return f"round {number}: " + "; ".join(parts)


def report(figures, loads, settings, path, size):
    nginx = [rate for rate, _ in figures["nginx"]]
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    lines = [
        f"Cached article {path} ({size:,} bytes), wrk {settings.connections} connections, "
        f"{settings.seconds} s a run, {len(nginx)} interleaved rounds; load average "
        f"{loads[0][0]:.1f} before, {loads[-1][0]:.1f} after; {when}",
        "",
        "| target | requests/s (each round) | vs nginx (each round) | server CPU µs/request |",
        "| --- | ---: | ---: | ---: |",
        f"| nginx, same bytes | {' / '.join(f'{r:,.0f}' for r in nginx)} | 100% | - |",
    ]
    for label, runs in list(figures.items())[1:]:
        rates = [rate for rate, _ in runs]
        shares = [rate / base for rate, base in zip(rates, nginx, strict=True)]
        cpu = statistics.mean(cpu_us for _, cpu_us in runs)
        lines.append(
            f"| {label} | {' / '.join(f'{r:,.0f}' for r in rates)} | "
            f"{' / '.join(f'{s:.1%}' for s in shares)} | {cpu:.0f} |"
        )
    return "\n".join(lines)
