"""kill -9 of the worker mid-narration.

One data directory (SQLite) for the whole run and the real `newsdesk worker` with the real
Piper voice. Each trial publishes a short article of its own (through a Wagtail revision, in
this process, which sets Django up on that directory), waits until the running worker has
claimed the article's narration job, lets it run for a random time, and kills the worker's
process group with SIGKILL. Then a new worker is started (it is the next trial's victim) and
the trial waits until that article's audio is ready. Checked per trial, from the database and
the media folder:

- the job ended ready, done once: exactly one task result returned "ready" (or none, when
  the kill came after the job had recorded its audio but before django-tasks-db recorded the
  task's own success), and none of the article's task results is left READY or RUNNING;
- the killed worker's task result is not left RUNNING (newsdesk/server/task_recovery.py);
- one MP3 per article version in media (the files named by the jobs, nothing else), no
  temporary file in media or the paragraph cache;
- the MP3 parses frame by frame to its end (newsdesk.narration.audio.mp3_duration, which
  refuses a cut-off frame) and its duration and size are the ones recorded; every cached
  paragraph piece parses too.

`python -m reliability.run --only narration_kill --trials 2` runs it on its own.
"""

import contextlib
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from benchmarks.http_load import stop_group
from benchmarks.live import environment, python, tail

TITLE = (
    "kill -9 of the worker mid-narration: the job completes later, once, with no partial "
    "file left in media and no job stuck as running"
)
TRIALS = 20
ROOT = Path(__file__).resolve().parents[1]
CLAIM_TIMEOUT = 120
READY_TIMEOUT = 240
KILL_WITHIN = 4.0
"""Seconds after the claim within which the kill lands (uniformly): a short article takes
about that long to narrate on a loaded two-core machine, so kills fall before, during and
just after the synthesis and the file write."""
SENTENCES = [
    "The ferry to the island runs again from {n} in the morning, the port authority said.",
    "Crews cleared {n} fallen trees overnight and reopened the coast road.",
]
NARRATE = "newsdesk.narration.tasks.narrate"


def setup(data_dir):
    """Django in this process, on the scenario's own data directory (run.py gives every
    scenario a fresh process)."""
    os.environ.update(environment(data_dir))
    import django

    django.setup()
    from django.core.management import call_command

    from tests.factories import ensure_site_structure

    call_command("migrate", verbosity=0, interactive=False)
    ensure_site_structure()


def publish(number):
    from tests.factories import make_article, paragraphs

    texts = [sentence.format(n=number * 7 + index) for index, sentence in enumerate(SENTENCES)]
    article = make_article(f"Ferry update {number}", hero=False, body=paragraphs(*texts))
    from newsdesk.narration.models import Narration

    return Narration.objects.get(article=article).pk


class Worker:
    def __init__(self, data_dir, number):
        self.log = Path(data_dir) / f"worker-{number}.log"
        with open(self.log, "w") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                python("-m", "newsdesk.cli", "worker", "--interval", "0.2"),
                env=environment(data_dir),
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group: the kill takes everything it started
            )
        self.name = f"{socket.gethostname()}:{self.process.pid}"
        self.started = time.monotonic()

    def kill(self):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


def narration(pk):
    from django.db import close_old_connections

    from newsdesk.narration.models import Narration

    close_old_connections()
    return Narration.objects.get(pk=pk)


def task_results(pk):
    from django_tasks_db.models import DBTaskResult

    return [
        result
        for result in DBTaskResult.objects.filter(task_path=NARRATE).order_by("enqueued_at")
        if result.args_kwargs["args"] == ["article", pk]
    ]


