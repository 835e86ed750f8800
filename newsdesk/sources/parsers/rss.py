"""RSS 2.0 (and the RSS 0.9x and 1.0 feeds that look like it)."""

from __future__ import annotations

from newsdesk.sources.parsers.common import (
    Entry,
    FeedError,
    Parsed,
    child,
    local_name,
    parse_xml,
    rfc822_time,
    squash,
    text_of,
)

CONTENT_ENCODED = "encoded"  # content:encoded, the full text many feeds add


def parse(data: bytes) -> Parsed:
    root = parse_xml(data)
    if local_name(root) not in {"rss", "RDF"}:
        raise FeedError(f"Not an RSS feed: the document is <{local_name(root)}>.")
    channel = child(root, "channel")
    # RSS 1.0 puts items beside the channel, 2.0 inside it.
    items = [
        node for node in (channel if channel is not None else root) if local_name(node) == "item"
    ]
    if channel is not None and local_name(root) == "RDF":
        items += [node for node in root if local_name(node) == "item"]
    parsed = Parsed()
    for position, item in enumerate(items, 1):
        headline = squash(text_of(child(item, "title")))
        body = text_of(child(item, CONTENT_ENCODED)) or text_of(child(item, "description"))
        link = text_of(child(item, "link"))
        guid = text_of(child(item, "guid")) or link
        if not guid:
            guid = headline
        if not guid or not (headline or body):
            parsed.refused.append(f"Item {position} has no title, description or link.")
            continue
        time = rfc822_time(text_of(child(item, "pubDate")) or text_of(child(item, "date")))
        parsed.entries.append(Entry(guid=guid, headline=headline, body=body, link=link, time=time))
    return parsed
