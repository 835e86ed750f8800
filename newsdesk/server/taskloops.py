"""The worker's two task loops, so that quick work never waits behind narration.

Narration (newsdesk.narration.tasks.narrate) goes to a queue of its own, NARRATION_QUEUE,
at a low priority; every other task stays in the default queue: Wagtail's search-index and
reference-index updates, image renditions, front-end cache purges. `newsdesk worker` runs
one loop for each, in two threads of one process, so a search-index update runs at once even
while an hour of queued narration (an import, `newsdesk narrate --all`, the demo) is being
read. A single loop over every queue (django-tasks-db's own `db_worker --queue-name '*'`)
still takes quick tasks first, by priority. Scheduled publishing is not a task: the
scheduler thread (scheduler.py) runs it beside both loops.

django-tasks-db's Worker is used directly rather than through its `db_worker` command: that
command installs signal handlers, which only the main thread may do, and sets its loggers'
levels itself.
"""

import logging
import threading
import time

from django.db import DatabaseError, connections
from django_tasks_db.management.commands.db_worker import Worker

from newsdesk.core.storage_errors import is_disk_full
from newsdesk.narration.tasks import NARRATION_PRIORITY, NARRATION_QUEUE  # noqa: F401

logger = logging.getLogger(__name__)

DISK_FULL_PAUSE_SECONDS = 15
"""How long a loop waits before trying again when the disk holding its database is full."""


def quick_loop(interval, worker_id):
    """Every queue but narration's."""
    return _worker(["*"], [NARRATION_QUEUE], interval, worker_id)


def narration_loop(interval, worker_id):
    return _worker([NARRATION_QUEUE], [], interval, worker_id)


def _worker(queues, excluded, interval, worker_id):
    return Worker(
        queue_names=queues,
        excluded_queue_names=excluded,
        interval=interval,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
    )


def run(loop, after_disk_full=None):
    """Run `loop` (a Worker) until it is stopped; start it again after a full disk.

    django-tasks-db's loop ends with the exception when it cannot record a claim or a
    result; on a full disk that would stop the work until someone restarted the worker.
    Nothing it could not record was done (the claim rolled back), so starting the loop
    again once there is space is safe. Any other error still ends the loop.
    """
    while loop.running:
        try:
            loop.run()
            return
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
            time.sleep(DISK_FULL_PAUSE_SECONDS)
            if after_disk_full is not None:
                after_disk_full()


def start_in_background(loop, name):
    """Run `loop` in a thread of its own; stop() it with `loop.running = False` and join."""

    def target():
        try:
            run(loop)
        except Exception:
            logger.exception("The %s loop stopped", name)
            raise
        finally:
            connections.close_all()

    thread = threading.Thread(target=target, name=name, daemon=True)
    thread.start()
    return thread