def wait_for(condition, timeout, worker, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        if worker.process.poll() is not None:
            raise RuntimeError(f"the worker exited:\n{tail(worker.log)}")
        time.sleep(interval)
    return None


def media_problems(data_dir):
    """Stray or damaged files in media, damaged pieces in the paragraph cache; [] if none.

    (A piece's temporary file left in the cache by a kill is not read by anything and not
    served; cache_leftovers() counts them for the report.)"""
    from newsdesk.narration import actions
    from newsdesk.narration.audio import mp3_duration
    from newsdesk.narration.models import Narration

    problems = []
    folder = actions.audio_root()
    for path in folder.rglob("*") if folder.exists() else ():
        if path.is_file() and (path.name.startswith(".") or path.suffix != ".mp3"):
            problems.append(f"stray file {path.relative_to(data_dir)}")
    for piece in actions.cache_dir().rglob("*.mp3"):
        try:
            mp3_duration(piece.read_bytes())
        except ValueError as error:
            problems.append(f"cached piece {piece.name} is damaged: {error}")
    named = {row.audio for row in Narration.objects.exclude(audio="")}
    on_disk = {f"{actions.AUDIO_DIR}/{p.name}" for p in actions.audio_root().glob("*.mp3")}
    problems += [f"{name} in media belongs to no job" for name in sorted(on_disk - named)]
    problems += [f"{name} is named by a job but missing" for name in sorted(named - on_disk)]
    return problems


def cache_leftovers():
    from newsdesk.narration import actions

    folder = actions.cache_dir()
    return len(list(folder.rglob(".*.tmp"))) if folder.exists() else 0


def check(pk, killed_task_ids, killed_at):
    """What is wrong with the job after recovery; [] when all held."""
    from django.conf import settings

    from newsdesk.narration.audio import mp3_duration

    row = narration(pk)
    results = task_results(pk)
    problems = []
    if row.status != "ready":
        problems.append(f"job is {row.status} ({row.error})")
    left = [r for r in results if r.status in ("READY", "RUNNING")]
    if left:
        problems.append(f"{len(left)} task result(s) left {', '.join(r.status for r in left)}")
    stuck = [r for r in results if str(r.id) in killed_task_ids and r.status == "RUNNING"]
    if stuck:
        problems.append("the killed worker's task result is still RUNNING")
    ready = [r for r in results if r.status == "SUCCESSFUL" and r.return_value == "ready"]
    done_before_kill = row.finished_at is not None and row.finished_at <= killed_at
    if len(ready) != (0 if done_before_kill and not ready else 1):
        problems.append(f"{len(ready)} task results made the audio (expected exactly one)")
    if row.audio:
        data = (Path(settings.MEDIA_ROOT) / row.audio).read_bytes()
        try:
            duration = mp3_duration(data)
        except ValueError as error:
            problems.append(f"the MP3 is damaged: {error}")
        else:
            if abs(duration - (row.duration or 0)) > 0.05:
                problems.append(f"MP3 lasts {duration:.2f} s, the job says {row.duration} s")
        if len(data) != row.audio_bytes:
            problems.append(f"MP3 has {len(data)} bytes, the job says {row.audio_bytes}")
    return problems


def run_trial(number, data_dir, worker):
    """Publish, kill the worker mid-job, start the next one; (outcome dict, next worker)."""
    from django.utils import timezone

    pk = publish(number)

    def taken():
        row = narration(pk)  # "ready" too: a short job can end between two looks
        return row.worker == worker.name and row.status in ("running", "ready")

    claimed = wait_for(taken, CLAIM_TIMEOUT, worker)
    if not claimed:
        raise RuntimeError(f"the worker did not claim the job in {CLAIM_TIMEOUT} s")
    delay = random.uniform(0, KILL_WITHIN)  # noqa: S311 - a kill moment, not a secret
    time.sleep(delay)
    phase = narration(pk).status  # just before: "running" (mid-job) or "ready" (just done)
    worker.kill()
    killed_at = timezone.now()
    killed_tasks = {str(r.id) for r in task_results(pk) if r.status == "RUNNING"}
    left_running = narration(pk).status == "running"
    replacement = Worker(data_dir, number + 1)
    ready = wait_for(lambda: narration(pk).status == "ready", READY_TIMEOUT, replacement, 0.1)
    recovered_in = time.monotonic() - replacement.started if ready else None
    # The chores have run by now (at start); give django-tasks-db a moment to record the
    # new task's success after the job's own row says ready.
    wait_for(
        lambda: not any(r.status in ("READY", "RUNNING") for r in task_results(pk)),
        30,
        replacement,
        0.1,
    )
    problems = check(pk, killed_tasks, killed_at) + media_problems(Path(data_dir))
    outcome = {
        "trial": number,
        "delay": delay,
        "phase": "mid-job" if phase == "running" and left_running else "after the job",
        "recovered_in": recovered_in,
        "problems": problems,
    }
    return outcome, replacement


def run(trials):
    data_dir = Path(tempfile.mkdtemp(prefix="newsdesk-narration-kill-"))
    outcomes = []
    worker = None
    try:
        setup(data_dir)
        worker = Worker(data_dir, 1)
        for number in range(1, trials + 1):
            outcome, worker = run_trial(number, data_dir, worker)
            outcomes.append(outcome)
            verdict = "ok" if not outcome["problems"] else "; ".join(outcome["problems"])
            print(
                f"   trial {number}/{trials}: killed {outcome['delay']:.2f} s after the claim "
                f"({outcome['phase']}), ready {outcome['recovered_in'] or 0:.1f} s after the "
                f"restart: {verdict}",
                flush=True,
            )
        leftovers = cache_leftovers()
    finally:
        stop_group(worker.process if worker else None)
        shutil.rmtree(data_dir, ignore_errors=True)
    return report(outcomes, leftovers)


def report(outcomes, leftovers):
    from newsdesk.narration.voice import current_voice

    total = len(outcomes)
    good = [o for o in outcomes if not o["problems"]]
    mid = sum(o["phase"] == "mid-job" for o in outcomes)
    # Kills after the job had finished need no recovery: their ~0 s would flatter the median.
    recoveries = [
        o["recovered_in"]
        for o in outcomes
        if o["recovered_in"] is not None and o["phase"] == "mid-job"
    ]
    median = statistics.median(recoveries) if recoveries else float("nan")
    worst = max(recoveries) if recoveries else float("nan")
    failures = [
        f"- trial {o['trial']}: {'; '.join(o['problems'])}" for o in outcomes if o["problems"]
    ]
    section = "\n".join(
        [
            "## Worker killed mid-narration",
            "",
            f"{TITLE}.",
            "",
            f"**{len(good)} of {total} trials held.** The real `newsdesk worker` with the "
            f"real voice ({current_voice().path.name}) narrated a short article (two "
            f"sentences) per trial; each was killed with SIGKILL (process group) a random "
            f"0-{KILL_WITHIN:g} s after it claimed the job: {mid} kills landed while the job "
            f"was running, {total - mid} just after it had recorded the audio. A new worker "
            f"was started each time.",
            "",
            f"- restart to audio ready, for the kills mid-job (worker start-up, recovery of the "
            f"dead worker's job, narration): median {median:.1f} s, worst {worst:.1f} s",
            "- checked: the job ended ready, made by exactly one task; no task result left "
            "READY or RUNNING (the dead worker's is recorded as failed); one MP3 per "
            "article in media, nothing else (no temporary file, nothing in the paragraph "
            "cache that does not parse); the MP3 parses to its last frame and its duration "
            "and size are the recorded ones",
            f"- temporary files of paragraph pieces left in the synthesis cache (not media; "
            f"never read or served): {leftovers}",
            *(["", "Failures:", "", *failures] if failures else []),
            "",
        ]
    )
    lines = [
        f"{len(good)}/{total} trials held ({mid} killed mid-job, {total - mid} just after)",
        f"restart to audio ready (kills mid-job): median {median:.1f} s, worst {worst:.1f} s",
        *failures,
    ]
    return section, lines
