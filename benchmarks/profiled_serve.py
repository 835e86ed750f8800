"""`newsdesk serve` with a cProfile switch, for `python -m benchmarks.live --profile`.

    python -m benchmarks.profiled_serve OUTPUT serve --no-worker ...

Runs the newsdesk command line unchanged; SIGUSR1 starts profiling the main thread (where
uvicorn's event loop, the live broker and every stream run) and SIGUSR2 stops it and writes
the statistics to OUTPUT. So only the delivery of the updates is profiled, not the start-up
or the readers connecting. Threads (database reads, rendering) are not profiled. Garbage
collector pauses in the same window are timed too and logged as a "gc:" line.
"""

import cProfile
import gc
import signal
import sys
import time


def main():
    output = sys.argv[1]
    profiler = cProfile.Profile()
    pauses = {0: [], 1: [], 2: []}
    started = {}

    def timed_gc(phase, info):
        if phase == "start":
            started["at"] = time.perf_counter()
        elif "at" in started:
            pauses[info["generation"]].append(time.perf_counter() - started.pop("at"))

    def start(*_):
        print(f"gc: {len(gc.get_objects()):,} objects tracked", file=sys.stderr, flush=True)
        gc.callbacks.append(timed_gc)
        profiler.enable()

    def stop(*_):
        profiler.disable()
        gc.callbacks.remove(timed_gc)
        profiler.dump_stats(output)
        summary = ", ".join(
            f"generation {generation}: {len(times)} pauses, {sum(times) * 1000:.0f} ms in all, "
            f"longest {max(times, default=0) * 1000:.0f} ms"
            for generation, times in pauses.items()
        )
        print(f"gc: {summary}", file=sys.stderr, flush=True)

    signal.signal(signal.SIGUSR1, start)
    signal.signal(signal.SIGUSR2, stop)
    sys.argv = ["newsdesk", *sys.argv[2:]]
    from newsdesk.cli import main as newsdesk

    newsdesk()


if __name__ == "__main__":
    main()
