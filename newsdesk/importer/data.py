"""What every import format is turned into before anything is written. Pure: no Django.

Parsers (textdump, htmlpage, wxr) produce `Story` values; the writer turns them into pages,
authors, topics, live feeds and redirects. Body blocks are already sanitised HTML.
"""

from __future__ import annotations

import hashlib
import html
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime

from newsdesk.importer import textdump


class SourceError(ValueError):
    """A source file that cannot be imported; `line` is 1-based, or None when unknown."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message if line is None else f"line {line}: {message}")
        self.line = line
        self.message = message


@dataclass(frozen=True)
class Image:
    """A picture to fetch (only with --fetch-images): an http(s) or file: URL, or a path."""

    url: str
    alt: str = ""
    title: str = ""


@dataclass(frozen=True)
class Entry:
    """A live-feed update: `body` is sanitised HTML; `line` points into the source."""

    published: datetime
    headline: str
    body: str
    line: int | None = None


@dataclass(frozen=True)
class Story:
    """An article from any source, ready to write."""

    source_key: str
    format: str
    headline: str
    authors: tuple[str, ...]
    published: datetime
    body: tuple[tuple[str, object], ...]
    caption: str = ""
    credit: str = ""
    standfirst: str = ""
    topics: tuple[str, ...] = ()
    image: Image | None = None
    minutes: int | None = None  # the reading time the source claims
    footer_author: str = ""
    old_urls: tuple[str, ...] = ()  # where the story used to live: redirected to the new page
    slug: str = ""  # the slug to prefer; derived from the headline when empty
    publish: bool | None = None  # the source's own status (WXR); None: the command decides
    entries: tuple[Entry, ...] = field(default=())
    line: int | None = None  # where the story starts in its file (WXR items)

    def content_hash(self) -> str:
        """Everything the article page shows, hashed: equal hashes mean nothing to update."""
        data = asdict(self)
        data.pop("entries")
        data.pop("line")
        return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def paragraph_html(text: str) -> str:
    return f"<p>{html.escape(text, quote=False)}</p>"


def from_text(article: textdump.Article) -> Story:
    """A parsed page dump as a story: plain text, so every paragraph is simply escaped."""
    return Story(
        source_key=textdump.source_key(article),
        format="text",
        headline=article.headline,
        authors=article.authors,
        published=article.published,
        body=tuple(("paragraph", paragraph_html(text)) for text in article.paragraphs),
        caption=article.caption,
        credit=article.credit,
        minutes=article.minutes,
        footer_author=article.footer_author,
        entries=tuple(
            Entry(
                published=entry.published,
                headline=entry.headline,
                body="".join(paragraph_html(text) for text in entry.paragraphs),
                line=entry.line,
            )
            for entry in article.entries
        ),
    )
