"""Time-driven chores the worker runs beside the task queue."""

import logging
import threading
import time

from django.db import close_old_connections

from newsdesk.narration.actions import backfill_missing, recover_stalled, remove_abandoned_files
from newsdesk.parts.store import drop_other_code

logger = logging.getLogger(__name__)

SCHEDULE_INTERVAL_SECONDS = 30
"""How often scheduled pages are published or expired: the worst-case delay an editor sees."""


def publish_due_pages():
    """Publish pages whose go-live time has come and unpublish expired ones: exactly once
    however many workers run this at the same moment (scheduled.py)."""
    from newsdesk.server import scheduled

    scheduled.run_once()


def recover_narration():
    """Queue again the narration jobs a dead worker left behind, and articles never narrated
    (published before narration existed); see newsdesk/narration/actions.py."""
    recover_stalled()
    remove_abandoned_files()
    backfill_missing()


def fail_abandoned_tasks():
    """Task results a killed worker left RUNNING are recorded as failed (task_recovery.py)."""
    from newsdesk.server.task_recovery import fail_abandoned_tasks

    fail_abandoned_tasks()


PARTS_CLEANUP_INTERVAL_SECONDS = 3600
_parts_cleaned_at = None


def drop_parts_of_old_code():
    """Once an hour: stored parts that an earlier version of the code built (parts/store.py)."""
    global _parts_cleaned_at
    now = time.monotonic()
    if _parts_cleaned_at is not None and now - _parts_cleaned_at < PARTS_CLEANUP_INTERVAL_SECONDS:
        return
    deleted = drop_other_code()
    _parts_cleaned_at = now
    if deleted:
        logger.info("Deleted %s stored page parts built by an earlier version", deleted)


CHORES = (publish_due_pages, fail_abandoned_tasks, recover_narration, drop_parts_of_old_code)


def run_periodically(stop: threading.Event, interval=SCHEDULE_INTERVAL_SECONDS):
    while not stop.is_set():
        for chore in CHORES:
            try:
                chore()
            except Exception:
                # A failed round is logged and retried at the next tick, never fatal.
                logger.exception("%s failed; retrying in %s s", chore.__name__, interval)
            finally:
                # This thread lives long; don't let it hold a stale or broken connection.
                close_old_connections()
        stop.wait(interval)


def start_in_background(interval=SCHEDULE_INTERVAL_SECONDS) -> threading.Event:
    stop = threading.Event()
    thread = threading.Thread(
        target=run_periodically, args=(stop, interval), name="scheduler", daemon=True
    )
    thread.start()
    return stop
