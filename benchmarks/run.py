"""`make bench`: the page benchmark, then the live benchmark; both go into one BENCHMARKS.md.

- benchmarks.pages: an uncached page render against the same bytes served statically;
- benchmarks.live: one server fanning live updates out to 1,000 and 5,000 SSE readers, against
  a bare asyncio floor, with a latency plot in benchmarks/live-latency.png;
- benchmarks.live_browser: publish to screen in a real Chromium page;
- benchmarks.narration_engine: text to MP3 for a 600-word article (real-time factor, memory,
  re-narration after a one-paragraph edit);
- benchmarks.narration_pipeline: publish to audio ready through a real `newsdesk worker`;
- benchmarks.feeds, benchmarks.search, benchmarks.mirror: feed generation, search latency and
  full and incremental mirror times over a generated set of 10,000 articles.

Each part measures its own baseline in the same run, so its ratios do not depend on how fast
this machine is. `python -m benchmarks.pages` and `python -m benchmarks.live` run one part
alone and only print.
"""

import os
import platform
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import (
    feeds,
    live,
    live_browser,
    mirror,
    narration_engine,
    narration_pipeline,
    pages,
    search,
)

ROOT = Path(__file__).resolve().parents[1]


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


def main():
    print("== Page benchmark", flush=True)
    page_section, page_lines = pages.run()
    print("\n".join(page_lines), flush=True)
    print("\n== Live benchmark", flush=True)
    live_section, live_lines = live.run(plot_to=live.PLOT)
    browser_lines = live_browser.lines(live_browser.measure())
    print("\n".join(browser_lines), flush=True)
    live_section += (
        "\nPublish to screen in Chromium (benchmarks/live_browser.py: one reader's page, 20 "
        "updates committed by another process, latency from commit to the element in the "
        "DOM):\n\n" + "\n".join(browser_lines) + "\n"
    )
    live_lines += browser_lines
    print("\n== Narration benchmark", flush=True)
    narration_section, narration_lines = narration_engine.run()
    print("\n".join(narration_lines), flush=True)
    pipeline_lines = narration_pipeline.lines(narration_pipeline.measure())
    narration_section += "\n".join(pipeline_lines) + "\n"
    narration_lines += pipeline_lines
    distribution_sections, distribution_lines = [], []
    for name, part in (("Feeds", feeds), ("Search", search), ("Mirror", mirror)):
        print(f"\n== {name} benchmark", flush=True)
        section, part_lines = part.run()
        print("\n".join(part_lines), flush=True)
        distribution_sections.append(section)
        distribution_lines += part_lines
    distribution_section = "\n".join(distribution_sections)
    report = f"""# Benchmarks

Produced by `make bench` (`python -m benchmarks.run`) on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.
Machine: {machine()}.
Software: {live.versions()}.

{page_section}
{live_section}
{narration_section}
{distribution_section}"""
    (ROOT / "BENCHMARKS.md").write_text(report.rstrip() + "\n")
    print("\n== Summary")
    print("\n".join(page_lines))
    print()
    print("\n".join(live_lines))
    print()
    print("\n".join(narration_lines))
    print()
    print("\n".join(distribution_lines))
    print("\nWritten to BENCHMARKS.md and benchmarks/live-latency.png.")


if __name__ == "__main__":
    main()
