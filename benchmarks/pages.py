"""Page benchmark: how much an uncached page render costs next to serving the same bytes
statically. Run by `make bench` (benchmarks.run), which writes BENCHMARKS.md.

A first, in-process benchmark: requests go through the whole Django stack (middleware, URL
routing, Wagtail, templates, database) via Django's test client, without a network. The
baseline is the same article HTML served as a static file by the same process (servestatic),
measured in the same run, so the ratio does not depend on how fast this machine is.
"""

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REQUESTS = 300
WARMUP = 20


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
    call_command("demo", verbosity=0)


def timed_requests(client, url, count):
    durations = []
    for number in range(WARMUP + count):
        started = time.perf_counter()
        response = client.get(url, secure=True)
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            sys.exit(f"{url} answered {response.status_code}; is the demo content loaded?")
        if number >= WARMUP:
            durations.append(elapsed)
    return durations


def summary(durations):
    ordered = sorted(durations)
    return {
        "p50_ms": statistics.median(ordered) * 1000,
        "p99_ms": ordered[int(len(ordered) * 0.99) - 1] * 1000,
        "per_second": len(ordered) / sum(ordered),
    }


def count_queries(url):
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        Client().get(url, secure=True)
    return len(queries)


def run():
    """Measure, and return (the BENCHMARKS.md section, the summary lines to print)."""
    with tempfile.TemporaryDirectory(prefix="newsdesk-bench-") as data_dir:
        print("Setting up a fresh database with the demo content...", flush=True)
        setup_django(Path(data_dir))
        from django.conf import settings
        from django.contrib.staticfiles import finders
        from django.core.management import call_command
        from django.test import Client

        from newsdesk.articles.models import ArticlePage, Author

        article = ArticlePage.objects.published().first()
        author = Author.objects.first()
        html = Client().get(article.url, secure=True).content
        # servestatic serves only collected files, so the copy goes through collectstatic.
        extra_static = Path(data_dir) / "bench-static"
        (extra_static / "bench").mkdir(parents=True)
        (extra_static / "bench" / "article.html").write_bytes(html)
        settings.STATICFILES_DIRS = [*settings.STATICFILES_DIRS, extra_static]
        finders.get_finder.cache_clear()  # finders read STATICFILES_DIRS once
        call_command("collectstatic", verbosity=0, interactive=False)

        targets = [
            ("static file (baseline)", "/static/bench/article.html"),
            ("article, uncached render", article.url),
            ("home page, uncached render", "/"),
            ("author page, uncached render", author.get_absolute_url()),
        ]
        client = Client()
        results = []
        for label, url in targets:
            print(f"Measuring {label}: {REQUESTS} requests...", flush=True)
            results.append((label, url, summary(timed_requests(client, url, REQUESTS))))
        queries = count_queries(article.url)
    return report(results, queries, len(html))


def report(results, queries, html_bytes):
    baseline = results[0][2]["p50_ms"]
    rows = [
        f"| {label} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['per_second']:.0f} | "
        f"{r['p50_ms'] / baseline:.1f}x |"
        for label, _, r in results
    ]
    section = f"""## Page rendering

In-process, one request at a time through the whole Django stack (Django's test client, no
network, no page cache yet), SQLite, demo content. The baseline is the article's own HTML
({html_bytes:,} bytes) served as a static file by the same process; "ratio" is p50 against
that baseline, measured in the same run. {REQUESTS} requests per target after {WARMUP} warm-up
requests. Command: `make bench` (`python -m benchmarks.run`).

| target | p50 ms | p99 ms | requests/s | ratio |
| --- | ---: | ---: | ---: | ---: |
{chr(10).join(rows)}

Database queries for one uncached article render: {queries}.

Load over real sockets (wrk against uvicorn and nginx) and the page cache come with the
performance work; these figures are the uncached starting point.
"""
    summary_lines = [*rows, f"Queries per article render: {queries}."]
    return section, summary_lines


if __name__ == "__main__":
    print("\n".join(run()[1]))
