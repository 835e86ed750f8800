"""IPTC ninjs, News in JSON: the 1.x series (`headline`, `body_html`/`body_xhtml`/`body_text`)
and 2.x–3.x (`headlines` and `bodies` lists with roles and content types).

A delivery is one item (an object) or several (a list). `uri` is required by every version
and is the item's id; `version` is the agency's own version number; `pubstatus` "canceled"
(a killed story) is kept as a version whose headline says so, so the desk sees the kill.
"""

from __future__ import annotations

from typing import Any

from newsdesk.sources.parsers.common import Entry, FeedError, Parsed, iso_time, parse_json, squash

BODY_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "")


def parse(data: bytes) -> Parsed:
    document = parse_json(data)
    items = document if isinstance(document, list) else [document]
    if not items:
        raise FeedError("An empty ninjs delivery: no items.")
    parsed = Parsed()
    for position, item in enumerate(items, 1):
        try:
            parsed.entries.append(entry(item))
        except FeedError as error:
            label = f"ninjs item {position}" if len(items) > 1 else "The ninjs item"
            parsed.refused.append(f"{label}: {error}")
    return parsed


def entry(item: Any) -> Entry:
    if not isinstance(item, dict):
        raise FeedError("not an object.")
    uri = item.get("uri") or item.get("guid")  # Superdesk writes guid in place of uri
    if not isinstance(uri, str) or not uri.strip():
        raise FeedError("it has no uri, the item's id that every ninjs version requires.")
    headline = squash(_headline(item))
    body = _body(item)
    if not headline and not body:
        raise FeedError(f"{uri} has neither a headline nor a body.")
    if item.get("pubstatus") == "canceled":
        headline = f"Withdrawn by the source: {headline}".strip()
    link = next(
        (
            str(link["href"])
            for link in item.get("links", []) or []
            if isinstance(link, dict)
            and link.get("rel") in {"canonical", "self", None}
            and isinstance(link.get("href"), str)
        ),
        uri if uri.startswith(("http://", "https://")) else "",
    )
    return Entry(
        guid=uri.strip(),
        headline=headline,
        body=body,
        link=link,
        time=iso_time(item.get("versioncreated")) or iso_time(item.get("firstcreated")),
        version=str(item.get("version", "") or "")[:50],
    )


def _headline(item: dict[str, Any]) -> str:
    if isinstance(item.get("headline"), str):
        return str(item["headline"])
    headlines = [h for h in item.get("headlines", []) or [] if isinstance(h, dict)]
    for wanted in ("main", None):
        for headline in headlines:
            if (wanted is None or headline.get("role") == wanted) and isinstance(
                headline.get("value"), str
            ):
                return str(headline["value"])
    return ""


def _body(item: dict[str, Any]) -> str:
    for key in ("body_html", "body_xhtml"):
        if isinstance(item.get(key), str) and item[key].strip():
            return str(item[key])
    if isinstance(item.get("body_text"), str) and item["body_text"].strip():
        return _paragraphs(item["body_text"])
    bodies = [b for b in item.get("bodies", []) or [] if isinstance(b, dict)]
    for kind in BODY_TYPES:
        for body in bodies:
            value = body.get("value")
            if body.get("contenttype", "") == kind and isinstance(value, str) and value.strip():
                return _paragraphs(value) if kind in ("text/plain", "") else value
    return ""


def _paragraphs(text: str) -> str:
    """Plain text as HTML paragraphs, one per blank-line-separated block (escaped)."""
    from html import escape

    blocks = [squash(block) for block in text.replace("\r\n", "\n").split("\n\n")]
    return "".join(f"<p>{escape(block, quote=False)}</p>" for block in blocks if block)
