"""The worker's source loop: every second, fetch the sources that are due.

A thread of its own beside the task loops (server/taskloops.py), so fetching never waits
behind narration and narration never waits behind a slow source. Due sources are fetched by
a small pool of threads, so one that takes its full timeout holds one fetcher, not the rest.
A source is claimed before it is fetched (its next poll moved past the fetch's deadline in
one conditional UPDATE), so two workers never fetch the same source at once.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, connections
from django.utils import timezone

from newsdesk.sources.models import Source

logger = logging.getLogger(__name__)

TICK_SECONDS = 1.0
FETCHERS = 4
RETENTION_EVERY_SECONDS = 3600


def claim_due(now=None, limit=FETCHERS * 4):
    """The enabled sources whose time has come, each claimed by this worker."""
    now = now or timezone.now()
    lease = now + timedelta(seconds=settings.NEWSDESK_SOURCE_TIMEOUT + 60)
    claimed = []
    due = Source.objects.filter(enabled=True, next_fetch_at__lte=now).order_by("next_fetch_at")
    for source in due[:limit]:
        won = Source.objects.filter(pk=source.pk, next_fetch_at=source.next_fetch_at).update(
            next_fetch_at=lease
        )
        if won:
            claimed.append(source)
    return claimed


def fetch_one(source_id):
    from newsdesk.sources.fetcher import fetch_source

    try:
        source = Source.objects.filter(pk=source_id, enabled=True).first()
        if source is not None:
            fetch_source(source)
    except Exception:
        # A bug must not kill the loop; the source is tried again when its lease ends.
        logger.exception("Fetching source %s failed", source_id)
    finally:
        connections.close_all()


def remove_old_items():
    from newsdesk.sources.models import Item

    days = settings.NEWSDESK_SOURCE_RETENTION_DAYS
    if days > 0:
        deleted, _ = Item.objects.older_than(days).delete()
        if deleted:
            logger.info("Removed %s source items and versions older than %s days", deleted, days)


def run(stop: threading.Event, tick=TICK_SECONDS):
    last_cleanup = 0.0
    with ThreadPoolExecutor(FETCHERS, thread_name_prefix="source-fetch") as pool:
        running: dict[int, object] = {}
        while not stop.is_set():
            try:
                running = {pk: f for pk, f in running.items() if not f.done()}
                free = FETCHERS * 2 - len(running)
                if free > 0:
                    for source in claim_due(limit=free):
                        running[source.pk] = pool.submit(fetch_one, source.pk)
                if timezone.now().timestamp() - last_cleanup > RETENTION_EVERY_SECONDS:
                    last_cleanup = timezone.now().timestamp()
                    remove_old_items()
            except Exception:
                logger.exception("The source loop failed a round; trying again")
            finally:
                close_old_connections()
            stop.wait(tick)


def start_in_background() -> threading.Event:
    stop = threading.Event()
    threading.Thread(target=run, args=(stop,), name="sources", daemon=True).start()
    return stop
