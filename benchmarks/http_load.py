"""HTTP benchmark: reader pages over real sockets, side by side with nginx serving the same bytes.

    python -m benchmarks.http_load [--tiny]     # or: make bench ONLY=http

What it does, in order (each step prints a progress line):

1. The data set: 10,000 articles, 50 authors, 100 topics and a live feed of 5,000 updates
   (benchmarks/dataset.py, seed 1), built once into a data directory under the benchmark cache
   ($NEWSDESK_BENCH_CACHE, default ~/.cache/newsdesk-bench) whose name is a hash of everything
   that shapes it: the generator's source, every migration, the Django and Wagtail versions and
   the counts. A re-run with the same hash copies that directory (seconds) instead of building
   it again (minutes); change any of those and it is rebuilt. Every server gets its own copy.
2. The site: `newsdesk serve --no-worker` as shipped (uvicorn, its default worker count) on a
   free 127.0.0.1 port; nginx on another, serving the cached article's exact bytes as a file.
3. Throughput: wrk with the same threads, connections and duration against each target, the
   whole list twice, interleaved (A B C ... A B C): the static file, the cached article (one
   warm URL; "cached" only if the response says so in an X-...Cache... header, otherwise it is
   reported as uncached), an uncached article render (every request a different article that
   nobody asked for before on this server, so no cache can answer it; the run reports how many
   responses said "hit" anyway), home, the live feed page and the RSS feed.
4. A curve of requests/s against connections for nginx, the cached and the uncached article.
5. At one connection: server CPU per uncached article render (utime+stime of every server
   process from /proc, divided by requests), its p50; home's p50 (through an editor session
   that bypasses the cache when home comes from a cache, so it is a render).
6. Publishing under load: wrk on the warm article while another process publishes a new
   revision of it with a new headline through Wagtail; time from commit to the first response
   that shows the new headline.
7. Memory: more distinct-article load until the server has answered 20,000 requests, then the
   VmRSS of each of its processes.
8. Servers: uvicorn and, when it can be installed (`pip install --target` into the benchmark
   cache, never into the project's environment or lock files), granian, each at 1 and 2 worker
   processes, on their own data copies, all started together and measured in turn, twice.

Database queries per uncached article render are counted in-process (benchmarks/http_site.py,
Django's CaptureQueriesContext) on articles no server has served.

Load stays on 127.0.0.1, every run is bounded in time, and every process started here (servers,
nginx, wrk, publisher) is stopped in `finally` blocks, as a process group.
"""

import argparse
import contextlib
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import loadgen
from benchmarks.http_site import MANIFEST
from benchmarks.live import (
    environment,
    free_port,
    newsdesk,
    python,
    tail,
    versions,
    wait_for_http,
)

ROOT = Path(__file__).resolve().parents[1]
PLOT = ROOT / "benchmarks" / "http-throughput.png"
GRANIAN_VERSION = "2.8.9"


@dataclass
class Settings:
    articles: int = 10_000
    updates: int = 5_000
    seconds: int = 10
    connections: int = 32
    curve: tuple = (1, 4, 16, 64)
    curve_seconds: int = 5
    one_seconds: int = 10
    publishes: int = 5
    memory_requests: int = 20_000
    servers: tuple = (("uvicorn", 1), ("uvicorn", 2), ("granian", 1), ("granian", 2))
    granian: bool = True
    stored_articles: int = 600


TINY = Settings(
    articles=40,
    updates=60,
    seconds=1,
    connections=4,
    curve=(1, 4),
    curve_seconds=1,
    one_seconds=1,
    publishes=2,
    memory_requests=300,
    servers=(("uvicorn", 1), ("uvicorn", 2)),
    granian=False,
    stored_articles=10,
)

# The targets on a 2-core machine.
CACHED_SHARE_OF_NGINX = 0.5
CACHED_SHARE_APP_ALONE = 0.35  # issue 15: the app alone, for each server and process count
UNCACHED_CPU_MS = 4.0
UNCACHED_P50_MS = 15.0
HOME_P50_MS = 20.0
QUERIES = 6
LISTING_CPU_MS = 6.0
LIVE_CPU_MS = 8.0
RSS_MB = 250
PUBLISH_SECONDS = 1.0

TARGETS = [
    ("static", "static file, same bytes (nginx)"),
    ("cached", "article, one warm URL"),
    ("front", "article, one warm URL, through nginx's proxy cache in front"),
    ("uncached", "article, uncached render (distinct URLs)"),
    ("home", "home"),
    ("live", "live feed page"),
    ("rss", "RSS feed"),
]


def progress(line):
    print(f"   {line}", flush=True)


# --- tools -----------------------------------------------------------------------------------


def ensure_tool(command, package):
    """The command's path; installed from Debian first when missing and we are root."""
    found = shutil.which(command) or shutil.which(command, path="/usr/sbin:/usr/bin")
    if found or os.geteuid() != 0 or not shutil.which("apt-get"):
        return found
    progress(f"{command} is missing: apt-get install -y {package}")
    subprocess.run(["apt-get", "install", "-y", package], check=False, capture_output=True)  # noqa: S603,S607 - apt-get from PATH, as root, a fixed package
    return shutil.which(command) or shutil.which(command, path="/usr/sbin:/usr/bin")


def nginx_version(nginx):
    completed = subprocess.run([nginx, "-v"], capture_output=True, text=True, check=False)  # noqa: S603 - the nginx we found
    return completed.stderr.strip().split("/")[-1]


