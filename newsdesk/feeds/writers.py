"""A `Feed` written as RSS 2.0, Atom 1.0 (RFC 4287) or JSON Feed 1.1.

Where a format has no element of its own for something, the widely read extensions fill in:
`content:encoded` for the full text and `dc:creator` for names in RSS (whose `<author>` wants
an e-mail address), `dcterms:modified` for RSS's missing updated date, and Media RSS
(`media:content`) for the hero photo in both XML formats. The narration MP3 is an RSS
`<enclosure>`, an Atom `link rel="enclosure"` and a JSON Feed attachment.

An entry can also be written on its own (`ENTRY_WRITERS`: an RSS <item>, an Atom <entry>, a
JSON Feed item) and kept: a feed's `entries` may hold such text, written by the same code for
the same format, and it goes into the feed as it is (feeds/stored.py keeps them per article).
The bytes are the same as the entry's written in place (tests/test_feed_entries_stored.py).

Pure: no Django import, so it is cheap to test and type-check.
"""

import html
import io
import json
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from email.utils import format_datetime
from xml.sax.saxutils import XMLGenerator
from xml.sax.xmlreader import AttributesImpl

from newsdesk.feeds.entries import Entry, Feed, Image, Person

GENERATOR = "Newsdesk"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
NAMESPACES = {
    "atom": "http://www.w3.org/2005/Atom",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "dcterms": "http://purl.org/dc/terms/",
    "media": "http://search.yahoo.com/mrss/",
}
MIME_TYPES = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "json": "application/feed+json; charset=utf-8",
}

# Characters XML 1.0 cannot carry at all, not even escaped (control characters, lone
# surrogates). Editors paste them in from other programs now and then.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def rfc3339(moment: datetime) -> str:
    """2024-01-27T15:34:00+02:00: Atom's and JSON Feed's dates, always with an offset."""
    if moment.tzinfo is None:
        raise ValueError("feed dates must be timezone-aware")
    return moment.isoformat(timespec="seconds")


def rfc822(moment: datetime) -> str:
    """Sat, 27 Jan 2024 15:34:00 +0200: RSS 2.0's dates."""
    if moment.tzinfo is None:
        raise ValueError("feed dates must be timezone-aware")
    return format_datetime(moment)


class _Xml:
    """A thin layer over the standard library's XMLGenerator, which does the escaping."""

    def __init__(self, document: bool = True) -> None:
        self.out = io.StringIO()
        self.xml = XMLGenerator(self.out, encoding="utf-8", short_empty_elements=True)
        if document:
            self.xml.startDocument()

    def written(self, text: str) -> None:
        """An element this module wrote before (an entry on its own), as it is: the
        generator's own raw output call (it closes a pending start tag first)."""
        self.xml.ignorableWhitespace(text)

    def text(self) -> str:
        return self.out.getvalue()

    @contextmanager
    def element(self, name: str, attrs: Mapping[str, str] | None = None) -> Iterator[None]:
        self.xml.startElement(name, _clean_attrs(attrs))
        yield
        self.xml.endElement(name)

    def leaf(self, name: str, text: str = "", attrs: Mapping[str, str] | None = None) -> None:
        self.xml.startElement(name, _clean_attrs(attrs))
        if text:
            self.xml.characters(_NOT_XML.sub("", text))
        self.xml.endElement(name)

    def bytes(self) -> bytes:
        self.xml.endDocument()
        return self.out.getvalue().encode("utf-8")


def _clean_attrs(attrs: Mapping[str, str] | None) -> "AttributesImpl[str]":
    return AttributesImpl({key: _NOT_XML.sub("", value) for key, value in (attrs or {}).items()})


def _media(doc: _Xml, image: Image) -> None:
    attrs = {
        "url": image.url,
        "type": image.mime_type,
        "medium": "image",
        "width": str(image.width),
        "height": str(image.height),
    }
    with doc.element("media:content", attrs):
        if image.alt:
            doc.leaf("media:description", image.alt, {"type": "plain"})
        if image.credit:
            doc.leaf("media:credit", image.credit)


# --- RSS 2.0 -------------------------------------------------------------------------------


def _as_html(text: str) -> str:
    """Plain text as the HTML an RSS <description> holds. Readers render a description as
    HTML, so a standfirst that reads "<img src=x onerror=…>" would otherwise come alive in
    every reader that does not sanitise; escaped, it shows as the characters typed."""
    return html.escape(text, quote=False)


def rss(feed: Feed) -> bytes:
    doc = _Xml()
    namespaces = {f"xmlns:{prefix}": uri for prefix, uri in NAMESPACES.items()}
    with doc.element("rss", {"version": "2.0", **namespaces}), doc.element("channel"):
        doc.leaf("title", feed.title)
        doc.leaf("link", feed.home_page_url)
        doc.leaf("description", _as_html(feed.description or feed.title))
        doc.leaf("language", feed.language)
        doc.leaf("lastBuildDate", rfc822(feed.updated))
        doc.leaf("generator", GENERATOR)
        self_link = {"href": feed.urls["rss"], "rel": "self", "type": "application/rss+xml"}
        doc.leaf("atom:link", attrs=self_link)
        for entry in feed.entries:
            if isinstance(entry, str):
                doc.written(entry)
            else:
                _rss_item(doc, entry)
    return doc.bytes()


