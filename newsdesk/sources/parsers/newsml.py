"""NewsML-G2 text items: a <newsItem> (or a <newsMessage> carrying several) as agencies send
them. The id is the item's `guid`, the agency's version its `version` attribute; the
headline comes from contentMeta, the body from the contentSet's inlineXML (XHTML) or
inlineData (text). Pictures, packages and other item kinds are refused by name.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

from newsdesk.sources.parsers.common import (
    Entry,
    FeedError,
    Parsed,
    child,
    iso_time,
    local_name,
    markup,
    parse_xml,
    squash,
    text_of,
)
from newsdesk.sources.parsers.ninjs import _paragraphs


def parse(data: bytes) -> Parsed:
    root = parse_xml(data)
    name = local_name(root)
    if name == "newsItem":
        items = [root]
    elif name == "newsMessage":
        items = [node for node in root.iter() if local_name(node) == "newsItem"]
        if not items:
            raise FeedError("A NewsML-G2 message with no newsItem in it.")
    else:
        raise FeedError(f"Not a NewsML-G2 text item: the document is <{name}>.")
    parsed = Parsed()
    for position, item in enumerate(items, 1):
        try:
            parsed.entries.append(entry(item))
        except FeedError as error:
            parsed.refused.append(f"newsItem {position}: {error}")
    return parsed


def entry(item: Element) -> Entry:
    guid = (item.get("guid") or "").strip()
    if not guid:
        raise FeedError("it has no guid, the item's id.")
    meta = child(item, "itemMeta")
    content_meta = child(item, "contentMeta")
    headline = squash(text_of(_first(content_meta, "headline")))
    body = _body(child(item, "contentSet"))
    if not headline and not body:
        raise FeedError(f"{guid} has neither a headline nor a text body.")
    if meta is not None and (child(meta, "pubStatus") is not None):
        status = (child(meta, "pubStatus") or Element("x")).get("qcode", "")
        if status.endswith("canceled"):
            headline = f"Withdrawn by the source: {headline}".strip()
    link = ""
    if meta is not None:
        for node in meta:
            if local_name(node) == "link" and node.get("rel", "").endswith("canonical"):
                link = node.get("href", "")
    time = None
    if meta is not None:
        time = iso_time(text_of(child(meta, "versionCreated"))) or iso_time(
            text_of(child(meta, "firstCreated"))
        )
    return Entry(
        guid=guid, headline=headline, body=body, link=link, time=time,
        version=(item.get("version") or "")[:50],
    )  # fmt: skip


def _first(parent: Element | None, name: str) -> Element | None:
    return child(parent, name) if parent is not None else None


def _body(content_set: Element | None) -> str:
    if content_set is None:
        return ""
    for node in content_set:
        if local_name(node) == "inlineXML":
            html = next((part for part in node.iter() if local_name(part) == "body"), node)
            return "".join(markup(part) for part in html).strip()
        if local_name(node) == "inlineData":
            return _paragraphs(node.text or "")
    return ""
