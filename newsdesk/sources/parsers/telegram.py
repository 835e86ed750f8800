"""Public Telegram channels' preview pages (https://t.me/s/<channel>): the last twenty or so
posts as HTML. Each post is a `.tgme_widget_message` whose `data-post` ("channel/123") is its
id; an edited post comes back with new text under the same id, so it becomes a new version.
"""

from __future__ import annotations

import warnings
from datetime import datetime

from bs4 import BeautifulSoup, Tag, XMLParsedAsHTMLWarning

from newsdesk.sources.parsers.common import Entry, FeedError, Parsed, decode_html, iso_time, squash

HEADLINE_LENGTH = 120


def parse(data: bytes) -> Parsed:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)  # a wrong address: said below
        soup = BeautifulSoup(decode_html(data), "html.parser")
    posts = [
        node for node in soup.find_all("div", attrs={"data-post": True})
        if isinstance(node, Tag) and "tgme_widget_message" in (node.get("class") or [])
    ]  # fmt: skip
    if not posts and soup.find(class_="tgme_channel_info") is None:
        raise FeedError("Not a Telegram channel preview page (is the address t.me/s/<channel>?).")
    parsed = Parsed()
    for post in posts:
        post_id = str(post.get("data-post", "")).strip()
        text_node = post.find(class_="tgme_widget_message_text")
        body = text_node.decode_contents() if isinstance(text_node, Tag) else ""
        text = squash(text_node.get_text(" ")) if isinstance(text_node, Tag) else ""
        if not post_id or not text:
            continue  # a photo or a poll without words: nothing for the desk to read
        parsed.entries.append(
            Entry(
                guid=post_id,
                headline=_headline(text_node) if isinstance(text_node, Tag) else "",
                body=body,
                link=f"https://t.me/{post_id}",
                time=_time(post),
            )
        )
    return parsed


def _headline(text_node: Tag) -> str:
    """Channels have no headlines: the first line, shortened at a word."""
    first = squash(text_node.get_text("\n").strip().split("\n", 1)[0])
    if len(first) <= HEADLINE_LENGTH:
        return first
    return first[:HEADLINE_LENGTH].rsplit(" ", 1)[0] + "…"


def _time(post: Tag) -> datetime | None:
    node = post.find("time")
    return iso_time(str(node.get("datetime", ""))) if isinstance(node, Tag) else None
