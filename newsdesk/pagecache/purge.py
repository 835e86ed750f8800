"""The purge hook: tell a CDN or nginx in front which URLs changed, in the background.

NEWSDESK_CACHE_PURGE_URL is a template such as `http://127.0.0.1:8081/purge{path}`; for each
dropped page Newsdesk sends `PURGE <template with {path}>` from one background thread per
process. Publishing never waits for it: the queue is bounded and, when full, purges are
dropped with a warning (the front cache's max-age still bounds what it serves).
"""

import logging
import queue
import threading
import urllib.request
from urllib.parse import quote

from django.conf import settings

logger = logging.getLogger(__name__)

QUEUE_SIZE = 10_000
TIMEOUT_SECONDS = 5

_queue: queue.Queue[str] = queue.Queue(QUEUE_SIZE)
_thread = None
_lock = threading.Lock()


def request_purge(keys):
    """Queue a purge for each cache key (a path with its allowed query)."""
    template = settings.NEWSDESK_CACHE_PURGE_URL
    if not template or not keys:
        return
    _ensure_thread()
    for key in sorted(keys):
        try:
            _queue.put_nowait(template.replace("{path}", quote(key, safe="/?=&%:@-._~")))
        except queue.Full:
            logger.warning("Page cache: purge queue full; %s not purged", key)


def wait_until_sent():
    """Block until every queued purge has been attempted (for tests and shutdown)."""
    _queue.join()


def _ensure_thread():
    global _thread
    with _lock:
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_send_forever, name="pagecache-purge", daemon=True)
            _thread.start()


def _send_forever():
    while True:
        url = _queue.get()
        try:
            request = urllib.request.Request(url, method="PURGE")  # noqa: S310 (an operator's URL)
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 - the operator's URL
                response.read()
        except Exception as error:  # noqa: BLE001 - a failed purge is logged, never fatal
            logger.warning("Page cache: purge of %s failed: %s", url, error)
        finally:
            _queue.task_done()
