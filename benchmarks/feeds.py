"""Feed benchmark: how long the site's feeds take to generate on a site of 10,000 articles.

A fresh data directory and database, filled by benchmarks.dataset.build (10,000 articles, 50
authors, 100 topics, seed 1). Requests go through the whole Django stack in-process (Django's
test client, no network), one at a time, without conditional headers, so every request builds
the feed from the database: the site RSS, Atom and JSON Feed, the busiest topic's RSS, the site
RSS with summaries only, and a conditional request answered 304. The baseline is the site RSS's
own bytes served as a static file by the same process, measured in the same run.

`python -m benchmarks.feeds` prints the figures; `run()` returns the BENCHMARKS.md section.
"""

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.pages import summary

REQUESTS = 200
WARMUP = 5


def setup_django(data_dir):
    os.environ.update(
        NEWSDESK_DATA_DIR=str(data_dir),
        NEWSDESK_DEBUG="false",
        NEWSDESK_ALLOWED_HOSTS="testserver",
        DJANGO_SETTINGS_MODULE="newsdesk.settings",
    )
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)


def timed(client, url, count, **headers):
    """Wall-clock durations, and this process's CPU time per request (which other programs
    on a busy machine do not inflate)."""
    durations, cpu = [], []
    expected = 304 if headers else 200
    for number in range(WARMUP + count):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(url, secure=True, **headers)
        elapsed = time.perf_counter() - started
        if response.status_code != expected:
            sys.exit(f"{url} answered {response.status_code}, not {expected}")
        if number >= WARMUP:
            durations.append(elapsed)
            cpu.append(time.process_time() - started_cpu)
    return {**summary(durations), "cpu_ms": statistics.median(cpu) * 1000}


def count_queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get(url, secure=True)
    return len(queries)


def static_copy(data_dir, content):
    """The feed's bytes as a collected static file (servestatic serves collected files only)."""
    from django.conf import settings
    from django.contrib.staticfiles import finders
    from django.core.management import call_command

    extra = Path(data_dir) / "bench-static"
    (extra / "bench").mkdir(parents=True)
    (extra / "bench" / "rss.xml").write_bytes(content)
    settings.STATICFILES_DIRS = [*settings.STATICFILES_DIRS, extra]
    finders.get_finder.cache_clear()
    call_command("collectstatic", verbosity=0, interactive=False)
    return "/static/bench/rss.xml"


def measure(articles=10_000):
    """Build the data set and time the feeds; returns a dict of the figures."""
    with tempfile.TemporaryDirectory(prefix="newsdesk-feeds-bench-") as data_dir:
        print("Setting up a fresh database...", flush=True)
        setup_django(Path(data_dir))
        from django.conf import settings
        from django.test import Client

        from benchmarks.dataset import build, topic_slug

        print(f"Generating {articles:,} articles...", flush=True)
        dataset = build(articles=articles)
        print(dataset.line(), flush=True)
        site_rss = Client().get("/feeds/rss.xml", secure=True)
        baseline = static_copy(data_dir, site_rss.content)
        client = Client()  # a new handler, so servestatic sees the new file
        targets = [
            ("static file, same bytes (baseline)", baseline, {}),
            ("site RSS", "/feeds/rss.xml", {}),
            ("site Atom", "/feeds/atom.xml", {}),
            ("site JSON Feed", "/feeds/feed.json", {}),
            ("busiest topic's RSS", f"/topics/{topic_slug(0)}/rss.xml", {}),
            ("site RSS, answered 304", "/feeds/rss.xml", {"HTTP_IF_NONE_MATCH": site_rss["ETag"]}),
        ]
        rows = []
        for label, url, headers in targets:
            print(f"Measuring {label}: {REQUESTS} requests...", flush=True)
            if url == baseline:  # streamed by servestatic: no .content to measure
                size = len(site_rss.content)
            else:
                size = len(client.get(url, secure=True, **headers).content)
            rows.append((label, timed(client, url, REQUESTS, **headers), size))
        settings.NEWSDESK_FEED_CONTENT = "summary"
        print(f"Measuring site RSS, summaries only: {REQUESTS} requests...", flush=True)
        size = len(client.get("/feeds/rss.xml", secure=True).content)
        rows.append(("site RSS, summaries only", timed(client, "/feeds/rss.xml", REQUESTS), size))
        settings.NEWSDESK_FEED_CONTENT = "full"
        queries = count_queries(client, "/feeds/rss.xml")
    return {"dataset": dataset, "rows": rows, "queries": queries}


def run():
    """Measure, and return (the BENCHMARKS.md section, the summary lines to print)."""
    return report(measure())


def report(results):
    baseline = results["rows"][0][1]["p50_ms"]
    rows = [
        f"| {label} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['cpu_ms']:.2f} | "
        f"{r['per_second']:.0f} | {r['p50_ms'] / baseline:.1f}x | {size:,} |"
        for label, r, size in results["rows"]
    ]
    dataset = results["dataset"]
    section = f"""## Feeds

In-process, one request at a time through the whole Django stack (Django's test client, no
network), SQLite, on a generated site: {dataset.line()} (`benchmarks/dataset.py`, seed 1).
Every request builds the feed (50 entries, full text) from the database: no conditional
headers, no cache in front. The last rows show a conditional request answered 304 (two small
queries, nothing rendered) and the summaries-only setting. The baseline is the site RSS's own
bytes served as a static file by the same process; "ratio" is p50 against that baseline,
measured in the same run; "CPU ms" is the benchmark process's own CPU time per request,
which other programs on a busy machine do not inflate. {REQUESTS} requests per target after
{WARMUP} warm-up requests.
Command: `python -m benchmarks.feeds`.

| target | p50 ms | p99 ms | CPU ms (p50) | requests/s | ratio | bytes |
| --- | ---: | ---: | ---: | ---: | ---: | ---: |
{chr(10).join(rows)}

Database queries for one site RSS: {results["queries"]} (the same for 5 entries or 50).
"""
    summary_lines = [dataset.line(), *rows, f"Queries per site feed: {results['queries']}."]
    return section, summary_lines


if __name__ == "__main__":
    articles = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    print("\n".join(report(measure(articles))[1]))
