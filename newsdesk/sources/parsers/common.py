"""Shared pieces of the parsers: the entry, errors, safe XML, dates and text."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from xml.etree.ElementTree import Element, ParseError, tostring

from defusedxml import DefusedXmlException  # type: ignore[import-untyped]
from defusedxml.ElementTree import fromstring  # type: ignore[import-untyped]


class FeedError(Exception):
    """The delivery as a whole cannot be read; the message is for editors."""


@dataclass(frozen=True)
class Entry:
    guid: str
    headline: str
    body: str
    """HTML (or plain text) as the source wrote it: not yet sanitised."""
    link: str = ""
    time: datetime | None = None
    version: str = ""
    """The source's own version of the item (ninjs `version`, NewsML-G2 `@version`)."""


@dataclass
class Parsed:
    entries: list[Entry] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    """One plain-words reason per entry that could not be read."""


def parse_xml(data: bytes) -> Element:
    """The document's root element. Entity declarations (billion laughs, external entities)
    are refused outright, which no news feed needs."""
    try:
        root: Element = fromstring(
            data, forbid_dtd=False, forbid_entities=True, forbid_external=True
        )
        return root
    except DefusedXmlException as error:
        raise FeedError(
            f"Refused: the XML declares entities ({type(error).__name__}), as an XML bomb does."
        ) from None
    except ParseError as error:
        raise FeedError(f"Not well-formed XML: {describe_xml_error(error, data)}") from None


def describe_xml_error(error: ParseError, data: bytes) -> str:
    message = str(error)
    if "invalid token" in message or "encoding" in message:
        line, column = getattr(error, "position", (0, 0))
        return f"{message} (is the text in the encoding it declares? line {line}, column {column})"
    return message


def parse_json(data: bytes) -> Any:
    """JSON must be UTF-8 (RFC 8259); anything else is said so, with where it goes wrong."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FeedError(
            f"Not valid UTF-8: byte {error.start} (0x{data[error.start]:02x}) cannot be read."
        ) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise FeedError(
            f"Not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}."
        ) from None


def decode_html(data: bytes) -> str:
    """HTML pages here are UTF-8 (t.me serves nothing else); other bytes are an error."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FeedError(
            f"Not valid UTF-8: byte {error.start} (0x{data[error.start]:02x}) cannot be read."
        ) from None


def local_name(element: Element) -> str:
    """A tag without its namespace: '{http://www.w3.org/2005/Atom}feed' -> 'feed'."""
    return element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else ""


def child(element: Element, name: str) -> Element | None:
    for node in element:
        if local_name(node) == name:
            return node
    return None


def children(element: Element, name: str) -> list[Element]:
    return [node for node in element if local_name(node) == name]


def markup(element: Element) -> str:
    """An element as HTML with namespace prefixes dropped (XHTML inside Atom or NewsML-G2)."""
    for node in element.iter():
        if isinstance(node.tag, str):
            node.tag = local_name(node)
        for name in [name for name in node.attrib if name.startswith("{")]:
            del node.attrib[name]
    return tostring(element, encoding="unicode")


def text_of(element: Element | None) -> str:
    return "".join(element.itertext()).strip() if element is not None else ""


def rfc822_time(value: str) -> datetime | None:
    """RSS dates ('Sat, 27 Jan 2024 13:34:00 +0000'); None when absent or unreadable."""
    if not value.strip():
        return None
    try:
        moment = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return iso_time(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def iso_time(value: object) -> datetime | None:
    """ISO 8601 / RFC 3339 times; a time without a zone is taken as UTC."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


_SPACES = re.compile(r"\s+")


def squash(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def sniff(data: bytes) -> str:
    """The kind of a dropped file, from its first bytes: agencies name files as they like."""
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"{", b"[")):
        return "jsonfeed" if b"jsonfeed.org/version" in data[:4096].lower() else "ninjs"
    if head.startswith(b"<"):
        start = data[:4096].lower()
        if b"<rss" in start or b"<rdf:rdf" in start:
            return "rss"
        if b"<feed" in start:
            return "atom"
        if b"newsitem" in start or b"newsmessage" in start:
            return "newsml"
        raise FeedError("An XML file, but neither RSS, Atom nor NewsML-G2.")
    raise FeedError("Not a file Newsdesk reads: expected ninjs or JSON Feed (JSON), or XML.")
