"""`make reliability`: every fault scenario, each into its own section of RELIABILITY.md.

Each scenario lives in its own module, reliability/<name>.py, with:

- TITLE: one line saying what is broken and what must still hold;
- TRIALS: how many times a full run repeats it;
- run(trials) -> (section, summary_lines): section is Markdown that starts with a "## "
  heading and gives successes out of N, times and what was checked; summary_lines are the few
  lines printed at the end of the run.

Scenarios start their own servers, workers, Redis and PostgreSQL instances on free loopback
ports in temporary directories; they never touch the services the test suite uses.
`python -m reliability.run --only backup --trials 3` re-runs some scenarios with fewer trials
and keeps the other sections of RELIABILITY.md as they were.
"""

import argparse
import importlib
import multiprocessing
import re
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.live import versions
from benchmarks.run import machine

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "RELIABILITY.md"
SECTION = re.compile(
    r"<!-- scenario: (?P<name>[a-z_]+) -->\n(?P<body>.*?)<!-- end of scenario -->\n", re.S
)

# In the order they run and appear in RELIABILITY.md.
SCENARIOS = [
    "publish_kill",
    "narration_kill",
    "redis_restart",
    "postgres_restart",
    "disk_full",
    "backup",
]


def kept_sections():
    if not REPORT.exists():
        return {}
    return {match["name"]: match[0] for match in SECTION.finditer(REPORT.read_text())}


# Sections written by other commands, kept as they are: `make cluster-test` (cluster/report.py).
OTHER_SECTIONS = ["cluster"]


def write_report(sections):
    body = "\n".join(sections[name] for name in SCENARIOS + OTHER_SECTIONS if name in sections)
    REPORT.write_text(
        "# Reliability\n\n"
        "Produced by `make reliability` (`python -m reliability.run`): each scenario breaks "
        "something on purpose, many times, and counts the runs in which nothing was lost. "
        "Every section names the date, machine and software it was measured on.\n\n" + body
    )


def run_scenario(name, trials):
    module = importlib.import_module(f"reliability.{name}")
    return module.run(trials or module.TRIALS)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--only", help=f"comma-separated scenarios (default: all): {', '.join(SCENARIOS)}"
    )
    parser.add_argument(
        "--trials", type=int, help="repeat each scenario this many times (default: its own)"
    )
    args = parser.parse_args(argv)
    chosen = args.only.split(",") if args.only else list(SCENARIOS)
    unknown = [name for name in chosen if name not in SCENARIOS]
    if unknown:
        parser.error(
            f"unknown scenario(s) {', '.join(unknown)}; choose from {', '.join(SCENARIOS)}"
        )
    sections = kept_sections()
    summaries = []
    for name in SCENARIOS:
        if name not in chosen:
            continue
        print(f"\n== {name}", flush=True)
        # A fresh process each: scenarios set Django up on data directories of their own.
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            section, lines = pool.apply(run_scenario, (name, args.trials))
        print("\n".join(lines), flush=True)
        stamp = (
            f"Measured on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Machine: {machine()}. "
            f"Software: {versions()}.\n\n"
        )
        heading, _, rest = section.partition("\n")
        sections[name] = (
            f"<!-- scenario: {name} -->\n{heading}\n\n{stamp}{rest.lstrip()}"
            f"{'' if rest.endswith(chr(10)) else chr(10)}<!-- end of scenario -->\n"
        )
        write_report(sections)  # after each scenario, so an interrupted run keeps what it found
        summaries.append((name, lines))
    print("\n== Summary")
    for name, lines in summaries:
        print(f"\n{name}:")
        print("\n".join(lines))
    print(f"\nWritten to {REPORT.name}.")


if __name__ == "__main__":
    from reliability import run

    run.main()
