"""Disk full on the data directory during publish and narration.

Each trial puts a whole NEWSDESK_DATA_DIR (SQLite database, media, static files) on a tmpfs of
its own, copied from a site built once (reliability/disk_full_site.py), starts the real
server (`newsdesk serve --no-worker`) and signs an editor in over HTTP (password, then a TOTP
code). Then a filler file takes the remaining space, leaving 0 bytes, a few KB or more; while
the disk is full:

- the editor publishes a new article and edits another through the admin's HTTP forms, and
  posts a live update through the posting API (with a token);
- the real `newsdesk worker` starts and narrates the queued article (writing the MP3 fails);
- readers keep asking for the cached article, home, the live page and /healthz.

Checked while full: each editor request either saved the change or answered a clear
"disk is full, not saved" page or JSON (503), never a traceback or a bare 500; the worker
logged a clear error and the job is not left running; no temporary or truncated MP3 in media;
`PRAGMA integrity_check` is ok; readers got 200s. Then the filler is deleted, and with no
manual step: the refused requests succeed when sent again, the narration is retried by the
worker on its own (docs/narration.md: after 30 s) and its MP3 is served, the site serves
everything, the database is still intact, and once the site is stopped its whole WAL
checkpoints into the database file.

Needs root (mount). Every process is stopped and every tmpfs unmounted in `finally` blocks.
"""

import contextlib
import hashlib
import hmac
import html
import json
import os
import re
import shutil
import socket
import sqlite3
import statistics
import struct
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.http_load import stop_group
from benchmarks.live import environment, python, tail, wait_for_http
from reliability.disk_full_site import MANIFEST

TITLE = (
    "Disk full on the data directory during publish and narration: clear errors, "
    "database intact, recovery without manual repair"
)
TRIALS = 10
ROOT = Path(__file__).resolve().parents[1]
# How full: bytes left on the data directory's file system once the filler is written, and
# megabytes of free pages inside the database file (left by earlier deletions, as on a site
# that has been running), which SQLite fills before it needs to grow the file.
LEVELS = [
    ("nothing left", 0, 0),
    ("4 KB left", 4 * 1024, 0),
    ("64 KB left", 64 * 1024, 0),
    ("room inside the database, 192 KB left: less than the MP3 needs", 192 * 1024, 8),
]
HEADROOM_MB = 32  # tmpfs size above the copied data directory: room for the trial's writes
NARRATION_TIMEOUT = 120  # seconds: a failed attempt is retried after 30 s
PORTS = range(26000, 27000)
DISK_FULL_WORDS = (
    "Disk full",
    "The disk is full",
    "No space left on device",
    "database or disk is full",
)


# --- Helpers -----------------------------------------------------------------------------


def free_port():
    """A free loopback port in this scenario's own range (so other workers' ranges stay free)."""
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 26000-26999")


