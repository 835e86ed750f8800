"""`newsdesk serve --demo-admin` (make demo): the demo admin's sign-in details, printed last.

They used to be printed before the server started, and the worker's start-up buried them
under a line for every task the demo content had queued. Now the worker's output goes
through the server, which prints the details once the site answers, both of the worker's
task loops have started and the quick tasks queued at start-up (search-index updates) are
done: the last lines on the screen until someone uses the site.
"""

import socket
import sys
import threading
import time

from django.db import connections

WORKER_LOOP_STARTED = "Starting worker"
"""What django-tasks-db logs when a task loop starts; `newsdesk worker` runs two."""
WORKER_LOOPS = 2
WAIT_SECONDS = 120
"""The longest the details wait for the site and the worker: they are printed anyway then."""


def forward(stream, started: threading.Event, out=None) -> threading.Thread:
    """Copy the worker's output to ours, line by line; set `started` once its loops run."""
    out = out or sys.stdout

    def copy():
        loops = 0
        for line in stream:
            out.write(line)
            out.flush()
            if WORKER_LOOP_STARTED in line:
                loops += 1
                if loops == WORKER_LOOPS:
                    started.set()
        started.set()  # the worker ended: nothing more to wait for

    thread = threading.Thread(target=copy, name="worker-output", daemon=True)
    thread.start()
    return thread


def when_ready(host, port, worker_started, details, out=None) -> threading.Thread:
    """Print `details()` once the site answers on host:port and the worker is settled."""
    out = out or sys.stdout

    def announce():
        deadline = time.monotonic() + WAIT_SECONDS
        try:
            wait_for_port(host, port, deadline)
            worker_started.wait(max(0, deadline - time.monotonic()))
            wait_for_quick_tasks(deadline)
            out.write(details())
            out.flush()
        finally:
            connections.close_all()

    thread = threading.Thread(target=announce, name="announce", daemon=True)
    thread.start()
    return thread


def wait_for_port(host, port, deadline):
    address = "127.0.0.1" if host in {"", "0.0.0.0", "::"} else host  # noqa: S104 - a check
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((address, port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)


def wait_for_quick_tasks(deadline):
    """Until no task but narration is waiting (narration takes minutes; it is not waited for)."""
    from django_tasks_db.models import DBTaskResult

    from newsdesk.server.taskloops import NARRATION_QUEUE

    waiting = DBTaskResult.objects.ready().exclude(queue_name=NARRATION_QUEUE)
    while waiting.exists() and time.monotonic() < deadline:
        time.sleep(0.5)
