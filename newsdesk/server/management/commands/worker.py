import logging

from django.core.management.base import BaseCommand

from newsdesk.narration.actions import release_own_jobs, worker_name
from newsdesk.server import scheduler, taskloops
from newsdesk.sources import poller

QUICK_STOP_SECONDS = 30
"""How long the worker waits, when stopped, for a quick task that is running to finish."""


class Command(BaseCommand):
    help = (
        "Run the background worker: queued tasks (django-tasks database backend) in two "
        "loops, quick ones (search index, caches) apart from narration, scheduled "
        "publishing, and polling sources (docs/sources.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval",
            type=float,
            default=1,
            help="Seconds between polls of the task queue when it is empty (default: 1).",
        )

    def handle(self, *args, interval, verbosity, **options):
        configure_logging(verbosity)
        self.stdout.write(
            f"Worker started: tasks every {interval:g} s when idle (narration in a loop of its "
            f"own), scheduled publishing every {scheduler.SCHEDULE_INTERVAL_SECONDS} s, "
            "sources when due."
        )
        stop = scheduler.start_in_background()
        # Sources have a loop of their own: a slow feed never holds up a task, nor the reverse.
        stop_sources = poller.start_in_background()
        # Named host:pid (not db_worker's random id), so that a task this process leaves
        # RUNNING when it is killed can be told from one a live worker runs
        # (newsdesk/server/task_recovery.py). Both loops are this process.
        name = worker_name()[:64]
        quick = taskloops.quick_loop(interval, name)
        quick_thread = taskloops.start_in_background(quick, "quick-tasks")
        narration = taskloops.narration_loop(interval, name)
        # Ctrl+C or SIGTERM: the narration loop finishes its task (or exits at once when idle).
        narration.configure_signals()
        try:
            release_own_jobs()  # after a full disk: what the last round could not record
            taskloops.run(narration, after_disk_full=release_own_jobs)
        finally:
            quick.running = False
            quick_thread.join(QUICK_STOP_SECONDS)
            stop.set()
            stop_sources.set()


def configure_logging(verbosity):
    """The task loggers: at the default verbosity (1), the loops' start and stop, and failed
    tasks with their traceback; a line for every task that runs from verbosity 2.

    At the default, a line per task buried everything else: loading the demo or an import
    queues a search-index update per object (hundreds of lines), and narration logs its
    own result line (newsdesk.narration.actions) anyway.
    """
    if verbosity == 0:
        per_task = loops = logging.CRITICAL
    elif verbosity == 1:
        per_task, loops = logging.WARNING, logging.INFO
    elif verbosity == 2:
        per_task = loops = logging.INFO
    else:
        per_task = loops = logging.DEBUG
    logging.getLogger("django_tasks").setLevel(per_task)
    logging.getLogger("django_tasks_db").setLevel(loops)