def totp(key_hex, step, digits, at=None):
    """The code an authenticator app shows now (RFC 6238), as tests/factories.totp_code."""
    counter = int(time.time() if at is None else at) // step
    digest = hmac.new(bytes.fromhex(key_hex), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


class Editor:
    """An editor's browser, reduced to what the admin needs: cookies, CSRF and HTTPS (the
    server sits behind a proxy that says so). Cookies are kept by hand because the server
    marks them Secure and this client speaks plain HTTP to the loopback port."""

    def __init__(self, base):
        self.base = base
        self.cookies = {}

    def request(self, method, path, data=None, headers=None):
        """(status, headers, body text); redirects are answers too, never followed."""
        headers = {"X-Forwarded-Proto": "https", **(headers or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None and not isinstance(data, bytes):
            if "csrftoken" in self.cookies:
                data = {**data, "csrfmiddlewaretoken": self.cookies["csrftoken"]}
            body = urllib.parse.urlencode(data).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = self.base.replace("http://", "https://")
        elif data is not None:
            body = data
        request = urllib.request.Request(self.base + path, body, headers, method=method)  # noqa: S310 - loopback
        opener = urllib.request.build_opener(NoRedirect)
        try:
            response = opener.open(request, timeout=60)
        except urllib.error.HTTPError as error:
            response = error
        with response:
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                value = rest.split(";", 1)[0]
                if value and "max-age=0" not in header.lower():
                    self.cookies[name.strip()] = value
                else:
                    self.cookies.pop(name.strip(), None)
            return response.status, response.headers, response.read().decode(errors="replace")

    def sign_in(self, manifest):
        self.request("GET", "/admin/login/")
        status, headers, _ = self.request(
            "POST",
            "/admin/login/",
            {"username": manifest["editor"], "password": manifest["password"], "next": "/admin/"},
        )
        if status != 302:
            raise RuntimeError(f"sign-in answered {status}")
        self.request("GET", headers["Location"])
        code = totp(manifest["totp_key"], manifest["totp_step"], manifest["totp_digits"])
        status, headers, _ = self.request(
            "POST", "/admin/mfa/verify/", {"code": code, "next": "/admin/"}
        )
        if status != 302 or headers["Location"] != "/admin/":
            raise RuntimeError(f"the MFA step answered {status}")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def reader_get(base, path):
    status, headers, body = Editor(base).request("GET", path)
    return status, headers.get("X-Cache", ""), body


def fill(mount, leave):
    """Write a filler file until the file system refuses, then give back `leave` bytes."""
    filler = Path(mount) / "filler"
    descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for chunk in (1024 * 1024, 64 * 1024, 4096, 512, 1):
            block = b"\0" * chunk
            with contextlib.suppress(OSError):
                while True:
                    os.write(descriptor, block)
        if leave:
            os.ftruncate(descriptor, max(0, os.fstat(descriptor).st_size - leave))
    finally:
        os.close(descriptor)
    stats = os.statvfs(mount)
    return filler, stats.f_bavail * stats.f_frsize


def free_pages(database, megabytes):
    """Free pages inside the database file: rows written, then deleted."""
    with contextlib.closing(sqlite3.connect(database, timeout=20)) as connection:
        connection.execute("CREATE TABLE reliability_scratch (v BLOB)")
        for _ in range(megabytes * 16):
            connection.execute("INSERT INTO reliability_scratch VALUES (randomblob(65536))")
        connection.commit()
        connection.execute("DROP TABLE reliability_scratch")
        connection.commit()
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def database_rows(database, query, parameters=()):
    """Read-only: while the site runs, the scenario never writes to its database."""
    uri = f"file:{database}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=20)) as connection:
        return connection.execute(query, parameters).fetchall()


def checkpoint(database):
    """(busy, WAL frames, frames copied) of a full checkpoint: the one write this scenario
    makes itself, once the site is stopped; it changes no row."""
    with contextlib.closing(sqlite3.connect(database, timeout=20)) as connection:
        return connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()


def integrity(database):
    return database_rows(database, "PRAGMA integrity_check")[0][0]


def narration_row(database, article_id):
    rows = database_rows(
        database,
        "SELECT status, attempts, error, audio, audio_bytes FROM narration_narration "
        "WHERE article_id = ?",
        [article_id],
    )
    return rows[0] if rows else None


def wait_for(condition, timeout, interval=0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    return condition()


def stray_files(media):
    """Temporary files left anywhere in media."""
    return [str(path.relative_to(media)) for path in media.rglob("*.tmp")]


def unclaimed_audio(media, database):
    """MP3s that no ready narration claims at their size (truncated or orphaned files)."""
    claimed = dict(
        database_rows(
            database,
            "SELECT audio, audio_bytes FROM narration_narration WHERE status = 'ready' "
            "UNION SELECT audio, audio_bytes FROM narration_livebriefing WHERE status = 'ready'",
        )
    )
    bad = []
    for path in (media / "narration").glob("*.mp3") if (media / "narration").is_dir() else []:
        name = f"narration/{path.name}"
        if name not in claimed or claimed[name] != path.stat().st_size:
            bad.append(name)
    return bad


def clear_disk_full(status, body):
    """A refusal an editor can act on: 503 saying the disk is full and nothing was saved."""
    return status == 503 and "disk is full" in body and "not saved" in body


def first_line(log, words):
    """The first log line with the first of `words` that occurs, without its timestamp."""
    lines = Path(log).read_text(errors="replace").splitlines()
    for word in words:
        for line in lines:
            if word in line:
                return re.sub(r"^\d{4}-\d\d-\d\d \S+ ", "", line.strip())[:300]
    return ""


# --- One trial -----------------------------------------------------------------------------


@dataclass
class Trial:
    number: int
    level: str
    leave: int
    free_bytes: int = -1
    outcomes: dict = field(default_factory=dict)
    problems: list = field(default_factory=list)
    narration_full: str = ""
    worker_line: str = ""
    server_line: str = ""
    editor_saw: str = ""
    recovery_seconds: float = 0.0
    narration_seconds: float = 0.0
    seconds: float = 0.0

    @property
    def ok(self):
        return not self.problems

    def check(self, condition, problem):
        if not condition:
            self.problems.append(problem)
        return condition


def editor_requests(editor, manifest, number):
    """Publish, edit and post: each a function sending one request, by action."""
    add = {
        **manifest["add_form"],
        "title": f"Ferries return to the north pier (trial {number})",
        "slug": f"ferries-return-{number}",
    }
    edit = {**manifest["edit_form"], "title": f"Pier reopens after crane falls ({number})"}
    update = {"headline": f"Pier crane lifted ({number})", "body": "Crews at work."}
    token = {"Authorization": f"Bearer {manifest['token']}", "Content-Type": "application/json"}
    return {
        "publish": lambda: editor.request("POST", manifest["add_url"], add),
        "edit": lambda: editor.request("POST", manifest["edit_url"], edit),
        "live update": lambda: editor.request(
            "POST",
            f"/api/live/{manifest['live_slug']}/updates",
            json.dumps(update).encode(),
            token,
        ),
    }


def send(trial, requests, when):
    """Send each request; record saved, refused (clearly) or the status; the unsaved ones."""
    unsaved = {}
    for action, request in requests.items():
        status, _, body = request()
        saved = status in (302, 201)
        refused = clear_disk_full(status, body)
        trial.outcomes[f"{action} {when}"] = "saved" if saved else "refused" if refused else status
        if not trial.check(saved or refused, f"{action} {when}: answered {status}"):
            trial.problems.append(body[:300])
        if refused and not trial.editor_saw:
            match = re.search(r"<p>(.*?)</p>", body) or re.search(r'"__all__": \["(.*?)"', body)
            trial.editor_saw = html.unescape(match[1] if match else body[:200])
        if not saved:
            unsaved[action] = request
    return unsaved


def readers_ok(trial, base, manifest, when):
    for path in ("/", manifest["steady_path"], manifest["live_path"], "/healthz"):
        status, cache, _ = reader_get(base, path)
        trial.check(status == 200, f"reader {path} {when}: {status}")
        if when == "while full" and path == manifest["steady_path"]:
            trial.outcomes["cached article while full"] = f"{status} {cache or 'no X-Cache'}"


def run_trial(number, build_dir, level, leave, spare_mb, logs):
    trial = Trial(number, level, leave)
    started = time.monotonic()
    mount = Path(tempfile.mkdtemp(prefix="newsdesk-disk-full-"))
    mounted = False
    server = worker = None
    server_log, worker_log = logs / f"server-{number}.log", logs / f"worker-{number}.log"
    try:
        used_mb = sum(p.stat().st_size for p in build_dir.rglob("*") if p.is_file()) >> 20
        size = f"size={used_mb + HEADROOM_MB}m"
        command = ["mount", "-t", "tmpfs", "-o", size, "tmpfs", str(mount)]
        subprocess.run(command, check=True)  # noqa: S603 - mount(8) with our own arguments
        mounted = True
        data = mount / "data"
        shutil.copytree(build_dir, data)
        manifest = json.loads((data / MANIFEST).read_text())
        database, media = data / "newsdesk.sqlite3", data / "media"
        if spare_mb:
            free_pages(database, spare_mb)
        env = environment(data)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        with open(server_log, "w") as log:
            server = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                python("-m", "newsdesk.cli", "serve", "--no-worker", "--port", str(port)),
                env=env,
                cwd=ROOT,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        wait_for_http(f"{base}/healthz", server, server_log)
        editor = Editor(base)
        editor.sign_in(manifest)
        for path in ("/", manifest["steady_path"], manifest["live_path"]):
            reader_get(base, path)  # the page cache now holds them, as on a read site

        filler, trial.free_bytes = fill(mount, leave)
        with open(worker_log, "w") as log:
            worker = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                python("-m", "newsdesk.cli", "worker"),
                env=env,
                cwd=ROOT,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )

        # The worker's first attempt is recorded (a retry queued, or ready if the MP3 fitted),
        # or the worker logs that it cannot record it; either way it goes on running.
        def attempted():
            row = narration_row(database, manifest["steady_id"])
            if row and row[1] >= 1 and row[0] != "running":
                return True
            return bool(first_line(worker_log, ("Disk full",)))

        wait_for(attempted, NARRATION_TIMEOUT)
        time.sleep(1)  # the worker's retry write, if any, lands
        row = narration_row(database, manifest["steady_id"])
        trial.narration_full = f"{row[0]}, attempt {row[1]}" if row else "no row"
        if row and row[0] == "ready":
            trial.narration_full += " (the MP3 fitted)"
        trial.worker_line = first_line(worker_log, DISK_FULL_WORDS)
        said = first_line(worker_log, ("Disk full",))
        if row and row[0] == "running" and said:
            trial.narration_full += " (the worker could not record the failure; it said so)"
        trial.check(row and row[0] == "ready" or trial.worker_line, "no disk-full error logged")
        trial.check(row and (row[0] != "running" or said), f"narration {trial.narration_full}")
        trial.check(worker.poll() is None, f"the worker exited on a full disk: {worker.poll()}")
        # The editor and readers come after the worker's attempt, so that what space is left
        # goes to the narration first (the editor's writes would otherwise take it).
        unsaved = send(trial, editor_requests(editor, manifest, number), "while full")
        readers_ok(trial, base, manifest, "while full")
        trial.check(not stray_files(media), f"partial files in media: {stray_files(media)}")
        trial.check(not unclaimed_audio(media, database), "an MP3 no ready narration claims")
        trial.check(integrity(database) == "ok", "integrity_check while full")

        filler.unlink()
        freed = time.monotonic()
        # The same requests again, as an editor would send them: no repair step first.
        still = send(trial, unsaved, "after freeing")
        trial.check(not still, f"not saved after freeing space: {', '.join(still)}")
        trial.recovery_seconds = time.monotonic() - freed
        check_served(trial, base, manifest, number)

        def narrated():
            row = narration_row(database, manifest["steady_id"])
            return row if row and row[0] == "ready" else None

        row = wait_for(narrated, NARRATION_TIMEOUT)
        trial.narration_seconds = time.monotonic() - freed
        if trial.check(row is not None, "narration not ready after freeing space"):
            status, _, audio = reader_get(base, f"/media/{row[3]}")
            trial.check(status == 200 and len(audio.encode()) > 0, f"audio answered {status}")
        trial.check(not stray_files(media), "partial files in media after recovery")
        trial.check(not unclaimed_audio(media, database), "an MP3 no ready narration claims")
        trial.check(integrity(database) == "ok", "integrity_check after recovery")
        trial.check(worker.poll() is None, "the worker exited")
        tracebacks = server_log.read_text(errors="replace").count("Traceback")
        trial.check(tracebacks == 0, f"{tracebacks} traceback(s) in the server log")
        trial.server_line = first_line(server_log, ("Disk full",))
        # With everything stopped, the whole WAL goes back into the database file.
        stop_group(worker)
        stop_group(server)
        busy, frames, copied = checkpoint(database)
        trial.check(busy == 0 and frames == copied, f"checkpoint: {busy}, {frames}, {copied}")
        trial.check(integrity(database) == "ok", "integrity_check after the checkpoint")
    except Exception as error:  # noqa: BLE001 - a trial that breaks is a failed trial, reported
        trial.problems.append(f"{type(error).__name__}: {error}")
        trial.problems.append(tail(server_log, 5))
    finally:
        stop_group(worker)
        stop_group(server)
        if mounted:
            subprocess.run(["umount", str(mount)], check=False)  # noqa: S603, S607
            if os.path.ismount(mount):
                subprocess.run(["umount", "-l", str(mount)], check=False)  # noqa: S603, S607
        with contextlib.suppress(OSError):
            mount.rmdir()
    trial.seconds = time.monotonic() - started
    return trial


def check_served(trial, base, manifest, number):
    status, _, page = reader_get(base, f"/news/ferries-return-{number}/")
    trial.check(
        status == 200 and f"(trial {number})" in page, f"published article after freeing: {status}"
    )
    status, _, page = reader_get(base, manifest["steady_path"])
    trial.check(f"Pier reopens after crane falls ({number})" in page, "edit not served")
    status, _, updates = reader_get(base, f"/live/{manifest['live_slug']}/updates.json?after=0")
    trial.check(f"Pier crane lifted ({number})" in updates, "live update not served")
    readers_ok(trial, base, manifest, "after freeing")


# --- The scenario --------------------------------------------------------------------------


def build_site(directory):
    env = environment(directory)
    newsdesk_module = ["-m", "reliability.disk_full_site", "build"]
    completed = subprocess.run(  # noqa: S603 - our own interpreter and module
        python(*newsdesk_module), env=env, cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    if completed.returncode:
        raise RuntimeError(f"building the site failed:\n{completed.stderr[-2000:]}")


def run(trials):
    if os.geteuid() != 0:
        section = f"## {TITLE}\n\nNot run: mounting a tmpfs needs root.\n"
        return section, ["not run (needs root)"]
    results = []
    with tempfile.TemporaryDirectory(prefix="newsdesk-disk-full-build-") as temp:
        build_dir, logs = Path(temp) / "site", Path(temp) / "logs"
        logs.mkdir()
        build_site(build_dir)
        for number in range(1, trials + 1):
            level, leave, spare_mb = LEVELS[(number - 1) % len(LEVELS)]
            trial = run_trial(number, build_dir, level, leave, spare_mb, logs)
            results.append(trial)
            print(
                f"   trial {number}/{trials} ({level}): {'ok' if trial.ok else 'FAILED'} "
                f"in {trial.seconds:.0f} s; {outcome_words(trial)}"
                + ("" if trial.ok else f"; {'; '.join(trial.problems)[:600]}"),
                flush=True,
            )
    return report(results)


def outcome_words(trial):
    parts = [f"{k}: {v}" for k, v in trial.outcomes.items() if "while full" in k]
    parts.append(f"narration while full: {trial.narration_full}")
    return ", ".join(parts)


HEADER = (
    "| trial | how full | bytes free | publish | edit | live update | cached article "
    "| narration while full | narration ready after freeing (s) | trial (s) | result |"
)


def report(results):
    good = sum(trial.ok for trial in results)
    total = len(results)
    seconds = [trial.seconds for trial in results]
    narration = [trial.narration_seconds for trial in results if trial.ok]
    saw = next((t.editor_saw for t in results if t.editor_saw), "(no refusal seen)")
    # Both kinds: the worker could not record its task at all, or the MP3 write failed.
    worker_lines = list(dict.fromkeys(t.worker_line for t in results if t.worker_line))
    worker = "`, `".join(worker_lines[:2]) or "(none)"
    resent = [t.recovery_seconds for t in results if t.ok]
    server = next((t.server_line for t in results if t.server_line), "(none)")
    rows = "\n".join(
        f"| {t.number} | {t.level} | {t.free_bytes} | "
        + " | ".join(
            str(t.outcomes.get(f"{action} while full", "-"))
            for action in ("publish", "edit", "live update")
        )
        + f" | {t.outcomes.get('cached article while full', '-')} | {t.narration_full} | "
        f"{t.narration_seconds:.0f} | {t.seconds:.0f} | "
        + ("ok" if t.ok else "FAILED: " + "; ".join(t.problems)[:300].replace("|", "/"))
        + " |"
        for t in results
    )
    section = f"""## {TITLE}

{good} of {total} trials passed. {__doc__.split(chr(10) + chr(10), 1)[1].strip()}

{HEADER}
{"| --- " * (HEADER.count("|") - 1)}|
{rows}

Trial times: median {statistics.median(seconds):.0f} s. Narration ready after space was freed:
median {statistics.median(narration) if narration else 0:.0f} s (the worker's own retry).
The refused requests, sent again after freeing space, were saved within
{max(resent) if resent else 0:.1f} s in every passing trial.

What the editor saw when a change was refused (HTTP 503, Retry-After): "{saw}"

What the server logged (once per refused request): `{server}`

What the worker logged: `{worker}`
"""
    summary = [
        f"- {good}/{total} trials passed (data directory on a full tmpfs; publish, edit, live "
        "update, narration; recovery after freeing space)",
        f"- editor saw: {saw}",
        f"- worker logged: {worker[:200]}",
    ]
    return section, summary


if __name__ == "__main__":
    import sys

    count = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    section, lines = run(count)
    print(section)
    print("\n".join(lines))
