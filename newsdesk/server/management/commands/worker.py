import logging
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import DatabaseError, connections

from newsdesk.core.storage_errors import is_disk_full
from newsdesk.narration.actions import release_own_jobs, worker_name
from newsdesk.server import scheduler

logger = logging.getLogger(__name__)

DISK_FULL_PAUSE_SECONDS = 15
"""How long the worker waits before trying again when the disk holding its database is full."""


class Command(BaseCommand):
    help = (
        "Run the background worker: queued tasks (django-tasks database backend) and "
        "scheduled publishing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval",
            type=float,
            default=1,
            help="Seconds between polls of the task queue when it is empty (default: 1).",
        )

    def handle(self, *args, interval, verbosity, **options):
        self.stdout.write(
            f"Worker started: tasks every {interval:g} s when idle, scheduled publishing "
            f"every {scheduler.SCHEDULE_INTERVAL_SECONDS} s."
        )
        stop = scheduler.start_in_background()
        try:
            while not self.run_tasks(interval, verbosity):
                time.sleep(DISK_FULL_PAUSE_SECONDS)
        finally:
            stop.set()

    def run_tasks(self, interval, verbosity):
        """True when the task loop ended normally (a signal); False after a full disk.

        django-tasks-db's loop ends with the exception when it cannot record a claim or a
        result; on a full disk that would stop narration until someone restarted the worker.
        Nothing it could not record was done (the claim rolled back), so starting the loop
        again once there is space is safe. Any other error still ends the worker.
        """
        try:
            release_own_jobs()  # after a full disk: what the last round could not record
            # Named host:pid (not db_worker's random id), so that a task this process leaves
            # RUNNING when it is killed can be told from one a live worker runs
            # (newsdesk/server/task_recovery.py).
            call_command(
                "db_worker",
                queue_name="*",
                interval=interval,
                reload=False,
                verbosity=verbosity,
                worker_id=worker_name()[:64],
            )
        except DatabaseError as error:
            if not is_disk_full(error):
                raise
            logger.error(
                "Disk full: the worker cannot record its tasks (%s); trying again in %s s. "
                "Free space on the data directory; no repair is needed afterwards.",
                error,
                DISK_FULL_PAUSE_SECONDS,
            )
            connections.close_all()  # a fresh connection for the next round
            return False
        return True
