"""WordPress eXtended RSS (WXR) exports read into stories.

Parsed with defusedxml, so entity expansion, external entities and DTDs are refused rather
than processed. What is read, per <item> whose wp:post_type is "post":

- title → headline; content:encoded → body (sanitised; [caption]…[/caption] shortcodes and
  their images dropped, other shortcodes reduced to their text); excerpt:encoded → standfirst;
- dc:creator → the author's display name from the channel's <wp:author> list;
- wp:post_date_gmt (UTC), or wp:post_date in the import's time zone → publication time;
- categories and tags → topics ("Uncategorized", WordPress's default, is skipped);
- wp:status "publish" may be published (with --publish); anything else stays a draft;
  "trash", "auto-draft" and "inherit" items are skipped;
- the _thumbnail_id attachment → hero image (its caption and alt text too);
- <link> (the old permalink) → a redirect to the new page; the guid is the source identity.

Pages, menu items and other post types are skipped.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import unquote, urlsplit
from xml.etree.ElementTree import Element, ParseError
from zoneinfo import ZoneInfo

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from newsdesk.importer.data import Image, SourceError, Story
from newsdesk.importer.sanitise import blocks_from_html, plain_text

CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
DC = "{http://purl.org/dc/elements/1.1/}"
WP_PREFIX = "{http://wordpress.org/export/"
_WEB = {"http", "https"}
SKIPPED_STATUSES = {"trash", "auto-draft", "inherit"}
DEFAULT_CATEGORY = "uncategorized"
_CAPTION_SHORTCODE = re.compile(r"\[caption[^\]]*\].*?\[/caption\]", re.DOTALL | re.IGNORECASE)
_SHORTCODE = re.compile(r"\[/?[a-zA-Z][\w-]*(?:\s[^\]]*)?\]")
_CREDIT = re.compile(r"^(?P<caption>.*?)\s*\((?P<credit>[^()]+)\)$")
_CDATA_OR_COMMENT = re.compile(rb"<!\[CDATA\[.*?\]\]>|<!--.*?-->", re.DOTALL)
_ITEM = re.compile(rb"<item[\s>]")


def read_export(raw: bytes, zone: ZoneInfo) -> list[Story]:
    try:
        root = fromstring(raw)
    except ParseError as error:
        line = error.position[0] if error.position else None
        message = re.sub(r": line \d+, column \d+$", "", str(error.msg))
        raise SourceError(f"not well-formed XML: {message}", line) from None
    except DefusedXmlException:
        raise SourceError("the export declares XML entities or a DTD, refused for safety") from None
    channel = root.find("channel")
    if root.tag != "rss" or channel is None:
        raise SourceError("not a WordPress export: no <rss><channel>")
    authors = _authors(channel)
    items = channel.findall("item")
    attachments = {
        _wp(item, "post_id"): item for item in items if _wp(item, "post_type") == "attachment"
    }
    lines = _item_lines(raw)
    stories = []
    for index, item in enumerate(items):
        if _wp(item, "post_type") != "post" or _wp(item, "status") in SKIPPED_STATUSES:
            continue
        line = lines[index] if index < len(lines) else None
        stories.append(_story(item, authors, attachments, zone, line))
    if not stories:
        raise SourceError("the export has no posts")
    return stories


def _item_lines(raw: bytes) -> list[int]:
    """The line of each <item>, found in the text with CDATA and comments blanked out."""
    blanked = _CDATA_OR_COMMENT.sub(lambda match: b"\n" * match[0].count(b"\n"), raw)
    return [blanked[: match.start()].count(b"\n") + 1 for match in _ITEM.finditer(blanked)]


def _wp(element: Element, name: str) -> str:
    """The text of a wp: child, whatever the export's WXR version (1.0, 1.1, 1.2)."""
    for child in element:
        if child.tag.startswith(WP_PREFIX) and child.tag.endswith("}" + name):
            return (child.text or "").strip()
    return ""


def _excerpt(element: Element) -> str:
    for child in element:
        if child.tag.startswith(WP_PREFIX) and child.tag.endswith("/excerpt/}encoded"):
            return child.text or ""
    return ""


