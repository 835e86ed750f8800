"""What a feed says, whatever its format.

RSS 2.0, Atom 1.0 and JSON Feed 1.1 are three spellings of the same `Feed` (writers.py writes
them). The Django side (articles.py, live.py) fills these in; everything here is plain data, so
the writers can be tested without a database. Pure: no Django import.
"""

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Person:
    name: str
    url: str = ""


@dataclass(frozen=True)
class Image:
    """The entry's lead picture (an article's hero photo), as a finished rendition."""

    url: str
    mime_type: str
    width: int
    height: int
    alt: str = ""
    credit: str = ""


@dataclass(frozen=True)
class Attachment:
    """A file that belongs to the entry: the narration MP3 (an RSS enclosure)."""

    url: str
    mime_type: str
    size: int
    duration: float | None = None
    title: str = ""


@dataclass
class Entry:
    id: str
    """Stable for the life of the story: edits and slug changes never change it."""
    title: str
    link: str
    published: datetime
    updated: datetime
    summary: str
    """Plain text."""
    content_html: str = ""
    """Empty when the site publishes summaries only (NEWSDESK_FEED_CONTENT=summary)."""
    authors: list[Person] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    image: Image | None = None
    attachments: list[Attachment] = field(default_factory=list)


@dataclass
class Feed:
    id: str
    title: str
    description: str
    home_page_url: str
    urls: dict[str, str]
    """The feed's own address in each format ("rss", "atom", "json"): its self links."""
    language: str
    updated: datetime
    authors: list[Person] = field(default_factory=list)
    icon: str = ""
    entries: list[Entry | str] = field(default_factory=list)
    """Entries, or entries already written in the format being written (writers.py
    ENTRY_WRITERS): a feed built from stored entries holds their text."""
