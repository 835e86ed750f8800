"""A quick check of live fan-out through Pushpin (GRIP mode), not the full benchmark.

One `newsdesk serve --no-worker` (SQLite) with NEWSDESK_PUSHPIN_URL set, one Pushpin in front
(devservers/pushpin.py), N readers connected to Pushpin (benchmarks.live's reader harness),
and benchmarks.live_poster posting UPDATES updates, one every INTERVAL seconds, from its own
process. Prints publish-to-receive latency (from the commit), lost and duplicated events,
memory per reader (Pushpin's processes and the server), CPU, and how many requests reached
the server while the updates were delivered (the point of GRIP: none per reader).

    python -m benchmarks.live_grip_check [--readers 2000] [--buffer-size 2048]
                                         [--message-rate 1000000]
"""

import argparse
import asyncio
import json
import shutil
import tempfile
from pathlib import Path

from benchmarks import live
from benchmarks.live import (
    CREATE_FEED,
    INTERVAL,
    ROOT,
    SLUG,
    UPDATES,
    Readers,
    Result,
    cpu_seconds,
    deliver,
    environment,
    free_port,
    newsdesk,
    python,
    raise_file_limit,
    rss_kb,
    score,
    wait_for_http,
)
from devservers.pushpin import Pushpin, newsdesk_pushpin_url

# Pushpin 1.36 queues at most about a hundred new requests between its own processes (proxy
# to zurl, proxy to handler) and answers 502/500 beyond that (docs/live.md): connect the
# readers in steps it absorbs.
live.CONNECT_BATCH = 100


def total(pids, measure):
    return sum(measure(pid) for pid in pids)


def by_program(pids, measure):
    """{program name: measure summed over its processes}."""
    found = {}
    for pid in pids:
        name = Path(f"/proc/{pid}/comm").read_text().strip()
        found[name] = found.get(name, 0) + measure(pid)
    return found


def differences(after, before, scale):
    return ", ".join(
        f"{name} {(value - before.get(name, 0)) * scale:.1f}"
        for name, value in sorted(after.items())
    )


def stream_requests(log_path):
    return Path(log_path).read_text(errors="replace").count(f'"GET /live/{SLUG}/events')


