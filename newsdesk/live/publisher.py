"""Each committed change published once to Pushpin, when NEWSDESK_PUSHPIN_URL is set.

The process that commits a change publishes it (`broker.notify` calls `publish` after the
commit): rendered once, framed exactly as the in-process stream frames it, with `id` = its
sequence number and `prev-id` = the number before it. Numbers are gapless per feed, so the
ids chain across processes: two app processes publishing at nearly the same moment may reach
Pushpin out of order, and Pushpin puts them back in order (docs/live.md says what was
measured). A change already replaced by a later one when it is read is published as a
comment, which keeps the chain and shows nothing; the later change is published by its own
writer.

Nothing here runs in the writer's thread: `publish` only notes (feed, sequence) and returns. A
thread renders what is pending, and a thread per Pushpin instance posts everything pending
for it in one request. If Pushpin is down the changes are dropped (they are committed;
readers get them from the database when they reconnect, or when Pushpin asks the stream for
what it missed), and the outage is logged once when it starts and once when it ends.
"""

import atexit
import http.client
import logging
import os
import threading
import time
from urllib.parse import urlsplit

from django.db import connection

from newsdesk.core.db_errors import is_database_unavailable, outage
from newsdesk.core.pubsub import Outage
from newsdesk.live import grip

logger = logging.getLogger(__name__)

POST_TIMEOUT_SECONDS = 2.0
READ_RETRY_SECONDS = (0.2, 0.5, 1.0, 2.0)
"""Waits between attempts to read pending changes while the database is unreachable; after
the last, they are left to the readers' recovery."""
FLUSH_SECONDS = 5.0
"""At exit (`newsdesk post-update` is a short process), how long to wait for pending posts."""
BODY_LIMIT = 500_000
"""Bytes per publish request: Debian's Pushpin refuses bodies over 1,000,000
(push_in_http_max_body_size), which a backlog of updates after a slow moment could reach."""
CONSEQUENCE = "readers it holds catch up from the database when it is back"


class Sender:
    """One Pushpin control endpoint, and the thread that posts to it."""

    def __init__(self, url):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"NEWSDESK_PUSHPIN_URL: not an http(s) URL: {url!r}")
        self.url = url
        self.parts = parts
        self.path = parts.path.rstrip("/") + "/publish/"
        self.items = []
        self.busy = False
        self.condition = threading.Condition()
        self.link = Outage(f"Live: Pushpin at {url}", CONSEQUENCE, logger)
        self.connection = None
        self.thread = None

    def send(self, items):
        with self.condition:
            self.items.extend(items)
            if self.thread is None:
                self.thread = threading.Thread(
                    target=self._run, name=f"pushpin-sender {self.url}", daemon=True
                )
                self.thread.start()
            self.condition.notify()

    def idle(self):
        with self.condition:
            return not self.items and not self.busy

    def _run(self):
        while True:
            with self.condition:
                while not self.items:
                    self.condition.wait()
                # Everything queued while the last request was on its way goes in one.
                items, self.items = self.items, []
                self.busy = True
            try:
                for batch in batches(items):
                    self.post(batch)
            except Exception:
                logger.exception("Live: publishing to Pushpin at %s failed", self.url)
            finally:
                with self.condition:
                    self.busy = False
                    self.condition.notify_all()

    def post(self, items):
        body = grip.publish_body(items)
        # Twice at most: the first attempt may go out on a kept-alive connection that Pushpin
        # has closed meanwhile. Pushpin drops an id it has already seen, so a repeat is safe.
        for attempt in (1, 2):
            try:
                status, answer = self._request(body)
            except (OSError, http.client.HTTPException) as error:
                self._close()
                if attempt == 1 and self.link.up:
                    continue
                self.link.lost(error, CONSEQUENCE)
                return
            if 200 <= status < 300:
                self.link.restored()
            else:
                # Pushpin answered but refused: a bug on one side, worth a line every time.
                logger.error(
                    "Live: Pushpin at %s refused a publish of %d item(s): HTTP %d %s",
                    self.url,
                    len(items),
                    status,
                    answer[:200].decode(errors="replace"),
                )
            return

    def _request(self, body):
        if self.connection is None:
            kind = (
                http.client.HTTPSConnection
                if self.parts.scheme == "https"
                else http.client.HTTPConnection
            )
            self.connection = kind(
                self.parts.hostname, self.parts.port, timeout=POST_TIMEOUT_SECONDS
            )
        self.connection.request(
            "POST", self.path, body=body, headers={"Content-Type": "application/json"}
        )
        response = self.connection.getresponse()
        return response.status, response.read()

    def _close(self):
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def batches(items, limit=BODY_LIMIT):
    """The items in lists whose publish body stays under `limit` bytes (one item may exceed
    it alone: Pushpin refuses it, which is logged, and its readers recover it)."""
    batch, size = [], 0
    for item in items:
        item_size = len(grip.publish_body([item]))
        if batch and size + item_size > limit:
            yield batch
            batch, size = [], 0
        batch.append(item)
        size += item_size
    if batch:
        yield batch


