"""Narration through the real pipeline: publish an article, let `newsdesk worker` narrate it.

A fresh data directory and database; a real worker process (the one `newsdesk serve` starts);
articles of about 600 words published one after another through Wagtail revisions, as an
editor would. Reported per article: the time from the publish commit to the audio being ready
(from the database's own timestamps: the page's last_published_at and the narration's
finished_at), and the worker's peak memory (VmHWM) at the end.

`python -m benchmarks.narration_pipeline` prints the figures; benchmarks.run puts them in
BENCHMARKS.md.
"""

import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from benchmarks.narration_engine import article

ARTICLES = 3
TIMEOUT_SECONDS = 300

PUBLISH = """
from newsdesk.articles.models import Author
from tests.factories import make_article, paragraphs
import json, sys
texts = json.loads(sys.stdin.read())
author, _ = Author.objects.get_or_create(slug="harbour-desk", defaults={{"name": "Harbour desk"}})
make_article({title!r}, slug={slug!r}, body=paragraphs(*texts), authors=[author])
"""


def newsdesk(*args, env, **kwargs):
    command = [sys.executable, "-m", "newsdesk.cli", *args]
    return subprocess.Popen(command, env=env, **kwargs)  # noqa: S603 - our own command


def publish(env, number):
    import json

    texts = [f"{paragraph} (Story {number}.)" for paragraph in article(600)]
    code = PUBLISH.format(title=f"Ferry story {number}", slug=f"ferry-{number}")
    process = newsdesk(
        "shell",
        "-c",
        code,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        cwd=Path(__file__).resolve().parents[1],
    )
    process.communicate(json.dumps(texts).encode(), timeout=120)
    if process.returncode:
        raise RuntimeError("publishing the benchmark article failed")


def wait_until_ready(database, slug):
    deadline = time.monotonic() + TIMEOUT_SECONDS
    query = (
        "SELECT n.status, n.finished_at, p.last_published_at, n.duration, n.error "
        "FROM narration_narration n JOIN wagtailcore_page p ON p.id = n.article_id "
        "WHERE p.slug = ?"
    )
    while time.monotonic() < deadline:
        with sqlite3.connect(database, timeout=20) as connection:
            row = connection.execute(query, [slug]).fetchone()
        if row and row[0] == "ready":
            finished, published = (datetime.fromisoformat(value) for value in row[1:3])
            return (finished - published).total_seconds(), row[3]
        if row and row[0] == "failed":
            raise RuntimeError(f"narration failed: {row[4]}")
        time.sleep(0.2)
    raise TimeoutError(f"{slug} was not narrated within {TIMEOUT_SECONDS} s")


def peak_memory_mb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def measure(articles=ARTICLES):
    with tempfile.TemporaryDirectory(prefix="newsdesk-narration-") as data_dir:
        env = {**os.environ, "NEWSDESK_DATA_DIR": data_dir, "DATABASE_URL": "", "REDIS_URL": ""}
        env.pop("DJANGO_SETTINGS_MODULE", None)
        if newsdesk("migrate", "--no-input", "--verbosity", "0", env=env).wait(300):
            raise RuntimeError("migrate failed")
        worker = newsdesk("worker", env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            latencies, durations = [], []
            for number in range(1, articles + 1):
                publish(env, number)
                latency, duration = wait_until_ready(
                    Path(data_dir) / "newsdesk.sqlite3", f"ferry-{number}"
                )
                latencies.append(latency)
                durations.append(duration)
                print(
                    f"   article {number}/{articles}: {duration:.0f} s of audio ready "
                    f"{latency:.1f} s after publishing",
                    flush=True,
                )
            peak = peak_memory_mb(worker.pid)
        finally:
            worker.terminate()
            worker.wait(30)
    return {
        "latencies": latencies,
        "median_latency": statistics.median(latencies),
        "audio_seconds": statistics.median(durations),
        "worker_peak_mb": peak,
    }


def lines(result):
    return [
        f"- publish to audio ready (600-word article, worker idle): median "
        f"{result['median_latency']:.1f} s over {len(result['latencies'])} articles "
        f"({', '.join(f'{x:.1f}' for x in result['latencies'])} s), for "
        f"{result['audio_seconds']:.0f} s of audio",
        f"- worker peak memory (VmHWM): {result['worker_peak_mb']:.0f} MB (target <= 500 MB): "
        + ("met" if result["worker_peak_mb"] <= 500 else "not met"),
    ]


def main():
    print("\n".join(lines(measure())))


if __name__ == "__main__":
    main()