async def check(count, buffer_size, message_rate):
    raise_file_limit(count)
    data_dir = Path(tempfile.mkdtemp(prefix="newsdesk-grip-check-"))
    env = environment(data_dir)
    port = free_port()
    pushpin = Pushpin(
        f"127.0.0.1:{port}",
        buffer_size=buffer_size,
        message_rate=message_rate,
        log_level=1,
        workdir=data_dir / "pushpin",
    )
    env["NEWSDESK_PUSHPIN_URL"] = newsdesk_pushpin_url(pushpin)
    newsdesk("migrate", "--no-input", "--verbosity", "0", env=env)
    newsdesk("shell", "-c", CREATE_FEED, env=env)
    log_path = data_dir / "serve.log"
    result = Result("redis", count)  # the label is not used here
    server = poster = readers = None
    with open(log_path, "w") as log:
        try:
            server = await asyncio.create_subprocess_exec(
                *python("-m", "newsdesk.cli", "serve", "--no-worker", "--port", str(port)),
                env=env,
                cwd=ROOT,
                stdout=log,
                stderr=log,
            )
            wait_for_http(f"http://127.0.0.1:{port}/healthz", _Running(server), log_path)
            pushpin.start()
            updates = f"http://127.0.0.1:{port}/live/{SLUG}/updates.json"
            last = json.loads(wait_for_http(updates, _Running(server), log_path))["last"]
            pushpin_before = total(pushpin.pids(), rss_kb)
            programs_before = by_program(pushpin.pids(), rss_kb)
            server_before = rss_kb(server.pid)
            requests_before = stream_requests(log_path)
            cpu_before = cpu_seconds(server.pid)
            readers = Readers(pushpin.http_port, f"/live/{SLUG}/events?after={last}", UPDATES)
            connect_seconds = await readers.connect(count, print)
            connect_cpu = cpu_seconds(server.pid) - cpu_before
            connect_requests = stream_requests(log_path) - requests_before
            await asyncio.sleep(2)
            pushpin_connected = total(pushpin.pids(), rss_kb)
            programs_connected = by_program(pushpin.pids(), rss_kb)
            server_connected = rss_kb(server.pid)
            poster = await asyncio.create_subprocess_exec(
                *python("-m", "benchmarks.live_poster", SLUG, str(UPDATES), str(INTERVAL)),
                env=env,
                cwd=ROOT,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
            )
            requests_before = stream_requests(log_path)
            pushpin_cpu_before = total(pushpin.pids(), cpu_seconds)
            programs_cpu_before = by_program(pushpin.pids(), cpu_seconds)
            server_cpu_before = cpu_seconds(server.pid)
            commits = await deliver(result, server.pid, readers, poster, print)
            delivery_requests = stream_requests(log_path) - requests_before
            pushpin_cpu = total(pushpin.pids(), cpu_seconds) - pushpin_cpu_before
            programs_cpu = by_program(pushpin.pids(), cpu_seconds)
            server_cpu = cpu_seconds(server.pid) - server_cpu_before
            score(result, readers, commits)
        except BaseException:
            print(f"Failed; the logs are in {data_dir}")
            raise
        finally:
            if readers is not None:
                await readers.close()
            if poster is not None and poster.returncode is None:
                poster.kill()
                await poster.wait()
            pushpin.stop()
            if server is not None and server.returncode is None:
                server.terminate()
                await server.wait()
    shutil.rmtree(data_dir, ignore_errors=True)  # kept above when something failed
    print(
        f"\n{count:,} readers through Pushpin (client_buffer_size {buffer_size}, "
        f"message_rate {message_rate}), {UPDATES} updates every {INTERVAL} s:"
    )
    print(
        f"  publish-to-receive from the commit: p50 {result.percentile(0.5):.0f} ms, "
        f"p99 {result.percentile(0.99):.0f} ms, max {result.percentile(1.0):.0f} ms; "
        f"lost {result.lost}, duplicated {result.duplicated}; median over updates: commit to "
        f"the first reader {result.first_ms:.0f} ms, first to last {result.spread_ms:.0f} ms"
    )
    print(
        f"  connecting: {connect_seconds:.1f} s, {connect_requests:,} requests to the server, "
        f"server CPU {connect_cpu * 1000 / max(connect_requests, 1):.2f} ms per request"
    )
    print(
        f"  memory per reader: Pushpin {(pushpin_connected - pushpin_before) / count:.1f} KB "
        f"(all its processes: {pushpin_connected / 1024:.0f} MB), server "
        f"{(server_connected - server_before) / count:.2f} KB"
    )
    print(
        f"  while delivering: {delivery_requests} requests reached the server; CPU per "
        f"update: Pushpin {pushpin_cpu * 1000 / UPDATES:.0f} ms, server "
        f"{server_cpu * 1000 / UPDATES:.1f} ms"
    )
    memory = differences(programs_connected, programs_before, 1 / count)
    print(f"  KB per reader by program: {memory}")
    print(
        "  CPU ms per update by program: "
        + differences(programs_cpu, programs_cpu_before, 1000 / UPDATES)
    )


class _Running:
    """benchmarks.live.wait_for_http wants a Popen-like poll()."""

    def __init__(self, process):
        self.process = process

    def poll(self):
        return self.process.returncode

    @property
    def returncode(self):
        return self.process.returncode


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--readers", type=int, default=2000)
    parser.add_argument("--buffer-size", type=int, default=2048)
    parser.add_argument("--message-rate", type=int, default=1_000_000)
    args = parser.parse_args()
    asyncio.run(check(args.readers, args.buffer_size, args.message_rate))


if __name__ == "__main__":
    main()