def granian_path(cache):
    """A directory to put on PYTHONPATH for granian ("" when it is installed already), or None.

    Installed with `pip install --no-deps --target` into the benchmark cache: the comparison
    must not change the project's environment or lock files."""
    if importlib.util.find_spec("granian"):
        return ""
    target = cache / f"granian-{GRANIAN_VERSION}"
    if not (target / "granian").is_dir():
        progress(f"installing granian {GRANIAN_VERSION} into {target} (not the project's venv)")
        completed = subprocess.run(  # noqa: S603 - pip of our own interpreter
            python("-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target))
            + [f"granian=={GRANIAN_VERSION}"],
            capture_output=True,
            text=True,
            check=False,
        )
        if completed.returncode != 0:
            progress(f"granian did not install: {completed.stderr.strip()[-300:]}")
            return None
    return str(target)


# --- the data set ----------------------------------------------------------------------------


def cache_root():
    default = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "newsdesk-bench"
    return Path(os.environ.get("NEWSDESK_BENCH_CACHE") or default)


def dataset_key(settings):
    """A hash of everything that shapes the built data directory."""
    digest = hashlib.sha256()
    sources = [ROOT / "benchmarks" / "dataset.py", ROOT / "benchmarks" / "http_site.py"]
    sources += sorted((ROOT / "newsdesk").glob("*/migrations/*.py"))
    for path in sources:
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    for package in ("django", "wagtail"):
        digest.update(f"{package} {importlib.metadata.version(package)}".encode())
    digest.update(f"{settings.articles} {settings.updates}".encode())
    return digest.hexdigest()[:16]


def dataset(settings):
    """(the built data directory, whether it came from the cache)."""
    root = cache_root()
    built = root / f"http-{settings.articles}-{dataset_key(settings)}"
    if (built / MANIFEST).exists():
        progress(f"data set: reusing {built} (same generator hash)")
        return built, True
    root.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f"{built.name}.building-", dir=root))
    progress(f"data set: building {settings.articles:,} articles into {built} (cached for re-runs)")
    started = time.monotonic()
    try:
        completed = subprocess.run(  # noqa: S603 - our own interpreter and module
            python("-m", "benchmarks.http_site", "build", str(settings.articles))
            + [str(settings.updates)],
            env=environment(building),
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        if completed.returncode != 0:
            raise RuntimeError(f"building the data set failed:\n{completed.stderr[-3000:]}")
        with contextlib.suppress(FileNotFoundError):
            (building / "test.sqlite3").unlink()
        building.rename(built)
    finally:
        shutil.rmtree(building, ignore_errors=True)
    progress(f"data set: {completed.stdout.strip()}; {time.monotonic() - started:.0f} s in all")
    return built, False


def copy_site(source, temp, name):
    target = Path(temp) / name
    shutil.copytree(source, target)
    return target


# --- processes -------------------------------------------------------------------------------


def descendants(pid):
    """pid and every process below it (uvicorn and granian fork their workers)."""
    children = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError):
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(entry.name))
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        queue += children.get(current, [])
    return found


def tree_cpu_seconds(pid):
    total = 0.0
    for member in descendants(pid):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def tree_rss_mb(pid):
    """[(pid, VmRSS MB)] for the server's processes."""
    sizes = []
    for member in descendants(pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    sizes.append((member, int(line.split()[1]) / 1024))
    return sizes


def stop_group(process, timeout=30):
    """SIGINT to the whole process group (a server and its workers), SIGKILL if it lingers."""
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@dataclass
class Server:
    kind: str
    workers: int | None
    """None: whatever `newsdesk serve` picks by default."""
    data_dir: Path = None
    port: int = 0
    process: subprocess.Popen = None
    log: Path = None
    served: int = 0
    """Requests this harness sent it so far (for the memory reading after N requests)."""

    @property
    def label(self):
        workers = "default workers" if self.workers is None else f"{self.workers} worker(s)"
        return f"{self.kind}, {workers}"

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, granian_dir=None, bare_from=None):
        self.port = free_port()
        self.log = self.data_dir / "server.log"
        env = environment(self.data_dir)
        if bare_from is not None:
            # Newsdesk's settings plus the benchmark-only bare Wagtail page type, served by
            # the same process as everything else (benchmarks/bare_settings.py).
            env["DJANGO_SETTINGS_MODULE"] = "benchmarks.bare_settings"
        # The data set was migrated when it was built; a migration added since (work in
        # progress in this tree) would make `serve` refuse to start.
        newsdesk("migrate", "--no-input", "--verbosity", "0", env=env)
        if bare_from is not None:
            site_command(env, "bare", str(bare_from))
        if self.kind == "uvicorn":
            command = ["-m", "newsdesk.cli", "serve", "--no-worker", "--host", "127.0.0.1"]
            command += ["--port", str(self.port)]
            if self.workers is not None:
                command += ["--workers", str(self.workers)]
        else:
            # What `newsdesk serve` does around uvicorn, minus the worker: the data copy is
            # migrated and its static files collected already. The access log is Newsdesk's
            # (newsdesk/server/accesslog.py), as under `serve`; granian's own stays off.
            command = ["-m", "granian", "--interface", "asginl", "--host", "127.0.0.1"]
            command += ["--port", str(self.port), "--workers", str(self.workers)]
            command += ["newsdesk.asgi:application"]
            if granian_dir:
                env["PYTHONPATH"] = granian_dir
        with open(self.log, "w") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and modules
                python(*command),
                env=env,
                cwd=ROOT,
                stdout=log,
                stderr=log,
                start_new_session=True,  # its own group, so stopping it stops its workers
            )
        wait_for_http(f"{self.base}/healthz", self.process, self.log)

    def stop(self):
        stop_group(self.process)

    def cpu(self):
        return tree_cpu_seconds(self.process.pid)


def fetch(url, headers=None):
    """(status, lower-cased headers, body) of one GET."""
    request = urllib.request.Request(url, headers={**loadgen.HEADERS, **(headers or {})})  # noqa: S310 - our loopback server
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
            return (
                response.status,
                {k.lower(): v for k, v in response.headers.items()},
                response.read(),
            )
    except urllib.error.HTTPError as error:
        # An answer too (a 503 from the render limit, say); HTTPError itself holds an open
        # file, which cannot cross back to `make bench`'s parent process.
        with error:
            return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def cache_state(headers):
    """'hit', 'miss (<header>: <value>)' or 'no cache header', from an X-...Cache... header."""
    said = {k: v for k, v in headers.items() if k.startswith("x-") and "cache" in k}
    if any("hit" in value.lower() for value in said.values()):
        return "hit"
    if said:
        return "miss (" + ", ".join(f"{k}: {v}" for k, v in said.items()) + ")"
    return "not marked (no X-Cache header)"


