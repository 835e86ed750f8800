"""Sources at scale: 200 sources polled every 30 s by one `newsdesk worker`, and how long a new
item takes from being fetched to reaching an open desk.

A feed server in this process (threads, 127.0.0.1) serves 200 RSS feeds of 20 items each,
with ETag and Last-Modified, so an unchanged feed costs a 304. Every DRIP seconds one feed,
chosen in turn, gets a new item whose guid carries its number. The server notes when it first
hands a feed containing each new item to the worker; a desk client (an SSE reader over HTTP
with a signed-in editor's session, as the desk's EventSource is) notes when the item's event
arrives from `/desk/incoming/events/`. Fetch-to-desk latency is the second minus the first
(same machine, same clock): parsing, storing, the wake-up, the fan-out and the stream.

`newsdesk serve --no-worker` and `newsdesk worker` run as processes of their own on a fresh
SQLite database; the worker's CPU is read from /proc over the measured window (user + system
time of every thread). `python -m benchmarks.sources` prints the figures; `make bench
ONLY=sources` puts them in BENCHMARKS.md.
"""

import http.client
import json
import os
import subprocess
import tempfile
import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from benchmarks.live import ROOT, environment, free_port, newsdesk, python, stop, wait_for_http

SOURCES = 200
INTERVAL = 30
ITEMS_PER_FEED = 20
DRIP = 1.0
"""Seconds between new items (each in the next feed in turn)."""
WARM_UP = 45
"""Seconds for the first round of fetches (every feed new) before measuring."""
MEASURE = 150
"""Seconds measured: five poll rounds."""

ADD_SOURCES = """
from newsdesk.sources.models import Source
Source.objects.bulk_create([
    Source(name=f"Bench source {n:03d}", kind="rss", url=f"{BASE}/feed/{n}.xml",
           interval=INTERVAL, allow_private=True)
    for n in range(COUNT)
])
"""

SIGNED_IN = """
import time
from importlib import import_module
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
user = get_user_model().objects.create_user("bench-contributor")
user.groups.add(Group.objects.get(name="Contributors"))
session = import_module(settings.SESSION_ENGINE).SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session["newsdesk_last_seen"] = int(time.time())
session.create()
print("SESSION=" + session.session_key + " " + settings.SESSION_COOKIE_NAME)
"""


class Feeds:
    """The 200 feeds, their new items, and when each new item was first served."""

    def __init__(self):
        self.lock = threading.Lock()
        self.items = {n: [f"base-{n}-{i}" for i in range(ITEMS_PER_FEED)] for n in range(SOURCES)}
        self.changed = {n: time.time() for n in range(SOURCES)}
        self.pending = {}  # guid -> feed number, not yet served
        self.served = {}  # guid -> time first served
        self.requests = 0
        self.not_modified = 0

    def add(self, number, feed):
        guid = f"bench-new-{number}"
        with self.lock:
            self.items[feed] = [guid, *self.items[feed][: ITEMS_PER_FEED - 1]]
            self.changed[feed] = time.time()
            self.pending[guid] = feed

    def body(self, feed):
        with self.lock:
            items = list(self.items[feed])
            changed = self.changed[feed]
        entries = "".join(
            f"<item><guid>{guid}</guid><title>Statement {guid}</title>"
            f"<link>https://bench.example.org/{guid}</link>"
            f"<description>&lt;p&gt;Text of {guid}, as an official channel writes it: two "
            f"sentences of plain words.&lt;/p&gt;</description></item>"
            for guid in items
        )
        xml = (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Feed {feed}</title><link>https://bench.example.org/</link>"
            f"<description>Bench</description>{entries}</channel></rss>"
        )
        return xml.encode(), changed, items

    def mark_served(self, items):
        now = time.time()
        with self.lock:
            for guid in items:
                if guid in self.pending:
                    del self.pending[guid]
                    self.served[guid] = now


