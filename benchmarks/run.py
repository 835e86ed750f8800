"""`make bench`: every benchmark, each into its own section of BENCHMARKS.md.

- pages: an uncached page render against the same bytes served statically, in-process;
- http: reader pages over real sockets with wrk (the cached article, an uncached render, home,
  a live feed page, the RSS feed) against nginx serving the same bytes, on a data set of
  10,000 articles; CPU and queries per render, memory, publishing under load, and uvicorn
  against granian at 1 and 2 workers (benchmarks/http_load.py), with a plot in
  benchmarks/http-throughput.png;
- live: one server fanning live updates out to 1,000 and 5,000 SSE readers, against a bare
  asyncio floor, with a latency plot in benchmarks/live-latency.png, then publish to screen
  in a real Chromium page;
- narration: text to MP3 for a 600-word article (real-time factor, memory, re-narration after
  a one-paragraph edit), then publish to audio ready through a real `newsdesk worker`;
- feeds, search, mirror: feed generation, search latency and full and incremental mirror
  times over a generated set of 10,000 articles;
- scaleout: live fan-out through Pushpin to 10,000 and 30,000 SSE readers beside the
  in-process path at 5,000 (benchmarks/scaleout.py, C readers in benchmarks/sse_readers.c),
  with a plot in benchmarks/scaleout-latency.png;
- scaleout_lb: HAProxy with two app hosts against one app host alone, cached and uncached
  article requests/s on the HTTP part's data set (benchmarks/scaleout_lb.py);
- sources: 200 sources polled every 30 s by one worker (its CPU) and the latency from a new
  item's fetch to an open desk's Incoming stream (benchmarks/sources.py).

Each part measures its own baseline in the same run, so its ratios do not depend on how fast
this machine is. `python -m benchmarks.run --only feeds,search` re-runs some parts and keeps
the other sections of BENCHMARKS.md as they were; each section says when it was measured.
"""

import argparse
import multiprocessing
import os
import platform
import re
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import (
    feeds,
    http_load,
    live,
    live_browser,
    mirror,
    narration_engine,
    narration_pipeline,
    pages,
    scaleout,
    scaleout_lb,
    search,
    sources,
)

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "BENCHMARKS.md"
SECTION = re.compile(r"<!-- part: (?P<name>[a-z_]+) -->\n(?P<body>.*?)<!-- end of part -->\n", re.S)


def machine():
    model = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    memory = ""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory = f", {int(line.split()[1]) / 1024 / 1024:.0f} GB RAM"
    return (
        f"{platform.machine()}, {os.cpu_count()} cores ({model or 'unknown CPU'}){memory}, "
        f"Linux {platform.release()}"
    )


def run_live():
    section, summary = live.run(plot_to=live.PLOT)
    browser_lines = live_browser.lines(live_browser.measure())
    section += (
        "\nPublish to screen in Chromium (benchmarks/live_browser.py: one reader's page, 20 "
        "updates committed by another process, latency from commit to the element in the "
        "DOM):\n\n" + "\n".join(browser_lines) + "\n"
    )
    return section, summary + browser_lines


def run_narration():
    section, summary = narration_engine.run()
    pipeline_lines = narration_pipeline.lines(narration_pipeline.measure())
    return section + "\n".join(pipeline_lines) + "\n", summary + pipeline_lines


# In the order they run and appear in BENCHMARKS.md.
PARTS = {
    "pages": pages.run,
    "http": http_load.run,
    "live": run_live,
    "narration": run_narration,
    "feeds": feeds.run,
    "search": search.run,
    "mirror": mirror.run,
    "scaleout": scaleout.run,
    "scaleout_lb": scaleout_lb.run,
    "sources": sources.run,
}


PLOTS = {
    "http": "benchmarks/http-throughput.png",
    "live": "benchmarks/live-latency.png",
    "scaleout": "benchmarks/scaleout-latency.png",
}


HEADER = (
    "# Benchmarks\n\n"
    "Produced by `make bench` (`python -m benchmarks.run`); each section below was measured "
    "in one run of its part, on the date and software it names.\n\n"
)


def kept_sections():
    """name -> section text (with its marker lines) from the current BENCHMARKS.md."""
    if not REPORT.exists():
        return {}
    return {match["name"]: match[0] for match in SECTION.finditer(REPORT.read_text())}


def write_report(sections, report=REPORT):
    """Each part's section replaced where it stands; a part not yet in the report is added at
    the end. Everything outside the part markers (notes written by hand between parts) stays."""
    text = report.read_text() if report.exists() else HEADER
    for name in PARTS:
        if name not in sections:
            continue
        section = sections[name]
        found = [match for match in SECTION.finditer(text) if match["name"] == name]
        if found:
            start, end = found[0].span()
            text = text[:start] + section + text[end:]
        else:
            text = text.rstrip("\n") + "\n\n" + section
    report.write_text(text)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--only", help=f"comma-separated parts to run (default: all): {', '.join(PARTS)}"
    )
    args = parser.parse_args(argv)
    chosen = args.only.split(",") if args.only else list(PARTS)
    unknown = [name for name in chosen if name not in PARTS]
    if unknown:
        parser.error(f"unknown part(s) {', '.join(unknown)}; choose from {', '.join(PARTS)}")
    sections = kept_sections()
    summaries = []
    for name in PARTS:
        if name not in chosen:
            continue
        print(f"\n== {name} benchmark", flush=True)
        # Each part in a fresh process: parts set Django up on data directories of their own,
        # and a second setup in one process would reuse the first part's database. Not a
        # multiprocessing.Pool: its processes are daemons, which may not start the mirror's
        # render processes.
        spawn = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
            section, lines = pool.submit(PARTS[name]).result()
        print("\n".join(lines), flush=True)
        stamp = (
            f"Measured on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Machine: {machine()}. "
            f"Software: {live.versions()}.\n\n"
        )
        heading, _, rest = section.partition("\n")
        sections[name] = (
            f"<!-- part: {name} -->\n{heading}\n\n{stamp}{rest.lstrip()}"
            f"{'' if rest.endswith(chr(10)) else chr(10)}<!-- end of part -->\n"
        )
        write_report(sections)  # after each part, so an interrupted run keeps what it measured
        summaries.append((name, lines))
    print("\n== Summary")
    for name, lines in summaries:
        print(f"\n{name}:")
        print("\n".join(lines))
    plots = [path for part, path in PLOTS.items() if part in chosen]
    print(f"\nWritten to {REPORT.name}" + "".join(f" and {path}" for path in plots) + ".")


if __name__ == "__main__":
    # Through the package, so the parts handed to the spawned processes are pickled by their
    # importable name (benchmarks.run.run_live), not as __main__'s.
    from benchmarks import run

    run.main()