NGINX_HTTP = """# Written by benchmarks/http_load.py for one run.
worker_processes auto;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    default_type text/html;
    client_body_temp_path {dir}/tmp/body;
    proxy_temp_path {dir}/tmp/proxy;
    fastcgi_temp_path {dir}/tmp/fastcgi;
    uwsgi_temp_path {dir}/tmp/uwsgi;
    scgi_temp_path {dir}/tmp/scgi;
{server}
}}
"""

STATIC_SERVER = """    server {{
        listen 127.0.0.1:{port};
        root {dir}/www;
    }}"""

# The front cache docs/operations.md recommends: it keeps pages for as long as Newsdesk's
# Cache-Control allows, one request per page goes upstream at a time, and a stale copy is
# served while it is refreshed or while Newsdesk is down.
FRONT_SERVER = """    proxy_cache_path {dir}/cache keys_zone=newsdesk:10m max_size=256m;
    upstream newsdesk {{
        server {upstream};
        keepalive 32;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://newsdesk;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host {upstream};
            proxy_cache newsdesk;
            proxy_cache_lock on;
            proxy_cache_background_update on;
            proxy_cache_use_stale updating error timeout http_500 http_502 http_503 http_504;
            add_header X-Front-Cache $upstream_cache_status;
        }}
    }}"""