class Publisher:
    """Renders pending changes once and hands them to every instance's sender."""

    def __init__(self, urls):
        self.urls = list(urls)
        self._reset()

    def _reset(self):
        self.pid = os.getpid()
        self.pending = {}
        self.busy = False
        self.condition = threading.Condition()
        self.senders = [Sender(url) for url in self.urls]
        self.thread = None

    def publish(self, feed_id, sequence):
        """Note a committed change; returns at once."""
        if self.pid != os.getpid():
            self._reset()  # a forked server process: the parent's threads did not come along
        with self.condition:
            self.pending.setdefault(feed_id, set()).add(sequence)
            if self.thread is None:
                self.thread = threading.Thread(target=self._run, name="pushpin-publisher")
                self.thread.daemon = True
                self.thread.start()
                atexit.register(self.flush)
            self.condition.notify()

    def flush(self, timeout=FLUSH_SECONDS):
        """Wait until everything noted so far has been posted (or given up); False on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.condition:
                rendering = self.pending or self.busy
            if not rendering and all(sender.idle() for sender in self.senders):
                return True
            time.sleep(0.01)
        return False

    def _run(self):
        while True:
            with self.condition:
                while not self.pending:
                    self.condition.wait()
                pending, self.pending = self.pending, {}
                self.busy = True
            try:
                items = self.items(pending)
                for sender in self.senders:
                    sender.send(items)
            except Exception:
                logger.exception("Live: preparing changes for Pushpin failed")
            finally:
                with self.condition:
                    self.busy = False

    def items(self, pending):
        """Publish items for {feed: sequences}, in order, read and rendered once."""
        from newsdesk.live.rendered import cached_changes

        for wait in (*READ_RETRY_SECONDS, None):
            try:
                items = []
                for feed_id, sequences in sorted(pending.items()):
                    found = {c.sequence: c for c in cached_changes(feed_id, sequences=sequences)}
                    for sequence in sorted(sequences):
                        change = found.get(sequence)
                        content = change.sse.decode() if change else grip.SUPERSEDED
                        items.append(grip.publish_item(feed_id, sequence, content))
                return items
            except Exception as error:
                if not is_database_unavailable(error):
                    raise
                outage.lost(error, where="publishing live changes to Pushpin")
                if wait is None:
                    logger.warning(
                        "Live: %d change(s) not published to Pushpin, the database being "
                        "unavailable; readers get them from it when they or Pushpin ask.",
                        sum(len(sequences) for sequences in pending.values()),
                    )
                    return []
                time.sleep(wait)
            finally:
                connection.close()
        return []


_publishers = {}
_publishers_lock = threading.Lock()


def publisher_for(urls):
    with _publishers_lock:
        key = tuple(urls)
        if key not in _publishers:
            _publishers[key] = Publisher(key)
        return _publishers[key]
