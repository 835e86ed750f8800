"""What sources deliver, read into plain entries. Pure: no Django, no I/O.

Every parser takes the bytes of one delivery (an HTTP answer or a dropped file) and returns a
`Parsed`: the entries it could read, and those it refused with the reason. A delivery that
cannot be read at all (not XML, an XML bomb, bytes that are not the encoding they claim)
raises `FeedError` with a message an editor can read on the source's status row.

Bodies are returned as the source wrote them (HTML or text): sanitising is the store's job,
so that every kind goes through the same allow-list.
"""

from __future__ import annotations

from collections.abc import Callable

from newsdesk.sources.parsers import atom, jsonfeed, newsml, ninjs, rss, telegram
from newsdesk.sources.parsers.common import Entry, FeedError, Parsed, sniff

__all__ = ["Entry", "FeedError", "Parsed", "parse", "sniff", "PARSERS"]

PARSERS: dict[str, Callable[[bytes], Parsed]] = {
    "rss": rss.parse,
    "atom": atom.parse,
    "jsonfeed": jsonfeed.parse,
    "ninjs": ninjs.parse,
    "newsml": newsml.parse,
    "telegram": telegram.parse,
}


def parse(kind: str, data: bytes) -> Parsed:
    """Entries from one delivery. A folder's files say what they are (`sniff`)."""
    if kind == "folder":
        kind = sniff(data)
    return PARSERS[kind](data)