@contextlib.contextmanager
def nginx_running(nginx, server_block, path, files=None, **values):
    """nginx in the foreground on a free loopback port with one `server_block`; yields the URL
    of `path` once nginx answers it. `files` (name -> bytes) go into the site's www folder."""
    with tempfile.TemporaryDirectory(prefix="newsdesk-nginx-") as temp:
        folder = Path(temp)
        for sub in ("www", "tmp", "cache"):
            (folder / sub).mkdir()
        for name, body in (files or {}).items():
            (folder / "www" / name).write_bytes(body)
        # Run as root, nginx's workers drop to `nobody`, who must read the files and write
        # the cache.
        for path_in in (folder, *folder.iterdir(), *(folder / "www").iterdir()):
            path_in.chmod(0o777 if path_in.name in ("tmp", "cache") else 0o755)
        port = free_port()
        conf = folder / "nginx.conf"
        server = server_block.format(dir=folder, port=port, **values)
        conf.write_text(NGINX_HTTP.format(dir=folder, server=server))
        process = subprocess.Popen(  # noqa: S603 - nginx with our config
            [nginx, "-p", str(folder), "-e", str(folder / "error.log"), "-c", str(conf)]
            + ["-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        try:
            url = f"http://127.0.0.1:{port}{path}"
            deadline = time.monotonic() + 20
            while True:
                try:
                    fetch(url)
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(
                            f"nginx did not start: {process.stderr.read().decode()}"
                            f"{tail(folder / 'error.log')}"
                        ) from None
                    time.sleep(0.1)
            yield url
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGQUIT)  # graceful: workers finish, then exit
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()


def nginx_serving(nginx, body):
    """nginx serving `body` as /article.html: one worker per core (`auto`), no access log,
    sendfile: nginx as fast as it goes here, the physical limit the application is compared
    with."""
    return nginx_running(nginx, STATIC_SERVER, "/article.html", files={"article.html": body})


def nginx_in_front(nginx, server, path):
    """nginx as a caching proxy in front of `server`, as docs/operations.md sets it up; yields
    the URL of `path` through it."""
    return nginx_running(nginx, FRONT_SERVER, path, upstream=server.base.split("//", 1)[1])


def front_state(url):
    """What nginx's cache says of the second of two requests (HIT once it has the page)."""
    fetch(url)
    return "nginx " + fetch(url)[1].get("x-front-cache", "(no X-Front-Cache header)")


# --- measurements ----------------------------------------------------------------------------


class Pool:
    """Article paths for uncached renders: each run gets the ones no run used before."""

    def __init__(self, paths):
        self.paths = paths
        self.used = 0

    def remaining(self):
        return self.paths[self.used :] or self.paths  # all used: start again (and say so)

    def exhausted(self):
        return self.used >= len(self.paths)

    def consume(self, result):
        self.used = min(len(self.paths), self.used + result.walked)


@dataclass
class Run:
    target: str
    round: int
    result: loadgen.Load
    state: str = ""
    cpu_seconds: float | None = None


@dataclass
class Figures:
    settings: Settings
    dataset_line: str = ""
    dataset_cached: bool = False
    body_bytes: int = 0
    tool: str = "wrk"
    nginx: str | None = None
    runs: list = field(default_factory=list)
    curve: dict = field(default_factory=dict)
    one: dict = field(default_factory=dict)
    queries: dict = field(default_factory=dict)
    stored_queries: dict = field(default_factory=dict)
    warm: dict = field(default_factory=dict)
    publish: list = field(default_factory=list)
    publish_load: loadgen.Load = None
    memory: list = field(default_factory=list)
    memory_requests: int = 0
    servers: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    load_average: list = field(default_factory=list)
    default_server: str = ""
    seconds: float = 0.0


def measure_one(
    server,
    target,
    url,
    settings,
    connections=None,
    seconds=None,
    paths=None,
    headers=None,
    pool=None,
):
    """One bounded load run, with the server's CPU time across it."""
    before = server.cpu() if server else None
    repeated = pool is not None and pool.exhausted()
    result = loadgen.load(
        url,
        connections or settings.connections,
        seconds or settings.seconds,
        paths=paths,
        headers=headers,
    )
    cpu = server.cpu() - before if server else None
    if server:
        server.served += result.requests
        if result.requests == result.status_errors:
            progress(f"no successful response; the server's log ends:\n{tail(server.log, 15)}")
    if pool is not None:
        pool.consume(result)
        if repeated:
            result.wraps = max(result.wraps, 1)
    return result, cpu


def cpu_ms(cpu, result):
    """Server CPU ms per successful response: what refused (503) requests cost is charged to
    the pages that were served, since serving them is what the CPU was for."""
    return cpu / max(1, result.requests - result.status_errors) * 1000


def line(label, result, extra=""):
    flags = []
    if result.status_errors or result.errors:
        flags.append(f"{result.status_errors} non-2xx/3xx, {result.errors} socket errors")
    if result.hits:
        flags.append(f"{result.hits:,} cache hits")
    if result.wraps:
        flags.append("path list ran out and repeated")
    return (
        f"{label}: {result.per_second:,.0f} req/s, p50 {result.p50_ms:.2f} ms, "
        f"p99 {result.p99_ms:.2f} ms ({result.requests:,} requests)"
        + (f"; {'; '.join(flags)}" if flags else "")
        + extra
    )


def distinct(result):
    """What an uncached run can say about itself."""
    if result.wraps:
        return "paths repeated: some may be cache hits"
    return "distinct URLs" + (f", {result.hits:,} said hit" if result.hits else "")


def warm_state(server, url, headers=None):
    """Request until answered 200 (at most 20 times), then once more; what that last
    response says about the cache."""
    for _ in range(20):
        server.served += 1
        if fetch(url, headers)[0] == 200:
            break
        time.sleep(0.5)
    server.served += 1
    status, answer, _ = fetch(url, headers)
    return cache_state(answer) if status == 200 else f"answered {status}"


def measure(settings):
    figures = Figures(settings)
    started = time.monotonic()
    figures.load_average.append(os.getloadavg())
    wrk = loadgen.wrk_path() or ensure_tool("wrk", "wrk")
    figures.tool = "wrk" if wrk else "python"
    if not wrk:
        figures.skipped.append("wrk is not installed: the Python load generator was used.")
    nginx = ensure_tool("nginx", "nginx-light")
    figures.nginx = nginx and nginx_version(nginx)
    built, figures.dataset_cached = dataset(settings)
    manifest = json.loads((built / MANIFEST).read_text())
    figures.dataset_line = manifest["dataset"] + f", a live feed of {manifest['live_updates']:,}"
    articles = manifest["articles"]
    # Newest article: the first story on home, the one a breaking-news crowd asks for.
    warm = articles[-1]
    inspected = [a["path"] for a in articles[:5]]  # counted in-process, never served here
    rest = [a["path"] for a in articles[5:-1]]
    random.Random(1).shuffle(rest)  # noqa: S311 - a fixed order, not a secret
    # Articles whose stored parts are built before measuring, as publishing builds them on
    # a real site; never requested from the server before their own row.
    stored, rest = rest[: settings.stored_articles], rest[settings.stored_articles :]
    paths = {
        "cached": warm["path"],
        "home": "/",
        "live": manifest["live_path"],
        "rss": "/feeds/rss.xml",
    }
    with tempfile.TemporaryDirectory(prefix="newsdesk-http-bench-") as temp:
        main = Server("uvicorn", None, copy_site(built, temp, "main"))
        progress("queries per render and an editor session (in-process, benchmarks/http_site.py)")
        inspected_info = inspect(main.data_dir, [*inspected, "/", paths["live"], paths["rss"]])
        figures.queries = inspected_info["queries"]
        figures.stored_queries = inspected_info.get("stored", {})
        editor = {"Cookie": inspected_info["cookie"]}
        progress(f"building the stored parts of {len(stored):,} articles (in-process)")
        figures.warm = site_command(environment(main.data_dir), "warm", *stored)
        with contextlib.ExitStack() as stack:
            progress("starting `newsdesk serve --no-worker` (uvicorn, default workers)")
            main.start(bare_from=warm["id"])
            stack.callback(main.stop)
            figures.default_server = f"{len(tree_rss_mb(main.process.pid))} process(es)"
            body = fetch(main.base + warm["path"])[2]
            figures.body_bytes = len(body)
            static_url = None
            front_url = None
            if nginx:
                static_url = stack.enter_context(nginx_serving(nginx, body))
                front_url = stack.enter_context(nginx_in_front(nginx, main, warm["path"]))
            else:
                figures.skipped.append("nginx is not installed: no static-file baseline.")
            urls = {key: main.base + path for key, path in paths.items()}
            urls["static"] = static_url
            urls["front"] = front_url
            pool = Pool(rest)
            throughput(figures, main, urls, pool, settings)
            curve(figures, main, urls, pool, settings)
            one_connection(figures, main, urls, pool, settings, editor)
            renders(figures, main, manifest, stored, settings)
            publish_under_load(figures, main, warm, settings)
            memory(figures, main, pool, settings)
        compare_servers(figures, built, temp, warm["path"], rest, settings)
    figures.load_average.append(os.getloadavg())
    figures.seconds = time.monotonic() - started
    return figures


def site_command(env, *arguments, timeout=1800):
    """benchmarks/http_site.py in its own process; its last line of output, as JSON."""
    completed = subprocess.run(  # noqa: S603 - our own interpreter and module
        python("-m", "benchmarks.http_site", *arguments),
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"http_site {arguments[0]} failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def inspect(data_dir, paths):
    completed = subprocess.run(  # noqa: S603 - our own interpreter and module
        python("-m", "benchmarks.http_site", "inspect", *paths),
        env=environment(data_dir),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"inspect failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def throughput(figures, server, urls, pool, settings):
    total = 2 * len(TARGETS)
    number = 0
    for round_number in (1, 2):
        for key, label in TARGETS:
            number += 1
            if key in ("static", "front") and not urls[key]:
                continue
            if key == "uncached":
                result, cpu = measure_one(
                    server, key, server.base, settings, paths=pool.remaining(), pool=pool
                )
                state = distinct(result)
            elif key == "front":
                # The application's CPU is not counted: nginx answers from its own cache.
                state = front_state(urls[key])
                result, cpu = measure_one(None, key, urls[key], settings)
            else:
                state = "file" if key == "static" else warm_state(server, urls[key])
                result, cpu = measure_one(
                    server if key != "static" else None, key, urls[key], settings
                )
            figures.runs.append(Run(key, round_number, result, state, cpu))
            progress(line(f"[{number}/{total}] {label}, round {round_number} ({state})", result))


def curve(figures, server, urls, pool, settings):
    progress(f"requests/s against connections ({', '.join(map(str, settings.curve))})")
    for connections in settings.curve:
        for key in ("static", "cached", "uncached"):
            if key in ("static", "front") and not urls[key]:
                continue
            if key == "uncached":
                result, _ = measure_one(
                    server,
                    key,
                    server.base,
                    settings,
                    connections,
                    settings.curve_seconds,
                    pool.remaining(),
                    pool=pool,
                )
            else:
                result, _ = measure_one(
                    server if key == "cached" else None,
                    key,
                    urls[key],
                    settings,
                    connections,
                    settings.curve_seconds,
                )
            figures.curve.setdefault(key, []).append((connections, result))
            progress(line(f"{key}, {connections} connection(s)", result))


def one_connection(figures, server, urls, pool, settings, editor):
    result, cpu = measure_one(
        server,
        "uncached",
        server.base,
        settings,
        1,
        settings.one_seconds,
        pool.remaining(),
        pool=pool,
    )
    figures.one["uncached"] = (result, cpu, distinct(result))
    progress(
        line(
            "uncached article, 1 connection",
            result,
            f"; server CPU {cpu_ms(cpu, result):.2f} ms/request",
        )
    )
    state = warm_state(server, urls["home"])
    result, cpu = measure_one(server, "home", urls["home"], settings, 1, settings.one_seconds)
    figures.one["home"] = (result, cpu, state)
    progress(line(f"home, 1 connection ({state})", result))
    if editor:
        # A cached home says nothing about rendering it, and without an X-Cache header we
        # cannot tell; an editor's request always bypasses the cache and renders (plus a
        # session look-up and the editor bar: an upper bound on an anonymous render).
        result, cpu = measure_one(
            server, "home", urls["home"], settings, 1, settings.one_seconds, headers=editor
        )
        figures.one["home_render"] = (result, cpu, "editor session, bypasses the cache")
        progress(line("home, 1 connection, rendered for an editor", result))


RENDERS = [
    ("stored", "article, uncached, parts stored (as after publishing)"),
    ("bare", "bare Wagtail page, same article text (never cached), same server"),
    ("news", "news index, uncached (distinct ?page=, parts stored)"),
    ("topic", "topic page, uncached (distinct topics and pages)"),
    ("author", "author page, uncached (distinct authors and pages)"),
    ("live", "live feed page, 5,000 updates, uncached (distinct ?older=)"),
]


def render_paths(manifest, stored, settings):
    """Distinct URLs per kind: each answered by a render, never by the page cache."""
    pages = max(1, settings.articles // 20)
    topics = manifest.get("topics", [])
    authors = manifest.get("authors", [])
    last = manifest.get("live_last", settings.updates)
    paths = {
        "stored": stored,
        "bare": ["/bare-article/"],
        "news": [f"/news/?page={n}" for n in range(2, pages + 1)],
        # Past a listing's last page the answer is its last page: still a render of its own.
        "topic": [f"/topics/{slug}/?page={n}" for n in range(1, 11) for slug in topics],
        "author": [f"/authors/{slug}/?page={n}" for n in range(1, 21) for slug in authors],
        "live": [f"{manifest['live_path']}?older={last - n}" for n in range(1, last)],
    }
    return {key: value for key, value in paths.items() if value}


def renders(figures, server, manifest, stored, settings):
    """At one connection, every URL a render: server CPU per request for each kind of page.
    Listings' parts are built by the first pass over their first URLs (a warm-up that
    publishing does on a real site); the row measures the rest."""
    for key, label in RENDERS:
        paths = render_paths(manifest, stored, settings).get(key)
        if not paths:
            figures.skipped.append(f"{label}: no URLs in this data set's manifest")
            continue
        if key in ("news", "topic", "author"):
            site_command(environment(server.data_dir), "warm", *paths[:: max(1, len(paths) // 40)])
        result, cpu = measure_one(
            server, key, server.base, settings, 1, settings.one_seconds, paths
        )
        state = "one URL, never stored" if key == "bare" else distinct(result)
        figures.one[key] = (result, cpu, state)
        progress(
            line(f"{label}, 1 connection", result, f"; server CPU {cpu_ms(cpu, result):.2f} ms")
        )


def publish_under_load(figures, server, warm, settings):
    """wrk on the warm article; meanwhile new revisions of it are published from another
    process; each time, poll until a response shows the new headline."""
    seconds = settings.publishes * 2 + 4
    background = []
    loader = threading.Thread(
        target=lambda: background.append(
            loadgen.load(server.base + warm["path"], settings.connections, seconds)
        )
    )
    publisher = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        python("-m", "benchmarks.http_site", "publish"),
        env=environment(server.data_dir),
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=open(server.data_dir / "publisher.log", "w"),  # noqa: SIM115 - Popen keeps it
        text=True,
        start_new_session=True,
    )
    try:
        assert json.loads(publisher.stdout.readline()) == {"ready": True}
        loader.start()
        time.sleep(1.5)  # the load is running before the first publish
        for number in range(1, settings.publishes + 1):
            title = f"Benchmark headline {number} {time.time_ns()}"
            publisher.stdin.write(f"{warm['id']} {title}\n")
            publisher.stdin.flush()
            committed = json.loads(publisher.stdout.readline())["committed"]
            seen, polls = None, 0
            while time.time() - committed < 10:
                polls += 1
                if title.encode() in fetch(server.base + warm["path"])[2]:
                    seen = time.time() - committed
                    break
                time.sleep(0.002)
            server.served += polls
            figures.publish.append(seen)
            shown = f"{seen * 1000:.0f} ms" if seen is not None else "not within 10 s"
            progress(
                f"publish {number}/{settings.publishes} under load: new headline served {shown}"
            )
            time.sleep(1)
    finally:
        publisher.stdin.close()
        try:
            publisher.wait(timeout=30)
        except subprocess.TimeoutExpired:
            stop_group(publisher)
        loader.join(seconds + 90)
    if background:
        figures.publish_load = background[0]
        server.served += background[0].requests


def memory(figures, server, pool, settings):
    """Distinct articles (the worst case for any cache's memory) up to N requests, then RSS."""
    missing = settings.memory_requests - server.served
    if missing > 0:
        rate = max(
            (run.result.per_second for run in figures.runs if run.target == "uncached"), default=1
        )
        seconds = max(1, min(120, int(missing / max(rate, 1) * 1.2) + 1))
        progress(f"{server.served:,} requests so far: {seconds} s more of distinct articles")
        result, _ = measure_one(
            server,
            "uncached",
            server.base,
            settings,
            seconds=seconds,
            paths=pool.remaining(),
            pool=pool,
        )
    figures.memory_requests = server.served
    figures.memory = tree_rss_mb(server.process.pid)
    progress(
        f"memory after {server.served:,} requests: "
        + ", ".join(f"{mb:.0f} MB" for _, mb in figures.memory)
    )


def compare_servers(figures, built, temp, warm_path, rest, settings):
    granian_dir = granian_path(cache_root()) if settings.granian else None
    servers = []
    for kind, workers in settings.servers:
        if kind == "granian" and granian_dir is None:
            if settings.granian:
                figures.skipped.append("granian not compared: it did not install.")
            continue
        servers.append(Server(kind, workers, copy_site(built, temp, f"{kind}-{workers}")))
    pools = {id(server): Pool(list(rest)) for server in servers}
    results = {id(server): [] for server in servers}
    with contextlib.ExitStack() as stack:
        for server in servers:
            progress(f"starting {server.label} on its own copy of the data")
            server.start(granian_dir)
            stack.callback(server.stop)
            warm_state(server, server.base + warm_path)
        for round_number in (1, 2):
            for server in servers:
                cached, _ = measure_one(server, "cached", server.base + warm_path, settings)
                uncached, cpu = measure_one(
                    server,
                    "uncached",
                    server.base,
                    settings,
                    paths=pools[id(server)].remaining(),
                    pool=pools[id(server)],
                )
                results[id(server)].append((cached, uncached, cpu))
                progress(line(f"{server.label}, round {round_number}: warm article", cached))
                progress(
                    line(
                        f"{server.label}, round {round_number}: uncached article",
                        uncached,
                        f"; CPU {cpu_ms(cpu, uncached):.2f} ms/request",
                    )
                )
        for server in servers:
            rss = tree_rss_mb(server.process.pid)
            figures.servers.append((server.label, results[id(server)], rss))


# --- the report ------------------------------------------------------------------------------


def mean(values):
    values = [v for v in values if v is not None]
    return statistics.fmean(values) if values else float("nan")


def runs_for(figures, key):
    return [run for run in figures.runs if run.target == key]


def static_rate(figures):
    return mean([run.result.per_second for run in runs_for(figures, "static")])


def ratio(value, baseline):
    if not baseline or baseline != baseline:  # no nginx, or NaN
        return "-"
    share = value / baseline
    return f"{share:.1%}" if share >= 0.01 else f"{share:.2%}"


def both(values, digits=0):
    return " / ".join(f"{value:,.{digits}f}" for value in values)


def throughput_rows(figures):
    baseline = static_rate(figures)
    rows = []
    for key, label in TARGETS:
        runs = runs_for(figures, key)
        if not runs:
            rows.append(f"| {label} | not measured | | | | | |")
            continue
        rates = [run.result.per_second for run in runs]
        bad = sum(run.result.status_errors + run.result.errors for run in runs)
        states = sorted({run.state for run in runs})
        state = ", ".join(states)
        rows.append(
            f"| {label} | {both(rates)} | {both([r.result.p50_ms for r in runs], 2)} "
            f"| {both([r.result.p99_ms for r in runs], 2)} | {bad:,} | {state} "
            f"| {ratio(mean(rates), baseline)} |"
        )
    return rows


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[max(0, int(round(fraction * len(ordered))) - 1)]


def verdicts(figures):
    """[(target text, measured text, met?)]"""
    out = []
    baseline = static_rate(figures)
    cached = runs_for(figures, "cached")
    if cached and baseline == baseline:
        share = mean([run.result.per_second for run in cached]) / baseline
        hit = all(run.state == "hit" for run in cached)
        out.append(
            (
                f"cached article >= {CACHED_SHARE_OF_NGINX:.0%} of nginx's requests/s",
                f"{share:.1%} of nginx" + ("" if hit else " (not marked as a cache hit)"),
                share >= CACHED_SHARE_OF_NGINX and hit,
            )
        )
    for label, rounds, _ in figures.servers:
        if baseline != baseline:
            break
        share = mean([cached.per_second for cached, _, _ in rounds]) / baseline
        out.append(
            (
                f"cached article, app alone ({label}) >= {CACHED_SHARE_APP_ALONE:.0%} of nginx",
                f"{share:.1%} of nginx",
                share >= CACHED_SHARE_APP_ALONE,
            )
        )
    front = runs_for(figures, "front")
    if front and baseline == baseline:
        share = mean([run.result.per_second for run in front]) / baseline
        out.append(
            (
                f"(deployment) article through nginx's cache in front >= "
                f"{CACHED_SHARE_OF_NGINX:.0%} of nginx serving the file",
                f"{share:.1%} of nginx ({', '.join(sorted({run.state for run in front}))})",
                share >= CACHED_SHARE_OF_NGINX,
            )
        )
    if "uncached" in figures.one:
        result, cpu, _ = figures.one["uncached"]
        per_request = cpu_ms(cpu, result)
        out.append(
            (
                f"uncached article: server CPU <= {UNCACHED_CPU_MS:g} ms per request",
                f"{per_request:.2f} ms ({per_request / UNCACHED_CPU_MS:.1f}x the target)",
                per_request <= UNCACHED_CPU_MS,
            )
        )
        out.append(
            (
                f"uncached article: p50 <= {UNCACHED_P50_MS:g} ms at one connection",
                f"{result.p50_ms:.1f} ms",
                result.p50_ms <= UNCACHED_P50_MS,
            )
        )
    for key, target in (
        ("stored", UNCACHED_CPU_MS),
        ("news", LISTING_CPU_MS),
        ("topic", LISTING_CPU_MS),
        ("author", LISTING_CPU_MS),
        ("live", LIVE_CPU_MS),
    ):
        if key in figures.one:
            result, cpu, _ = figures.one[key]
            per_request = cpu_ms(cpu, result)
            out.append(
                (
                    f"{dict(RENDERS)[key]}: server CPU <= {target:g} ms per request",
                    f"{per_request:.2f} ms ({per_request / target:.1f}x the target)",
                    per_request <= target,
                )
            )
    if "stored" in figures.one and "bare" in figures.one:
        ours = cpu_ms(figures.one["stored"][1], figures.one["stored"][0])
        bare = cpu_ms(figures.one["bare"][1], figures.one["bare"][0])
        out.append(
            (
                "uncached article (parts stored) against a bare Wagtail page, same server",
                f"{ours:.2f} ms against {bare:.2f} ms ({ours / bare:.2f}x)",
                ours <= bare * 1.5,
            )
        )
    home = figures.one.get("home_render") or figures.one.get("home")
    if home:
        how = "rendered for an editor" if "home_render" in figures.one else home[2]
        out.append(
            (
                f"home with {figures.settings.articles:,} articles: p50 <= {HOME_P50_MS:g} ms "
                "(one connection)",
                f"{home[0].p50_ms:.1f} ms ({how})",
                home[0].p50_ms <= HOME_P50_MS,
            )
        )
    articles = {path: n for path, n in figures.stored_queries.items() if path.startswith("/news/")}
    if articles:
        worst = max(articles.values())
        first = max(n for path, n in figures.queries.items() if path in articles)
        out.append(
            (
                f"queries per uncached article render <= {QUERIES} (parts stored)",
                f"{worst} (largest of {len(articles)} articles; {first} on a first render "
                "that builds the parts)",
                worst <= QUERIES,
            )
        )
    if figures.memory:
        largest = max(mb for _, mb in figures.memory)
        out.append(
            (
                f"server memory after {figures.settings.memory_requests:,} requests <= "
                f"{RSS_MB} MB per process",
                f"{largest:.0f} MB, largest of {len(figures.memory)} process(es), after "
                f"{figures.memory_requests:,} requests",
                largest <= RSS_MB,
            )
        )
    if figures.publish:
        seen = [value for value in figures.publish if value is not None]
        worst = max(seen) if len(seen) == len(figures.publish) else None
        out.append(
            (
                f"published article served within {PUBLISH_SECONDS:g} s, under load",
                f"max {worst * 1000:.0f} ms, median {statistics.median(seen) * 1000:.0f} ms"
                if worst is not None
                else f"{len(figures.publish) - len(seen)} of {len(figures.publish)} not seen",
                worst is not None and worst <= PUBLISH_SECONDS,
            )
        )
    return out


def server_rows(figures):
    rows = []
    for label, rounds, rss in figures.servers:
        cached = [c.per_second for c, _, _ in rounds]
        uncached = [u.per_second for _, u, _ in rounds]
        cpu = [cpu_ms(cpu, u) for _, u, cpu in rounds]
        p99 = [u.p99_ms for _, u, _ in rounds]
        hits = sum(u.hits for _, u, _ in rounds)
        rows.append(
            f"| {label} | {both(cached)} | {both(uncached)} | {both(p99, 1)} | {both(cpu, 2)} "
            f"| {sum(mb for _, mb in rss):.0f} ({len(rss)}) | {hits:,} |"
        )
    return rows


def one_rows(figures):
    rows = []
    names = {
        "uncached": "article, uncached render",
        "home": "home",
        "home_render": "home, rendered (editor session bypasses the cache)",
        **dict(RENDERS),
    }
    for key, name in names.items():
        if key not in figures.one:
            continue
        result, cpu, state = figures.one[key]
        rows.append(
            f"| {name} | {state} | {result.p50_ms:.2f} | {result.p99_ms:.2f} "
            f"| {cpu_ms(cpu, result):.2f} | {result.requests:,} |"
        )
    return rows


def report(figures, plotted):
    s = figures.settings
    targets = "\n".join(
        f"| {target} | {measured} | {'met' if met else '**missed**'} |"
        for target, measured, met in verdicts(figures)
    )
    queries = ", ".join(f"`{path}` {count}" for path, count in figures.queries.items())
    stored_queries = ", ".join(
        f"`{path}` {count}" for path, count in figures.stored_queries.items()
    )
    warmed = f"{figures.warm.get('warmed', 0):,}"
    warm_ms = f"{figures.warm.get('cpu_ms', 0):.1f}"
    memory = ", ".join(f"{mb:.0f} MB" for _, mb in figures.memory)
    publish = ", ".join(
        f"{value * 1000:.0f} ms" if value is not None else "not seen" for value in figures.publish
    )
    publish_load = (
        f" The load meanwhile: {figures.publish_load.per_second:,.0f} req/s, p99 "
        f"{figures.publish_load.p99_ms:.1f} ms, {figures.publish_load.status_errors} "
        "non-2xx/3xx."
        if figures.publish_load
        else ""
    )
    curve = "\n".join(
        f"| {key} | " + " | ".join(f"{result.per_second:,.0f}" for _, result in points) + " |"
        for key, points in figures.curve.items()
    )
    load = ", ".join(f"{one:.2f}" for one, _, _ in figures.load_average)
    tool = f"wrk {loadgen.wrk_version()}" if figures.tool == "wrk" else "the Python load generator"
    section = f"""## Reader pages over HTTP, against nginx

Real sockets on 127.0.0.1: {tool} as the client, nginx {figures.nginx or "(not installed)"}
serving the article's exact bytes ({figures.body_bytes:,} bytes) as a static file (one worker
per core, no access log, sendfile), and `newsdesk serve --no-worker` as shipped (uvicorn,
{figures.default_server}, access log on; with `benchmarks.bare_settings`, which adds only the
benchmark's bare Wagtail page type for its row) on a copy of the data set: {figures.dataset_line}
(`benchmarks/dataset.py`, seed 1; {
        "copied from the data-set cache"
        if figures.dataset_cached
        else "built in this run and cached for the next"
    }). Load average (1 min) at the start and
end: {load}; on a machine shared with other work these figures are upper bounds on cost and
lower bounds on speed. Whole part: {figures.seconds / 60:.1f} min.
Command: `make bench ONLY=http` (`python -m benchmarks.run --only http`, or
`python -m benchmarks.http_load`). wrk settings for every row, nginx included: `wrk
-t{loadgen.threads_for(s.connections)} -c{s.connections} -d{s.seconds}s --latency -H
'X-Forwarded-Proto: https' -s <generated script>`.

Throughput. Every target twice in one run, interleaved (A B C ... A B C); "1st / 2nd" are the
two runs. "Cache" is what the second of two probe requests said in an X-...Cache... header
(for the uncached row: how many responses said "hit"; every request there is an article no
one had asked this server for). "vs nginx" is mean requests/s over the static file's. The
row "through nginx's proxy cache in front" is the set-up docs/operations.md recommends: nginx
keeps each page as long as Newsdesk's `Cache-Control` allows (articles 60 s) and answers from
its own cache; its "cache" column is nginx's `$upstream_cache_status`.

| target | requests/s (1st / 2nd) | p50 ms | p99 ms | errors | cache | vs nginx |
| --- | ---: | ---: | ---: | ---: | --- | ---: |
{chr(10).join(throughput_rows(figures))}

At one connection (`-t1 -c1 -d{s.one_seconds}s`). Server CPU is user+system time of every
server process (/proc/<pid>/stat) across the run, divided by the 2xx/3xx responses:

| target | cache | p50 ms | p99 ms | server CPU ms/request | requests |
| --- | --- | ---: | ---: | ---: | ---: |
{chr(10).join(one_rows(figures))}

Requests/s against connections ({s.curve_seconds} s per point, 1 wrk thread at one
connection, 2 otherwise){", plotted in `benchmarks/http-throughput.png`" if plotted else ""}:

| target | {" | ".join(f"{c} conn." for c in s.curve)} |
| --- | {" | ".join("---:" for _ in s.curve)} |
{curve}

Database queries per render, counted in-process on pages no server had served: {queries};
rendered again (no page cache in-process; the page's stored parts now built): {stored_queries}.
Building the stored parts of {warmed} articles in-process beforehand (as publishing would):
{warm_ms} ms CPU per article.

Memory: VmRSS of the server's processes after {figures.memory_requests:,} requests (the last
ones distinct articles, the worst case for an in-memory cache): {memory}.

Publishing under load: while wrk loads the warm article (`-c{s.connections}`), another process
publishes a new revision of it with a new headline (Wagtail `save_revision().publish()`),
{s.publishes} times; from commit to the first response showing the new headline (polled every
2 ms, new connection each time): {publish}.{publish_load}

Servers. Each on its own copy of the data, all started before measuring and measured in turn,
twice: the warm article URL and uncached articles (distinct URLs), with the settings above;
CPU per uncached request across all its processes; RSS summed over its processes at the end.

| server | warm article req/s | uncached req/s | uncached p99 ms | CPU ms/request \
| RSS MB (processes) | hits in uncached |
| --- | ---: | ---: | ---: | ---: | ---: | ---: |
{chr(10).join(server_rows(figures))}

Targets (issue 7, on this 2-core machine):

| target | measured | |
| --- | --- | --- |
{targets}
{chr(10).join(f"{chr(10)}{note}" for note in figures.skipped)}
"""
    return section


def summary_lines(figures):
    lines = [
        figures.dataset_line,
        "load average at start/end: "
        + ", ".join(f"{one:.2f}" for one, _, _ in figures.load_average),
    ]
    baseline = static_rate(figures)
    for key, label in TARGETS:
        runs = runs_for(figures, key)
        if runs:
            rate = mean([run.result.per_second for run in runs])
            p50 = mean([run.result.p50_ms for run in runs])
            lines.append(
                f"{label:<42} {rate:>9,.0f} req/s  p50 {p50:>7.2f} ms  "
                f"{ratio(rate, baseline):>6} of nginx  ({runs[0].state})"
            )
    for label, rounds, rss in figures.servers:
        lines.append(
            f"{label:<24} warm article {mean([c.per_second for c, _, _ in rounds]):>8,.0f} req/s, "
            f"uncached {mean([u.per_second for _, u, _ in rounds]):>6,.0f} req/s, "
            f"RSS {sum(mb for _, mb in rss):.0f} MB"
        )
    for target, measured, met in verdicts(figures):
        lines.append(f"{'met   ' if met else 'MISSED'} {target}: {measured}")
    lines += figures.skipped
    return lines


def plot(figures, path):
    from benchmarks.plot import throughput_curve

    names = {
        "static": "nginx, static file",
        "cached": "article, warm URL",
        "uncached": "article, uncached",
    }
    throughput_curve(
        path,
        "Requests/s against concurrent connections (wrk, loopback)",
        [
            (names[key], [(c, result.per_second) for c, result in points])
            for key, points in figures.curve.items()
        ],
    )


def run(settings=None, plot_to=PLOT):
    """Measure, and return (the BENCHMARKS.md section, the summary lines to print)."""
    figures = measure(settings or Settings())
    plotted = bool(plot_to and figures.curve)
    if plotted:
        plot(figures, plot_to)
    return report(figures, plotted), summary_lines(figures)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tiny", action="store_true", help="a few articles, 1-second runs")
    parser.add_argument(
        "--quick",
        type=int,
        metavar="ROUNDS",
        help="only the cached article against nginx, ROUNDS interleaved rounds "
        "(benchmarks/http_quick.py)",
    )
    parser.add_argument("--before", metavar="TREE", help="with --quick: also serve from TREE")
    parser.add_argument("--seconds", type=int, help="with --quick: seconds a run (default 5)")
    options = parser.parse_args()
    if options.quick:
        from benchmarks import http_quick

        print(http_quick.run(options.quick, options.before, options.seconds))
        return 0
    section, lines = run(TINY if options.tiny else Settings(), None if options.tiny else PLOT)
    print("\n" + section)
    print("\n".join(lines))
    print(versions())


if __name__ == "__main__":
    sys.exit(main())