def _rss_item(doc: _Xml, entry: Entry) -> None:
    with doc.element("item"):
        doc.leaf("title", entry.title)
        doc.leaf("link", entry.link)
        doc.leaf("description", _as_html(entry.summary))
        if entry.content_html:
            doc.leaf("content:encoded", entry.content_html)
        for author in entry.authors:
            doc.leaf("dc:creator", author.name)
        for category in entry.categories:
            doc.leaf("category", category)
        doc.leaf("guid", entry.id, {"isPermaLink": "false"})
        doc.leaf("pubDate", rfc822(entry.published))
        doc.leaf("dcterms:modified", rfc3339(entry.updated))
        # RSS allows one enclosure per item; the audio is the one podcast apps look for.
        for attachment in entry.attachments[:1]:
            enclosure = {
                "url": attachment.url,
                "length": str(attachment.size),
                "type": attachment.mime_type,
            }
            doc.leaf("enclosure", attrs=enclosure)
        if entry.image:
            _media(doc, entry.image)


# --- Atom 1.0 ------------------------------------------------------------------------------


def atom(feed: Feed) -> bytes:
    doc = _Xml()
    root = {
        "xmlns": NAMESPACES["atom"],
        "xmlns:media": NAMESPACES["media"],
        "xml:lang": feed.language,
    }
    with doc.element("feed", root):
        doc.leaf("id", feed.id)
        doc.leaf("title", feed.title, {"type": "text"})
        if feed.description:
            doc.leaf("subtitle", feed.description, {"type": "text"})
        doc.leaf("updated", rfc3339(feed.updated))
        alternate = {"rel": "alternate", "type": "text/html", "href": feed.home_page_url}
        doc.leaf("link", attrs=alternate)
        own = {"rel": "self", "type": "application/atom+xml", "href": feed.urls["atom"]}
        doc.leaf("link", attrs=own)
        for person in feed.authors:
            _atom_person(doc, person)
        doc.leaf("generator", GENERATOR)
        if feed.icon:
            doc.leaf("icon", feed.icon)
        for entry in feed.entries:
            if isinstance(entry, str):
                doc.written(entry)
            else:
                _atom_entry(doc, entry)
    return doc.bytes()


def _atom_person(doc: _Xml, person: Person) -> None:
    with doc.element("author"):
        doc.leaf("name", person.name)
        if person.url:
            doc.leaf("uri", person.url)


def _atom_entry(doc: _Xml, entry: Entry) -> None:
    with doc.element("entry"):
        doc.leaf("id", entry.id)
        doc.leaf("title", entry.title, {"type": "text"})
        doc.leaf("link", attrs={"rel": "alternate", "type": "text/html", "href": entry.link})
        doc.leaf("published", rfc3339(entry.published))
        doc.leaf("updated", rfc3339(entry.updated))
        for person in entry.authors:
            _atom_person(doc, person)
        for category in entry.categories:
            doc.leaf("category", attrs={"term": category})
        if entry.summary:
            doc.leaf("summary", entry.summary, {"type": "text"})
        if entry.content_html:
            doc.leaf("content", entry.content_html, {"type": "html"})
        for attachment in entry.attachments:
            link = {
                "rel": "enclosure",
                "href": attachment.url,
                "type": attachment.mime_type,
                "length": str(attachment.size),
            }
            if attachment.title:
                link["title"] = attachment.title
            doc.leaf("link", attrs=link)
        if entry.image:
            _media(doc, entry.image)


# --- JSON Feed 1.1 -------------------------------------------------------------------------


def json_feed(feed: Feed) -> bytes:
    data: dict[str, object] = {
        "version": JSON_FEED_VERSION,
        "title": feed.title,
        "home_page_url": feed.home_page_url,
        "feed_url": feed.urls["json"],
        "description": feed.description,
        "language": feed.language,
        "authors": [_json_person(person) for person in feed.authors],
        "items": None,  # written below, where items written before go in as they are
    }
    if feed.icon:
        data["favicon"] = feed.icon
    items = ",".join(
        entry if isinstance(entry, str) else _json(_json_item(entry)) for entry in feed.entries
    )
    # What json.dumps writes for a dict with these separators, member by member.
    members = (
        _json(name) + ":" + (f"[{items}]" if name == "items" else _json(value))
        for name, value in data.items()
    )
    return ("{" + ",".join(members) + "}").encode("utf-8")


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _json_person(person: Person) -> dict[str, str]:
    data = {"name": person.name}
    if person.url:
        data["url"] = person.url
    return data


def _json_item(entry: Entry) -> dict[str, object]:
    item: dict[str, object] = {"id": entry.id, "url": entry.link, "title": entry.title}
    if entry.content_html:
        item["content_html"] = entry.content_html
    else:
        item["content_text"] = entry.summary
    if entry.summary:
        item["summary"] = entry.summary
    if entry.image:
        item["image"] = entry.image.url
    item["date_published"] = rfc3339(entry.published)
    item["date_modified"] = rfc3339(entry.updated)
    if entry.authors:
        item["authors"] = [_json_person(person) for person in entry.authors]
    if entry.categories:
        item["tags"] = list(entry.categories)
    if entry.attachments:
        item["attachments"] = [
            {
                "url": attachment.url,
                "mime_type": attachment.mime_type,
                "size_in_bytes": attachment.size,
                **({"title": attachment.title} if attachment.title else {}),
                **(
                    {"duration_in_seconds": round(attachment.duration)}
                    if attachment.duration
                    else {}
                ),
            }
            for attachment in entry.attachments
        ]
    return item


WRITERS: dict[str, Callable[[Feed], bytes]] = {"rss": rss, "atom": atom, "json": json_feed}


def _written(write: Callable[[_Xml, Entry], None]) -> Callable[[Entry], str]:
    def entry_text(entry: Entry) -> str:
        doc = _Xml(document=False)
        write(doc, entry)
        return doc.text()

    return entry_text


ENTRY_WRITERS: dict[str, Callable[[Entry], str]] = {
    "rss": _written(_rss_item),
    "atom": _written(_atom_entry),
    "json": lambda entry: _json(_json_item(entry)),
}
"""One entry as the feed of that format writes it, to be kept and given back in `entries`."""
