"""Backups taken while a live feed is being written restore whole: nothing torn, nothing lost
that was committed before the backup began.

A writer process posts live updates through the real code (newsdesk.live.actions.post_update)
as fast as SQLite commits them, and every fifth update first writes an MP3-like media file
(temporary name, then rename, as narration does) that the update names. While it writes,
each trial runs `newsdesk backup` and then `newsdesk restore` of that archive into a fresh
data directory, as separate processes, and checks the restored copy: SQLite's
`PRAGMA integrity_check` says ok; the feed's sequence numbers run 1..N without a gap and the
feed's counter says N; every restored update is the one the writer wrote under that number
(the restored feed is a prefix of what was written); N is at least what was committed when
the backup started and at most what was committed when it ended; every media file a restored
update names is in the restored media folder with the bytes the writer wrote.

Run alone: `python -m reliability.run --only backup --trials 2`. The site is built once
(migrations take most of a minute here); trials share the writer.
"""

import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import closing
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TITLE = "Backups taken while live updates are written restore whole and consistent"
TRIALS = 10
SLUG = "backup-storm"
MEDIA_EVERY = 5
WARM_UP_POSTS = 20  # committed before each backup starts, so every archive holds new rows


def environment(data_dir):
    return {
        **os.environ,
        "NEWSDESK_DATA_DIR": str(data_dir),
        "NEWSDESK_DEBUG": "false",
        "DATABASE_URL": "",
        "REDIS_URL": "",
        "DJANGO_SETTINGS_MODULE": "newsdesk.settings",
        "PYTHONUNBUFFERED": "1",
    }


def newsdesk(*args, data_dir):
    """Run a newsdesk command as an operator would; returns (seconds, stdout)."""
    started = time.monotonic()
    result = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "newsdesk.cli", *args],
        cwd=ROOT,
        env=environment(data_dir),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"newsdesk {' '.join(args)} failed: {result.stderr.strip()[-800:]}")
    return time.monotonic() - started, result.stdout


def media_bytes(number):
    return hashlib.sha256(str(number).encode()).digest() * 512  # 16 KB, different per file


# --- The Django side, run as subprocesses --------------------------------------------------


def build():
    import django

    django.setup()
    from django.core.management import call_command

    from newsdesk.core.sites import ensure_site
    from tests.factories import make_live_feed

    call_command("migrate", verbosity=0, interactive=False)
    ensure_site()
    make_live_feed("Storm during the backup", slug=SLUG)


def write():
    """Post until stdin closes; one line per commit: "<sequence> <number>"."""
    import django

    django.setup()
    from django.conf import settings

    from newsdesk.live.actions import post_update
    from newsdesk.live.models import LiveFeedPage

    feed = LiveFeedPage.objects.get(slug=SLUG)
    folder = Path(settings.MEDIA_ROOT) / "narration"
    folder.mkdir(parents=True, exist_ok=True)
    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    number = 0
    while not stop.is_set():
        number += 1
        body = f"<p>Update {number}.</p>"
        if number % MEDIA_EVERY == 0:
            name = f"update-{number}.mp3"
            temporary = folder / f".{name}.{os.getpid()}.tmp"
            temporary.write_bytes(media_bytes(number))
            os.replace(temporary, folder / name)
            body = f"<p>Update {number}, audio narration/{name}.</p>"
        update = post_update(feed, headline=f"Update {number}", body=body)
        print(update.sequence, number, flush=True)


# --- The harness ---------------------------------------------------------------------------


class Writer:
    def __init__(self, data_dir):
        self.committed = []  # (sequence, number), in commit order
        self.lock = threading.Condition()
        self.process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "reliability.backup", "write"],
            cwd=ROOT,
            env=environment(data_dir),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.reader = threading.Thread(target=self.read, daemon=True)
        self.reader.start()

    def read(self):
        for line in self.process.stdout:
            sequence, number = map(int, line.split())
            with self.lock:
                self.committed.append((sequence, number))
                self.lock.notify_all()
        with self.lock:
            self.lock.notify_all()

    def count(self):
        with self.lock:
            return len(self.committed)

    def wait_for(self, count):
        with self.lock:
            self.lock.wait_for(lambda: len(self.committed) >= count or not self.alive(), 120)
        if len(self.committed) < count:
            raise RuntimeError(f"the writer stopped (exit status {self.process.poll()})")

    def alive(self):
        return self.process.poll() is None

    def stop(self):
        self.process.stdin.close()
        self.process.wait(timeout=60)
        self.reader.join(timeout=10)


def check_restored(data_dir, writer, before, after):
    """Problems found in a restored data directory (empty when all is well); and N."""
    problems = []
    with closing(sqlite3.connect(data_dir / "newsdesk.sqlite3")) as db:
        integrity = db.execute("PRAGMA integrity_check").fetchall()
        if integrity != [("ok",)]:
            problems.append(f"integrity_check: {integrity[:3]}")
        rows = db.execute(
            "SELECT u.sequence, u.headline FROM live_liveupdate u "
            "JOIN wagtailcore_page p ON p.id = u.feed_id WHERE p.slug = ? ORDER BY u.sequence",
            (SLUG,),
        ).fetchall()
        last = db.execute(
            "SELECT s.last FROM live_feedsequence s JOIN wagtailcore_page p ON p.id = s.feed_id "
            "WHERE p.slug = ?",
            (SLUG,),
        ).fetchone()
    sequences = [row[0] for row in rows]
    count = len(sequences)
    if sequences != list(range(1, count + 1)):
        problems.append("sequence numbers are not 1..N")
    if last is None or last[0] != count:
        problems.append(f"feed counter {last} but {count} updates")
    written = dict(writer.committed)  # sequence -> number (each post is one sequence)
    for sequence, headline in rows:
        number = written.get(sequence)
        if number is None or headline != f"Update {number}":
            problems.append(f"update {sequence} is not what was written ({headline!r})")
            break
        if number % MEDIA_EVERY == 0:
            media = data_dir / "media" / "narration" / f"update-{number}.mp3"
            if not media.is_file() or media.read_bytes() != media_bytes(number):
                problems.append(f"{media.name}, named by update {sequence}, missing or wrong")
    if not before <= count <= after:
        problems.append(f"{count} updates restored; committed {before} before, {after} after")
    return problems, count


