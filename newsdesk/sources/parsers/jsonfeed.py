"""JSON Feed 1.0 and 1.1 (https://www.jsonfeed.org/version/1.1/)."""

from __future__ import annotations

from newsdesk.sources.parsers.common import Entry, FeedError, Parsed, iso_time, parse_json, squash


def parse(data: bytes) -> Parsed:
    document = parse_json(data)
    if not isinstance(document, dict) or not isinstance(document.get("items"), list):
        raise FeedError("Not a JSON Feed: there is no list of items.")
    parsed = Parsed()
    for position, item in enumerate(document["items"], 1):
        if not isinstance(item, dict):
            parsed.refused.append(f"Item {position} is not an object.")
            continue
        guid = item.get("id")
        headline = item.get("title")
        body = item.get("content_html") or item.get("content_text") or item.get("summary")
        link = item.get("url")
        if guid is None or guid == "":
            parsed.refused.append(f"Item {position} has no id.")
            continue
        if not (_text(headline) or _text(body)):
            parsed.refused.append(f"Item {position} ({guid}) has neither title nor content.")
            continue
        parsed.entries.append(
            Entry(
                guid=str(guid),  # 1.0 allowed numbers
                headline=squash(_text(headline)),
                body=_text(body),
                link=_text(link),
                time=iso_time(item.get("date_modified")) or iso_time(item.get("date_published")),
            )
        )
    return parsed


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""
