"""The in-process store: rendered responses ready to send, bounded in bytes, found by tag.

A hit must cost next to nothing, so an entry holds exactly what goes on the wire: the body as
bytes, the header lists (with and without HSTS, and for a 304) built once when the entry is
stored, and the same four lists as the bytes of a response head, which the server's protocol
writes as they are (server/protocol.py). Pure Python, no Django import.
"""

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

LIFETIME_SECONDS = 600.0
"""An entry is dropped after this long even if nothing invalidated it. Invalidation is the
rule; this is the backstop for what time alone changes (the news sitemap's 48-hour window)."""

ENTRY_OVERHEAD = 600
"""Bytes counted per entry on top of its body and headers (the objects around them)."""


@dataclass
class Entry:
    key: str
    body: bytes
    headers: list[tuple[bytes, bytes]]
    """Everything for a 200 but HSTS (added per request: only HTTPS responses carry it)."""
    etag: str
    last_modified: float
    """Seconds since the epoch, whole seconds, as Last-Modified says."""
    tags: frozenset[str]
    stored_at: float = field(default_factory=time.monotonic)
    secure_headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    not_modified_headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    secure_not_modified_headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    heads: tuple[bytes, bytes, bytes, bytes] = (b"", b"", b"", b"")
    """The four lists above as header lines ("name: value" and CRLF each): 200 over HTTP, 200
    over HTTPS, 304 over HTTP, 304 over HTTPS. Built by `prepare()`."""

    size: int = 0

    def __post_init__(self):
        # Four header lists and their four heads, each about the size of the first list.
        self.size = (
            len(self.body)
            + sum(len(name) + len(value) + 4 for name, value in self.headers) * 8
            + sum(len(tag) + 60 for tag in self.tags)
            + ENTRY_OVERHEAD
        )
        self.prepare()

    def prepare(self):
        """Build `heads` from the header lists: again whenever a list is set after creation
        (entries.make_entry sets the other three)."""
        self.heads = tuple(
            b"".join(name + b": " + value + b"\r\n" for name, value in headers)
            for headers in (
                self.headers,
                self.secure_headers,
                self.not_modified_headers,
                self.secure_not_modified_headers,
            )
        )

    def __getstate__(self):
        # The shared store (Redis) keeps the lists only; the heads are rebuilt on loading.
        return {**self.__dict__, "heads": None}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.prepare()

    def fresh(self, now):
        return now - self.stored_at < LIFETIME_SECONDS


def expand(tags):
    """Each "kind:id" tag also reaches "kind:*": pages that loaded too many objects of a kind
    to list them all (a sitemap of every article) are tagged with the wildcard instead."""
    found = set(tags)
    for tag in tags:
        head, sep, _ = tag.partition(":")
        if sep:
            found.add(f"{head}:*")
    return found


class LocalStore:
    """Least-recently-stored eviction within `max_bytes`; reads take no lock."""

    def __init__(self, max_bytes):
        self.max_bytes = max_bytes
        self.entries: OrderedDict[str, Entry] = OrderedDict()
        self.by_tag: dict[str, set[str]] = {}
        self.size = 0
        self.generation = 0
        """Bumped by every invalidation: a render that began before one is not stored."""
        self.lock = threading.Lock()

    def get(self, key):
        entry = self.entries.get(key)
        if entry is not None and not entry.fresh(time.monotonic()):
            self.discard([key])
            return None
        return entry

    def put(self, entry, generation):
        """Store unless an invalidation came after `generation` was read; True if stored."""
        size = entry.size
        if size > self.max_bytes:
            return False
        with self.lock:
            if generation != self.generation:
                return False
            self._remove(entry.key)
            self.entries[entry.key] = entry
            self.size += size
            for tag in entry.tags:
                self.by_tag.setdefault(tag, set()).add(entry.key)
            while self.size > self.max_bytes:
                self._remove(next(iter(self.entries)))
        return True

    def invalidate(self, tags):
        """Drop every entry carrying one of the tags; returns the dropped keys."""
        with self.lock:
            self.generation += 1
            keys = set()
            for tag in expand(tags):
                keys |= self.by_tag.get(tag, set())
            for key in keys:
                self._remove(key)
        return keys

    def discard(self, keys):
        with self.lock:
            for key in keys:
                self._remove(key)

    def clear(self):
        with self.lock:
            self.generation += 1
            self.entries.clear()
            self.by_tag.clear()
            self.size = 0

    def _remove(self, key):
        entry = self.entries.pop(key, None)
        if entry is None:
            return
        self.size -= entry.size
        for tag in entry.tags:
            keys = self.by_tag.get(tag)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self.by_tag[tag]
