"""Mirror benchmark: a full static copy of a 10,000-article site, then incremental refreshes.

A fresh data directory and database, filled by benchmarks.dataset.build (10,000 articles, 50
authors, 100 topics, seed 1), mirrored with `newsdesk mirror` into a temporary folder. Then
the refreshes a newsroom runs every few minutes from cron, each after one kind of change:

- nothing changed;
- one article's body edited (a typo fix: only that page and the feeds and sitemaps that
  carry its text change);
- one article's headline edited (also every page that shows it: listings, its author and
  topic pages, "Related stories" elsewhere);
- one new article published (it moves every later article down a place, so every page of
  /news/ and of its authors' and topics' listings changes).

The target is an incremental refresh under 2 s after one article changes. The baseline is
the full run in the same session, on the same machine.

The full mirror is run twice: *cold*, with no stored parts (what a deploy leaves: every
part's key names the code, so the first run after it builds them all), then *warm*, with
every part the cold run stored (`--full`: every page rendered again, from stored parts).

`python -m benchmarks.mirror [ARTICLES] [--keep DIR]` prints the figures; `run()` returns the
BENCHMARKS.md section and the summary lines. With `--keep DIR` the generated site is built
once into DIR (minutes at 10,000 articles) and copied from there by every later run; each run
works on its own copy, so DIR stays as built.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.dataset import Dataset, build

BASE_URL = "https://news.example.org"
TARGET_SECONDS = 2.0


def setup_django(data_dir):
    os.environ.update(
        NEWSDESK_DATA_DIR=str(data_dir),
        NEWSDESK_DEBUG="false",
        NEWSDESK_ALLOWED_HOSTS="testserver",
        NEWSDESK_BASE_URL=BASE_URL,
        DJANGO_SETTINGS_MODULE="newsdesk.settings",
    )
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)


WORKERS = os.cpu_count() or 1


def stored_parts():
    from newsdesk.parts.models import Part

    return Part.objects.count()


def cpu_seconds():
    """User and system time of this process and of the render processes it waited for."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def mirror(outdir, label, **options):
    from newsdesk.mirror.builder import Builder

    parts = stored_parts()
    print(f"Mirroring: {label} ({parts:,} parts stored before)...", flush=True)
    started, cpu = time.perf_counter(), cpu_seconds()
    log = lambda line: print(line, flush=True)  # noqa: E731
    summary = Builder(outdir, log=log, workers=WORKERS, **options).run()
    seconds = time.perf_counter() - started
    summary.cpu = cpu_seconds() - cpu
    summary.load = os.getloadavg()[0]
    summary.parts_before = parts
    print(f"  {seconds:.2f} s, CPU {summary.cpu:.1f} s ({summary.breakdown()})", flush=True)
    return label, summary, seconds


def edit_body(article):
    body = article.body.raw_data
    body[0]["value"]["text"] = body[0]["value"]["text"].replace("</p>", " (Corrected.)</p>", 1)
    article.body = body
    article.save_revision().publish()


def edit_headline(article):
    article.title = f"{article.title} (updated)"
    article.save_revision().publish()


def publish_new(template):
    from newsdesk.articles.models import ArticleAuthor, ArticlePage, NewsIndexPage

    article = ArticlePage(
        title="A new story for the benchmark",
        slug="a-new-story-for-the-benchmark",
        standfirst=template.standfirst,
        body=template.body.raw_data,
        hero_image=template.hero_image,
        hero_alt=template.hero_alt,
    )
    for position, link in enumerate(template.byline.all()):
        article.byline.add(ArticleAuthor(author_id=link.author_id, sort_order=position))
    NewsIndexPage.objects.get().add_child(instance=article)
    article.topics.set(template.topics.all())
    article.save_revision().publish()


BUILT = "mirror-bench-dataset.json"
"""In a kept data directory: the data set's line, written once it is complete."""