def _text(element: Element, tag: str) -> str:
    found = element.find(tag)
    return (found.text or "") if found is not None else ""


def _authors(channel: Element) -> dict[str, str]:
    names = {}
    for author in channel:
        if not (author.tag.startswith(WP_PREFIX) and author.tag.endswith("}author")):
            continue
        login = _wp(author, "author_login")
        full = f"{_wp(author, 'author_first_name')} {_wp(author, 'author_last_name')}".strip()
        names[login] = plain_text(_wp(author, "author_display_name") or full or login)
    return names


def _meta(item: Element, key: str) -> str:
    for child in item:
        is_meta = child.tag.startswith(WP_PREFIX) and child.tag.endswith("}postmeta")
        if is_meta and _wp(child, "meta_key") == key:
            return _wp(child, "meta_value")
    return ""


def _story(item, authors, attachments, zone, line) -> Story:
    headline = plain_text(_text(item, "title"))
    if not headline:
        raise SourceError("a post has no title", line)
    login = _text(item, f"{DC}creator").strip()
    author = authors.get(login) or plain_text(login)
    if not author:
        raise SourceError(f"{headline!r} has no author (dc:creator)", line)
    body = _body(_text(item, f"{CONTENT}encoded"))
    if not body:
        raise SourceError(f"{headline!r} has no text", line)
    guid = _text(item, "guid").strip()
    status = _wp(item, "status")
    link = _text(item, "link").strip()
    caption, credit, image = _featured(item, attachments)
    return Story(
        source_key=("url:" + (guid or link))[:255] if guid or link else f"wxr:{headline}"[:255],
        format="wxr",
        headline=headline[:255],
        authors=(author[:120],),
        published=_published(item, zone, line, headline),
        body=tuple(body),
        caption=caption,
        credit=credit,
        standfirst=plain_text(_excerpt(item))[:400],
        topics=_topics(item),
        image=image,
        # Drafts were never public, so only published posts leave old addresses to redirect.
        old_urls=(link,) if status == "publish" and urlsplit(link).scheme in _WEB else (),
        slug=unquote(_wp(item, "post_name")),
        publish=status == "publish",
        line=line,
    )


def _body(content: str) -> list[tuple[str, object]]:
    content = _CAPTION_SHORTCODE.sub("", content)
    return blocks_from_html(_SHORTCODE.sub("", content))


def _published(item: Element, zone: ZoneInfo, line: int | None, headline: str) -> datetime:
    for name, tzinfo in (("post_date_gmt", UTC), ("post_date", zone)):
        text = _wp(item, name)
        if not text or text.startswith("0000"):
            continue
        try:
            return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=tzinfo)
        except ValueError:
            raise SourceError(f"{headline!r}: {text!r} is not a date (wp:{name})", line) from None
    raise SourceError(f"{headline!r} has no date (wp:post_date)", line)


def _topics(item: Element) -> tuple[str, ...]:
    names = []
    for category in item.findall("category"):
        if category.get("domain") not in {"category", "post_tag"}:
            continue
        if category.get("nicename", "").lower() == DEFAULT_CATEGORY:
            continue
        name = plain_text(category.text or "")
        if name and name.lower() != DEFAULT_CATEGORY:
            names.append(name[:120])
    return tuple(dict.fromkeys(names))


def _featured(item: Element, attachments: dict[str, Element]) -> tuple[str, str, Image | None]:
    attachment = attachments.get(_meta(item, "_thumbnail_id"))
    if attachment is None:
        return "", "", None
    url = _wp(attachment, "attachment_url") or _text(attachment, "guid")
    caption = plain_text(_excerpt(attachment))
    credit = ""
    match = _CREDIT.match(caption)
    if match:
        caption, credit = match["caption"], match["credit"].strip()
    alt = plain_text(_meta(attachment, "_wp_attachment_image_alt"))
    title = plain_text(_text(attachment, "title"))
    image = Image(url=url.strip(), alt=alt, title=title) if url.strip() else None
    return caption[:500], credit[:255], image