def serve_feeds(feeds):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            feed = int(self.path.rsplit("/", 1)[1].split(".")[0])
            body, changed, items = feeds.body(feed)
            etag = f'"{feed}-{changed}"'
            feeds.requests += 1
            if self.headers.get("If-None-Match") == etag:
                feeds.not_modified += 1
                self.send_response(304)
                self.end_headers()
                return
            feeds.mark_served(items)
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", formatdate(changed, usegmt=True))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def read_desk(port, cookie, arrived, stop_event):
    """The desk's event stream, as its EventSource reads it; notes each bench item's arrival."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request(
        "GET",
        "/desk/incoming/events/",
        headers={"Cookie": cookie, "X-Forwarded-Proto": "https", "Accept": "text/event-stream"},
    )
    response = connection.getresponse()
    if response.status != 200:
        raise RuntimeError(f"the desk's stream answered {response.status}")
    data = []
    while not stop_event.is_set():
        line = response.fp.readline()
        if not line:
            break
        line = line.decode().rstrip("\n")
        if line.startswith("data: "):
            data.append(line[6:])
        elif line == "" and data:
            now = time.time()
            event = json.loads("\n".join(data))
            data = []
            html = event.get("html", "")
            start = html.find("bench-new-")
            if start != -1:
                guid = html[start:].split()[0].split("<")[0]
                arrived.setdefault(guid, now)
    connection.close()


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values, share):
    return values[min(len(values) - 1, round(share * (len(values) - 1)))]


def measure():
    feeds = Feeds()
    server = serve_feeds(feeds)
    base = f"http://127.0.0.1:{server.server_port}"
    load_before = os.getloadavg()[0]
    web = worker = None
    with tempfile.TemporaryDirectory(prefix="newsdesk-sources-bench-") as temp:
        data_dir = Path(temp)
        env = environment(data_dir)
        newsdesk("migrate", "--no-input", "--verbosity", "0", env=env)
        code = f"BASE = {base!r}\nCOUNT = {SOURCES}\nINTERVAL = {INTERVAL}\n" + ADD_SOURCES
        newsdesk("shell", "-c", code, env=env)
        output = newsdesk("shell", "-c", SIGNED_IN, env=env)
        key, name = output.split("SESSION=")[1].split()[:2]
        port = free_port()
        log_path = data_dir / "serve.log"
        with open(log_path, "w") as log:
            try:
                web = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                    python("-m", "newsdesk.cli", "serve", "--no-worker", "--port", str(port)),
                    env=env,
                    cwd=ROOT,
                    stdout=log,
                    stderr=log,
                )
                wait_for_http(f"http://127.0.0.1:{port}/healthz", web, log_path)
                arrived, stop_event = {}, threading.Event()
                reader = threading.Thread(
                    target=read_desk,
                    args=(port, f"{name}={key}", arrived, stop_event),
                    daemon=True,
                )
                reader.start()
                worker = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                    python("-m", "newsdesk.cli", "worker"),
                    env=env,
                    cwd=ROOT,
                    stdout=log,
                    stderr=log,
                )
                time.sleep(WARM_UP)
                cpu_start, wall_start = cpu_seconds(worker.pid), time.monotonic()
                requests_start = feeds.requests
                number = 0
                while time.monotonic() - wall_start < MEASURE:
                    feeds.add(number, number % SOURCES)
                    number += 1
                    time.sleep(DRIP)
                cpu = cpu_seconds(worker.pid) - cpu_start
                wall = time.monotonic() - wall_start
                fetches = feeds.requests - requests_start
                time.sleep(INTERVAL + 5)  # the last items' next poll, and their way to the desk
                stop_event.set()
            finally:
                stop(worker)
                stop(web)
    server.shutdown()
    latencies = sorted(
        (arrived[guid] - at) * 1000 for guid, at in feeds.served.items() if guid in arrived
    )
    return {
        "cpu_percent": 100 * cpu / wall,
        "wall": wall,
        "fetches": fetches,
        "not_modified": feeds.not_modified,
        "new_items": number,
        "served": len(feeds.served),
        "latencies": latencies,
        "load": (load_before, os.getloadavg()[0]),
    }


def lines(result):
    values = result["latencies"]
    out = [
        f"- {SOURCES} RSS sources every {INTERVAL} s, {result['fetches']} fetches in "
        f"{result['wall']:.0f} s ({result['fetches'] / result['wall']:.1f}/s, "
        f"{result['not_modified']} answered 304 in the whole run); "
        f"{result['new_items']} new items, one every {DRIP:g} s",
        f"- worker CPU: {result['cpu_percent']:.1f}% of one core (user + system, all threads)",
    ]
    if values:
        out.append(
            f"- fetch to desk: p50 {percentile(values, 0.5):.0f} ms, p90 "
            f"{percentile(values, 0.9):.0f} ms, p99 "
            f"{percentile(values, 0.99):.0f} ms, max {values[-1]:.0f} ms over {len(values)} "
            f"items ({sum(value > 2000 for value in values)} over 2 s); "
            f"{result['served'] - len(values)} fetched items never reached the desk"
        )
    else:
        out.append("- fetch to desk: no item reached the desk")
    out.append(
        f"- load average (1 min) at the start and end: {result['load'][0]:.2f}, "
        f"{result['load'][1]:.2f}"
    )
    return out


def run():
    result = measure()
    figures = lines(result)
    section = (
        "## Sources: 200 polled sources and fetch-to-desk latency\n\n"
        f"`benchmarks/sources.py`: one `newsdesk worker` polls {SOURCES} RSS feeds served on "
        f"127.0.0.1 (conditional GET: an unchanged feed is a 304), every {INTERVAL} s, on a "
        "fresh SQLite database without Redis (the desk's process looks for new items every "
        "0.5 s). One feed in turn gets a new item every second; the latency runs from the "
        "feed server handing the worker the feed with the new item to the item's event "
        "arriving on a desk's open stream (`/desk/incoming/events/`, read as an EventSource "
        f"reads it). Measured over {MEASURE} s after a {WARM_UP} s warm-up. On a machine "
        "shared with other work these figures are upper bounds on cost.\n"
        "Command: `make bench ONLY=sources`.\n\n" + "\n".join(figures) + "\n"
    )
    return section, figures


def main():
    print("\n".join(lines(measure())))


if __name__ == "__main__":
    main()