def measure(articles=10_000, keep=None, cold_only=False):
    """Build (or copy) the data set, mirror it, refresh after each change; the figures.
    `cold_only`: the cold full run alone (comparing two versions of the code)."""
    with (
        tempfile.TemporaryDirectory(prefix="newsdesk-mirror-set-") as scratch,
        tempfile.TemporaryDirectory(prefix="newsdesk-mirror-bench-") as data_dir,
        tempfile.TemporaryDirectory(prefix="newsdesk-mirror-out-") as outdir,
    ):
        source = Path(keep if keep is not None else scratch)
        if not (source / BUILT).is_file():
            build_elsewhere(source, articles)
        # Each run works on a copy: it publishes an article, and stores parts.
        print(f"Copying the data set kept in {source}...", flush=True)
        shutil.copytree(source, data_dir, dirs_exist_ok=True)
        setup_django(Path(data_dir))
        from newsdesk.articles.models import ArticlePage
        from newsdesk.mirror import plan

        # A deploy (changed code or templates) makes the next run a full one, by design; the
        # checkout may change while this runs, which must not count as a deploy here.
        fingerprint = plan.code_fingerprint()
        plan.code_fingerprint = lambda: fingerprint

        dataset = Dataset(**json.loads((Path(data_dir) / BUILT).read_text()))
        print(dataset.line(), flush=True)
        out = Path(outdir)
        runs = [mirror(out, "full mirror, cold (no stored parts)")]
        if cold_only:
            return {"dataset": dataset, "runs": runs}
        runs.append(mirror(out, "full mirror, warm (parts stored)", full=True))
        runs.append(mirror(out, "refresh, nothing changed"))
        middle = ArticlePage.objects.order_by("pk")[articles // 2]
        edit_body(middle)
        runs.append(mirror(out, "refresh after one article's body was edited"))
        edit_headline(ArticlePage.objects.get(pk=middle.pk))
        runs.append(mirror(out, "refresh after one article's headline was edited"))
        publish_new(ArticlePage.objects.get(pk=middle.pk))
        runs.append(mirror(out, "refresh after one new article was published"))
        runs.append(mirror(out, "refresh, nothing changed (again)"))
    return {"dataset": dataset, "runs": runs}


def profile(keep, runs=("cold",), top=40):
    """cProfile of runs in one process (`--profile`, on a copy of a kept data set): where a
    page's time goes. `runs`, in order: "cold" (a full run, nothing stored), "warm" (a full
    run, parts stored), "new" (the refresh after one new article)."""
    import cProfile
    import pstats

    with (
        tempfile.TemporaryDirectory(prefix="newsdesk-mirror-bench-") as data_dir,
        tempfile.TemporaryDirectory(prefix="newsdesk-mirror-out-") as outdir,
    ):
        shutil.copytree(keep, data_dir, dirs_exist_ok=True)
        setup_django(Path(data_dir))
        from newsdesk.articles.models import ArticlePage
        from newsdesk.mirror.builder import Builder

        for label in runs:
            if label == "new":
                middle = ArticlePage.objects.order_by("pk")
                publish_new(middle[middle.count() // 2])
            profiler = cProfile.Profile()
            started, cpu = time.perf_counter(), time.process_time()
            profiler.enable()
            full = label != "new"
            summary = Builder(Path(outdir), log=lambda line: None, workers=1, full=full).run()
            profiler.disable()
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            print(
                f"{label}: {summary.rendered:,} pages in {seconds:.1f} s, CPU {cpu:.1f} s "
                f"({1000 * cpu / summary.rendered:.1f} ms a page), load {os.getloadavg()[0]:.1f}"
            )
            stats = pstats.Stats(profiler)
            stats.sort_stats("cumulative").print_stats(top)
            stats.sort_stats("tottime").print_stats(top)


def build_elsewhere(folder, articles):
    """Generate the data set into `folder` in a process of its own. The runs' render
    processes are forked from this one: had it built the data set, each would start with
    its big heap (the ORM's objects, Wagtail's caches) and cost about a quarter more CPU
    than `newsdesk mirror` run by cron, which starts small (measured on 2026-12-03)."""
    print(f"Generating {articles:,} articles into {folder}...", flush=True)
    env = {**os.environ, "NEWSDESK_DATA_DIR": str(Path(folder).resolve())}
    command = [sys.executable, "-m", "benchmarks.mirror", str(articles), "--build-only"]
    subprocess.run(command, env=env, check=True)  # noqa: S603 - our own module


def build_only(articles):
    """The data set, into NEWSDESK_DATA_DIR, for later runs to copy (`--keep`)."""
    from django.db import connection

    setup_django(Path(os.environ["NEWSDESK_DATA_DIR"]))
    dataset = build(articles=articles)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # one file to copy
    connection.close()
    (Path(os.environ["NEWSDESK_DATA_DIR"]) / BUILT).write_text(json.dumps(vars(dataset)))
    print(dataset.line(), flush=True)


def run(articles=10_000, keep=None):
    """Measure, and return (the BENCHMARKS.md section, the summary lines to print)."""
    return report(measure(articles, keep))


TARGETS = {
    "full mirror, cold (no stored parts)": 120.0,
    "refresh after one new article was published": 15.0,
}
"""Issue 15's rows (seconds, 2 cores): a full mirror of the 10,000-article site, cold as a
deploy leaves it, and the refresh after one new article."""


def verdicts(runs):
    found = []
    for label, _, seconds in runs:
        if label in TARGETS:
            met = "met" if seconds <= TARGETS[label] else "NOT met"
            found.append(f"{label} <= {TARGETS[label]:.0f} s: {met} ({seconds:.1f} s)")
    edits = [seconds for label, _, seconds in runs if "edited" in label]
    met = "met" if edits and max(edits) < TARGET_SECONDS else "NOT met"
    found.append(f"refresh after an edit < {TARGET_SECONDS:.0f} s: {met}")
    return found


def report(results):
    runs = results["runs"]
    full_seconds = runs[0][2]
    rows = [
        f"| {label} | {summary.mode} | {seconds:.2f} | {summary.cpu:.1f} | "
        f"{1000 * summary.cpu / max(summary.rendered, 1):.1f} | {summary.load:.1f} | "
        f"{full_seconds / seconds:.0f}x | {summary.parts_before:,} | "
        f"{summary.rendered:,} | {summary.written:,} | {summary.removed:,} | "
        f"{summary.breakdown()} |"
        for label, summary, seconds in runs
    ]
    full = runs[0][1]
    section = f"""## Static mirror

`newsdesk mirror` in-process (pages rendered through the whole Django stack with the test
client, in {WORKERS} processes: `--workers`, one per core), SQLite, on a generated site:
{results["dataset"].line()} (`benchmarks/dataset.py`,
seed 1). The full mirror writes {full.files:,} files ({full.pages:,} pages) into an empty
folder, first *cold* (no stored parts, as after a deploy: every part's key names the code)
and then *warm* (`--full` again, every part stored by the cold run); each refresh follows
one change made through Wagtail (a published revision). "faster" is the cold full run's time
over the run's, measured in the same session. "CPU s" is the user and system time of the
run and its render processes; "CPU ms/page" divides it by the pages rendered; "load" is the
1-minute load average at the end of the run (2 cores, shared with other work: wall times
are upper bounds); "parts stored before" counts the stored parts when the run began.
Targets: {"; ".join(verdicts(runs))}.
Command: `python -m benchmarks.mirror [ARTICLES] [--keep DIR] [--cold]`.

| run | mode | seconds | CPU s | CPU ms/page | load | faster | parts stored before \
| pages rendered | files written | removed | phases |
| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |
{chr(10).join(rows)}
"""
    summary_lines = [results["dataset"].line(), *rows, *verdicts(runs)]
    return section, summary_lines


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("articles", nargs="?", type=int, default=10_000)
    parser.add_argument("--keep", help="build the data set once into this folder; reuse it")
    parser.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--cold", action="store_true", help="only the cold full run (to compare code changes)"
    )
    parser.add_argument(
        "--profile", action="store_true", help="cProfile a cold and a warm full run (--keep)"
    )
    arguments = parser.parse_args()
    if arguments.build_only:
        build_only(arguments.articles)
    elif arguments.profile:
        profile(arguments.keep, runs=("cold",) if arguments.cold else ("cold", "warm", "new"))
    else:
        results = measure(arguments.articles, arguments.keep, cold_only=arguments.cold)
        print("\n".join(report(results)[1]))
