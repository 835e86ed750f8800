"""Atom (RFC 4287)."""

from __future__ import annotations

from xml.etree.ElementTree import Element

from newsdesk.sources.parsers.common import (
    Entry,
    FeedError,
    Parsed,
    child,
    children,
    iso_time,
    local_name,
    markup,
    parse_xml,
    squash,
    text_of,
)


def parse(data: bytes) -> Parsed:
    root = parse_xml(data)
    if local_name(root) != "feed":
        raise FeedError(f"Not an Atom feed: the document is <{local_name(root)}>.")
    parsed = Parsed()
    for position, entry in enumerate(children(root, "entry"), 1):
        guid = text_of(child(entry, "id"))
        link = _link(entry)
        headline = squash(text_of(child(entry, "title")))
        body = _content(child(entry, "content")) or _content(child(entry, "summary"))
        if not (guid or link) or not (headline or body):
            parsed.refused.append(f"Entry {position} has no id, or neither title nor content.")
            continue
        time = iso_time(text_of(child(entry, "updated"))) or iso_time(
            text_of(child(entry, "published"))
        )
        parsed.entries.append(
            Entry(guid=guid or link, headline=headline, body=body, link=link, time=time)
        )
    return parsed


def _link(entry: Element) -> str:
    for node in children(entry, "link"):
        if node.get("rel", "alternate") == "alternate" and node.get("href"):
            return node.get("href", "")
    return ""


def _content(node: Element | None) -> str:
    if node is None:
        return ""
    if node.get("type") == "xhtml":
        # The markup is in the XML itself, inside one <div>.
        return "".join(markup(part) for part in node).strip()
    return (node.text or "").strip()