def own_seconds(output):
    """The command's own time from its summary ("  time  1.2 s"), Django start-up excluded."""
    found = re.search(r"^  time\s+([0-9.]+) s", output, re.M)
    return float(found[1]) if found else 0.0


def run_trial(number, site, writer, work):
    writer.wait_for(writer.count() + WARM_UP_POSTS)
    archive = work / f"trial-{number}.tar"
    before = writer.count()
    backup_seconds, backup_out = newsdesk("backup", str(archive), data_dir=site)
    # The harness hears of a commit just after it happens: once it has heard of one more,
    # it has heard of every commit made before the backup ended.
    writer.wait_for(writer.count() + 1)
    after = writer.count()
    restored = work / f"restored-{number}"
    restore_seconds, restore_out = newsdesk("restore", str(archive), data_dir=restored)
    problems, count = check_restored(restored, writer, before, after)
    result = {
        "number": number,
        "before": before,
        "after": after,
        "restored": count,
        "backup": backup_seconds,
        "restore": restore_seconds,
        "backup_work": own_seconds(backup_out),
        "restore_work": own_seconds(restore_out),
        "bytes": archive.stat().st_size,
        "problems": problems,
    }
    shutil.rmtree(restored, ignore_errors=True)
    archive.unlink()
    return result


def run(trials):
    work = Path(tempfile.mkdtemp(prefix="newsdesk-reliability-backup-"))
    site = work / "site"
    try:
        build_started = time.monotonic()
        subprocess.run(  # noqa: S603
            [sys.executable, "-m", "reliability.backup", "build"],
            cwd=ROOT,
            env=environment(site),
            check=True,
            capture_output=True,
        )
        build_seconds = time.monotonic() - build_started
        writer = Writer(site)
        try:
            results = []
            for number in range(1, trials + 1):
                try:
                    results.append(run_trial(number, site, writer, work))
                except (RuntimeError, subprocess.TimeoutExpired) as error:
                    results.append({"number": number, "problems": [str(error)]})
                print(f"  trial {number}: {describe(results[-1])}", flush=True)
        finally:
            writer.stop()
        posted = writer.count()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return report(results, posted, build_seconds)


def describe(result):
    if "backup" not in result:
        return "failed: " + "; ".join(result["problems"])
    state = "ok" if not result["problems"] else "failed: " + "; ".join(result["problems"])
    return (
        f"{result['restored']} updates restored ({result['before']}-{result['after']} "
        f"committed around the backup), backup {result['backup']:.1f} s, restore "
        f"{result['restore']:.1f} s, {result['bytes'] / 1e6:.1f} MB: {state}"
    )


def spread(values):
    if not values:
        return "n/a"
    values = sorted(values)
    return f"median {values[len(values) // 2]:.1f} s, worst {values[-1]:.1f} s"


def report(results, posted, build_seconds):
    passed = sum(not result["problems"] for result in results)
    timed = [result for result in results if "backup" in result]
    backups = spread([result["backup"] for result in timed])
    restores = spread([result["restore"] for result in timed])
    largest = max((result["bytes"] for result in timed), default=0) / 1e6
    rows = "\n".join(
        f"| {r['number']} | {r.get('before', '')} | {r.get('after', '')} "
        f"| {r.get('restored', '')} | {r.get('backup', 0):.1f} ({r.get('backup_work', 0):.1f}) "
        f"| {r.get('restore', 0):.1f} ({r.get('restore_work', 0):.1f}) "
        f"| {r.get('bytes', 0) / 1e6:.1f} | {'; '.join(r['problems']) or 'ok'} |"
        for r in results
    )
    section = f"""## {TITLE}

{__doc__.split(chr(10) + chr(10), 1)[1]}
Result: **{passed} of {len(results)} trials passed**; the writer committed {posted} updates
in all. `newsdesk backup` took {backups}; `newsdesk restore` into a fresh data directory took
{restores} (both as separate processes, Django start-up included); the largest archive was
{largest:.1f} MB. Building the site (migrations) took {build_seconds:.0f} s, once.

| trial | committed at start | committed at end | restored | backup s (own) | restore s (own) \
| archive MB | result |
| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |
{rows}
"""
    summary = [
        f"{passed}/{len(results)} trials passed; backup {backups}, restore {restores}, "
        f"archive up to {largest:.1f} MB; {posted} updates written",
        *(f"trial {r['number']}: {describe(r)}" for r in results if r["problems"]),
    ]
    return section, summary


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "build":
        build()
    elif command == "write":
        write()
    else:
        sys.exit(f"unknown command {command}")
