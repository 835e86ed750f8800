import logging

from django.core.management.base import BaseCommand

from newsdesk.narration.actions import release_own_jobs, worker_name
from newsdesk.server import scheduler, taskloops

QUICK_STOP_SECONDS = 30
"""How long the worker waits, when stopped, for a quick task that is running to finish."""


class Command(BaseCommand):
    help = (
        "Run the background worker: queued tasks (django-tasks database backend) in two "
        "loops, quick ones (search index, caches) apart from narration, and scheduled "
        "publishing."
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
            f"own), scheduled publishing every {scheduler.SCHEDULE_INTERVAL_SECONDS} s."
        )
        stop = scheduler.start_in_background()
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


def configure_logging(verbosity):
    """What db_worker would set: the task loggers at INFO, or DEBUG from verbosity 2."""
    level = {0: logging.CRITICAL, 1: logging.INFO}.get(verbosity, logging.DEBUG)
    for name in ("django_tasks", "django_tasks_db"):
        logging.getLogger(name).setLevel(level)
