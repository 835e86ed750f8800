"""Saved HTML article pages read into stories: metadata from JSON-LD, Open Graph and <meta>
tags, the text by trafilatura.

Metadata, best source first: JSON-LD (NewsArticle and its kin) → Open Graph / article:* →
<meta name=…> → the page itself (<h1>, <time datetime>, <figcaption>). Publishers write these
for search engines and social cards, so they are more reliable than anything guessed from the
layout; trafilatura's own metadata guesses are not used.

The text comes from trafilatura (Apache-2.0), a maintained extractor that finds the main text
of a page by its structure and link density, with or without <article> markup, and leaves out
menus, share bars, comment threads and "most read" boxes. Its HTML output (paragraphs,
headings, lists, quotations, bold, italic, links) then passes our own allow-list sanitiser
(newsdesk.importer.sanitise): trafilatura is not a sanitiser, so nothing it returns is trusted.
A live-feed block in an HTML page is not imported (use a page dump).
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from bs4 import BeautifulSoup, Tag

from newsdesk.importer.data import Image, SourceError, Story
from newsdesk.importer.sanitise import blocks_from_html, plain_text
from newsdesk.importer.textdump import AI_AUDIO_LINE

ARTICLE_TYPES = {
    "article", "newsarticle", "reportagenewsarticle", "analysisnewsarticle",
    "opinionnewsarticle", "reviewnewsarticle", "backgroundnewsarticle", "blogposting",
    "liveblogposting", "report", "scholarlyarticle", "techarticle",
}  # fmt: skip
_CREDIT = re.compile(r"^(?P<caption>.*?)\s*\((?P<credit>[^()]+)\)$")
FURNITURE = ["header", "footer", "nav", "aside", "figure"]
"""Elements that HTML gives the meaning "not the main text". Taken out before extraction:
trafilatura leaves most of them out by itself, but on short pages it falls back to a rougher
pass that keeps them (a caption glued to the first paragraph). The hero caption and the
byline come from the metadata, and inline pictures are not imported."""
_XML_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
_FOOTER = re.compile(r"^authors?:\s*(?P<name>.+)$", re.IGNORECASE)


def read_page(raw: bytes, zone: ZoneInfo, source_name: str = "") -> Story:
    soup = BeautifulSoup(raw, "html.parser")
    meta = _Meta(soup)
    headline = meta.headline()
    if not headline:
        raise SourceError("no headline (JSON-LD headline, og:title, <h1> or <title>)")
    published = meta.published(zone)
    authors = meta.authors()
    if not authors:
        raise SourceError("no author (JSON-LD author, <meta name=author> or rel=author)")
    caption, credit = meta.caption()  # before _body, which takes the figures out of the soup
    body, footer = _body(soup, headline)
    if not body:
        raise SourceError("no article text found in the page")
    url = meta.url()
    return Story(
        source_key=_key(url, headline, published),
        format="html",
        headline=headline[:255],
        authors=tuple(name[:120] for name in authors),
        published=published,
        body=tuple(body),
        caption=caption,
        credit=credit,
        standfirst=meta.description()[:400],
        topics=meta.topics(),
        image=meta.image(),
        footer_author=footer,
    )


def _key(url: str, headline: str, published: datetime) -> str:
    if url:
        key = f"url:{url}"
        return key if len(key) <= 255 else "url:" + hashlib.sha256(url.encode()).hexdigest()
    identity = f"{' '.join(headline.casefold().split())}\n{published.date().isoformat()}"
    return "html:" + hashlib.sha256(identity.encode()).hexdigest()[:40]


def _clean_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return ""
    return urlunsplit((parts.scheme, parts.netloc.lower(), parts.path or "/", parts.query, ""))


def _names(value: Any) -> list[str]:
    """Author names from JSON-LD: a string, a Person/Organization, or a list of them."""
    if isinstance(value, list):
        return [name for item in value for name in _names(item)]
    if isinstance(value, dict):
        value = value.get("name", "")
    if isinstance(value, str):
        text = plain_text(value)
        return [text] if text and not text.startswith(("http:", "https:")) else []
    return []


def _first_text(value: Any) -> str:
    if isinstance(value, list):
        value = value[0] if value else ""
    if isinstance(value, dict):
        value = value.get("url") or value.get("@id") or value.get("name") or ""
    return plain_text(value) if isinstance(value, str) else ""


class _Meta:
    def __init__(self, soup: BeautifulSoup) -> None:
        self.soup = soup
        self.ld = self._json_ld()
        self.properties: dict[str, list[str]] = {}
        for tag in soup.find_all("meta"):
            name = str(tag.get("property") or tag.get("name") or "").strip().lower()
            content = str(tag.get("content") or "").strip()
            if name and content:
                self.properties.setdefault(name, []).append(content)

    def _json_ld(self) -> dict[str, Any]:
        for script in self.soup.find_all("script", type="application/ld+json"):
            try:
                data = json.loads(script.string or "", strict=False)
            except ValueError:
                continue
            for item in _flatten(data):
                kinds = item.get("@type", [])
                kinds = kinds if isinstance(kinds, list) else [kinds]
                if any(str(kind).lower() in ARTICLE_TYPES for kind in kinds):
                    return item
        return {}

    def prop(self, *names: str) -> str:
        for name in names:
            if self.properties.get(name):
                return plain_text(self.properties[name][0])
        return ""

    def headline(self) -> str:
        found = _first_text(self.ld.get("headline")) or self.prop("og:title", "twitter:title")
        if not found:
            for tag_name in ("h1", "title"):
                tag = self.soup.find(tag_name)
                if tag and tag.get_text(strip=True):
                    return plain_text(tag.get_text(" "))
        return found

    def published(self, zone: ZoneInfo) -> datetime:
        candidates = [
            _first_text(self.ld.get("datePublished")),
            self.prop("article:published_time", "og:published_time", "date", "pubdate"),
        ]
        time_tag = self.soup.find("time", attrs={"datetime": True})
        if isinstance(time_tag, Tag):
            candidates.append(str(time_tag["datetime"]))
        for text in candidates:
            if not text:
                continue
            try:
                moment = datetime.fromisoformat(text.strip())
            except ValueError:
                raise SourceError(f"{text!r} is not an ISO 8601 publication date") from None
            return moment if moment.tzinfo else moment.replace(tzinfo=zone)
        raise SourceError(
            "no publication date (JSON-LD datePublished, article:published_time or <time>)"
        )

    def authors(self) -> list[str]:
        names = _names(self.ld.get("author"))
        if not names and self.prop("author"):
            names = [self.prop("author")]
        if not names:
            names = [
                plain_text(tag.get_text(" "))
                for tag in self.soup.find_all(["a", "span"], rel="author")
            ]
        return list(dict.fromkeys(name for name in names if name))

    def url(self) -> str:
        link = self.soup.find("link", rel="canonical")
        candidates = [
            str(link.get("href") or "") if isinstance(link, Tag) else "",
            self.prop("og:url"),
            _first_text(self.ld.get("url")),
            _first_text(self.ld.get("mainEntityOfPage")),
        ]
        return next((url for url in map(_clean_url, candidates) if url), "")

    def description(self) -> str:
        return _first_text(self.ld.get("description")) or self.prop("og:description", "description")

    def topics(self) -> tuple[str, ...]:
        section = self.ld.get("articleSection")
        names = section if isinstance(section, list) else [section] if section else []
        names += self.properties.get("article:section", [])
        names += self.properties.get("article:tag", [])
        cleaned = (plain_text(str(name))[:120] for name in names)
        return tuple(dict.fromkeys(name for name in cleaned if name))

    def image(self) -> Image | None:
        url = _first_text(self.ld.get("image")) or self.prop("og:image")
        if not url:
            return None
        return Image(url=url, alt=self.prop("og:image:alt"))

    def caption(self) -> tuple[str, str]:
        image = self.ld.get("image")
        image = image[0] if isinstance(image, list) and image else image
        caption, credit = "", ""
        if isinstance(image, dict):
            caption = plain_text(str(image.get("caption") or ""))
            credit = plain_text(str(image.get("creditText") or ""))
        if not caption:
            container = self.soup.find("article") or self.soup
            figcaption = container.find("figcaption")
            caption = plain_text(figcaption.get_text(" ")) if isinstance(figcaption, Tag) else ""
        match = _CREDIT.match(caption)
        if match and not credit:
            caption, credit = match["caption"], match["credit"].strip()
        return caption[:500], credit[:255]


def _flatten(data: Any) -> list[dict[str, Any]]:
    if isinstance(data, list):
        return [item for entry in data for item in _flatten(entry)]
    if isinstance(data, dict):
        return [data, *_flatten(data.get("@graph", []))]
    return []


def _body(soup: BeautifulSoup, headline: str) -> tuple[list[tuple[str, object]], str]:
    # Imported here: trafilatura (with lxml) takes a tenth of a second to import, and only an
    # HTML import needs it.
    import trafilatura

    for tag in soup.find_all(FURNITURE):
        tag.decompose()
    # The page as BeautifulSoup decoded it (so text and metadata agree on the encoding), without
    # the control characters XML cannot hold: one of them, even as "&#14;" in an attribute,
    # makes trafilatura's lxml tree fail and the whole page come back empty.
    markup = _XML_UNSAFE.sub("", str(soup))
    extracted = trafilatura.extract(
        markup,
        output_format="html",
        include_formatting=True,  # bold and italic
        include_links=True,  # the sanitiser keeps absolute http(s), mailto and tel links
        include_images=False,  # the hero image comes from the metadata; inline ones are dropped
        include_tables=True,  # one paragraph per cell: text kept rather than lost
        include_comments=False,  # readers' comments are not the article
        with_metadata=False,
        deduplicate=False,  # a repeated paragraph may be the author's; keep what the page says
    )
    blocks: list[tuple[str, object]] = []
    footer = ""
    for kind, value in blocks_from_html(extracted or ""):
        text = plain_text(value) if isinstance(value, str) else value["text"]
        if text.lower().rstrip(".") == AI_AUDIO_LINE or text == headline:
            continue
        match = _FOOTER.match(text) if kind == "paragraph" else None
        if match:
            footer = match["name"].strip()
            break  # what follows the author line (a live-feed block) is not the article
        blocks.append((kind, value))
    return blocks, footer
